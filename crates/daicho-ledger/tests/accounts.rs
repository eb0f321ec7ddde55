//! Console accounts and the login rule, the audit log and the stored settings, through the
//! public API.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::accounts::{LOCK_AFTER_FAILURES, LOCK_FOR};
use daicho_ledger::audit::MAX_AUDIT_PAGE;
use daicho_ledger::settings::FACILITY_NAME;
use daicho_ledger::{
    AccountRole, AuditFilter, Ledger, LedgerError, LedgerOptions, LoginOutcome, NewAudit,
};
use fixtures::{TempLedger, temp_ledger, temp_sqlite_ledger};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap()
}

const PW: &str = "correct horse battery";

/// A fresh ledger whose one account is `yamada`, in `role`, with the password [`PW`].
fn ledger_with_yamada(role: AccountRole) -> TempLedger {
    let f = temp_ledger();
    f.ledger.add_account("yamada", role, PW).unwrap();
    f
}

/// `times` sign-ins as `yamada` with a wrong password at `at`, each refused as bad
/// credentials.
fn fail_yamada_logins(ledger: &Ledger, times: u32, at: DateTime<Utc>) {
    for i in 1..=times {
        assert_eq!(
            ledger.authenticate("yamada", "wrong password", at).unwrap(),
            LoginOutcome::BadCredentials,
            "wrong password {i} of {times}"
        );
    }
}

#[test]
fn accounts_are_added_listed_and_never_show_the_hash() {
    let f = temp_ledger();
    let a = f
        .ledger
        .add_account("yamada", AccountRole::Admin, PW)
        .unwrap();
    assert_eq!(a.name, "yamada");
    assert_eq!(a.role, AccountRole::Admin);
    assert_eq!(a.failed_logins, 0);
    assert!(a.disabled_at.is_none() && a.last_login_at.is_none());
    // Names are case-sensitive, and may be Japanese.
    f.ledger
        .add_account("Yamada", AccountRole::Viewer, PW)
        .unwrap();
    f.ledger
        .add_account("看護部", AccountRole::Operator, PW)
        .unwrap();
    let list = f.ledger.list_accounts().unwrap();
    let names: Vec<_> = list.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["yamada", "Yamada", "看護部"]);
    let json = serde_json::to_string(&list).unwrap();
    assert!(!json.contains("argon2"), "{json}");
    assert!(json.contains("\"role\":\"operator\""), "{json}");
    assert_eq!(f.ledger.account("yamada").unwrap(), Some(a));
    assert_eq!(f.ledger.account("nobody").unwrap(), None);
}

#[test]
fn a_taken_name_is_a_conflict() {
    let f = ledger_with_yamada(AccountRole::Admin);
    let err = f
        .ledger
        .add_account("yamada", AccountRole::Viewer, "another password")
        .unwrap_err();
    assert!(matches!(err, LedgerError::Conflict(_)), "{err}");
    assert!(err.to_string().starts_with("アカウント"), "{err}");
}

#[test]
fn bad_names_and_weak_passwords_are_refused() {
    let f = temp_ledger();
    for name in [
        "",
        "with space",
        "tab\there",
        "cli:root",
        "admin\u{200B}",
        "evil\u{202E}nimda",
        &"x".repeat(65),
    ] {
        let err = f
            .ledger
            .add_account(name, AccountRole::Viewer, PW)
            .unwrap_err();
        assert!(matches!(err, LedgerError::Invalid(_)), "{name:?}: {err}");
    }
    f.ledger
        .add_account(&"x".repeat(64), AccountRole::Viewer, PW)
        .unwrap();
    let short = f
        .ledger
        .add_account("suzuki", AccountRole::Viewer, "123456789")
        .unwrap_err();
    assert!(matches!(short, LedgerError::Invalid(_)));
    assert!(short.to_string().contains("10 文字以上"), "{short}");
    // Ten characters, counted as characters not bytes.
    f.ledger
        .add_account("suzuki", AccountRole::Viewer, "あいうえおかきくけこ")
        .unwrap();
    let same = f
        .ledger
        .add_account("tanaka_hanako", AccountRole::Viewer, "tanaka_hanako")
        .unwrap_err();
    assert!(matches!(same, LedgerError::Invalid(_)), "{same}");
    assert!(f.ledger.account("tanaka_hanako").unwrap().is_none());
    // The same rules apply to a new password.
    assert!(matches!(
        f.ledger.set_password("suzuki", "short").unwrap_err(),
        LedgerError::Invalid(_)
    ));
    assert!(matches!(
        f.ledger.set_password("nobody", PW).unwrap_err(),
        LedgerError::Invalid(_)
    ));
}

