//! Two hospitals of a group on the test LAN (root; the `lan` nextest group): two LANs with the
//! same addresses and MACs, one agent in each with its own site's token, one collector. The
//! ledger must hold two separate sets of devices, each site prints its own checklist, and an
//! operator token of one site cannot see the other (403).
//!
//! The collector serves in a hub namespace linked to each LAN's scanner namespace by its own
//! veth pair (198.19.255.0/30 and .4/30: test addresses, never any real network).

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/lan_agents.rs"]
mod lan_agents;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::process::Command;

use daicho_ledger::{DeviceFilter, DeviceSummary, Ledger, LedgerOptions, SiteScope};
use daicho_testlan::{Segment, TestLan, require_root, unique_id};
use lan_agents::{
    COLLECTOR, agent_config, collector_cli, run_once, start_collector_in, token_file,
};

const PORT: u16 = 8641;

/// The hub namespace and its links to the two scanner namespaces; removed when dropped.
struct Hub {
    ns: String,
}

impl Hub {
    /// Creates `dl-ID-hub` (ID of `lan_a`, so that the LAN's teardown also finds it) with
    /// 198.19.255.1/30 towards `lan_a`'s scanner (198.19.255.2) and 198.19.255.5/30 towards
    /// `lan_b`'s (198.19.255.6).
    fn link(lan_a: &TestLan, lan_b: &TestLan) -> Self {
        let ns = format!("dl-{}-hub", lan_a.id());
        ip(&["netns", "add", &ns]);
        let hub = Self { ns: ns.clone() };
        for (i, lan) in [lan_a, lan_b].into_iter().enumerate() {
            let (hub_ip, scan_ip) = (4 * i + 1, 4 * i + 2);
            let (outer, inner) = (format!("dlhub{i}"), format!("dlsite{i}"));
            ip(&[
                "link",
                "add",
                &outer,
                "netns",
                &ns,
                "type",
                "veth",
                "peer",
                "name",
                &inner,
                "netns",
                lan.scanner_ns(),
            ]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("198.19.255.{hub_ip}/30"),
                "dev",
                &outer,
            ]);
            ip(&["-n", &ns, "link", "set", &outer, "up"]);
            ip(&[
                "-n",
                lan.scanner_ns(),
                "addr",
                "add",
                &format!("198.19.255.{scan_ip}/30"),
                "dev",
                &inner,
            ]);
            ip(&["-n", lan.scanner_ns(), "link", "set", &inner, "up"]);
        }
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        hub
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn site_devices(db: &Path, site: &str) -> Vec<DeviceSummary> {
    let ledger = Ledger::open(db, LedgerOptions::default()).unwrap();
    let page = ledger
        .list_devices(&DeviceFilter {
            site: Some(site.to_owned()),
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(page.total as usize, page.devices.len());
    page.devices
}

/// `GET PATH` with `token` from inside the hub namespace: the status code and the body.
fn api_get(lan: &TestLan, hub: &Hub, token: &str, path: &str) -> (u16, String) {
    let script = format!(
        "import urllib.request, urllib.error, sys\n\
         r = urllib.request.Request('http://127.0.0.1:{PORT}{path}', headers={{'Authorization': 'Bearer {token}'}})\n\
         try:\n    res = urllib.request.urlopen(r, timeout=5); code, body = res.status, res.read()\n\
         except urllib.error.HTTPError as e:\n    code, body = e.code, e.read()\n\
         sys.stdout.write(str(code) + '\\n' + body.decode())\n"
    );
    let out = lan.exec_in(&hub.ns, &["python3", "-c", &script]).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (code, body) = text.split_once('\n').unwrap();
    (code.parse().unwrap(), body.to_owned())
}

#[test]
fn two_sites_with_the_same_addresses_keep_two_ledgers() {
    require_root().unwrap();
    let lan_a = TestLan::up(&unique_id('s'), None).unwrap();
    let lan_b = TestLan::up(&unique_id('t'), None).unwrap();
    // The point of the test: the two LANs are alike, address for address and MAC for MAC.
    let lan_hosts = |lan: &TestLan| -> BTreeSet<(String, String)> {
        lan.truth()
            .hosts
            .iter()
            .filter(|h| h.segment == Segment::Lan)
            .map(|h| (h.ip.to_string(), h.mac.clone()))
            .collect()
    };
    assert_eq!(lan_hosts(&lan_a), lan_hosts(&lan_b));
    let hub = Hub::link(&lan_a, &lan_b);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("group.db");
    let config = dir.path().join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"0.0.0.0:{PORT}\"\n[storage]\ndatabase = \"{}\"\n",
            db.display()
        ),
    )
    .unwrap();
    collector_cli(&config, &["site", "add", "east", "--label", "東病院"]);
    collector_cli(&config, &["site", "add", "west", "--label", "西病院"]);
    let sites = collector_cli(&config, &["site", "list"]);
    assert!(
        sites.contains("東病院") && sites.contains("西病院"),
        "{sites}"
    );
    // The same agent name at both hospitals: the token, not the name, says which site.
    let east_token = collector_cli(
        &config,
        &["--site", "east", "token", "create", "--agent", "ward"],
    );
    let west_token = collector_cli(
        &config,
        &["--site", "west", "token", "create", "--agent", "ward"],
    );
    let east_ops = collector_cli(
        &config,
        &[
            "--site",
            "east",
            "token",
            "create",
            "--operator",
            "east-ops",
        ],
    );
    let east_ops = east_ops.trim();
    let _collector = start_collector_in(&lan_a, &hub.ns, &config, PORT);

    let east = agent_config(
        dir.path(),
        "east",
        "ward",
        &["198.18.0.0/24"],
        &token_file(dir.path(), "east", &east_token),
        &format!("http://198.19.255.1:{PORT}/"),
    );
    let west = agent_config(
        dir.path(),
        "west",
        "ward",
        &["198.18.0.0/24"],
        &token_file(dir.path(), "west", &west_token),
        &format!("http://198.19.255.5:{PORT}/"),
    );
    run_once(&lan_a, &east);
    run_once(&lan_b, &west);
    // Again: each agent's hosts match its own site's devices, never the other's.
    run_once(&lan_b, &west);

    let east_devices = site_devices(&db, "east");
    let west_devices = site_devices(&db, "west");
    for (site, devices) in [("east", &east_devices), ("west", &west_devices)] {
        let seen: HashSet<(String, String)> = devices
            .iter()
            .filter_map(|d| Some((d.ip.clone()?, d.mac.clone()?)))
            .collect();
        let missing: Vec<_> = lan_hosts(&lan_a)
            .into_iter()
            .filter(|h| !seen.contains(h))
            .collect();
        assert!(
            missing.is_empty(),
            "{site}: hosts with no device: {missing:?}"
        );
        // One device per LAN host and the agent's own host, none twice.
        assert_eq!(devices.len(), lan_hosts(&lan_a).len() + 1, "{site}");
        assert!(devices.iter().all(|d| d.site == site), "{site}");
    }
    let east_ids: HashSet<i64> = east_devices.iter().map(|d| d.id).collect();
    assert!(west_devices.iter().all(|d| !east_ids.contains(&d.id)));
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(
        ledger.device_counts(&SiteScope::All).unwrap().total as usize,
        east_devices.len() + west_devices.len()
    );
    drop(ledger);

    // Two checklists, each of its own hospital; without --site the command asks which.
    for (site, label, count) in [
        ("east", "東病院", east_devices.len()),
        ("west", "西病院", west_devices.len()),
    ] {
        let out = dir.path().join(format!("{site}.html"));
        collector_cli(
            &config,
            &[
                "--site",
                site,
                "report",
                "checklist",
                "--format",
                "html",
                "--output",
                out.to_str().unwrap(),
            ],
        );
        let html = std::fs::read_to_string(&out).unwrap();
        assert!(html.contains(label), "{site}: the checklist names {label}");
        assert!(html.contains(&count.to_string()), "{site}: {count} devices");
    }
    // The group summary: both hospitals, each with its answers, on one page.
    let group = collector_cli(&config, &["report", "group"]);
    assert!(
        group.contains("東病院") && group.contains("西病院") && group.contains("2-⑬"),
        "{group}"
    );
    let ambiguous = Command::new(COLLECTOR)
        .args(["report", "checklist", "--format", "html", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!ambiguous.status.success());
    let said = String::from_utf8_lossy(&ambiguous.stderr);
    assert!(said.contains("east") && said.contains("west"), "{said}");

    // The east operator sees east only; west is 403 by list and by device.
    let (code, body) = api_get(&lan_a, &hub, east_ops, "/api/v1/devices?limit=1000");
    assert_eq!(code, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["total"].as_u64().unwrap() as usize, east_devices.len());
    let (code, _) = api_get(&lan_a, &hub, east_ops, "/api/v1/devices?site=west");
    assert_eq!(code, 403);
    let (code, _) = api_get(
        &lan_a,
        &hub,
        east_ops,
        &format!("/api/v1/devices/{}", west_devices[0].id),
    );
    assert_eq!(code, 403);
    let (code, _) = api_get(
        &lan_a,
        &hub,
        east_ops,
        &format!("/api/v1/devices/{}", east_devices[0].id),
    );
    assert_eq!(code, 200);
}
