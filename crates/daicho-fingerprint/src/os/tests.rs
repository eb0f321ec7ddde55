//! OS inference over hand-built observations.

use super::*;
use crate::probe::{ntlm::NtlmInfo, snmp::SnmpInfo, ssh, tls::CertInfo};

fn ssh_fact(line: &str) -> Fact {
    Fact::Ssh(ssh::parse_banner(line.as_bytes()).unwrap())
}

fn ntlm(major: u8, minor: u8, build: u16) -> Fact {
    Fact::Ntlm(NtlmInfo {
        major: Some(major),
        minor: Some(minor),
        build: Some(build),
        netbios_computer: Some("PC01".into()),
        ..NtlmInfo::default()
    })
}

fn snmp(descr: &str, oid: &str) -> Fact {
    Fact::Snmp(SnmpInfo {
        sys_descr: Some(descr.into()),
        sys_object_id: Some(oid.into()),
        sys_name: None,
        agent_version: None,
    })
}

fn obs(ttl: Option<u8>, vendor: Option<&str>, facts: Vec<Fact>) -> Observations {
    Observations {
        ttl,
        mac_vendor: vendor.map(str::to_owned),
        mac_randomized: false,
        open_ports: Vec::new(),
        facts,
        medical_reason: None,
    }
}

#[test]
fn nothing_observed_is_unknown_with_no_evidence() {
    let g = infer_os(&Observations::default());
    assert_eq!(g.family, OsFamily::Unknown);
    assert!(g.confidence.abs() < f64::EPSILON);
    assert!(g.evidence.is_empty());
}

#[test]
fn ubuntu_release_from_openssh_revision() {
    let g = infer_os(&obs(
        Some(64),
        Some("Dell Inc."),
        vec![ssh_fact("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6")],
    ));
    assert_eq!(g.family, OsFamily::Linux);
    assert_eq!(g.name.as_deref(), Some("Ubuntu"));
    assert_eq!(g.version.as_deref(), Some("22.04"));
    assert!(g.confidence >= 0.9);
    assert!(g.evidence.iter().any(|e| e.contains("3ubuntu0.6")));
    assert!(g.evidence.iter().any(|e| e.contains("ttl 64")));
}

#[test]
fn debian_release_from_deb_suffix_and_from_version() {
    let g = infer_os(&obs(
        None,
        None,
        vec![ssh_fact("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3")],
    ));
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("Debian"), Some("11"))
    );
    let g = infer_os(&obs(
        None,
        None,
        vec![ssh_fact("SSH-2.0-OpenSSH_9.2p1 Debian-2")],
    ));
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("Debian"), Some("12"))
    );
    let g = infer_os(&obs(
        None,
        None,
        vec![ssh_fact("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7")],
    ));
    assert_eq!(g.version.as_deref(), Some("9"));
}

#[test]
fn windows_build_table_from_ntlm() {
    let g = infer_os(&obs(Some(128), None, vec![ntlm(10, 0, 17763)]));
    assert_eq!(g.family, OsFamily::Windows);
    assert_eq!(
        g.name.as_deref(),
        Some("Windows 10 1809 or Windows Server 2019")
    );
    assert_eq!(g.version.as_deref(), Some("10.0.17763"));
    assert!(g.confidence > 0.95);
    let mut o = obs(Some(128), None, vec![ntlm(10, 0, 17763)]);
    o.open_ports = vec![88, 389, 445];
    assert_eq!(
        infer_os(&o).name.as_deref(),
        Some("Windows Server 2019"),
        "domain controller ports mean server"
    );
    let g = infer_os(&obs(None, None, vec![ntlm(6, 1, 7601)]));
    assert_eq!(
        g.name.as_deref(),
        Some("Windows 7 SP1 or Windows Server 2008 R2 SP1")
    );
    let g = infer_os(&obs(None, None, vec![ntlm(10, 0, 19045)]));
    assert_eq!(g.name.as_deref(), Some("Windows 10 22H2"));
    let g = infer_os(&obs(None, None, vec![ntlm(10, 0, 12345)]));
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("Windows"), Some("10.0.12345"))
    );
}