#[test]
fn authenticate_right_wrong_and_unknown() {
    let f = ledger_with_yamada(AccountRole::Operator);
    fail_yamada_logins(&f.ledger, 1, t0());
    assert_eq!(
        f.ledger.account("yamada").unwrap().unwrap().failed_logins,
        1
    );
    assert_eq!(
        f.ledger.authenticate("nobody", PW, t0()).unwrap(),
        LoginOutcome::BadCredentials
    );
    // Case matters.
    assert_eq!(
        f.ledger.authenticate("Yamada", PW, t0()).unwrap(),
        LoginOutcome::BadCredentials
    );
    let LoginOutcome::Ok(info) = f.ledger.authenticate("yamada", PW, t0()).unwrap() else {
        panic!("the right password must sign in");
    };
    assert_eq!(info.failed_logins, 0);
    assert_eq!(
        info.last_login_at.as_deref(),
        Some(daicho_ledger::time::to_db(t0()).as_str())
    );
    // A new password replaces the old one.
    f.ledger
        .set_password("yamada", "a brand new password")
        .unwrap();
    assert_eq!(
        f.ledger.authenticate("yamada", PW, t0()).unwrap(),
        LoginOutcome::BadCredentials
    );
    assert!(matches!(
        f.ledger
            .authenticate("yamada", "a brand new password", t0())
            .unwrap(),
        LoginOutcome::Ok(_)
    ));
}

#[test]
fn five_failures_lock_the_account_for_fifteen_minutes() {
    assert_eq!(LOCK_AFTER_FAILURES, 5);
    assert_eq!(LOCK_FOR, Duration::minutes(15));
    let f = ledger_with_yamada(AccountRole::Operator);
    let mut at = t0();
    for i in 1..=LOCK_AFTER_FAILURES {
        at += Duration::seconds(10);
        assert_eq!(
            f.ledger
                .authenticate("yamada", "wrong password", at)
                .unwrap(),
            LoginOutcome::BadCredentials,
            "attempt {i}"
        );
    }
    let until = daicho_ledger::time::to_db(at + LOCK_FOR);
    let info = f.ledger.account("yamada").unwrap().unwrap();
    assert_eq!(info.locked_until.as_deref(), Some(until.as_str()));
    // Locked: even the right password is not checked.
    assert_eq!(
        f.ledger
            .authenticate("yamada", PW, at + Duration::minutes(1))
            .unwrap(),
        LoginOutcome::Locked {
            until: until.clone()
        }
    );
    assert_eq!(
        f.ledger
            .authenticate("yamada", PW, at + LOCK_FOR - Duration::seconds(1))
            .unwrap(),
        LoginOutcome::Locked { until }
    );
    // Once the lock has run out, the right password signs in and clears it.
    let LoginOutcome::Ok(info) = f.ledger.authenticate("yamada", PW, at + LOCK_FOR).unwrap() else {
        panic!("the lock must end after LOCK_FOR");
    };
    assert_eq!(info.failed_logins, 0);
    assert!(info.locked_until.is_none());
}

#[test]
fn after_a_lock_runs_out_the_count_starts_again_and_success_resets_it() {
    let f = ledger_with_yamada(AccountRole::Operator);
    let at = t0();
    fail_yamada_logins(&f.ledger, LOCK_AFTER_FAILURES, at);
    let later = at + LOCK_FOR + Duration::minutes(1);
    // One more failure after the lock does not lock again at once.
    fail_yamada_logins(&f.ledger, 1, later);
    let info = f.ledger.account("yamada").unwrap().unwrap();
    assert_eq!(info.failed_logins, 1);
    assert!(info.locked_until.is_none());
    // Four failures, a success, four failures: never five in a row.
    fail_yamada_logins(&f.ledger, LOCK_AFTER_FAILURES - 2, later);
    assert!(matches!(
        f.ledger.authenticate("yamada", PW, later).unwrap(),
        LoginOutcome::Ok(_)
    ));
    fail_yamada_logins(&f.ledger, LOCK_AFTER_FAILURES - 1, later);
    assert!(matches!(
        f.ledger.authenticate("yamada", PW, later).unwrap(),
        LoginOutcome::Ok(_)
    ));
}

