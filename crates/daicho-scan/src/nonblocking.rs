//! Waiting for an answer on non-blocking sockets. Neither socket type the scanner reads offers a
//! safe readiness wait here, and a receive timeout (`SO_RCVTIMEO`) counts in scheduler ticks
//! (4 ms at HZ=250): a wait for the next pacing slot (2 ms at 500 packets/s) would overshoot it
//! several times over. Short precise sleeps instead: an answer is timed at most a millisecond
//! late.

use std::io;
use std::time::{Duration, Instant};

/// The longest sleep between two looks.
const LOOK_EVERY: Duration = Duration::from_millis(1);

/// Calls `look` until it finds something or `deadline` passes, sleeping between looks. `look`
/// takes what has arrived without blocking; a zero wait (`deadline` now) looks once.
pub(crate) fn wait_until<T>(
    deadline: Instant,
    mut look: impl FnMut() -> io::Result<Option<T>>,
) -> io::Result<Option<T>> {
    loop {
        if let Some(found) = look()? {
            return Ok(Some(found));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep((deadline - now).min(LOOK_EVERY));
    }
}
