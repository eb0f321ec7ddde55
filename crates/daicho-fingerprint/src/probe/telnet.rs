//! Telnet option negotiation (RFC 854/855): every DO is answered WONT and every WILL DONT, so
//! the server falls back to a plain terminal and prints its banner or login prompt.

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;

/// The result of reading a chunk of telnet data.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TelnetChunk {
    /// Printable data with commands removed.
    pub text: Vec<u8>,
    /// Our refusals to send back.
    pub replies: Vec<u8>,
    /// How many option commands the chunk held.
    pub commands: usize,
}

/// Separates commands from text and builds the refusals. A command cut at the chunk's end is
/// dropped (the server repeats negotiation if it cares).
pub fn process(data: &[u8]) -> TelnetChunk {
    let mut out = TelnetChunk::default();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b != IAC {
            out.text.push(b);
            i += 1;
            continue;
        }
        let Some(&cmd) = data.get(i + 1) else { break };
        match cmd {
            DO | DONT | WILL | WONT => {
                let Some(&opt) = data.get(i + 2) else { break };
                out.commands += 1;
                match cmd {
                    DO => out.replies.extend_from_slice(&[IAC, WONT, opt]),
                    WILL => out.replies.extend_from_slice(&[IAC, DONT, opt]),
                    _ => {}
                }
                i += 3;
            }
            SB => {
                out.commands += 1;
                let end = data[i..]
                    .windows(2)
                    .position(|w| w == [IAC, SE])
                    .map_or(data.len(), |p| i + p + 2);
                i = end;
            }
            IAC => {
                out.text.push(IAC);
                i += 2;
            }
            _ => i += 2,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_option_and_keeps_the_text() {
        let c = process(&[
            IAC, DO, 24, IAC, WILL, 1, IAC, SB, 24, 1, IAC, SE, b'l', b'o', b'g', b'i', b'n', b':',
            b' ',
        ]);
        assert_eq!(c.replies, vec![IAC, WONT, 24, IAC, DONT, 1]);
        assert_eq!(c.text, b"login: ");
        assert_eq!(c.commands, 3);
    }

    #[test]
    fn truncated_commands_are_dropped() {
        assert_eq!(process(&[b'a', IAC]).text, b"a");
        assert_eq!(process(&[IAC, DO]).replies, Vec::<u8>::new());
        assert_eq!(process(&[IAC, SB, 1, 2]).text, Vec::<u8>::new());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_bounds_output(data in proptest::collection::vec(proptest::num::u8::ANY, 0..500)) {
            let c = process(&data);
            proptest::prop_assert!(c.text.len() <= data.len());
            proptest::prop_assert!(c.replies.len() <= data.len());
        }
    }
}
