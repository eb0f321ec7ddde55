use chrono::{Duration, NaiveDate, TimeZone};
use daicho_model::{OsFamily, OsGuess, Protocol};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

fn service(name: &str, port: u16, evidence: &[&str]) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: None,
        version: None,
        evidence: evidence.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn device(services: Vec<Service>) -> DeviceFacts {
    DeviceFacts {
        id: "dev-1".into(),
        ips: vec!["198.18.0.20".parse().unwrap()],
        mac_randomized: false,
        registered: true,
        known_outside_ledger: false,
        role: None,
        last_seen: now(),
        os: None,
        services,
        last_updated: None,
        self_inventoried: false,
        programs: Vec::new(),
        system_services: Vec::new(),
    }
}

fn kinds(flags: &[Flag]) -> Vec<(FlagKind, String)> {
    flags.iter().map(|f| (f.kind, f.code.clone())).collect()
}

#[test]
fn a_clean_registered_device_has_no_flags() {
    let d = device(vec![service("ssh", 22, &[]), service("https", 443, &[])]);
    assert!(evaluate(&d, &Policy::builtin(), &[], now()).is_empty());
}

#[test]
fn an_unregistered_device_is_flagged_until_the_operator_says_what_it_is() {
    let mut d = device(vec![]);
    d.registered = false;
    let flags = evaluate(&d, &Policy::builtin(), &[], now());
    assert_eq!(
        kinds(&flags),
        vec![(FlagKind::Unregistered, "unregistered".into())]
    );
    d.known_outside_ledger = true;
    assert!(evaluate(&d, &Policy::builtin(), &[], now()).is_empty());
}

#[test]
fn risky_services_are_flagged_with_reason_and_evidence() {
    let d = device(vec![
        service("telnet", 23, &["login prompt"]),
        service("ftp", 21, &[]),
        service("vnc", 5900, &["RFB 003.008"]),
        service(
            "snmp",
            161,
            &["snmp v2c answered the default community `public`"],
        ),
        service("ssh", 23, &[]),
    ]);
    let flags = evaluate(&d, &Policy::builtin(), &[], now());
    let codes: Vec<&str> = flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        ["telnet", "ftp", "vnc", "snmp-default-community"],
        "ssh on 23 is not telnet"
    );
    let telnet = &flags[0];
    assert_eq!(telnet.kind, FlagKind::UnneededService);
    assert_eq!(telnet.service.as_deref(), Some("telnet/tcp/23"));
    assert!(telnet.reason.contains("Telnet"));
    assert!(telnet.evidence.iter().any(|e| e == "login prompt"));
}

#[test]
fn unidentified_service_matches_by_port() {
    let flags = evaluate(
        &device(vec![service("unknown", 23, &[])]),
        &Policy::builtin(),
        &[],
        now(),
    );
    assert_eq!(
        kinds(&flags),
        [(FlagKind::UnneededService, "telnet".into())]
    );
}

#[test]
fn snmp_with_private_community_only_is_not_default() {
    let flags = evaluate(
        &device(vec![service(
            "snmp",
            161,
            &["snmp v2c answered community #1"],
        )]),
        &Policy::builtin(),
        &[],
        now(),
    );
    assert!(flags.is_empty(), "{flags:?}");
}

#[test]
fn roles_and_admin_hosts_allow_what_they_list() {
    let mut d = device(vec![service("rdp", 3389, &[]), service("mssql", 1433, &[])]);
    let mut policy = Policy::builtin();
    policy.settings.user_subnets = vec!["198.18.0.0/24".parse().unwrap()];
    assert_eq!(kinds(&evaluate(&d, &policy, &[], now())).len(), 2);
    d.role = Some("ehr-server".into());
    assert!(evaluate(&d, &policy, &[], now()).is_empty());
    d.role = Some("terminal".into());
    policy.settings.admin_hosts = d.ips.clone();
    assert_eq!(
        kinds(&evaluate(&d, &policy, &[], now())),
        [(FlagKind::UnneededService, "database-in-user-subnet".into())]
    );
}

#[test]
fn a_role_cannot_excuse_a_default_snmp_community() {
    let mut d = device(vec![service(
        "snmp",
        161,
        &["snmp v2c answered the default community `public`"],
    )]);
    d.role = Some("network".into());
    assert_eq!(evaluate(&d, &Policy::builtin(), &[], now()).len(), 1);
}

