//! Time comes from the ledger's one clock: with a manual clock, every time the ledger writes
//! (tokens, reports received, refused logins' lock) is the clock's, and moving the clock is
//! all it takes to end a lockout.

use std::sync::Arc;

use chrono::{Duration, TimeZone as _, Utc};
use daicho_ledger::time::{ManualWallClock, to_db};
use daicho_ledger::{AccountRole, Ledger, LedgerOptions, LoginOutcome, Role};

#[test]
fn the_ledger_writes_its_clocks_time_and_a_lockout_ends_when_the_clock_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualWallClock::new(t0));
    let ledger = Ledger::open(&dir.path().join("c.db"), LedgerOptions::default())
        .unwrap()
        .with_clock(clock.clone());
    assert_eq!(ledger.now(), t0);

    let (token, _) = ledger.create_token("ward-1", Role::Agent).unwrap();
    assert_eq!(token.created_at, to_db(t0));
    clock.advance(Duration::minutes(3));
    let revoked = ledger.revoke_token_id(token.id).unwrap();
    assert_eq!(revoked.revoked_at, Some(to_db(t0 + Duration::minutes(3))));

    ledger
        .add_account("yamada", AccountRole::Operator, "correct horse battery")
        .unwrap();
    for _ in 0..5 {
        ledger
            .authenticate("yamada", "wrong", ledger.now())
            .unwrap();
    }
    assert!(matches!(
        ledger
            .authenticate("yamada", "correct horse battery", ledger.now())
            .unwrap(),
        LoginOutcome::Locked { .. }
    ));
    clock.advance(Duration::minutes(16));
    assert!(matches!(
        ledger
            .authenticate("yamada", "correct horse battery", ledger.now())
            .unwrap(),
        LoginOutcome::Ok(_)
    ));
}