#[test]
fn samba_build_zero_is_not_windows() {
    let g = infer_os(&obs(Some(64), None, vec![ntlm(6, 1, 0)]));
    assert_eq!(g.family, OsFamily::Linux);
    assert!(g.evidence.iter().any(|e| e.contains("Samba")));
}

#[test]
fn fortigate_from_snmp_tls_and_vendor() {
    let cert = CertInfo {
        subject: "C=US, ST=California, L=Sunnyvale, O=Fortinet, OU=FortiGate, CN=FGT60E0000000001".into(),
        issuer: "C=US, ST=California, L=Sunnyvale, O=Fortinet, OU=Certificate Authority, CN=fortinet-subca2001".into(),
        ..CertInfo::default()
    };
    let g = infer_os(&obs(
        Some(255),
        Some("Fortinet, Inc."),
        vec![
            Fact::Cert(cert.clone()),
            snmp(
                "FortiGate-60E v6.0.4,build0231,190107 (GA)",
                "1.3.6.1.4.1.12356.101.1.60",
            ),
        ],
    ));
    assert_eq!(g.family, OsFamily::Network);
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("FortiOS"), Some("6.0.4"))
    );
    assert!(g.confidence >= 0.99);
    for needle in [
        "snmp sysDescr",
        "tls certificate subject",
        "mac vendor",
        "ttl 255",
        "sysObjectID",
    ] {
        assert!(
            g.evidence.iter().any(|e| e.contains(needle)),
            "missing {needle}: {:?}",
            g.evidence
        );
    }
    // The certificate alone is enough to say network/FortiOS.
    let g = infer_os(&obs(None, None, vec![Fact::Cert(cert)]));
    assert_eq!(
        (g.family, g.name.as_deref()),
        (OsFamily::Network, Some("FortiOS"))
    );
}

#[test]
fn snmp_sysdescr_families() {
    let cases = [
        (
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)",
            OsFamily::Network,
            Some("Cisco IOS"),
            Some("15.0(2)SE11"),
        ),
        (
            "Linux file-srv 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64",
            OsFamily::Linux,
            Some("Linux"),
            Some("6.1.0-18-amd64"),
        ),
        (
            "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build 9600 Multiprocessor Free)",
            OsFamily::Windows,
            Some("Windows Server 2012 R2"),
            Some("6.3.9600"),
        ),
        (
            "Brother NC-8300h, Firmware Ver.1.10",
            OsFamily::Printer,
            None,
            None,
        ),
        ("AlliedWare Plus (TM) 5.4.7", OsFamily::Network, None, None),
    ];
    for (descr, family, name, version) in cases {
        let g = infer_os(&obs(None, None, vec![snmp(descr, "1.3.6.1.4.1.99999")]));
        assert_eq!(
            (g.family, g.name.as_deref(), g.version.as_deref()),
            (family, name, version),
            "{descr}"
        );
    }
}

#[test]
fn iis_version_names_windows() {
    let g = infer_os(&obs(
        Some(127),
        None,
        vec![Fact::HttpServer("Microsoft-IIS/7.5".into())],
    ));
    assert_eq!(
        (g.family, g.name.as_deref(), g.version.as_deref()),
        (
            OsFamily::Windows,
            Some("Windows Server 2008 R2"),
            Some("6.1")
        )
    );
}

#[test]
fn dicom_and_medical_vendor_beat_ttl_and_web_server() {
    let g = infer_os(&obs(
        Some(64),
        Some("FUJIFILM Corporation"),
        vec![
            Fact::Dicom {
                implementation_uid: Some("1.2.276.0.7230010.3.0.3.6.7".into()),
                version_name: Some("OFFIS_DCMTK_367".into()),
            },
            Fact::HttpServer("nginx/1.22.1".into()),
        ],
    ));
    assert_eq!(g.family, OsFamily::Medical);
    assert!(g.evidence.iter().any(|e| e.contains("OFFIS_DCMTK_367")));
    assert!(
        g.evidence
            .iter()
            .any(|e| e.starts_with("outweighed (linux)")),
        "conflicts are shown: {:?}",
        g.evidence
    );
}

