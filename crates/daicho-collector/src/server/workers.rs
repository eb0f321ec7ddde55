//! The collector's background work beside the HTTP server: the periodic sweep (time alone
//! changes things: devices go missing, exceptions expire, console sessions end) that wakes the
//! alert worker.

use std::sync::Arc;
use std::time::Duration;

use daicho_ledger::Ledger;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Starts the sweep: every `every`, marks devices gone and recomputes flags; wakes `alerts`
/// when something changed.
pub(crate) fn spawn_sweeper(
    ledger: Arc<Ledger>,
    every: Duration,
    alerts: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let l = ledger.clone();
            let swept = tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                l.sweep_gone(now)?;
                l.purge_sessions(now.timestamp())?;
                l.refresh_flags(now)
            })
            .await;
            match swept {
                Ok(Ok(changed)) if changed > 0 => alerts.notify_one(),
                Ok(Err(e)) => tracing::error!(error = %e, "periodic sweep failed"),
                _ => {}
            }
        }
    })
}
