//! A small valid agent configuration written to a temporary directory with its token file, and
//! `daicho-agent run --once` on it (the tests of what start-up refuses).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A configuration that passes every check (given the token file `token` beside it).
pub const GOOD: &str = r#"
[schedule]
interval = "1h"

[collector]
url = "http://127.0.0.1:9/"
token_file = "token"

[spool]
dir = "spool"
"#;

/// Writes the token file `dir/token` (`t0ken`, mode `token_mode`) and `dir/agent.toml` holding
/// `text`; returns the configuration's path.
pub fn write_config(dir: &Path, text: &str, token_mode: u32) -> PathBuf {
    let token = dir.join("token");
    std::fs::write(&token, "t0ken\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(token_mode)).unwrap();
    let config = dir.join("agent.toml");
    std::fs::write(&config, text).unwrap();
    config
}

/// `daicho-agent run --once --config CONFIG`: its exit code and standard error.
pub fn run_once(config: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
        .args(["run", "--once", "--config"])
        .arg(config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr)
}