#[test]
fn hl7_port_and_listed_host_count_as_medical() {
    let mut o = obs(Some(64), None, vec![]);
    o.open_ports = vec![2575];
    assert_eq!(infer_os(&o).family, OsFamily::Medical);
    let mut o = obs(None, None, vec![]);
    o.medical_reason = Some("listed as medical in the configuration".into());
    let g = infer_os(&o);
    assert_eq!(g.family, OsFamily::Medical);
    assert!(g.evidence[0].contains("listed"));
}

#[test]
fn ttl_alone_is_a_weak_guess() {
    let g = infer_os(&obs(Some(120), None, vec![]));
    assert_eq!(g.family, OsFamily::Windows);
    assert!(g.confidence < 0.5);
    assert_eq!(g.name, None);
    let g = infer_os(&obs(Some(250), None, vec![]));
    assert_eq!(g.family, OsFamily::Network);
}

#[test]
fn printer_vendor_and_rule_hints() {
    let g = infer_os(&obs(Some(64), Some("Brother industries, LTD."), vec![]));
    assert_eq!(g.family, OsFamily::Printer);
    let g = infer_os(&obs(
        None,
        None,
        vec![Fact::OsHint {
            family: "network".into(),
            name: Some("Cisco IOS".into()),
            evidence: "telnet: User Access Verification".into(),
        }],
    ));
    assert_eq!(
        (g.family, g.name.as_deref()),
        (OsFamily::Network, Some("Cisco IOS"))
    );
}

#[test]
fn medical_vendor_list() {
    let t = OsTables::in_use();
    for v in [
        "NIHON KOHDEN AMERICA",
        "Philips Medical Systems - Cardiac and Monitoring Systems (CM",
        "OLYMPUS CORPORATION",
        "FUJIFILM Corporation",
        "Omron Healthcare Co., Ltd",
    ] {
        assert!(t.is_medical_vendor(v), "{v}");
    }
    for v in [
        "Dell Inc.",
        "CANON INC.",
        "Brother industries, LTD.",
        "OMRON Corporation",
    ] {
        assert!(!t.is_medical_vendor(v), "{v}");
    }
}

#[test]
fn medical_makers_new_blocks_are_medical() {
    // Blocks assigned after the 2022 registry, looked up in the shipped one: the medical rule
    // is a name list, so the names these blocks are registered under must match it.
    let t = OsTables::in_use();
    for mac in [
        "38:0b:26:00:00:01", // Mindray Co., Ltd. (MA-L)
        "6c:3e:51:00:00:01", // Mindray North America (MA-L)
        "54:fa:89:00:00:01", // Medtronic CRM (MA-L)
        "54:08:3b:40:00:01", // Toray Medical Company Limited (MA-M)
        "8c:1f:64:cb:70:01", // ARKRAY, clinical analysers (MA-S)
    ] {
        let vendor = daicho_oui::lookup(mac.parse().unwrap()).expect(mac);
        assert!(t.is_medical_vendor(vendor), "{mac} {vendor}");
    }
    // And a post-2022 block of a maker that is not medical stays so.
    let yamaha = daicho_oui::lookup("f4:d5:80:00:00:01".parse().unwrap()).unwrap();
    assert!(!t.is_medical_vendor(yamaha), "{yamaha}");
}

#[test]
fn yuyama_dispensing_systems_are_medical() {
    // YUYAMA builds pharmacy dispensing systems (分包機, 注射薬払出) on hospital networks; its
    // blocks are registered as "YUYAMA MFG Co.,Ltd" (MA-S, old IAB and current).
    let t = OsTables::in_use();
    for mac in [
        "00:50:c2:39:b0:01",
        "70:b3:d5:15:00:01",
        "8c:1f:64:03:e0:01",
    ] {
        let vendor = daicho_oui::lookup(mac.parse().unwrap()).expect(mac);
        assert_eq!(vendor, "YUYAMA MFG Co.,Ltd", "{mac}");
        assert!(t.is_medical_vendor(vendor), "{mac} {vendor}");
    }
}

