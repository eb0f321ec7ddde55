//! A private copy of the agent binary for the LAN tests: the target directory may be shared
//! with other checkouts that rebuild it while a test runs. Readable and executable by everyone,
//! so a test can also run it unprivileged.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

/// The copy for this test process (made once), under a directory named after `test`.
pub fn agent_copy(test: &str) -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("daicho-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("daicho-agent");
        std::fs::copy(env!("CARGO_BIN_EXE_daicho-agent"), &path).unwrap();
        for p in [&dir, &path] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    })
    .clone()
}
