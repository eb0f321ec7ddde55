//! For the tests that run the collector's command line: a configuration in a temporary
//! directory, the binary run on it, and a command's standard output and error.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The collector binary of this build.
pub const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// A temporary directory with a configuration `c.toml` whose only setting is the database
/// `c.db` beside it; returns the directory, the database's path and the configuration's.
pub fn temp_config() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!("[storage]\ndatabase = \"{}\"\n", db.display()),
    )
    .unwrap();
    (dir, db, config)
}

/// `daicho-collector --config CONFIG ARGS…`, run to its end.
pub fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

/// The command's standard output, once it is known to have succeeded (its standard error in
/// the panic otherwise).
pub fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The command's standard error, whether it succeeded or not.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