#[test]
fn bad_tables_are_refused() {
    assert!(matches!(
        OsTables::parse(
            "windows_build = []\nssh_distro = []\niis = []\n[[os_rule]]\nsource = \"ssh\"\npattern = \"(\"\nfamily = \"linux\"\nconfidence = 0.5\n",
            "names = []"
        ),
        Err(OsTableError::Pattern { .. })
    ));
    assert!(matches!(
        OsTables::parse(
            "windows_build = []\nssh_distro = []\niis = []\n[[os_rule]]\nsource = \"ssh\"\npattern = \"a\"\nfamily = \"linux\"\nconfidence = 1.5\n",
            "names = []"
        ),
        Err(OsTableError::Confidence(_))
    ));
    assert!(matches!(
        OsTables::parse(
            "windows_build = []\nssh_distro = []\niis = []\nos_rule = []\n",
            "nope = 1"
        ),
        Err(OsTableError::Toml(_))
    ));
}

proptest::proptest! {
    #[test]
    fn confidence_stays_in_range(ttl in proptest::option::of(proptest::num::u8::ANY), descr in ".{0,80}", server in ".{0,40}") {
        let g = infer_os(&obs(ttl, Some(&descr), vec![snmp(&descr, "1.3.6.1.4.1.9.1"), Fact::HttpServer(server)]));
        proptest::prop_assert!((0.0..=1.0).contains(&g.confidence));
        proptest::prop_assert!(g.family == OsFamily::Unknown || !g.evidence.is_empty());
    }
}

#[test]
fn medical_family_keeps_the_inner_os_name() {
    let g = infer_os(&obs(
        Some(64),
        None,
        vec![
            ssh_fact("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
            Fact::Dicom {
                implementation_uid: None,
                version_name: Some("OFFIS_DCMTK_367".into()),
            },
        ],
    ));
    assert_eq!(g.family, OsFamily::Medical);
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("Debian"), Some("12"))
    );
    assert!(
        g.evidence.iter().any(|e| e.contains("dicom"))
            && g.evidence.iter().any(|e| e.contains("deb12u3"))
    );
    // A weak medical hint (operator list alone, 0.4) does not override strong OS evidence.
    let mut o = obs(
        None,
        None,
        vec![ssh_fact("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")],
    );
    o.medical_reason = Some("listed".into());
    assert_eq!(infer_os(&o).family, OsFamily::Linux);
}

#[test]
fn smb1_native_os_strings() {
    let native = |os: &str, lanman: &str| Fact::SmbNativeOs {
        os: os.into(),
        lanman: Some(lanman.into()),
    };
    let g = infer_os(&obs(
        None,
        None,
        vec![native(
            "Windows Server 2003 3790 Service Pack 2",
            "Windows Server 2003 5.2",
        )],
    ));
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("Windows Server 2003"), Some("5.2.3790"))
    );
    let g = infer_os(&obs(
        None,
        None,
        vec![native(
            "Windows 7 Professional 7601 Service Pack 1",
            "Windows 7 Professional 6.1",
        )],
    ));
    assert_eq!(
        (g.family, g.name.as_deref()),
        (OsFamily::Windows, Some("Windows 7 Professional"))
    );
    let g = infer_os(&obs(
        Some(64),
        None,
        vec![native("Unix", "Samba 4.17.12-Debian")],
    ));
    assert_eq!(g.family, OsFamily::Linux);
}

#[test]
fn apple_lockdown_port_names_an_iphone_over_the_ttl_guess() {
    let mut o = obs(Some(64), None, vec![]);
    assert_eq!(infer_os(&o).family, OsFamily::Linux, "TTL alone");
    // A private MAC with TTL 64 and nothing else: not a Linux server, and it says why.
    o.mac_randomized = true;
    let guess = infer_os(&o);
    assert_eq!(guess.family, OsFamily::Unknown);
    assert!(
        guess.evidence.iter().any(|e| e.contains("randomized MAC")),
        "{guess:?}"
    );
    // A Windows laptop with a private MAC still reads Windows by its TTL.
    o.ttl = Some(128);
    assert_eq!(infer_os(&o).family, OsFamily::Windows);
    o.ttl = Some(64);
    o.open_ports = vec![62078];
    let guess = infer_os(&o);
    assert_eq!(guess.family, OsFamily::Ios);
    assert!(
        guess.evidence.iter().any(|e| e.contains("62078")),
        "{guess:?}"
    );
}

