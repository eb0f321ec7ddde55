//! Writes the fuzzer's starting inputs that are built by daicho's own writers (a ledger export
//! in XLSX and CSV, a scan report as JSON and gzip, LAN frames and name queries) into
//! `fuzz/seeds/<target>/`. `scripts/fuzz.sh` runs it before fuzzing; the service replies come
//! from `crates/daicho-fingerprint/fuzz/corpus/`.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, NaiveDate, TimeZone as _, Utc};
use daicho_fingerprint::probe::netbios;
use daicho_ledger_io::{CsvEncoding, DeviceStatus, ExportMeta, ExportRow, LedgerRow};
use daicho_model::{
    AgentInfo, Host, MacAddr, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service,
};
use daicho_scan::{frames, names};

fn main() -> std::io::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("fuzz/seeds"), PathBuf::from);
    ledger_files(&root.join("ledger_import"))?;
    reports(&root.join("report"))?;
    lan_packets(&root.join("lan_packets"))?;
    println!("seeds written under {}", root.display());
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn ledger_files(dir: &Path) -> std::io::Result<()> {
    let mac = |s: &str| s.parse::<MacAddr>().ok();
    let rows = vec![
        ExportRow {
            ledger: LedgerRow {
                asset_no: "A-001".into(),
                maker: "富士フイルム".into(),
                os: "Windows 10".into(),
                software: "PACS".into(),
                software_version: "7.1".into(),
                ip: "198.18.0.11".parse().ok(),
                computer_name: "pacs-fuji".into(),
                location: "放射線科".into(),
                user: "放射線技師".into(),
                registered_on: NaiveDate::from_ymd_opt(2025, 4, 1),
                status: Some(DeviceStatus::Active),
                description: "=1+2 は式ではない".into(),
                mac: mac("88:B4:36:00:00:0B"),
            },
            vendor: "FUJIFILM Corporation".into(),
            last_seen: Some(Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()),
            open_services: vec!["dicom/tcp/104".into(), "http/tcp/80".into()],
            flags: Vec::new(),
            switch_port: String::new(),
        },
        ExportRow {
            ledger: LedgerRow {
                asset_no: "A-002".into(),
                computer_name: "reception-pc".into(),
                ip: "198.18.0.15".parse().ok(),
                status: Some(DeviceStatus::Active),
                ..LedgerRow::default()
            },
            ..ExportRow::default()
        },
    ];
    let meta = ExportMeta {
        generated_at: FixedOffset::east_opt(9 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 21, 18, 0, 0)
            .unwrap(),
        facility: "テスト病院".into(),
        generator: "daicho seeds".into(),
    };
    let xlsx = daicho_ledger_io::export_xlsx(&rows, &meta).map_err(std::io::Error::other)?;
    write(dir, "ledger.xlsx", &xlsx)?;
    for (name, encoding) in [
        ("ledger-utf8.csv", CsvEncoding::Utf8Bom),
        ("ledger-cp932.csv", CsvEncoding::Cp932),
    ] {
        let csv =
            daicho_ledger_io::export_csv(&rows, &meta, encoding).map_err(std::io::Error::other)?;
        write(dir, name, &csv.bytes)?;
    }
    Ok(())
}

fn reports(dir: &Path) -> std::io::Result<()> {
    let mut report = ScanReport::new(
        AgentInfo {
            name: "reception-pc".into(),
            version: "0.1.0".into(),
            machine_id: Some("seed".into()),
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec!["198.18.0.9".into()],
            ports: Some("22,80,104".into()),
        },
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
    );
    report.methods = vec!["arp".into()];
    report.hosts.push(Host {
        ip: "198.18.0.11".parse().unwrap(),
        mac: "88:B4:36:00:00:0B".parse().ok(),
        vendor: Some("FUJIFILM Corporation".into()),
        mac_randomized: false,
        hostname: Some("pacs-fuji".into()),
        os: OsGuess {
            family: OsFamily::Linux,
            name: Some("Debian".into()),
            version: Some("12".into()),
            confidence: 0.5,
            evidence: vec!["SSH banner OpenSSH_9.2p1 Debian-2+deb12u3".into()],
        },
        services: vec![Service {
            port: 104,
            protocol: Protocol::Tcp,
            name: "dicom".into(),
            product: Some("DCMTK".into()),
            version: Some("3.6.7".into()),
            evidence: vec!["A-ASSOCIATE-AC".into()],
        }],
        rtt_ms: Some(0.25),
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    });
    let json = report.to_json_pretty();
    write(dir, "report.json", json.as_bytes())?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json.as_bytes())?;
    write(dir, "report.json.gz", &gz.finish()?)
}

fn lan_packets(dir: &Path) -> std::io::Result<()> {
    let ours: MacAddr = "AC:ED:5C:00:00:02".parse().unwrap();
    let theirs: MacAddr = "88:B4:36:00:00:0B".parse().unwrap();
    let (our_ip, their_ip) = (Ipv4Addr::new(198, 18, 0, 2), Ipv4Addr::new(198, 18, 0, 11));
    write(
        dir,
        "arp-reply.bin",
        &frames::arp_reply(theirs, their_ip, ours, our_ip),
    )?;
    let echo = frames::icmp_echo(ours, our_ip, theirs, their_ip, 0x4441, 1);
    if let Some(reply) = frames::echo_reply_for(&echo, 64) {
        write(dir, "icmp-echo-reply.bin", &reply)?;
    }
    write(
        dir,
        "ptr-query.bin",
        &names::ptr_query(0x4441, their_ip, true),
    )?;
    write(
        dir,
        "node-status-request.bin",
        &netbios::node_status_request(0x4441),
    )
}
