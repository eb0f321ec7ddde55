//! Sites: the same address and MAC at two hospitals are two devices; tokens and reads are bound
//! to sites; per-site paper rows hold only that site's devices.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::{DeviceFilter, Ledger, LedgerFieldsPatch, Role, SiteId, SiteScope};
use daicho_model::ScanReport;
use fixtures::{TempLedger, arp_host_of_example_corp, scan_report, temp_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
}

/// One report of the same two hosts, as any hospital's network might have them.
fn report(agent: &str, at: DateTime<Utc>) -> ScanReport {
    scan_report(
        agent,
        at,
        None,
        vec![
            arp_host_of_example_corp("192.168.1.10", "00:11:22:00:00:10", Some("pc-10")),
            arp_host_of_example_corp("192.168.1.20", "00:11:22:00:00:20", None),
        ],
    )
}

fn ids(ledger: &Ledger, filter: &DeviceFilter) -> Vec<i64> {
    ledger
        .list_devices(filter)
        .unwrap()
        .devices
        .iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn the_same_addresses_and_macs_at_two_sites_are_two_sets_of_devices() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let east = ledger.add_site("east", Some("東病院")).unwrap();
    let west = ledger.add_site("west", Some("西病院")).unwrap();
    ledger
        .ingest_at(east.id, &report("a-east", t0()), None)
        .unwrap();
    ledger
        .ingest_at(west.id, &report("a-west", t0()), None)
        .unwrap();
    // A second report at each site matches its own devices again, by MAC.
    let again = ledger
        .ingest_at(east.id, &report("a-east", t0() + Duration::hours(1)), None)
        .unwrap();
    assert_eq!((again.devices, again.new_devices), (2, 0));

    let all = ids(&ledger, &DeviceFilter::default());
    assert_eq!(all.len(), 4);
    let east_only = DeviceFilter {
        scope: SiteScope::one(east.id),
        ..DeviceFilter::default()
    };
    let east_ids = ids(&ledger, &east_only);
    assert_eq!(east_ids.len(), 2);
    let by_name = DeviceFilter {
        site: Some("west".into()),
        ..DeviceFilter::default()
    };
    let west_ids = ids(&ledger, &by_name);
    assert_eq!(west_ids.len(), 2);
    assert!(east_ids.iter().all(|id| !west_ids.contains(id)));
    for id in &west_ids {
        let d = ledger.device(*id).unwrap();
        assert_eq!(
            (d.summary.site.as_str(), d.summary.site_id),
            ("west", west.id)
        );
        assert_eq!(ledger.device_site(*id).unwrap(), west.id);
    }
    // A scope and a site name together: nothing outside the scope.
    let west_in_east_scope = DeviceFilter {
        site: Some("west".into()),
        scope: SiteScope::one(east.id),
        ..DeviceFilter::default()
    };
    assert!(ids(&ledger, &west_in_east_scope).is_empty());
    assert_eq!(
        ledger
            .device_counts(&SiteScope::one(east.id))
            .unwrap()
            .total,
        2
    );
    assert_eq!(ledger.device_counts(&SiteScope::All).unwrap().total, 4);
    // Agents with the same name at two sites are two agents.
    let agents = ledger.agents(&SiteScope::All, t0()).unwrap();
    let mut sites: Vec<&str> = agents.iter().map(|a| a.site.as_str()).collect();
    sites.sort_unstable();
    assert_eq!(sites, ["east", "west"]);
    // The implicit site holds nothing.
    assert!(
        ids(
            &ledger,
            &DeviceFilter {
                scope: SiteScope::one(SiteId::DEFAULT),
                ..DeviceFilter::default()
            }
        )
        .is_empty()
    );
}

