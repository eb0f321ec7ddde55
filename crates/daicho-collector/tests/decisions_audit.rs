//! Every operator decision and its audit entry are one transaction: when the audit entry cannot
//! be written the decision does not take effect (nothing half-done survives a failure between
//! the two), and a decision that does take effect has exactly one entry.

#[path = "support/console.rs"]
mod console;

use chrono::Utc;
use console::{scanned_host, ward_report};
use daicho_collector::decisions::{self, Actor};
use daicho_ledger::exceptions::NewException;
use daicho_ledger::{AccountRole, AuditFilter, Ledger, LedgerFieldsPatch, LedgerOptions, Role};
use daicho_model::MacAddr;

const PASSWORD: &str = "correct horse battery";

/// A ledger with two scanned devices (ids 1 and 2) and two 管理者, `kanri` and `fuku`.
fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("ledger.db"), LedgerOptions::default()).unwrap();
    let report = ward_report(
        "test-1.0",
        vec![scanned_host(1, "pc-1"), scanned_host(2, "pc-2")],
    );
    ledger.ingest(&report, None).unwrap();
    for name in ["kanri", "fuku"] {
        ledger
            .add_account(name, AccountRole::Admin, PASSWORD)
            .unwrap();
    }
    (dir, ledger)
}

/// Makes every audit write fail (as a full disk or a crash between the two writes would), or
/// lets it succeed again.
fn audit_fails(ledger: &Ledger, fails: bool) {
    let conn = rusqlite::Connection::open(ledger.path().unwrap()).unwrap();
    conn.execute_batch(if fails {
        "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log cannot be written'); END;"
    } else {
        "DROP TRIGGER audit_fails;"
    })
    .unwrap();
}

fn audit_actions(ledger: &Ledger) -> Vec<String> {
    let mut actions: Vec<String> = ledger
        .audit_log(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    actions.reverse();
    actions
}

fn asset_no(no: &str) -> LedgerFieldsPatch {
    LedgerFieldsPatch {
        asset_no: Some(Some(no.to_owned())),
        ..LedgerFieldsPatch::default()
    }
}

fn exception() -> NewException {
    NewException {
        device_id: 1,
        service: "ssh".into(),
        reason: "保守業者のリモート保守".into(),
        approver: "情報システム課長".into(),
        expires: "2099-12-31".into(),
    }
}

fn mac_keys(ledger: &Ledger, id: i64) -> usize {
    let keys = ledger.device(id).unwrap().keys;
    keys.iter().filter(|k| k.kind == "mac").count()
}

#[test]
fn a_decision_whose_audit_entry_fails_is_undone() {
    let (_dir, ledger) = ledger();
    let me = Actor::account("kanri");
    let now = Utc::now();
    // A token to revoke and a merged device to split, made while the audit log works.
    let (token, _) = decisions::create_token(&ledger, &me, "ward3", Role::Agent, &[], now).unwrap();
    decisions::merge_devices(&ledger, &me, 1, 2, now).unwrap();
    assert_eq!(mac_keys(&ledger, 1), 2);
    let audited_before = audit_actions(&ledger).len();

    audit_fails(&ledger, true);
    let before = ledger.device(1).unwrap().summary;
    assert!(decisions::register_device(&ledger, &me, 1, asset_no("A-1"), now).is_err());
    assert!(decisions::update_ledger(&ledger, &me, 1, &asset_no("A-2"), now).is_err());
    assert!(decisions::set_role(&ledger, &me, 1, Some("terminal"), now).is_err());
    let macs = [MacAddr([0x00, 0x1b, 0x21, 0, 0, 2])];
    assert!(decisions::split_device(&ledger, &me, 1, &macs, now).is_err());
    let after = ledger.device(1).unwrap().summary;
    assert_eq!(
        (after.ledger, after.role),
        (before.ledger, before.role),
        "device decisions undone"
    );
    assert_eq!(mac_keys(&ledger, 1), 2, "the split is undone");

    assert!(decisions::add_exception(&ledger, &me, &exception(), now).is_err());
    assert!(
        ledger
            .exceptions(&daicho_ledger::SiteScope::All, None)
            .unwrap()
            .is_empty(),
        "no exception"
    );

    assert!(
        decisions::add_account(&ledger, &me, "yamada", AccountRole::Viewer, PASSWORD, now).is_err()
    );
    assert!(
        ledger.account("yamada").unwrap().is_none(),
        "no account added"
    );
    assert!(decisions::disable_account(&ledger, &me, "fuku", now).is_err());
    assert!(decisions::set_account_role(&ledger, &me, "fuku", AccountRole::Viewer, now).is_err());
    let fuku = ledger.account("fuku").unwrap().unwrap();
    assert_eq!((fuku.role, fuku.disabled_at), (AccountRole::Admin, None));

    assert!(decisions::create_token(&ledger, &me, "ward4", Role::Agent, &[], now).is_err());
    assert!(decisions::revoke_token(&ledger, &me, token.id, now).is_err());
    let tokens = ledger.list_tokens().unwrap();
    assert_eq!(tokens.len(), 1, "no token created");
    assert_eq!(tokens[0].revoked_at, None, "the token is still live");

    audit_fails(&ledger, false);
    assert_eq!(audit_actions(&ledger).len(), audited_before);
}

#[test]
fn each_decision_has_exactly_one_audit_entry() {
    let (_dir, ledger) = ledger();
    let me = Actor::account("kanri");
    let now = Utc::now();
    decisions::register_device(&ledger, &me, 1, asset_no("A-1"), now).unwrap();
    decisions::update_ledger(&ledger, &me, 1, &asset_no("A-2"), now).unwrap();
    decisions::set_role(&ledger, &me, 1, Some("terminal"), now).unwrap();
    decisions::merge_devices(&ledger, &me, 1, 2, now).unwrap();
    let macs = [MacAddr([0x00, 0x1b, 0x21, 0, 0, 2])];
    decisions::split_device(&ledger, &me, 1, &macs, now).unwrap();
    let exception = decisions::add_exception(&ledger, &me, &exception(), now).unwrap();
    decisions::revoke_exception(&ledger, &me, exception, now).unwrap();
    decisions::add_account(&ledger, &me, "yamada", AccountRole::Viewer, PASSWORD, now).unwrap();
    decisions::set_account_role(&ledger, &me, "yamada", AccountRole::Operator, now).unwrap();
    decisions::disable_account(&ledger, &me, "yamada", now).unwrap();
    decisions::enable_account(&ledger, &me, "yamada", now).unwrap();
    let (token, _) = decisions::create_token(&ledger, &me, "ward3", Role::Agent, &[], now).unwrap();
    decisions::revoke_token(&ledger, &me, token.id, now).unwrap();
    assert_eq!(
        audit_actions(&ledger),
        [
            "device.register",
            "device.update",
            "device.role",
            "device.merge",
            "device.split",
            "exception.add",
            "exception.revoke",
            "account.add",
            "account.role",
            "account.disable",
            "account.enable",
            "token.create",
            "token.revoke",
        ]
    );
    assert_eq!(
        ledger.device(1).unwrap().summary.role.as_deref(),
        Some("terminal")
    );
}