#[test]
fn a_disabled_account_cannot_sign_in_and_disabling_clears_the_lock() {
    let f = ledger_with_yamada(AccountRole::Operator);
    fail_yamada_logins(&f.ledger, LOCK_AFTER_FAILURES, t0());
    let info = f.ledger.disable_account("yamada").unwrap();
    assert!(info.disabled_at.is_some());
    assert!(info.locked_until.is_none());
    assert_eq!(info.failed_logins, 0);
    assert_eq!(
        f.ledger.authenticate("yamada", PW, t0()).unwrap(),
        LoginOutcome::Disabled
    );
    // A wrong password does not learn that the account exists.
    fail_yamada_logins(&f.ledger, 1, t0());
    // Disabling again keeps the first date.
    assert_eq!(
        f.ledger.disable_account("yamada").unwrap().disabled_at,
        info.disabled_at
    );
    assert!(matches!(
        f.ledger.disable_account("nobody").unwrap_err(),
        LedgerError::Invalid(_)
    ));
    let enabled = f.ledger.enable_account("yamada").unwrap();
    assert!(enabled.disabled_at.is_none());
    assert!(matches!(
        f.ledger.authenticate("yamada", PW, t0()).unwrap(),
        LoginOutcome::Ok(_)
    ));
    let viewer = f
        .ledger
        .set_account_role("yamada", AccountRole::Viewer)
        .unwrap();
    assert_eq!(viewer.role, AccountRole::Viewer);
}

