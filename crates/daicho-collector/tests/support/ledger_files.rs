//! Test support: hand-kept ledgers in the MHLW layout, written as an operator's Excel would
//! (UTF-8 CSV, CP932 CSV, XLSX), and the collector binary run against a config.

#![allow(dead_code)] // each test binary uses part of it

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The ledger headers in the MHLW example order, plus MAC.
pub const HEADERS: [&str; 13] = [
    "管理番号",
    "メーカー",
    "OS",
    "ソフトウェア",
    "ソフトウェアバージョン",
    "IPアドレス",
    "コンピュータ名",
    "設置場所",
    "利用者",
    "登録日",
    "状態",
    "説明",
    "MACアドレス",
];

/// A device on the network the ledger should cover.
pub struct Known {
    /// IP address.
    pub ip: String,
    /// MAC, lower-case colon form.
    pub mac: String,
    /// コンピュータ名.
    pub name: String,
    /// メーカー.
    pub maker: String,
    /// OS.
    pub os: String,
}

const LOCATIONS: [&str; 5] = ["1階 受付", "2階 医局", "放射線科", "サーバ室", "薬剤部"];
const USERS: [&str; 4] = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "共用"];

/// A ledger of `total` rows: one per known device (管理番号 `NW-0001`…), then offline devices
/// (`ST-0001`…) that no scan will see — some without a MAC, some 停止 or 廃棄.
pub fn ledger_rows(known: &[Known], total: usize) -> Vec<[String; 13]> {
    let mut rows = Vec::with_capacity(total);
    for (i, k) in known.iter().enumerate() {
        rows.push([
            format!("NW-{:04}", i + 1),
            k.maker.clone(),
            k.os.clone(),
            "電子カルテ端末".into(),
            format!("{}.{}", 5 + i % 3, i % 10),
            k.ip.clone(),
            k.name.clone(),
            LOCATIONS[i % LOCATIONS.len()].into(),
            USERS[i % USERS.len()].into(),
            format!("2021/{:02}/{:02}", 1 + i % 12, 1 + i % 28),
            "稼働".into(),
            format!("{} ① 保守契約あり", k.name),
            k.mac.clone(),
        ]);
    }
    let known_macs: Vec<&str> = known.iter().map(|k| k.mac.as_str()).collect();
    let mut n = 0usize;
    while rows.len() < total {
        n += 1;
        let mac = format!("00:00:4c:{:02x}:{:02x}:7e", (n >> 8) & 0xff, n & 0xff);
        assert!(!known_macs.contains(&mac.as_str()));
        let status = if n.is_multiple_of(10) {
            "廃棄"
        } else if n.is_multiple_of(7) {
            "停止"
        } else {
            "稼働"
        };
        rows.push([
            format!("ST-{n:04}"),
            ["富士通", "NEC", "キヤノン", "パナソニック"][n % 4].into(),
            ["Windows 11 Pro", "Windows 10 Pro", "RHEL 8", "macOS 14"][n % 4].into(),
            ["レセコン", "PACS ビューア", "オーダリング", ""][n % 4].into(),
            if n % 4 == 3 {
                String::new()
            } else {
                format!("{}.{}", n % 9, n % 5)
            },
            format!("10.20.{}.{}", n / 200, 1 + n % 200),
            format!("WS-{n:04}"),
            LOCATIONS[n % LOCATIONS.len()].into(),
            USERS[n % USERS.len()].into(),
            format!("2019/{:02}/{:02}", 1 + n % 12, 1 + n % 28),
            status.into(),
            format!("予備機 {n} 号（倉庫保管）"),
            if n.is_multiple_of(5) {
                String::new()
            } else {
                mac
            },
        ]);
    }
    rows
}

fn csv_text(headers: &[&str], rows: &[[String; 13]]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = headers
        .iter()
        .map(|h| quote(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// The ledger as UTF-8 CSV (no BOM, as many tools write it).
pub fn csv_utf8(rows: &[[String; 13]]) -> Vec<u8> {
    csv_text(&HEADERS, rows).into_bytes()
}

/// The ledger as CP932 CSV, as Japanese Excel's 「CSV（コンマ区切り）」 writes it.
pub fn csv_cp932(rows: &[[String; 13]]) -> Vec<u8> {
    let text = csv_text(&HEADERS, rows);
    let (bytes, _, errors) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!errors, "the test ledger must be representable in CP932");
    bytes.into_owned()
}

/// The ledger as XLSX with the given headers (a title row above, as hand-kept ledgers have).
pub fn xlsx(headers: &[&str], rows: &[[String; 13]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("機器台帳").unwrap();
    sheet.write_string(0, 0, "機器台帳（2026年11月）").unwrap();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string(2, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).unwrap() + 3;
        for (c, cell) in row.iter().enumerate().take(headers.len()) {
            sheet
                .write_string(r, u16::try_from(c).unwrap(), cell)
                .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Writes a collector config using database `db` into `dir` and returns its path.
pub fn config(dir: &Path, db: &Path) -> std::path::PathBuf {
    let config = dir.join("collector.toml");
    std::fs::write(
        &config,
        format!("[storage]\ndatabase = \"{}\"\n", db.display()),
    )
    .unwrap();
    config
}

/// Runs the collector binary with `--config config` and `args`, timing it.
pub fn run(bin: &str, config: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (out, started.elapsed())
}

/// Stdout of a run that must have succeeded.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Stderr of a run that must have failed.
pub fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure; stdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The rows of a ledger file as daicho reads them, sorted by 管理番号.
pub fn read_rows(bytes: &[u8]) -> Vec<daicho_ledger_io::LedgerRow> {
    let mut rows = daicho_ledger_io::import_ledger(bytes).unwrap().rows;
    rows.sort_by(|a, b| a.asset_no.cmp(&b.asset_no));
    rows
}

/// `allowlist applied` for the core switch of 198.18.0.0/24, then `extra` (`--on`, `--note`).
pub fn core_switch_applied<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "allowlist",
        "applied",
        "--place",
        "コアスイッチ SW-01",
        "--by",
        "情報システム担当",
        "--subnet",
        "198.18.0.0/24",
    ];
    args.extend(extra);
    args
}

/// Writes `rows` into `dir` as UTF-8 CSV, CP932 CSV and XLSX; returns each file's name and bytes.
pub fn write_three_ways(dir: &Path, rows: &[[String; 13]]) -> [(&'static str, Vec<u8>); 3] {
    let files = [
        ("ledger-utf8.csv", csv_utf8(rows)),
        ("ledger-cp932.csv", csv_cp932(rows)),
        ("ledger.xlsx", xlsx(&HEADERS, rows)),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    files
}
