//! `daicho-collector data status`: the data sets in use with their dates, as table and JSON.

#[path = "support/command_line.rs"]
mod command_line;

use command_line::{run, stdout, temp_config};
use daicho_model::DataVersion;

fn status(format: &str) -> String {
    let (_dir, _db, config) = temp_config();
    stdout(&run(&config, &["data", "status", "--format", format]))
}

#[test]
fn status_lists_every_data_set_with_its_date() {
    let sets: Vec<DataVersion> = serde_json::from_str(&status("json")).unwrap();
    assert_eq!(sets, daicho_data::in_use());
    let registry = sets.iter().find(|s| s.name == "ieee-registry").unwrap();
    assert!(registry.source.contains("oui-data"), "{}", registry.source);
    let table = status("table");
    let line = table
        .lines()
        .find(|l| l.starts_with("ieee-registry"))
        .expect("a registry line");
    assert!(
        line.contains(&registry.date.unwrap().to_string()),
        "{table}"
    );
    // A header, one line per set, and the installed bundle's line.
    assert_eq!(table.lines().count(), 2 + sets.len(), "{table}");
    assert!(
        table.ends_with("bundle: none installed; the data compiled into this build is in use\n"),
        "{table}"
    );
}
