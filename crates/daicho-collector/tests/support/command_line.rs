//! For the tests that run the collector's command line: a configuration in a temporary
//! directory, and a command's standard output.

#![allow(dead_code)] // each test file uses part of it

use std::path::PathBuf;
use std::process::Output;

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

/// The command's standard output, once it is known to have succeeded (its standard error in
/// the panic otherwise).
pub fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}
