//! `daicho-agent data status`: the same list as the collector's, from the same library.

use std::process::Command;

use daicho_model::DataVersion;

#[test]
fn status_json_is_the_shipped_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
        .args(["data", "status", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sets: Vec<DataVersion> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sets, daicho_data::in_use());
    assert_eq!(sets.len(), 7);
    assert!(sets[0].date.is_some());
}