fn sys_object_id_only(oid: &str) -> Fact {
    Fact::Snmp(SnmpInfo {
        sys_object_id: Some(oid.into()),
        ..SnmpInfo::default()
    })
}

fn device_line(g: &OsGuess) -> Option<&str> {
    g.evidence.iter().find_map(|e| e.strip_prefix("device: "))
}

#[test]
fn a_yamaha_router_answering_snmp_is_not_called_linux() {
    // TTL 64 alone says Linux; the sysDescr and the enterprise number say YAMAHA.
    let g = infer_os(&obs(
        Some(64),
        None,
        vec![snmp(
            "RTX1210 Rev.14.01.42 (Fri Jan 13 10:24:21 2023)",
            "1.3.6.1.4.1.1182.1.33",
        )],
    ));
    assert_eq!(g.family, OsFamily::Network, "{:?}", g.evidence);
    assert_eq!(
        (g.name.as_deref(), g.version.as_deref()),
        (Some("YAMAHA RTX1210"), Some("14.01.42"))
    );
    assert_eq!(device_line(&g), Some("YAMAHA RTX1210, router"));
    assert!(
        g.evidence
            .iter()
            .any(|e| e.starts_with("outweighed (linux): ttl 64"))
    );
    // A "Yamaha Corporation" prefix and other RT models read the same way.
    for (descr, name, kind) in [
        (
            "Yamaha Corporation RTX830 Rev.15.02.29",
            "YAMAHA RTX830",
            "router",
        ),
        (
            "NVR510 Rev.15.01.24 (Mon Oct 30 2023)",
            "YAMAHA NVR510",
            "router",
        ),
        (
            "FWX120 Rev.11.03.27 (Fri Feb 21 2020)",
            "YAMAHA FWX120",
            "firewall",
        ),
        ("SWX3220-16MT Rev.4.02.10", "YAMAHA SWX3220-16MT", "switch"),
    ] {
        let g = infer_os(&obs(Some(64), None, vec![snmp(descr, "")]));
        assert_eq!(g.name.as_deref(), Some(name), "{descr}");
        assert!(
            device_line(&g).is_some_and(|d| d.ends_with(kind)),
            "{descr}"
        );
    }
}

#[test]
fn enterprise_numbers_alone_name_the_maker() {
    for (oid, vendor) in [
        ("1.3.6.1.4.1.1182.3.1.5", "YAMAHA"),
        ("1.3.6.1.4.1.119.1.84.18", "NEC UNIVERGE IX, router"),
        ("1.3.6.1.4.1.207.1.14.69", "Allied Telesis"),
        ("1.3.6.1.4.1.5227.27", "Buffalo"),
        ("1.3.6.1.4.1.396.5.5", "Panasonic"),
        ("1.3.6.1.4.1.25461.2.3.36", "Palo Alto Networks, firewall"),
    ] {
        let g = infer_os(&obs(Some(64), None, vec![sys_object_id_only(oid)]));
        assert_eq!(g.family, OsFamily::Network, "{oid}: {:?}", g.evidence);
        assert_eq!(device_line(&g), Some(vendor), "{oid}");
    }
    // NEC and Fujitsu also make servers: their number alone does not outvote a Windows answer.
    let g = infer_os(&obs(
        Some(128),
        None,
        vec![
            sys_object_id_only("1.3.6.1.4.1.211.1.127"),
            ntlm(10, 0, 20348),
        ],
    ));
    assert_eq!(g.family, OsFamily::Windows);
}