#[test]
fn an_exception_silences_exactly_its_device_and_service_until_it_expires() {
    let d = device(vec![service("telnet", 23, &[]), service("ftp", 21, &[])]);
    let exception = Exception {
        device_id: "dev-1".into(),
        service: "telnet".into(),
        reason: "モダリティ保守で使用、ベンダー合意済".into(),
        approver: "情報システム課長".into(),
        expires: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let policy = Policy::builtin();
    let codes = |flags: Vec<Flag>| flags.into_iter().map(|f| f.code).collect::<Vec<_>>();
    assert_eq!(
        codes(evaluate(
            &d,
            &policy,
            std::slice::from_ref(&exception),
            now()
        )),
        ["ftp"]
    );
    let mut other = d.clone();
    other.id = "dev-2".into();
    assert_eq!(
        codes(evaluate(
            &other,
            &policy,
            std::slice::from_ref(&exception),
            now()
        )),
        ["telnet", "ftp"]
    );
    // The last valid day still silences; the day after does not.
    let last_day = Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap();
    let mut seen_last_day = d.clone();
    seen_last_day.last_seen = last_day;
    assert_eq!(
        codes(evaluate(
            &seen_last_day,
            &policy,
            std::slice::from_ref(&exception),
            last_day
        )),
        ["ftp"]
    );
    let expired = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let mut seen_now = d.clone();
    seen_now.last_seen = expired;
    assert_eq!(
        codes(evaluate(&seen_now, &policy, &[exception], expired)),
        ["telnet", "ftp"]
    );
}

#[test]
fn fortios_6_0_4_is_eol_and_vulnerable() {
    let mut d = device(vec![]);
    d.os = Some(OsGuess {
        family: OsFamily::Network,
        name: Some("FortiOS".into()),
        version: Some("6.0.4".into()),
        confidence: 0.95,
        evidence: vec!["SNMP sysDescr: FortiGate-60E v6.0.4,build0231".into()],
    });
    let flags = evaluate(&d, &Policy::builtin(), &[], now());
    let k = kinds(&flags);
    assert!(
        k.contains(&(FlagKind::EolOs, "unsupported".into())),
        "{k:?}"
    );
    assert!(
        k.contains(&(FlagKind::VulnerableFirmware, "CVE-2018-13379".into())),
        "{k:?}"
    );
    let eol = flags.iter().find(|f| f.kind == FlagKind::EolOs).unwrap();
    assert!(eol.evidence.iter().any(|e| e.contains("sysDescr")));
    assert!(
        eol.evidence
            .iter()
            .any(|e| e.contains("snapshot 2026-08-22"))
    );
    // A patched, supported FortiOS raises neither.
    d.os.as_mut().unwrap().version = Some("7.4.8".into());
    assert!(evaluate(&d, &Policy::builtin(), &[], now()).is_empty());
}

#[test]
fn extended_support_only_is_its_own_code() {
    let mut d = device(vec![]);
    d.os = Some(OsGuess {
        family: OsFamily::Windows,
        name: Some("Windows 10".into()),
        version: Some("10.0.19045".into()),
        confidence: 0.9,
        evidence: vec!["NTLM version 10.0.19045".into()],
    });
    let flags = evaluate(&d, &Policy::builtin(), &[], now());
    assert_eq!(kinds(&flags), [(FlagKind::EolOs, "extended_only".into())]);
    assert!(flags[0].reason.contains("ESU"));
}

#[test]
fn unpatched_only_for_self_inventoried_hosts() {
    let mut d = device(vec![]);
    d.last_updated = Some(now() - Duration::days(100));
    assert!(
        evaluate(&d, &Policy::builtin(), &[], now()).is_empty(),
        "no agent, no claim"
    );
    d.self_inventoried = true;
    assert_eq!(
        kinds(&evaluate(&d, &Policy::builtin(), &[], now())),
        [(FlagKind::OsUnpatched, "stale_updates".into())]
    );
    d.last_updated = Some(now() - Duration::days(3));
    assert!(evaluate(&d, &Policy::builtin(), &[], now()).is_empty());
}

#[test]
fn ledger_state_flags() {
    let mut d = device(vec![]);
    d.registered = false;
    d.mac_randomized = true;
    assert_eq!(
        kinds(&evaluate(&d, &Policy::builtin(), &[], now())),
        [
            (FlagKind::Unregistered, "unregistered".into()),
            (FlagKind::RandomizedMac, "randomized_mac".into())
        ]
    );
    let mut gone = device(vec![]);
    gone.last_seen = now() - Duration::days(15);
    assert_eq!(
        kinds(&evaluate(&gone, &Policy::builtin(), &[], now())),
        [(FlagKind::Missing, "missing".into())]
    );
    gone.last_seen = now() - Duration::days(14);
    assert!(evaluate(&gone, &Policy::builtin(), &[], now()).is_empty());
}

#[test]
fn flag_keys_are_stable_and_distinct() {
    let d = device(vec![
        service("telnet", 23, &[]),
        service("telnet", 2323, &[]),
    ]);
    let flags = evaluate(&d, &Policy::builtin(), &[], now());
    assert_eq!(flags[0].key(), "unneeded_service:telnet:telnet/tcp/23");
    assert_ne!(flags[0].key(), flags[1].key());
}

/// An OS guess as daicho-fingerprint writes it for an appliance (its os-rules give these names).
fn appliance(name: &str, version: &str) -> DeviceFacts {
    let mut d = device(vec![]);
    d.os = Some(OsGuess {
        family: OsFamily::Network,
        name: Some(name.into()),
        version: Some(version.into()),
        confidence: 0.95,
        evidence: vec![format!("snmp sysDescr names {name} {version}")],
    });
    d
}

fn vulnerable(d: &DeviceFacts) -> Vec<String> {
    evaluate(d, &Policy::builtin(), &[], now())
        .into_iter()
        .filter(|f| f.kind == FlagKind::VulnerableFirmware)
        .map(|f| f.code)
        .collect()
}

#[test]
fn recognised_appliances_in_affected_versions_are_vulnerable_and_fixed_ones_are_not() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("PAN-OS", "10.2.8-h2", "10.2.9-h1", "CVE-2024-3400"),
        (
            "Citrix NetScaler",
            "13.1-49.12",
            "13.1-58.32",
            "CVE-2023-3519",
        ),
        (
            "Ivanti Connect Secure",
            "22.7R2.4",
            "22.7R2.6",
            "CVE-2025-0282",
        ),
        ("SonicOS", "7.0.1-5035", "7.0.1-5050", "CVE-2024-40766"),
        ("FortiOS", "7.2.4", "7.2.7", "CVE-2023-27997"),
    ];
    for (name, affected, fixed, cve) in cases {
        let flags = vulnerable(&appliance(name, affected));
        assert!(
            flags.iter().any(|c| c == cve),
            "{name} {affected}: {flags:?}"
        );
        assert!(
            vulnerable(&appliance(name, fixed)).is_empty(),
            "{name} {fixed}"
        );
    }
    let f = evaluate(
        &appliance("PAN-OS", "11.1.2"),
        &Policy::builtin(),
        &[],
        now(),
    )
    .into_iter()
    .find(|f| f.kind == FlagKind::VulnerableFirmware)
    .unwrap();
    assert!(f.reason.starts_with("PAN-OS 11.1.2 には"), "{}", f.reason);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("https://security.paloaltonetworks.com/CVE-2024-3400")),
        "{:?}",
        f.evidence
    );
    // A Japanese router nobody lists as exploited, and an appliance without a version, raise none.
    assert!(vulnerable(&appliance("YAMAHA RTX1210", "14.01.42")).is_empty());
    let mut bare = appliance("PAN-OS", "x");
    bare.os.as_mut().unwrap().version = None;
    assert!(vulnerable(&bare).is_empty());
}