#[test]
fn the_audit_log_records_filters_and_pages_newest_first() {
    let f = temp_ledger();
    let mut ids = Vec::new();
    for i in 0..7 {
        let target = if i % 2 == 0 { "device:12" } else { "device:13" };
        let actor = if i < 4 { "yamada" } else { "cli:root" };
        ids.push(
            f.ledger
                .record_audit(
                    &NewAudit {
                        actor,
                        action: "device.register",
                        target,
                        summary: &format!("機器 {target} を登録 ({i})"),
                        before: (i > 0).then(|| json!({ "asset_no": null })),
                        after: Some(json!({ "asset_no": format!("A-{i}") })),
                    },
                    t0() + Duration::minutes(i),
                )
                .unwrap(),
        );
    }
    let all = f.ledger.audit_log(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].id, ids[6], "newest first");
    assert_eq!(
        all[0].at,
        daicho_ledger::time::to_db(t0() + Duration::minutes(6))
    );
    assert_eq!(all[0].after, Some(json!({ "asset_no": "A-6" })));
    assert_eq!(all[6].before, None);
    assert_eq!(all[6].summary, "機器 device:12 を登録 (0)");

    let on_12 = f
        .ledger
        .audit_log(&AuditFilter {
            target: Some("device:12".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(on_12.len(), 4);
    assert!(on_12.iter().all(|e| e.target == "device:12"));
    let by_cli_on_13 = f
        .ledger
        .audit_log(&AuditFilter {
            target: Some("device:13".into()),
            actor: Some("cli:root".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(
        by_cli_on_13.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[5]]
    );

    // Pages of three.
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = f
            .ledger
            .audit_log(&AuditFilter {
                before_id,
                limit: 3,
                ..AuditFilter::default()
            })
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        before_id = page.last().map(|e| e.id);
        seen.extend(page.into_iter().map(|e| e.id));
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    // The limit is clamped.
    let one = f
        .ledger
        .audit_log(&AuditFilter {
            limit: 0,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(MAX_AUDIT_PAGE, 500);

    // An empty actor, or an action not written in lowercase ASCII, digits, `_` and `.`.
    for (actor, action) in [("", "device.register"), ("yamada", "Device Register")] {
        let bad = f.ledger.record_audit(
            &NewAudit {
                actor,
                action,
                target: "",
                summary: "",
                before: None,
                after: None,
            },
            t0(),
        );
        assert!(
            matches!(bad, Err(LedgerError::Invalid(_))),
            "{actor:?} {action:?}: {bad:?}"
        );
    }
}

#[test]
fn settings_round_trip() {
    let f = temp_ledger();
    assert_eq!(f.ledger.setting("x").unwrap(), None);
    assert_eq!(f.ledger.facility_name().unwrap(), None);
    f.ledger
        .set_setting("alert.quiet_hours", "22-6", "yamada", t0())
        .unwrap();
    f.ledger
        .set_setting(
            "alert.quiet_hours",
            "23-6",
            "cli:root",
            t0() + Duration::hours(1),
        )
        .unwrap();
    assert_eq!(
        f.ledger.setting("alert.quiet_hours").unwrap().as_deref(),
        Some("23-6")
    );
    let stored = f
        .ledger
        .set_facility_name("  医療法人 台帳会 台帳病院 ", "yamada", t0())
        .unwrap();
    assert_eq!(stored, "医療法人 台帳会 台帳病院");
    assert_eq!(
        f.ledger.facility_name().unwrap().as_deref(),
        Some("医療法人 台帳会 台帳病院")
    );
    assert_eq!(
        f.ledger.setting(FACILITY_NAME).unwrap().as_deref(),
        Some(stored.as_str())
    );
    let all = f.ledger.settings().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].key, "alert.quiet_hours");
    assert_eq!(all[0].updated_by, "cli:root");
    for bad in ["   ", "病院\n名", &"院".repeat(101)] {
        assert!(matches!(
            f.ledger.set_facility_name(bad, "yamada", t0()),
            Err(LedgerError::Invalid(_))
        ));
    }
    f.ledger
        .set_facility_name(&"院".repeat(100), "yamada", t0())
        .unwrap();
    assert!(matches!(
        f.ledger.set_setting("Bad Key", "v", "yamada", t0()),
        Err(LedgerError::Invalid(_))
    ));
}

#[test]
fn a_version_3_database_is_upgraded_and_keeps_its_rows() {
    let f = temp_sqlite_ledger();
    let path = f.dir.path().join("ledger.db");
    let (token, _) = f
        .ledger
        .create_token("ward3", daicho_ledger::Role::Agent)
        .unwrap();
    drop(f.ledger);
    // Take the database back to what version 3 left: no console tables, no digests, no data,
    // no switch ports.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE remote_maintenance;
             DROP TABLE account_sites; DROP TABLE token_sites;
             DROP INDEX devices_asset_no;
             ALTER TABLE devices DROP COLUMN site_id;
             CREATE UNIQUE INDEX devices_asset_no ON devices(asset_no) WHERE asset_no IS NOT NULL;
             ALTER TABLE reports DROP COLUMN site_id;
             DROP INDEX restrictions_active; ALTER TABLE restrictions DROP COLUMN site_id;
             CREATE INDEX restrictions_active ON restrictions(place) WHERE withdrawn_at IS NULL;
             CREATE TABLE old_keys AS SELECT kind, value, device_id, randomized, pinned, first_seen,
                 last_seen FROM device_keys;
             DROP TABLE device_keys; ALTER TABLE old_keys RENAME TO device_keys;
             DROP TABLE sites;
             DROP TABLE accounts; DROP TABLE audit_log; DROP TABLE settings; DROP TABLE console_sessions;
             ALTER TABLE devices DROP COLUMN disposition;
             ALTER TABLE devices DROP COLUMN disposition_at;
             ALTER TABLE devices DROP COLUMN disposition_by;
             ALTER TABLE alert_deliveries DROP COLUMN digest;
             ALTER TABLE reports DROP COLUMN data_json;
             DROP TABLE device_ports;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let ledger = Ledger::open(&path, LedgerOptions::default()).unwrap();
    assert_eq!(ledger.list_tokens().unwrap(), vec![token]);
    assert!(ledger.list_accounts().unwrap().is_empty());
    ledger
        .add_account("yamada", AccountRole::Admin, PW)
        .unwrap();
    ledger
        .set_facility_name("台帳病院", "cli:root", t0())
        .unwrap();
    assert!(
        ledger
            .audit_log(&AuditFilter::default())
            .unwrap()
            .is_empty()
    );
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, daicho_ledger::SCHEMA_VERSION);
}
