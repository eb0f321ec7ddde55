use chrono::{TimeZone, Utc};
use daicho_model::inventory::{Package, SystemService};
use daicho_model::{OsFamily, OsGuess, Protocol, Service};

use super::*;

fn device() -> DeviceFacts {
    DeviceFacts {
        id: "7".into(),
        ips: vec!["198.18.0.25".parse().unwrap()],
        mac_randomized: false,
        registered: true,
        known_outside_ledger: false,
        role: None,
        last_seen: Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap(),
        os: None,
        services: Vec::new(),
        last_updated: None,
        self_inventoried: false,
        programs: Vec::new(),
        system_services: Vec::new(),
    }
}

fn service(name: &str, port: u16, product: Option<&str>) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: product.map(str::to_owned),
        version: None,
        evidence: Vec::new(),
    }
}

fn os(name: &str, version: &str) -> OsGuess {
    OsGuess {
        family: OsFamily::Network,
        name: Some(name.into()),
        version: Some(version.into()),
        confidence: 0.9,
        evidence: Vec::new(),
    }
}

fn texts(d: &DeviceFacts) -> Vec<String> {
    remote_paths(d, &Policy::builtin())
        .iter()
        .map(RemotePath::text)
        .collect()
}

#[test]
fn a_vpn_appliance_by_its_os_and_by_its_portal() {
    let mut fortigate = device();
    fortigate.os = Some(os("FortiOS", "6.0.4"));
    fortigate.services = vec![service("https", 443, Some("Fortinet FortiGate SSL-VPN"))];
    assert_eq!(
        texts(&fortigate),
        [
            "VPN 装置: FortiOS 6.0.4",
            "VPN 装置: https/tcp/443 (Fortinet FortiGate SSL-VPN)"
        ]
    );
    let mut endpoint = device();
    endpoint.services = vec![service("openvpn", 1194, None)];
    assert_eq!(texts(&endpoint), ["VPN 装置: openvpn/tcp/1194"]);
}

#[test]
fn remote_support_listening_or_installed_and_remote_desktop_only_on_servers() {
    let mut pc = device();
    pc.services = vec![service("vnc", 5900, None), service("rdp", 3389, None)];
    pc.programs = vec![Package {
        name: "AnyDesk".into(),
        version: "9.0.1".into(),
        arch: None,
    }];
    pc.system_services = vec![SystemService {
        name: "AnyDesk".into(),
        state: "stopped".into(),
        start_type: Some("disabled".into()),
        description: None,
    }];
    assert_eq!(
        texts(&pc),
        [
            "リモートサポート（待ち受け）: vnc/tcp/5900",
            "リモートサポート（導入済み）: program/AnyDesk"
        ]
    );
    // The same remote desktop on an EHR server is a path.
    pc.role = Some("ehr-server".into());
    assert!(texts(&pc).contains(&"サーバのリモートデスクトップ: rdp/tcp/3389".to_owned()));
    let mut server = device();
    server.os = Some(OsGuess {
        family: OsFamily::Windows,
        name: Some("Windows Server 2019".into()),
        version: None,
        confidence: 0.9,
        evidence: Vec::new(),
    });
    server.services = vec![service("rdp", 3389, None)];
    assert_eq!(
        texts(&server),
        ["サーバのリモートデスクトップ: rdp/tcp/3389"]
    );
}

#[test]
fn a_plain_device_has_no_path() {
    let mut d = device();
    d.services = vec![
        service("ssh", 22, Some("OpenSSH")),
        service("https", 443, Some("nginx")),
    ];
    assert!(texts(&d).is_empty());
}