/// A Windows 10 22H2 Pro PC with an agent, at update revision `revision`, updated recently.
fn windows_pc(revision: u32) -> DeviceFacts {
    let mut d = device(vec![]);
    d.self_inventoried = true;
    d.last_updated = Some(now() - Duration::days(3));
    d.os = Some(OsGuess {
        family: OsFamily::Windows,
        name: Some("Windows 10 Pro".into()),
        version: Some(format!("10.0.19045.{revision}")),
        confidence: 1.0,
        evidence: vec!["reported by the host's own inventory".into()],
    });
    d
}

fn program(name: &str, version: &str) -> daicho_model::inventory::Package {
    daicho_model::inventory::Package {
        name: name.into(),
        version: version.into(),
        arch: None,
    }
}

fn system_service(name: &str, state: &str, start: &str) -> daicho_model::inventory::SystemService {
    daicho_model::inventory::SystemService {
        name: name.into(),
        state: state.into(),
        start_type: Some(start.into()),
        description: None,
    }
}

#[test]
fn a_windows_revision_older_than_the_update_due_is_unpatched() {
    // On 2026-11-21 with 45 days' grace, the newest update due is March 2026's (19045.7058).
    let flags = evaluate(&windows_pc(4894), &Policy::builtin(), &[], now());
    let missing = flags
        .iter()
        .find(|f| f.code == "missing_update")
        .expect("missing_update raised");
    assert_eq!(missing.kind, FlagKind::OsUnpatched);
    assert!(missing.reason.contains("KB5078885"), "{}", missing.reason);
    assert!(missing.reason.contains("19045.4894"), "{}", missing.reason);
    assert!(missing.reason.contains("KB5043064"), "{}", missing.reason);
    assert!(
        missing
            .evidence
            .iter()
            .any(|e| e.contains("release health")),
        "{:?}",
        missing.evidence
    );
    // At the revision due, or newer, nothing is missing.
    for revision in [7058, 7100] {
        let flags = evaluate(&windows_pc(revision), &Policy::builtin(), &[], now());
        assert!(
            flags.iter().all(|f| f.code != "missing_update"),
            "{revision}"
        );
    }
    // The grace: on 2025-06-20, 45 days after 6 May, April's update (19045.5737) is the one due.
    let june = Utc.with_ymd_and_hms(2025, 6, 20, 0, 0, 0).unwrap();
    let mut pc = windows_pc(5854);
    pc.last_updated = Some(june);
    assert!(
        evaluate(&pc, &Policy::builtin(), &[], june)
            .iter()
            .all(|f| f.code != "missing_update")
    );
    let pc = windows_pc(5737);
    assert!(
        evaluate(&pc, &Policy::builtin(), &[], june)
            .iter()
            .all(|f| f.code != "missing_update")
    );
    let pc = windows_pc(5608);
    assert!(
        evaluate(&pc, &Policy::builtin(), &[], june)
            .iter()
            .any(|f| f.code == "missing_update")
    );
}

