//! Where the LAN tests find the agent binary: `$DAICHO_AGENT`, else `daicho-agent` beside the
//! collector binary (a workspace build puts them together).

use std::path::{Path, PathBuf};

/// The agent binary for tests whose collector binary is `collector`.
pub fn agent_binary(collector: &str) -> PathBuf {
    if let Some(path) = std::env::var_os("DAICHO_AGENT") {
        return PathBuf::from(path);
    }
    let path = Path::new(collector).with_file_name("daicho-agent");
    assert!(
        path.is_file(),
        "{} not built: run `cargo build -p daicho-agent` (or set DAICHO_AGENT)",
        path.display()
    );
    path
}
