use super::*;
use crate::eol_db;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn shipped_data_loads_with_its_snapshot_date() {
    let db = eol_db();
    assert_eq!(db.snapshot(), day("2026-08-22"));
    for product in [
        "windows",
        "windows-server",
        "fortios",
        "debian",
        "ubuntu",
        "rhel",
        "macos",
    ] {
        assert!(db.releases(product).count() > 0, "{product} missing");
    }
}

#[test]
fn fortios_6_0_4_is_unsupported() {
    let r = eol_db().find("fortios", "6.0.4").unwrap();
    assert_eq!(r.cycle, "6.0");
    assert_eq!(
        r.status_on(day("2026-11-21")),
        SupportStatus::Unsupported {
            since: Some(day("2022-09-29"))
        }
    );
    assert!(eol_db().find("fortios", "6.04").is_none());
}

#[test]
fn longest_cycle_wins() {
    let r = eol_db().find("fortios", "7.2.4").unwrap();
    assert_eq!(r.cycle, "7.2");
    let r = eol_db().find("ubuntu", "22.04.3").unwrap();
    assert_eq!(r.cycle, "22.04");
}

#[test]
fn extended_support_is_told_apart_from_none() {
    // Windows Server 2012 R2: standard support ended 2023-10-10, paid ESU until 2026-10-13.
    let r = eol_db().find("windows-server", "2012-r2").unwrap();
    assert!(matches!(
        r.status_on(day("2024-06-01")),
        SupportStatus::ExtendedOnly { .. }
    ));
    assert!(matches!(
        r.status_on(day("2026-11-21")),
        SupportStatus::Unsupported { .. }
    ));
    // Debian 12 on 2026-11-21: regular security support over, LTS still running.
    let r = eol_db().find("debian", "12").unwrap();
    assert_eq!(
        r.status_on(day("2026-11-21")),
        SupportStatus::ExtendedOnly {
            ended: Some(day("2026-07-11")),
            extended_until: Some(day("2028-06-30"))
        }
    );
    assert!(matches!(
        r.status_on(day("2026-01-01")),
        SupportStatus::Supported { .. }
    ));
}

#[test]
fn boolean_milestones() {
    let r = eol_db().find("android", "4.3").unwrap();
    assert_eq!(
        r.status_on(day("2026-11-21")),
        SupportStatus::Unsupported { since: None }
    );
    let r = eol_db().find("android", "16").unwrap();
    assert_eq!(
        r.status_on(day("2026-11-21")),
        SupportStatus::Supported { until: None }
    );
}

#[test]
fn windows_build_maps_to_every_release_sharing_it() {
    let names: Vec<String> = eol_db()
        .windows_by_build(10, 0, 17763)
        .iter()
        .map(|r| format!("{} {}", r.product, r.cycle))
        .collect();
    assert!(
        names.iter().any(|n| n == "windows-server 2019"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("windows 10-1809")),
        "{names:?}"
    );
    assert!(eol_db().windows_by_build(10, 0, 1).is_empty());
    let old: Vec<&str> = eol_db()
        .windows_by_build(6, 3, 9600)
        .iter()
        .map(|r| r.cycle.as_str())
        .collect();
    assert!(old.contains(&"2012-r2"), "{old:?}");
}

#[test]
fn malformed_data_is_refused_with_its_line() {
    let bad = "snapshot\t2026-01-01\nproduct\tcycle\nx\t1\t-\t-\t-\t-\tsoon\t-\t-\t-\n";
    let err = EolDb::parse(bad, "t.tsv").unwrap_err();
    assert!(err.to_string().contains("t.tsv line 3"), "{err}");
    assert!(EolDb::parse("product\n", "t.tsv").is_err());
}
