//! Bad configurations make `daicho-agent run` exit 2 with a message naming file and key.

#[path = "common/config_run.rs"]
mod config_run;

use std::path::Path;
use std::process::Command;

use config_run::{GOOD, run_once, write_config};

fn run_with(dir: &Path, text: &str) -> (Option<i32>, String) {
    let config = write_config(dir, text, 0o600);
    let (code, stderr) = run_once(&config);
    assert!(
        stderr.contains(&config.display().to_string()),
        "the message names the file: {stderr}"
    );
    (code, stderr)
}

fn assert_config_error(text: &str, key: &str, words: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run_with(dir.path(), text);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("key `{key}`")),
        "names `{key}`: {stderr}"
    );
    assert!(stderr.contains(words), "says `{words}`: {stderr}");
}

#[test]
fn unknown_key() {
    assert_config_error(
        &GOOD.replace("[spool]", "[spool]\nmax_reprots = 5"),
        "spool.max_reprots",
        "unknown field",
    );
}

#[test]
fn invalid_target() {
    assert_config_error(
        &format!("{GOOD}\n[scan]\ntargets = [\"198.18.0.0/24\", \"198.18.0.999\"]\n"),
        "scan.targets[1]",
        "not an IPv4 address",
    );
}

#[test]
fn missing_token_file() {
    assert_config_error(
        &GOOD.replace(
            "token_file = \"token\"",
            "token_file = \"/nonexistent/daicho.token\"",
        ),
        "collector.token_file",
        "cannot read token file /nonexistent/daicho.token",
    );
}

#[test]
fn unusable_spool_dir() {
    // /proc refuses new directories even to root.
    assert_config_error(
        &GOOD.replace("dir = \"spool\"", "dir = \"/proc/daicho-spool\""),
        "spool.dir",
        "cannot create spool directory /proc/daicho-spool",
    );
}

#[test]
fn missing_config_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
        .args(["run", "--config", "/nonexistent/agent.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/agent.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn run_without_config_on_linux_names_the_missing_option() {
    // Linux has no default configuration path (Windows: %ProgramData%\daicho\agent.toml).
    let out = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--config FILE is required"), "{stderr}");
}

#[test]
fn a_log_file_that_cannot_be_opened_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run_with(
        dir.path(),
        &format!("{GOOD}\n[log]\nfile = \"/proc/daicho/agent.log\"\n"),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("/proc/daicho"), "{stderr}");
}

#[test]
fn example_config_in_the_repository_is_valid_apart_from_host_paths() {
    // config/agent.toml documents every key; check it parses (paths pointed at a temp dir).
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/agent.toml"
    ))
    .expect("config/agent.toml exists");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "x\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("token"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let text = example
        .replace("/etc/daicho/agent.token", "token")
        .replace("/var/lib/daicho-agent/spool", "spool");
    let config = daicho_agent::config::AgentConfig::parse(&dir.path().join("agent.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        config.scan.is_none(),
        "the example ships inventory-only; [scan] is commented"
    );
}
