//! What the agent writes is 0600 in 0700 directories, and a token file open to every user is
//! refused at start-up (exit 2, naming the file and the `chmod` that fixes it).

#[path = "common/config_run.rs"]
mod config_run;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use config_run::{GOOD, run_once, write_config};
use daicho_agent::spool::Spool;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn spool_files_are_0600_and_its_directories_0700() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spool");
    let spool = Spool::open(&root, 10, 1 << 20).unwrap();
    spool.put(uuid::Uuid::new_v4(), b"report").unwrap();
    let pending = spool.pending().unwrap();
    assert_eq!(mode(&pending[0].path), 0o600);
    let rejected = spool.reject(&pending[0], "refused").unwrap();
    assert_eq!(mode(&rejected), 0o600);
    assert_eq!(
        mode(Path::new(&format!("{}.reason", rejected.display()))),
        0o600
    );
    for d in [root.clone(), root.join("pending"), root.join("rejected")] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
}

fn run_with_token_mode(token_mode: u32) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), GOOD, token_mode);
    let token = dir.path().join("token");
    let parsed = daicho_agent::config::AgentConfig::parse(&config, GOOD);
    let (code, stderr) = run_once(&config);
    if token_mode.trailing_zeros() >= 3 {
        parsed.unwrap_or_else(|e| panic!("{e}"));
    } else {
        let e = parsed.unwrap_err().to_string();
        assert!(e.contains(&format!("chmod 600 {}", token.display())), "{e}");
    }
    (code, stderr)
}

#[test]
fn a_token_file_open_to_every_user_is_refused() {
    let (code, stderr) = run_with_token_mode(0o644);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("collector.token_file"), "{stderr}");
    assert!(stderr.contains("mode 644"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    // 0600, and 0640 (root-owned, read through the agent's group as deploy/README.md
    // installs it) are accepted: the run gets past the configuration.
    for ok in [0o600, 0o640] {
        let (code, stderr) = run_with_token_mode(ok);
        assert_ne!(code, Some(2), "mode {ok:o}: {stderr}");
    }
}