#[test]
fn a_revision_is_only_judged_from_the_pcs_own_inventory_and_known_builds() {
    let mut remote = windows_pc(4894);
    remote.self_inventoried = false;
    assert!(
        evaluate(&remote, &Policy::builtin(), &[], now())
            .iter()
            .all(|f| f.code != "missing_update")
    );
    let mut three = windows_pc(0);
    three.os.as_mut().unwrap().version = Some("10.0.19045".into());
    assert!(
        evaluate(&three, &Policy::builtin(), &[], now())
            .iter()
            .all(|f| f.code != "missing_update")
    );
    let mut unknown_build = windows_pc(0);
    unknown_build.os.as_mut().unwrap().version = Some("10.0.19043.2364".into());
    assert!(
        evaluate(&unknown_build, &Policy::builtin(), &[], now())
            .iter()
            .all(|f| f.code != "missing_update")
    );
}

#[test]
fn remote_support_software_installed_or_running_is_unneeded() {
    let mut pc = windows_pc(7058);
    pc.programs = vec![
        program("TeamViewer", "15.52.3"),
        program("7-Zip 23.01 (x64)", "23.01"),
    ];
    pc.system_services = vec![
        system_service("TeamViewer", "running", "auto"),
        system_service("AnyDesk", "stopped", "disabled"),
        system_service("Spooler", "running", "auto"),
    ];
    let flags = evaluate(&pc, &Policy::builtin(), &[], now());
    let unneeded: Vec<(&str, Option<&str>)> = flags
        .iter()
        .filter(|f| f.kind == FlagKind::UnneededService)
        .map(|f| (f.code.as_str(), f.service.as_deref()))
        .collect();
    assert_eq!(
        unneeded,
        vec![
            ("teamviewer", Some("program/TeamViewer")),
            ("teamviewer", Some("service/TeamViewer")),
        ]
    );
    let program_flag = flags
        .iter()
        .find(|f| f.service.as_deref() == Some("program/TeamViewer"))
        .unwrap();
    assert!(
        program_flag.evidence[0].contains("TeamViewer 15.52.3"),
        "{:?}",
        program_flag.evidence
    );
    assert!(
        program_flag.reason.contains("2-②"),
        "{}",
        program_flag.reason
    );

    // An exception for the rule covers the program and the service alike.
    let exception = Exception {
        device_id: pc.id.clone(),
        service: "teamviewer".into(),
        reason: "保守契約".into(),
        approver: "情報システム係".into(),
        expires: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    };
    let flags = evaluate(&pc, &Policy::builtin(), &[exception], now());
    assert!(
        flags.iter().all(|f| f.kind != FlagKind::UnneededService),
        "{flags:?}"
    );
}
