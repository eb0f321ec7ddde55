use super::*;
use crate::inventory::{Interface, ListeningSocket, LocalOs, Package};

fn sample() -> ScanReport {
    let started = "2026-11-21T09:00:00Z".parse().unwrap();
    let mut report = ScanReport::new(
        AgentInfo {
            name: "reception-pc".into(),
            version: "0.1.0".into(),
            machine_id: Some("abc".into()),
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec!["198.18.0.9".into()],
            ports: None,
        },
        started,
    );
    report.finished_at = "2026-11-21T09:00:05Z".parse().unwrap();
    report.methods = vec!["arp".into()];
    report.hosts.push(Host {
        ip: "198.18.0.10".parse().unwrap(),
        mac: Some("00:1B:21:0A:0B:0C".parse().unwrap()),
        vendor: Some("Intel Corporate".into()),
        mac_randomized: false,
        hostname: Some("pacs01".into()),
        os: OsGuess {
            family: OsFamily::Linux,
            name: Some("Debian".into()),
            version: Some("12".into()),
            confidence: 0.9,
            evidence: vec!["SSH banner OpenSSH_9.2p1 Debian-2+deb12u3".into()],
        },
        services: vec![Service {
            port: 22,
            protocol: Protocol::Tcp,
            name: "ssh".into(),
            product: Some("OpenSSH".into()),
            version: Some("9.2p1".into()),
            evidence: vec!["banner".into()],
        }],
        rtt_ms: Some(0.4),
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    });
    report.local = Some(LocalInventory {
        hostname: "reception-pc".into(),
        os: LocalOs {
            id: Some("debian".into()),
            ..LocalOs::default()
        },
        interfaces: vec![Interface {
            name: "eth0".into(),
            mac: None,
            addresses: vec!["198.18.0.2/24".into()],
        }],
        packages: vec![Package {
            name: "openssh-server".into(),
            version: "1:9.2p1-2+deb12u3".into(),
            arch: None,
        }],
        listening: vec![ListeningSocket {
            protocol: Protocol::Tcp,
            address: "0.0.0.0".parse().unwrap(),
            port: 22,
            pid: Some(1),
            process: Some("sshd".into()),
            exe: Some("/usr/sbin/sshd".into()),
            services: Vec::new(),
        }],
        ..LocalInventory::default()
    });
    report
}

fn to_value(report: &ScanReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap()
}

fn parse_value(v: &serde_json::Value) -> Result<ScanReport, ModelError> {
    ScanReport::from_json(v.to_string().as_bytes())
}

#[test]
fn round_trips_through_json() {
    let report = sample();
    let text = report.to_json_pretty();
    let back = ScanReport::from_json(text.as_bytes()).unwrap();
    assert_eq!(back, report);
}

#[test]
fn json_has_the_contract_shape() {
    let v = to_value(&sample());
    assert_eq!(v["schema"], 1);
    assert_eq!(v["started_at"], "2026-11-21T09:00:00Z");
    let host = &v["hosts"][0];
    assert_eq!(
        host["mac"], "00:1b:21:0a:0b:0c",
        "MAC is lower-case colon form"
    );
    assert_eq!(host["mac_randomized"], false);
    assert_eq!(host["os"]["family"], "linux");
    assert_eq!(host["services"][0]["protocol"], "tcp");
    for key in ["ip", "mac", "vendor", "hostname", "os", "services"] {
        assert!(host.get(key).is_some(), "host lacks {key}");
    }
    assert!(v["local"]["listening"].is_array());
}

#[test]
fn null_mac_is_allowed() {
    let mut v = to_value(&sample());
    v["hosts"][0]["mac"] = serde_json::Value::Null;
    assert_eq!(parse_value(&v).unwrap().hosts[0].mac, None);
}

#[test]
fn bad_json_is_a_syntax_error() {
    let err = ScanReport::from_json(b"{\"schema\": 1, \"hosts\": [").unwrap_err();
    assert!(matches!(err, ModelError::Syntax(_)), "{err}");
    let err = ScanReport::from_json(b"not json").unwrap_err();
    assert!(matches!(err, ModelError::Syntax(_)), "{err}");
}

