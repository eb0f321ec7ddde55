//! The checklist evidence printed by headless Chromium (Debian's `chromium`) to PDF, read back
//! with poppler's `pdfinfo`/`pdftotext`: the pages are A4 and the answers move from いいえ to
//! はい as the network is fixed (the unregistered device registered, telnet stopped with an
//! exception recorded for what stays, the firmware updated, the MAC restriction applied).
//! Needs the packages `scripts/install-deps.sh` installs.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use daicho_ledger_io::checklist::{
    ChecklistDevice, ChecklistInput, ConnectionRestriction, DeviceKind, evaluate_checklist,
    render_html,
};
use daicho_ledger_io::{DeviceStatus, LedgerRow};
use daicho_policy::{Exception, Flag, FlagKind};

fn checked_at() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 21, 14, 0, 0)
        .unwrap()
}

fn row(asset: &str, name: &str, ip: &str, mac: &str) -> LedgerRow {
    LedgerRow {
        asset_no: asset.into(),
        maker: "B社".into(),
        os: "Ubuntu 24.04".into(),
        software: "検査システム".into(),
        software_version: "5.0.1".into(),
        ip: Some(ip.parse().unwrap()),
        computer_name: name.into(),
        location: "検査室".into(),
        user: "検査技師".into(),
        registered_on: NaiveDate::from_ymd_opt(2025, 4, 1),
        status: Some(DeviceStatus::Active),
        description: String::new(),
        mac: Some(mac.parse().unwrap()),
    }
}

fn seen(ledger: Option<LedgerRow>, kind: DeviceKind, ip: &str, mac: &str) -> ChecklistDevice {
    ChecklistDevice {
        ledger,
        kind,
        ip: Some(ip.parse().unwrap()),
        mac: Some(mac.parse().unwrap()),
        hostname: format!("h{}", ip.rsplit('.').next().unwrap()),
        vendor: "Super Micro Computer".into(),
        os: "Ubuntu 24.04".into(),
        last_seen: Some(Utc.with_ymd_and_hms(2026, 11, 21, 4, 0, 0).unwrap()),
        open_services: vec!["ssh/tcp/22".into()],
        flags: Vec::new(),
        exceptions: Vec::new(),
        device_id: 0,
        remote: None,
        remote_paths: Vec::new(),
    }
}

fn before() -> ChecklistInput {
    let mut server = seen(
        Some(row(
            "S-01",
            "lab-server",
            "198.18.0.10",
            "02:00:00:00:00:10",
        )),
        DeviceKind::Server,
        "198.18.0.10",
        "02:00:00:00:00:10",
    );
    server.open_services.push("telnet/tcp/23".into());
    server.flags.push(Flag {
        kind: FlagKind::UnneededService,
        code: "telnet".into(),
        service: Some("telnet/tcp/23".into()),
        reason: "telnet は通信が暗号化されません。停止して SSH を使ってください。".into(),
        evidence: vec!["telnet/tcp/23 open".into()],
    });
    let pc = seen(
        Some(row("P-01", "lab-pc", "198.18.0.11", "02:00:00:00:00:11")),
        DeviceKind::Pc,
        "198.18.0.11",
        "02:00:00:00:00:11",
    );
    let stranger = seen(
        None,
        DeviceKind::Unknown,
        "198.18.0.12",
        "02:00:00:00:00:12",
    );
    ChecklistInput {
        facility: "試験病院".into(),
        checked_at: checked_at(),
        devices: vec![server, pc, stranger],
        restriction: ConnectionRestriction::default(),
    }
}

fn after() -> ChecklistInput {
    let mut input = before();
    input.devices[2].ledger = Some(row("P-02", "h12", "198.18.0.12", "02:00:00:00:00:12"));
    let server = &mut input.devices[0];
    server.flags.clear();
    server.open_services.retain(|s| !s.starts_with("telnet"));
    server.exceptions.push(Exception {
        device_id: "S-01".into(),
        service: "ssh".into(),
        reason: "ベンダー保守".into(),
        approver: "院長".into(),
        expires: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    });
    input.restriction = ConnectionRestriction {
        applied: true,
        description: "RTX lan1 ethernet filter（2026/11/21 適用）".into(),
        allowlist: input.devices.iter().filter_map(|d| d.mac).collect(),
    };
    input
}

fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daicho-checklist-print-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()));
    assert!(
        found,
        "{name} is not installed: run scripts/install-deps.sh (as root)"
    );
    Command::new(name)
}

/// Prints `html` to PDF with headless Chromium and returns the PDF's text and page size line.
fn print(html: &str, dir: &Path, stem: &str) -> (String, String) {
    let html_path = dir.join(format!("{stem}.html"));
    let pdf_path = dir.join(format!("{stem}.pdf"));
    std::fs::write(&html_path, html).unwrap();
    let status = tool("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf_path.display()))
        .arg(format!("file://{}", html_path.display()))
        .output()
        .unwrap();
    assert!(
        pdf_path.is_file(),
        "chromium wrote no PDF: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = tool("pdftotext").arg(&pdf_path).arg("-").output().unwrap();
    let info = tool("pdfinfo").arg(&pdf_path).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    let size = info
        .lines()
        .find(|l| l.starts_with("Page size"))
        .unwrap_or("")
        .to_owned();
    (String::from_utf8(text.stdout).unwrap(), size)
}

#[test]
fn chromium_prints_the_answers_on_a4_and_they_move_to_yes() {
    let dir = work_dir();
    let before_report = evaluate_checklist(&before());
    let after_report = evaluate_checklist(&after());

    let (text, size) = print(&render_html(&before_report), &dir, "before");
    assert!(size.contains("(A4)"), "{size}");
    assert!(
        text.contains("確認資料") && text.contains("試験病院"),
        "{text}"
    );
    // Summary table and the item sections: 2-①, 2-⑫ and 2-⑬ are いいえ, 2-⑥ is はい.
    assert_eq!(text.matches("いいえ").count(), 6, "{text}");
    assert!(text.contains("「はい」にするために"));
    assert!(text.contains("telnet/tcp/23"));

    let (text, size) = print(&render_html(&after_report), &dir, "after");
    assert!(size.contains("(A4)"), "{size}");
    assert_eq!(text.matches("いいえ").count(), 0, "{text}");
    // Table cells wrap, so compare without line breaks.
    let flat: String = text.split_whitespace().collect();
    assert!(
        flat.contains("ベンダー保守"),
        "the exception is shown: {text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