#[test]
fn appliances_from_snmp_with_their_firmware() {
    for (descr, oid, name, version) in [
        (
            "NEC Portable Internetwork Core Operating System Software, IX Series IX2215 (magellan-sec) Software, Version 10.7.18, RELEASE SOFTWARE",
            "1.3.6.1.4.1.119.1.84.20",
            "NEC UNIVERGE IX2215",
            "10.7.18",
        ),
        (
            "Allied Telesis router/switch, AW+ v5.4.7-2.5",
            "1.3.6.1.4.1.207.1.14.69",
            "AlliedWare Plus",
            "5.4.7-2.5",
        ),
        (
            "NetScaler NS13.1: Build 49.12.nc, Date: Jun 20 2023, 03:38:47",
            "1.3.6.1.4.1.5951.1",
            "Citrix NetScaler",
            "13.1-49.12",
        ),
        (
            "Pulse Secure,LLC,PSA-3000,9.1R11.4 (build 12383)",
            "1.3.6.1.4.1.12532.256.1.1",
            "Ivanti Connect Secure",
            "9.1R11.4",
        ),
        (
            "SonicWALL NSA 2600 (SonicOS Enhanced 6.5.4.4-44n)",
            "1.3.6.1.4.1.8741.1",
            "SonicOS",
            "6.5.4.4-44n",
        ),
        (
            "FortiGate-100F v7.2.4,build1396,230131 (GA.F)",
            "1.3.6.1.4.1.12356.101.1.1041",
            "FortiOS",
            "7.2.4",
        ),
    ] {
        let g = infer_os(&obs(Some(64), None, vec![snmp(descr, oid)]));
        assert_eq!(g.family, OsFamily::Network, "{descr}");
        assert_eq!(
            (g.name.as_deref(), g.version.as_deref()),
            (Some(name), Some(version)),
            "{descr}"
        );
    }
    // Check Point Gaia answers with its Linux kernel: it is a firewall, not a Linux server.
    let g = infer_os(&obs(
        Some(64),
        None,
        vec![snmp(
            "Linux gw-hq 3.10.0-957.21.3cpx86_64 #1 SMP Tue Jan 28 17:26:12 IST 2020 x86_64",
            "1.3.6.1.4.1.2620.1.6.123.1.49",
        )],
    ));
    assert_eq!(
        (g.family, g.name.as_deref()),
        (OsFamily::Network, Some("Check Point Gaia"))
    );
    // A plain Linux kernel stays Linux.
    let g = infer_os(&obs(
        Some(64),
        None,
        vec![snmp(
            "Linux pacs 6.1.0-18-amd64 #1 SMP",
            "1.3.6.1.4.1.8072.3.2.10",
        )],
    ));
    assert_eq!(g.family, OsFamily::Linux);
}

#[test]
fn unknown_device_kinds_are_refused() {
    let table = "windows_build = []\nssh_distro = []\niis = []\n[[os_rule]]\nsource = \"ssh\"\npattern = \"a\"\nfamily = \"network\"\nkind = \"toaster\"\nconfidence = 0.5\n";
    assert!(matches!(
        OsTables::parse(table, "names = []"),
        Err(OsTableError::Toml(_))
    ));
}

#[test]
fn japanese_network_makers_macs_outvote_a_ttl_of_64() {
    for vendor in [
        "YAMAHA CORPORATION",
        "NEC Platforms, Ltd.",
        "ELECOM CO.,LTD.",
    ] {
        let g = infer_os(&obs(Some(64), Some(vendor), vec![]));
        assert_eq!(g.family, OsFamily::Network, "{vendor}: {:?}", g.evidence);
    }
    // YAMAHA MOTOR is another registrant, and SNMP outweighs the MAC alone.
    let g = infer_os(&obs(Some(64), Some("YAMAHA MOTOR CO.,LTD"), vec![]));
    assert_eq!(g.family, OsFamily::Linux);
    let g = infer_os(&obs(
        Some(64),
        Some("YAMAHA CORPORATION"),
        vec![snmp("SWX2310P-10G Rev.2.02.31", "1.3.6.1.4.1.1182.3.1")],
    ));
    assert_eq!(g.name.as_deref(), Some("YAMAHA SWX2310P-10G"));
    assert_eq!(device_line(&g), Some("YAMAHA SWX2310P-10G, switch"));
}
