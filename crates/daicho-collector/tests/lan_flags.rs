//! Checklist flags and alerts on the real test LAN (root; the `lan` nextest group): five real
//! scans of the LAN (discovery, ports, services, OS) are pushed to the collector over HTTP; each
//! unregistered host alerts exactly once, on a webhook receiver and an SMTP server run by the
//! test; `eol_os`, `vulnerable_firmware` and `unneeded_service` are raised on exactly the hosts
//! whose ground truth has them (each known-exploited CVE of the FortiOS 6.0.4 and NetScaler
//! 13.1-49.12 appliances, none on the YAMAHA and NEC gear; the old OpenSSH and IIS hosts;
//! telnet/FTP/VNC/RDP/SNMP-public) and on no other host. The SSL-VPN appliance and the VNC
//! listener are checklist 2-② paths; recording the vendor's confirmation turns 2-② to はい.

#[path = "support/webhook.rs"]
mod webhook;

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/lan_scan.rs"]
mod lan_scan;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use agent_binary::agent_binary;
use chrono::Utc;
use daicho_alert::test_support::SmtpSink;
use daicho_collector::{Config, Server};
use daicho_ledger::{DeviceFilter, Role};
use daicho_model::{OsFamily, OsGuess, ScanReport};
use daicho_policy::os_lifecycle::lifecycle;
use daicho_testlan::{TestLan, require_root, unique_id};
use lan_scan::scan_lan_to_json;
use webhook::webhook_receiver;

const COLLECTOR: &str = env!("CARGO_BIN_EXE_daicho-collector");
/// The ports the scans cover: every service the LAN runs that a flag rule concerns, and the
/// ones that identify the OS (SSH, HTTP(S), SMB, SNMP).
const PORTS: &str = "T:21,22,23,80,443,445,3389,5900,U:161";

fn scan(lan: &TestLan, dir: &Path, n: usize) -> ScanReport {
    let (json, took) = scan_lan_to_json(
        lan,
        &agent_binary(COLLECTOR),
        &[
            "--target",
            "198.18.0.0/24",
            "--target",
            "198.18.1.0/24",
            "--ports",
            PORTS,
            "--snmp-community",
            "public",
            "--per-host-rate",
            "50",
        ],
        &dir.join(format!("scan-{n}.json")),
    );
    let report = ScanReport::from_json(&json).unwrap();
    eprintln!(
        "scan {n}: {} hosts in {:.1} s",
        report.hosts.len(),
        took.as_secs_f64()
    );
    report
}