#[test]
fn asset_numbers_and_paper_rows_are_per_site() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let east = ledger.add_site("east", None).unwrap();
    let west = ledger.add_site("west", None).unwrap();
    ledger.ingest_at(east.id, &report("a", t0()), None).unwrap();
    ledger.ingest_at(west.id, &report("a", t0()), None).unwrap();
    let east_pc = ids(
        &ledger,
        &DeviceFilter {
            scope: SiteScope::one(east.id),
            sort: Some("ip".into()),
            ..DeviceFilter::default()
        },
    )[0];
    let west_pc = ids(
        &ledger,
        &DeviceFilter {
            scope: SiteScope::one(west.id),
            sort: Some("ip".into()),
            ..DeviceFilter::default()
        },
    )[0];
    let asset = |no: &str| LedgerFieldsPatch {
        asset_no: Some(Some(no.to_owned())),
        ..LedgerFieldsPatch::default()
    };
    // Each hospital numbers its own assets: the same 管理番号 at both sites is fine …
    ledger.update_ledger(east_pc, &asset("PC-001")).unwrap();
    ledger.update_ledger(west_pc, &asset("PC-001")).unwrap();
    // … but not twice at one site.
    let east_other = ids(
        &ledger,
        &DeviceFilter {
            scope: SiteScope::one(east.id),
            ..DeviceFilter::default()
        },
    )
    .into_iter()
    .find(|id| *id != east_pc)
    .unwrap();
    assert!(ledger.update_ledger(east_other, &asset("PC-001")).is_err());

    let east_rows = ledger.export_rows(east.id, true).unwrap();
    assert_eq!(east_rows.len(), 1);
    assert_eq!(east_rows[0].ledger.asset_no, "PC-001");
    assert_eq!(ledger.checklist_devices(east.id).unwrap().len(), 2);
    assert_eq!(ledger.checklist_devices(SiteId::DEFAULT).unwrap().len(), 0);
    // An import into one site matches that site's devices only (by MAC), never the other's.
    let mut row = east_rows[0].ledger.clone();
    row.location = "東 3F".into();
    let (plan, applied) = ledger.apply_import(west.id, &[row], &[2]).unwrap();
    assert_eq!(applied.updated, 1);
    let matched = match &plan.rows[0].action {
        daicho_ledger::RowAction::Update { device_id, .. } => *device_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(matched, west_pc);
    assert_eq!(
        ledger.device(east_pc).unwrap().summary.ledger.location,
        None
    );
}

#[test]
fn tokens_and_accounts_carry_their_sites() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let east = ledger.add_site("east", None).unwrap();
    let west = ledger.add_site("west", None).unwrap();
    let (agent, secret) = ledger
        .create_site_token("agent-east", Role::Agent, &[east.id])
        .unwrap();
    assert_eq!(agent.agent_site(), east.id);
    let verified = ledger.verify_token(&secret).unwrap().unwrap();
    assert_eq!(verified.sites, vec![east.id]);
    assert!(
        ledger
            .create_site_token("two", Role::Agent, &[east.id, west.id])
            .is_err()
    );
    let (plain, _) = ledger.create_token("agent-old", Role::Agent).unwrap();
    assert_eq!(plain.agent_site(), SiteId::DEFAULT);
    let (group, _) = ledger.create_token("group", Role::Operator).unwrap();
    assert!(group.scope().is_all());
    let (scoped, _) = ledger
        .create_site_token("west-ops", Role::Operator, &[west.id])
        .unwrap();
    assert!(scoped.scope().contains(west.id) && !scoped.scope().contains(east.id));

    ledger
        .add_account(
            "nishi",
            daicho_ledger::AccountRole::Operator,
            "correct horse battery",
        )
        .unwrap();
    let limited = ledger.set_account_sites("nishi", &[west.id]).unwrap();
    assert_eq!(limited.sites, vec![west.id]);
    assert_eq!(
        ledger.account("nishi").unwrap().unwrap().scope(),
        SiteScope::one(west.id)
    );
    let group_wide = ledger.set_account_sites("nishi", &[]).unwrap();
    assert!(group_wide.scope().is_all());
}