#[test]
fn wrong_schema_names_the_field() {
    let mut v = to_value(&sample());
    v["schema"] = 2.into();
    let err = parse_value(&v).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::UnsupportedSchema {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("schema"), "{err}");

    v["schema"] = "1".into();
    assert_eq!(parse_value(&v).unwrap_err().field(), Some("schema"));

    v.as_object_mut().unwrap().remove("schema");
    assert_eq!(parse_value(&v).unwrap_err().field(), Some("schema"));
}

#[test]
fn missing_required_fields_are_named() {
    for (path, remove) in [
        ("hosts", vec!["hosts"]),
        ("started_at", vec!["started_at"]),
        ("agent", vec!["agent"]),
        ("scope", vec!["scope"]),
    ] {
        let mut v = to_value(&sample());
        for key in remove {
            v.as_object_mut().unwrap().remove(key);
        }
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field(), Some(path), "{err}");
        assert!(err.to_string().contains(path), "{err}");
    }
    let mut v = to_value(&sample());
    v["hosts"][0].as_object_mut().unwrap().remove("ip");
    assert_eq!(parse_value(&v).unwrap_err().field(), Some("hosts[0].ip"));
    let mut v = to_value(&sample());
    v["hosts"][0]["os"]
        .as_object_mut()
        .unwrap()
        .remove("family");
    assert_eq!(
        parse_value(&v).unwrap_err().field(),
        Some("hosts[0].os.family")
    );
}

#[test]
fn bad_values_are_named() {
    type Mutation = fn(&mut serde_json::Value);
    let cases: [(&str, Mutation); 6] = [
        ("hosts[0].mac", |v| {
            v["hosts"][0]["mac"] = "00:1b:21:0a:0b".into();
        }),
        ("hosts[0].ip", |v| {
            v["hosts"][0]["ip"] = "198.18.0.300".into();
        }),
        ("hosts[0].os.family", |v| {
            v["hosts"][0]["os"]["family"] = "solaris".into();
        }),
        ("hosts[0].services[0].protocol", |v| {
            v["hosts"][0]["services"][0]["protocol"] = "sctp".into();
        }),
        ("hosts[0].os.confidence", |v| {
            v["hosts"][0]["os"]["confidence"] = 1.5.into();
        }),
        ("started_at", |v| v["started_at"] = "yesterday".into()),
    ];
    for (path, mutate) in cases {
        let mut v = to_value(&sample());
        mutate(&mut v);
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field(), Some(path), "{err}");
    }
    let mut v = to_value(&sample());
    v["hosts"][0]["mac"] = "zz:zz:zz:zz:zz:zz".into();
    let err = parse_value(&v).unwrap_err();
    assert!(
        err.to_string().contains("hosts[0].mac") && err.to_string().contains("not a MAC"),
        "{err}"
    );
}

#[test]
fn time_order_is_checked() {
    let mut report = sample();
    report.finished_at = "2026-11-21T08:00:00Z".parse().unwrap();
    let err = ScanReport::from_json(report.to_json_pretty().as_bytes()).unwrap_err();
    assert_eq!(err.field(), Some("finished_at"));
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let mut v = to_value(&sample());
    v["future_field"] = 42.into();
    v["hosts"][0]["future"] = true.into();
    assert!(parse_value(&v).is_ok());
}

#[test]
fn data_versions_are_optional_and_round_trip() {
    let mut report = sample();
    assert!(
        !report.to_json_pretty().contains("\"data\""),
        "empty data is left out"
    );
    report.data = vec![crate::DataVersion {
        name: "ieee-registry".into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 8, 26),
        source: "npm oui-data 2.1.9".into(),
    }];
    let back = ScanReport::from_json(report.to_json_pretty().as_bytes()).unwrap();
    assert_eq!(back.data, report.data);
}

#[test]
fn data_versions_are_bounded_like_every_agent_string() {
    let mut report = sample();
    report.data = (0..crate::bounds::MAX_SMALL_LIST + 10)
        .map(|i| crate::DataVersion {
            name: format!("set-{i}"),
            date: None,
            source: "x".repeat(10_000),
        })
        .collect();
    let warnings = crate::bounds::bound_strings(&mut report);
    assert_eq!(report.data.len(), crate::bounds::MAX_SMALL_LIST);
    assert!(report.data.iter().all(|d| d.source.chars().count() < 4_200));
    assert!(
        warnings.iter().any(|w| w.starts_with("data")),
        "{warnings:?}"
    );
}
