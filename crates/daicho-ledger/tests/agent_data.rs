//! The collector keeps which data sets each agent's last report says it used, and the agents
//! overview shows them (the console's 管理 page shows the IEEE registry date).

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use daicho_model::DataVersion;
use fixtures::{arp_host, scan_report, temp_ledger};

#[test]
fn the_last_reports_data_sets_are_the_agents() {
    let f = temp_ledger();
    let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap();
    let host = || vec![arp_host("198.18.0.10", Some("98:e7:43:00:00:10"), None)];
    // An agent that predates the list says nothing.
    f.ledger
        .ingest(&scan_report("old", t0, None, host()), None)
        .unwrap();
    let registry = |day: u32| DataVersion {
        name: "ieee-registry".into(),
        date: NaiveDate::from_ymd_opt(2026, 8, day),
        source: "npm oui-data".into(),
    };
    for (i, day) in [(1, 20), (2, 26)] {
        let mut report = scan_report("new", t0 + Duration::hours(i), None, host());
        report.data = vec![registry(day)];
        f.ledger.ingest(&report, None).unwrap();
    }
    let agents = f
        .ledger
        .agents(&daicho_ledger::SiteScope::All, t0 + Duration::hours(3))
        .unwrap();
    let by = |name: &str| agents.iter().find(|a| a.name == name).unwrap();
    assert!(by("old").data.is_empty());
    assert_eq!(by("old").registry_date(), None);
    assert_eq!(by("new").data, vec![registry(26)]);
    assert_eq!(
        by("new").registry_date(),
        NaiveDate::from_ymd_opt(2026, 8, 26)
    );
}
