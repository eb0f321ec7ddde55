//! `Ledger::atomically`: what its steps write is one transaction — seen by its own reads,
//! committed together or not at all (an error, a panic), the methods' own transactions included,
//! and a call inside another joins it.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::Utc;
use daicho_ledger::LedgerError;
use fixtures::{arp_host, scan_report, temp_ledger};

fn refused() -> LedgerError {
    LedgerError::Conflict("refused after the writes".to_owned())
}

#[test]
fn its_reads_see_its_writes_and_a_failure_undoes_them_all() {
    let f = temp_ledger();
    let l = &f.ledger;
    let now = Utc::now();
    let report = scan_report(
        "ward3",
        now,
        None,
        vec![arp_host("198.18.0.1", Some("00:00:5e:00:53:01"), None)],
    );
    let result: Result<(), LedgerError> = l.atomically(|| {
        l.set_setting("a", "1", "test", now)?;
        assert_eq!(
            l.setting("a")?.as_deref(),
            Some("1"),
            "its own write is read"
        );
        // A method with a transaction of its own (ingest) and a nested call join it.
        l.ingest(&report, None)?;
        assert_eq!(l.device_count()?, 1);
        l.atomically(|| l.set_setting("b", "2", "test", now))?;
        Err(refused())
    });
    assert!(matches!(result, Err(LedgerError::Conflict(_))));
    assert_eq!(l.setting("a").unwrap(), None);
    assert_eq!(l.setting("b").unwrap(), None);
    assert_eq!(l.device_count().unwrap(), 0, "the ingest is undone too");

    l.atomically(|| {
        l.set_setting("a", "1", "test", now)?;
        l.ingest(&report, None).map(drop)
    })
    .unwrap();
    assert_eq!(l.setting("a").unwrap().as_deref(), Some("1"));
    assert_eq!(l.device_count().unwrap(), 1);
}

#[test]
fn a_panic_inside_rolls_back_and_the_ledger_goes_on() {
    let f = temp_ledger();
    let l = &f.ledger;
    let now = Utc::now();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = l.atomically(|| -> Result<(), LedgerError> {
            l.set_setting("a", "1", "test", now)?;
            panic!("a bug mid-decision");
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(l.setting("a").unwrap(), None);
    l.atomically(|| l.set_setting("a", "2", "test", now))
        .unwrap();
    l.set_setting("b", "3", "test", now).unwrap();
    assert_eq!(l.setting("a").unwrap().as_deref(), Some("2"));
    assert_eq!(l.setting("b").unwrap().as_deref(), Some("3"));
}
