use super::*;
use crate::switches::tables::{IF_NAME, Q_TP_FDB_PORT};
use crate::switches::tests::{FakeAgent, block_on, sw_2f};

#[test]
fn getbulk_walks_a_column_and_stops_at_its_end() {
    let agent = FakeAgent::new(sw_2f());
    let limits = WalkLimits::default();
    let mut w = Walker::new(&agent, "ro-test", &limits);
    let walked = block_on(w.walk(IF_NAME)).unwrap();
    assert_eq!(walked.rows.len(), 3);
    assert!(!walked.cut);
    assert!(walked.rows.iter().all(|b| b.oid.starts_with(IF_NAME)));
    assert_eq!(agent.tags(), [0xa5], "three rows fit one GETBULK");
}

#[test]
fn an_agent_without_getbulk_is_walked_with_getnext() {
    let mut agent = FakeAgent::new(sw_2f());
    agent.bulk = false;
    let limits = WalkLimits::default();
    let mut w = Walker::new(&agent, "ro-test", &limits);
    let walked = block_on(w.walk(Q_TP_FDB_PORT)).unwrap();
    assert_eq!(walked.rows.len(), 5);
    assert!(w.fell_back());
    let tags = agent.tags();
    // Two unanswered GETBULKs, then one GETNEXT per row and one past the end.
    assert_eq!(tags[..2], [0xa5, 0xa5]);
    assert_eq!(tags[2..], [0xa1; 6]);
    // The fallback holds for the rest of the switch.
    block_on(w.walk(IF_NAME)).unwrap();
    assert!(agent.tags()[8..].iter().all(|&t| t == 0xa1));
}

#[test]
fn the_row_limit_cuts_a_walk() {
    let mut agent = FakeAgent::new(sw_2f());
    agent.per_reply = 2;
    let limits = WalkLimits {
        max_rows: 4,
        ..WalkLimits::default()
    };
    let mut w = Walker::new(&agent, "ro-test", &limits);
    let walked = block_on(w.walk(Q_TP_FDB_PORT)).unwrap();
    assert_eq!(walked.rows.len(), 4);
    assert!(walked.cut);
}

#[test]
fn the_byte_and_time_limits_stop_a_switch() {
    let agent = FakeAgent::new(sw_2f());
    let limits = WalkLimits {
        max_bytes: 100,
        ..WalkLimits::default()
    };
    let mut w = Walker::new(&agent, "ro-test", &limits);
    assert!(matches!(
        block_on(w.walk(Q_TP_FDB_PORT)),
        Err(WalkError::TooManyBytes(100))
    ));
    let limits = WalkLimits {
        max_time: Duration::ZERO,
        ..WalkLimits::default()
    };
    let mut w = Walker::new(&agent, "ro-test", &limits);
    std::thread::sleep(Duration::from_millis(2));
    assert!(matches!(
        block_on(w.walk(IF_NAME)),
        Err(WalkError::TimeUp(0))
    ));
}

/// An agent answering an OID that does not advance would make a naive walk loop forever.
struct Stuck;

impl crate::switches::SnmpExchange for Stuck {
    async fn exchange(&self, request: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let r = crate::probe::snmp::tests::parse_request(request);
        Ok(Some(crate::probe::snmp::tests::response_with(
            r.id,
            &[(r.oids[0].clone(), SnmpValue::Integer(1))],
        )))
    }
}

#[test]
fn an_agent_that_does_not_advance_is_stopped() {
    let limits = WalkLimits::default();
    let mut w = Walker::new(&Stuck, "c", &limits);
    let root = [1, 3, 6, 1, 2, 1, 31];
    // The first answer repeats the root (not after it): malformed, also with GETNEXT.
    assert!(matches!(block_on(w.walk(&root)), Err(WalkError::Malformed)));
}