/// What the ground truth says each host should be flagged for (flag kind → codes).
fn expected_flags(truth: &serde_json::Value, ip: &str) -> BTreeSet<String> {
    if truth["scanner"]["ip"] == ip {
        return BTreeSet::new(); // the scanning host itself: no services in this LAN
    }
    let host = truth["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ip"] == ip)
        .unwrap_or_else(|| panic!("{ip} is not a host of the LAN's ground truth"));
    let mut flags = BTreeSet::new();
    let ports: BTreeSet<u16> = [21, 22, 23, 80, 443, 445, 3389, 5900, 161].into();
    for s in host["services"].as_array().unwrap() {
        if !ports.contains(&(s["port"].as_u64().unwrap() as u16)) {
            continue;
        }
        // An unidentified service is judged by its port, as the policy does.
        let by_port = match s["port"].as_u64().unwrap() {
            21 => "ftp",
            23 => "telnet",
            3389 => "rdp",
            5900 => "vnc",
            _ => "",
        };
        let code = match s["name"].as_str().unwrap_or("unknown") {
            "telnet" => "telnet",
            "ftp" => "ftp",
            "vnc" => "vnc",
            "rdp" => "rdp",
            "snmp" => "snmp-default-community", // the LAN's snmpd answers community public
            // Unidentifiable (garbage, silence): judged by its port.
            "unknown" | "hostile" if !by_port.is_empty() => by_port,
            _ => continue,
        };
        flags.insert(format!("unneeded_service:{code}"));
    }
    let mut name = host["os_name"].as_str().map(str::to_owned);
    let mut version = host["os_version"].as_str().map(str::to_owned);
    // Hosts running this machine's own Debian daemons: their Debian release, from the package
    // revision the truth records (e.g. `1:9.2p1-2+deb12u5`).
    // Medical hosts get connect-only treatment (safe mode): no banner, so no OS to judge.
    if name.is_none()
        && host["os_family"] != "medical"
        && let Some(release) = host["services"].as_array().unwrap().iter().find_map(|s| {
            let v = s["package_version"].as_str()?;
            let rest = &v[v.find("+deb")? + 4..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!digits.is_empty()).then_some(digits)
        })
    {
        name = Some("Debian".into());
        version = Some(release);
    }
    if name.is_some() {
        let family: OsFamily = host["os_family"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap_or_default();
        let os = OsGuess {
            family,
            name: name.clone(),
            version: version.clone(),
            confidence: 1.0,
            evidence: vec![],
        };
        if let Some(life) = lifecycle(&os, Utc::now().date_naive())
            && !matches!(life.status, daicho_eol::SupportStatus::Supported { .. })
        {
            flags.insert("eol_os".into());
        }
    }
    // Known-exploited flaws of the imitated firmware, from the makers' advisories (lan.sh's
    // record_exploited): one vulnerable_firmware flag per CVE, on no other host.
    for cve in host["known_exploited"].as_array().unwrap() {
        flags.insert(format!("vulnerable_firmware:{}", cve.as_str().unwrap()));
    }
    flags
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_and_alerts_on_exactly_the_hosts_that_have_them() {
    require_root().unwrap();
    let lan = TestLan::up(&unique_id('f'), None).unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lan.run_dir().join("truth.json")).unwrap()).unwrap();
    let (url, hooks) = webhook_receiver().await;
    let smtp = SmtpSink::start().await.unwrap();
    // One alert per flag is what this test checks: no digest for the LAN's 25-odd flags
    // (digests have their own test, tests/alert_digest.rs).
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(&format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n\
         [alerts]\ncheck_interval_secs = 1\ndigest_after = 1000\n[alerts.webhook]\nurl = \"{url}\"\n\
         [alerts.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\n\
         from = \"daicho@clinic.example\"\nto = [\"it@clinic.example\"]\n",
        dir.path().join("c.db").display(),
        smtp.port
    ))
    .unwrap();
    let server = Server::bind(&config).await.unwrap();
    let addr: SocketAddr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();

    let mut hosts_seen = 0;
    for n in 1..=5 {
        let (lan_ref, path) = (&lan, dir.path().to_owned());
        let report = tokio::task::block_in_place(|| scan(lan_ref, &path, n));
        hosts_seen = report.hosts.len();
        // A token is bound to its agent name: the one the scan put in the report (the host name).
        let l = ledger.clone();
        let name = report.agent.name.clone();
        let token =
            tokio::task::spawn_blocking(move || l.create_token(&name, Role::Agent).unwrap().1)
                .await
                .unwrap();
        let res = client
            .post(format!("http://{addr}/api/v1/reports"))
            .bearer_auth(&token)
            .json(&report)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    }

    // Flags per device against the ground truth.
    let l = ledger.clone();
    let devices = tokio::task::spawn_blocking(move || {
        let page = l
            .list_devices(&DeviceFilter {
                limit: Some(1000),
                ..DeviceFilter::default()
            })
            .unwrap();
        page.devices
            .into_iter()
            .map(|d| (d.id, l.device(d.id).unwrap()))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(
        devices.len(),
        hosts_seen,
        "one device per host across five scans"
    );
    let mut wrong = Vec::new();
    let mut table = BTreeMap::new();
    for (_, detail) in &devices {
        let ip = detail.summary.ip.clone().unwrap();
        let actual: BTreeSet<String> = detail
            .flag_details
            .iter()
            .filter(|f| {
                ["eol_os", "vulnerable_firmware", "unneeded_service"].contains(&f.flag.as_str())
            })
            .map(|f| {
                if f.flag == "eol_os" {
                    f.flag.clone()
                } else {
                    format!("{}:{}", f.flag, f.code)
                }
            })
            .collect();
        let expected = expected_flags(&truth, &ip);
        if actual != expected {
            wrong.push(format!(
                "{ip}: expected {expected:?}, got {actual:?} (os {:?} {:?})",
                detail.summary.os.name, detail.summary.os.version
            ));
        }
        if !expected.is_empty() {
            table.insert(ip, expected);
        }
    }
    // randomized_mac exactly where the truth has a randomized MAC: phones yes; virtual machines
    // (QEMU/KVM's locally administered 52:54:00, VMware, Hyper-V) and post-2022 blocks no.
    let mut randomized_wrong = Vec::new();
    let mut virtual_checked = 0;
    for (_, detail) in &devices {
        let ip = detail.summary.ip.clone().unwrap();
        let Some(host) = truth["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["ip"] == ip.as_str())
        else {
            continue; // the scanner itself
        };
        let expected = host["mac_randomized"].as_bool().unwrap();
        let flagged = detail.summary.flags.contains(&"randomized_mac".to_owned());
        if flagged != expected || detail.summary.mac_randomized != expected {
            randomized_wrong.push(format!("{ip} ({}): expected {expected}", host["name"]));
        }
        if host["vendor"]
            .as_str()
            .is_some_and(|v| v.ends_with("virtual machine"))
        {
            assert_eq!(detail.summary.vendor.as_deref(), host["vendor"].as_str());
            virtual_checked += 1;
        }
    }
    assert!(
        randomized_wrong.is_empty(),
        "randomized_mac: {randomized_wrong:?}"
    );
    assert!(
        virtual_checked >= 3,
        "the LAN's virtual machines were checked"
    );
    eprintln!("hosts with checklist flags: {table:#?}");
    assert!(
        wrong.is_empty(),
        "flags differ from the ground truth:\n{}",
        wrong.join("\n")
    );
    for needed in [
        "eol_os",
        "vulnerable_firmware:CVE-2018-13379",
        "vulnerable_firmware:CVE-2023-3519",
        "vulnerable_firmware:CVE-2023-4966",
        "vulnerable_firmware:CVE-2025-5777",
        "unneeded_service:telnet",
        "unneeded_service:ftp",
        "unneeded_service:vnc",
        "unneeded_service:snmp-default-community",
    ] {
        assert!(
            table.values().any(|f| f.contains(needed)),
            "the LAN exercises {needed}"
        );
    }

    // Alerts: every unregistered host exactly once, on both channels, after five scans.
    let unregistered = devices
        .iter()
        .filter(|(_, d)| d.summary.flags.contains(&"unregistered".to_owned()))
        .count();
    assert_eq!(unregistered, devices.len());
    let total: usize = devices
        .iter()
        .map(|(_, d)| {
            d.flag_details
                .iter()
                .filter(|f| f.flag != "randomized_mac")
                .count()
        })
        .sum();
    let deadline = Instant::now() + Duration::from_mins(1);
    while (hooks.lock().unwrap().len() < total || smtp.received().len() < total)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hooks = hooks.lock().unwrap().clone();
    let mut per_device: BTreeMap<String, usize> = BTreeMap::new();
    for m in hooks
        .iter()
        .filter(|m| m.flag.kind == daicho_policy::FlagKind::Unregistered)
    {
        *per_device.entry(m.device_id.clone()).or_default() += 1;
    }
    assert_eq!(
        per_device.len(),
        unregistered,
        "every unregistered host alerted"
    );
    assert!(
        per_device.values().all(|n| *n == 1),
        "exactly once each: {per_device:?}"
    );
    assert_eq!(hooks.len(), total, "one webhook message per flag");
    let mails = smtp.received();
    assert_eq!(mails.len(), total, "one email per flag");
    let unregistered_mails = mails
        .iter()
        .filter(|m| m.body_text().contains("未登録の機器"))
        .count();
    assert_eq!(unregistered_mails, unregistered);

    // 2-②: the SSL-VPN appliance (FortiGate) and the reception PC's VNC listener are
    // remote-maintenance paths to confirm with a vendor; a host is one only when the ground
    // truth gives it a remote-access port or makes it a network appliance.
    let by_name = |name: &str| {
        truth["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .unwrap()["ip"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let may_be_path: BTreeSet<String> = truth["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["os_family"] == "network"
                || h["services"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| [5900, 3389].contains(&s["port"].as_u64().unwrap()))
        })
        .map(|h| h["ip"].as_str().unwrap().to_owned())
        .collect();
    let l = ledger.clone();
    let register = tokio::task::spawn_blocking(move || {
        let site = l.site(daicho_ledger::SiteId::DEFAULT).unwrap();
        daicho_collector::remote_register::remote_register(&l, &site).unwrap()
    })
    .await
    .unwrap();
    let paths: BTreeMap<String, Vec<String>> = register
        .iter()
        .map(|d| (d.ip.unwrap().to_string(), d.remote_paths.clone()))
        .collect();
    eprintln!("2-② paths: {paths:#?}");
    assert!(
        paths[&by_name("fgt-60e")]
            .iter()
            .any(|p| p.starts_with("VPN 装置: FortiOS")),
        "{paths:?}"
    );
    assert!(
        paths[&by_name("reception-pc")]
            .contains(&"リモートサポート（待ち受け）: vnc/tcp/5900".to_owned()),
        "{paths:?}"
    );
    let outside: Vec<&String> = paths
        .keys()
        .filter(|ip| !may_be_path.contains(*ip))
        .collect();
    assert!(
        outside.is_empty(),
        "paths on hosts without one: {outside:?}"
    );
    // Recording each vendor's confirmation moves 2-② to はい.
    let l = ledger.clone();
    let (before, after) = tokio::task::spawn_blocking(move || {
        let answer = |l: &daicho_ledger::Ledger| {
            daicho_collector::evidence::checklist_report(
                l,
                daicho_ledger::SiteId::DEFAULT,
                "テスト病院",
                &daicho_collector::evidence::RestrictionStatement::default(),
            )
            .unwrap()
            .items
            .iter()
            .find(|i| i.item.number() == "2-②")
            .unwrap()
            .answer
        };
        let before = answer(&l);
        for d in &register {
            let record = daicho_model::remote_maintenance::RemoteMaintenance {
                vendor: "B社".into(),
                remote: daicho_model::remote_maintenance::RemoteUse::Yes,
                method: "SSL-VPN".into(),
                confirmed_with: "B社 保守課".into(),
                confirmed_on: Some(Utc::now().date_naive()),
            };
            daicho_collector::decisions::set_remote_maintenance(
                &l,
                &daicho_collector::decisions::Actor::cli(),
                d.device_id,
                record,
                Utc::now(),
            )
            .unwrap();
        }
        (before, answer(&l))
    })
    .await
    .unwrap();
    assert_eq!(before, daicho_ledger_io::checklist::Answer::No);
    assert_eq!(after, daicho_ledger_io::checklist::Answer::Yes);
}
