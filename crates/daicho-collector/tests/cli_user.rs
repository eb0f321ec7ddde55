//! `user add|list|passwd|disable`, run as the real binary with the password on stdin.

#[path = "support/command_line.rs"]
mod command_line;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::Utc;
use command_line::{BIN, stderr, stdout, temp_config};
use daicho_ledger::{AccountRole, AuditFilter, Ledger, LedgerOptions, LoginOutcome};

fn run(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("USER", "tanaka")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child may exit before reading (a clap error): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn accounts_from_the_command_line_with_the_password_on_stdin() {
    let (_dir, db, config) = temp_config();

    let added = stdout(&run(
        &config,
        &["user", "add", "yamada", "--role", "admin"],
        "correct horse battery\n",
    ));
    assert!(
        added.contains("added account yamada (admin, 管理者)"),
        "{added}"
    );
    // Only the first line is the password; a CRLF ending is not part of it.
    stdout(&run(
        &config,
        &["user", "add", "看護部", "--role", "viewer"],
        "kango password\r\nsecond line\n",
    ));

    let list = stdout(&run(&config, &["user", "list"], ""));
    assert!(list.contains("yamada") && list.contains("admin"), "{list}");
    assert!(list.contains("看護部") && list.contains("active"), "{list}");
    assert!(!list.contains("argon2"), "{list}");
    let json = stdout(&run(&config, &["user", "list", "--format", "json"], ""));
    let accounts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(accounts[0]["name"], "yamada");
    assert_eq!(accounts[1]["role"], "viewer");
    assert!(accounts[0].get("password_hash").is_none());

    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        assert!(matches!(
            ledger
                .authenticate("yamada", "correct horse battery", Utc::now())
                .unwrap(),
            LoginOutcome::Ok(a) if a.role == AccountRole::Admin
        ));
        assert!(matches!(
            ledger
                .authenticate("看護部", "kango password", Utc::now())
                .unwrap(),
            LoginOutcome::Ok(_)
        ));
    }

    let changed = stdout(&run(
        &config,
        &["user", "passwd", "yamada"],
        "a brand new password\n",
    ));
    assert!(
        changed.contains("changed the password of yamada"),
        "{changed}"
    );
    let disabled = stdout(&run(&config, &["user", "disable", "看護部"], ""));
    assert!(disabled.contains("disabled account 看護部"), "{disabled}");
    let list = stdout(&run(&config, &["user", "list"], ""));
    assert!(list.contains("disabled"), "{list}");

    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(
        ledger
            .authenticate("yamada", "correct horse battery", Utc::now())
            .unwrap(),
        LoginOutcome::BadCredentials
    );
    assert!(matches!(
        ledger
            .authenticate("yamada", "a brand new password", Utc::now())
            .unwrap(),
        LoginOutcome::Ok(_)
    ));
    assert_eq!(
        ledger
            .authenticate("看護部", "kango password", Utc::now())
            .unwrap(),
        LoginOutcome::Disabled
    );

    // Every change is in the audit log as the CLI user, newest first, never with a secret.
    let log = ledger.audit_log(&AuditFilter::default()).unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.disable",
            "account.password",
            "account.add",
            "account.add"
        ]
    );
    assert!(log.iter().all(|e| e.actor == "cli:tanaka"));
    assert_eq!(log[0].target, "account:看護部");
    assert!(log[0].before.as_ref().unwrap()["disabled_at"].is_null());
    assert!(log[0].after.as_ref().unwrap()["disabled_at"].is_string());
    assert_eq!(log[3].summary, "アカウント「yamada」を管理者として追加");
    let dump = serde_json::to_string(&log).unwrap();
    assert!(
        !dump.contains("argon2") && !dump.contains("password_hash") && !dump.contains("horse"),
        "{dump}"
    );
}

#[test]
fn bad_input_is_refused_and_records_nothing() {
    let (_dir, db, config) = temp_config();

    // A password is never an argument.
    let arg = run(
        &config,
        &[
            "user",
            "add",
            "yamada",
            "--role",
            "admin",
            "--password",
            "x",
        ],
        "correct horse battery\n",
    );
    assert_eq!(arg.status.code(), Some(2), "{}", stderr(&arg));
    assert!(stderr(&arg).contains("--password"), "{}", stderr(&arg));
    let role = run(
        &config,
        &["user", "add", "yamada", "--role", "root"],
        "correct horse battery\n",
    );
    assert_eq!(role.status.code(), Some(2), "{}", stderr(&role));
    assert!(stderr(&role).contains("admin"), "{}", stderr(&role));

    let weak = run(
        &config,
        &["user", "add", "yamada", "--role", "admin"],
        "short\n",
    );
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("10 文字以上"), "{}", stderr(&weak));
    let empty = run(&config, &["user", "add", "yamada", "--role", "admin"], "");
    assert!(!empty.status.success());

    stdout(&run(
        &config,
        &["user", "add", "yamada", "--role", "operator"],
        "correct horse battery\n",
    ));
    let twice = run(
        &config,
        &["user", "add", "yamada", "--role", "viewer"],
        "another password\n",
    );
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("既にあります"),
        "{}",
        stderr(&twice)
    );
    let nobody = run(
        &config,
        &["user", "passwd", "nobody"],
        "correct horse battery\n",
    );
    assert!(!nobody.status.success());
    assert!(stderr(&nobody).contains("nobody"), "{}", stderr(&nobody));
    let nobody = run(&config, &["user", "disable", "nobody"], "");
    assert!(!nobody.status.success());

    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    let log = ledger.audit_log(&AuditFilter::default()).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(ledger.list_accounts().unwrap().len(), 1);
}
