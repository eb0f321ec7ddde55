use super::*;

fn jst(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(9 * 3600).unwrap();
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_local_timezone(offset)
        .unwrap()
}

fn ledger(asset: &str, name: &str, ip: &str, mac: &str) -> LedgerRow {
    LedgerRow {
        asset_no: asset.into(),
        maker: "A社".into(),
        os: "Windows 11".into(),
        software: "電子カルテ".into(),
        software_version: "2.0".into(),
        ip: Some(ip.parse().unwrap()),
        computer_name: name.into(),
        location: "診察室1".into(),
        user: "a医師".into(),
        registered_on: NaiveDate::from_ymd_opt(2024, 4, 1),
        status: Some(DeviceStatus::Active),
        description: String::new(),
        mac: Some(mac.parse().unwrap()),
    }
}

fn flag(kind: FlagKind, service: Option<&str>, reason: &str) -> Flag {
    Flag {
        kind,
        code: kind.as_str().into(),
        service: service.map(str::to_owned),
        reason: reason.into(),
        evidence: Vec::new(),
    }
}

fn device(ledger: Option<LedgerRow>, kind: DeviceKind, ip: &str, mac: &str) -> ChecklistDevice {
    ChecklistDevice {
        ledger,
        kind,
        ip: Some(ip.parse().unwrap()),
        mac: Some(mac.parse().unwrap()),
        hostname: format!("host-{ip}"),
        vendor: "Intel".into(),
        os: "Windows 11".into(),
        last_seen: Some(jst(2026, 11, 20).with_timezone(&Utc)),
        open_services: vec!["msrpc/tcp/135".into()],
        flags: Vec::new(),
        exceptions: Vec::new(),
        device_id: 0,
        remote: None,
        remote_paths: Vec::new(),
    }
}

/// A clinic as first scanned: one unregistered PC, telnet on the server, a vulnerable
/// FortiGate, and no MAC restriction.
fn broken() -> ChecklistInput {
    let pc = device(
        Some(ledger("001", "受付PC", "192.168.1.10", "00:1b:21:00:00:01")),
        DeviceKind::Pc,
        "192.168.1.10",
        "00:1b:21:00:00:01",
    );
    let mut server = device(
        Some(ledger(
            "002",
            "カルテサーバ",
            "192.168.1.2",
            "00:1b:21:00:00:02",
        )),
        DeviceKind::Server,
        "192.168.1.2",
        "00:1b:21:00:00:02",
    );
    server.open_services.push("telnet/tcp/23".into());
    server.flags.push(flag(
        FlagKind::UnneededService,
        Some("telnet/tcp/23"),
        "telnet は平文です",
    ));
    let mut fortigate = device(
        Some(LedgerRow {
            os: "FortiOS 6.0.4".into(),
            ..ledger("003", "VPN装置", "192.168.1.1", "00:09:0f:00:00:03")
        }),
        DeviceKind::Network,
        "192.168.1.1",
        "00:09:0f:00:00:03",
    );
    fortigate.os = "FortiOS 6.0.4".into();
    fortigate
        .flags
        .push(flag(FlagKind::VulnerableFirmware, None, "CVE-2018-13379"));
    fortigate.open_services.push("telnet/tcp/23".into());
    fortigate.flags.push(flag(
        FlagKind::UnneededService,
        Some("telnet/tcp/23"),
        "telnet は平文です",
    ));
    let stranger = device(
        None,
        DeviceKind::Unknown,
        "192.168.1.99",
        "00:1b:21:00:00:99",
    );
    ChecklistInput {
        facility: "テスト<クリニック> & \"診療所\"".into(),
        checked_at: jst(2026, 11, 21),
        devices: vec![pc, server, fortigate, stranger],
        restriction: ConnectionRestriction::default(),
    }
}

fn fixed() -> ChecklistInput {
    let mut input = broken();
    // The unknown PC is registered.
    input.devices[3].ledger = Some(ledger(
        "004",
        "検査室PC",
        "192.168.1.99",
        "00:1b:21:00:00:99",
    ));
    // telnet stopped; SMB kept by a recorded exception.
    input.devices[1].flags.clear();
    input.devices[1]
        .open_services
        .retain(|s| !s.starts_with("telnet"));
    input.devices[1].exceptions.push(Exception {
        device_id: "002".into(),
        service: "smb".into(),
        reason: "画像取り込みにベンダーが必要とする".into(),
        approver: "院長".into(),
        expires: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    });
    // Firmware updated, its telnet management stopped.
    input.devices[2].flags.clear();
    input.devices[2].open_services.clear();
    input.devices[2].os = "FortiOS 7.2.10".into();
    input.restriction = ConnectionRestriction {
        applied: true,
        description: "RTX1210 lan1 ethernet filter（2026/11/21 適用）".into(),
        allowlist: input.devices.iter().filter_map(|d| d.mac).collect(),
    };
    input
}

fn answers(report: &ChecklistReport) -> Vec<(&'static str, Answer)> {
    report
        .items
        .iter()
        .map(|i| (i.item.number(), i.answer))
        .collect()
}

#[test]
fn broken_network_answers_no_with_actions() {
    let report = evaluate_checklist(&broken());
    assert_eq!(
        answers(&report),
        vec![
            ("2-①", Answer::No),
            ("2-②", Answer::NotRequired),
            ("2-⑥", Answer::No),
            ("2-⑫", Answer::No),
            ("2-⑬", Answer::No),
        ]
    );
    for item in report.items.iter().filter(|i| i.answer == Answer::No) {
        assert!(!item.actions.is_empty(), "{:?} has no action", item.item);
        assert_eq!(
            item.checked_on,
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
    }
    let ledger = &report.items[0];
    assert_eq!(ledger.evidence[0].rows.len(), 1);
    assert_eq!(ledger.evidence[0].rows[0][0], "192.168.1.99");
    let services = &report.items[3];
    assert_eq!(
        services.evidence[0].rows[0][4],
        "不要なサービス（telnet/tcp/23）"
    );
    // The VPN appliance's telnet is management open to anyone.
    let restriction = &report.items[4];
    assert_eq!(restriction.evidence[1].rows.len(), 1);
    assert_eq!(restriction.evidence[1].rows[0][1], "VPN装置");
    // The unregistered device is outside the (empty) allowlist with everything else.
    assert_eq!(restriction.evidence[3].rows.len(), 4);
}

#[test]
fn fixing_the_network_moves_every_answer_to_yes() {
    let report = evaluate_checklist(&fixed());
    assert_eq!(
        answers(&report),
        vec![
            ("2-①", Answer::Yes),
            ("2-②", Answer::NotRequired),
            ("2-⑥", Answer::Yes),
            ("2-⑫", Answer::Yes),
            ("2-⑬", Answer::Yes),
        ]
    );
    assert!(report.items.iter().all(|i| i.actions.is_empty()));
    // The exception that justifies SMB is shown.
    let exceptions = &report.items[3].evidence[1];
    assert_eq!(exceptions.rows.len(), 1);
    assert_eq!(exceptions.rows[0][4], "院長");
    assert_eq!(
        summary(&report).lines().next(),
        Some("2-① はい (2026/11/21)")
    );
}

#[test]
fn each_rule_on_its_own() {
    // A blank 利用者 alone makes 2-① いいえ.
    let mut input = fixed();
    input.devices[0].ledger.as_mut().unwrap().user.clear();
    let report = evaluate_checklist(&input);
    assert_eq!(report.items[0].answer, Answer::No);
    assert_eq!(report.items[0].evidence[1].rows[0][3], "利用者");

    // A missing device counts only while the ledger says 稼働.
    let mut input = fixed();
    input.devices[0]
        .flags
        .push(flag(FlagKind::Missing, None, "14 日以上確認できません"));
    assert_eq!(evaluate_checklist(&input).items[0].answer, Answer::No);
    input.devices[0].ledger.as_mut().unwrap().status = Some(DeviceStatus::Stopped);
    assert_eq!(evaluate_checklist(&input).items[0].answer, Answer::Yes);

    // An unneeded service on a printer is outside 2-⑫.
    let mut input = fixed();
    input.devices[2].kind = DeviceKind::Printer;
    input.devices[2]
        .flags
        .push(flag(FlagKind::UnneededService, Some("telnet/tcp/23"), "x"));
    assert_eq!(evaluate_checklist(&input).items[3].answer, Answer::Yes);

    // A ledger-only device (never seen) is counted but not listed with empty services.
    let mut input = fixed();
    input.devices[0].last_seen = None;
    let services = &evaluate_checklist(&input).items[3];
    assert_eq!(
        services.evidence[2].rows.len(),
        2,
        "the server and the newly registered PC"
    );
    assert!(
        services
            .findings
            .iter()
            .any(|f| f.contains("確認できていない 1 台")),
        "{:?}",
        services.findings
    );

    // A disposed device's EOL OS does not count.
    let mut input = fixed();
    input.devices[0]
        .flags
        .push(flag(FlagKind::EolOs, None, "Windows 7"));
    assert_eq!(evaluate_checklist(&input).items[2].answer, Answer::No);
    input.devices[0].ledger.as_mut().unwrap().status = Some(DeviceStatus::Disposed);
    assert_eq!(evaluate_checklist(&input).items[2].answer, Answer::Yes);

    // One seen MAC outside the allowlist makes 2-⑬ いいえ, as does an empty allowlist.
    let mut input = fixed();
    input.restriction.allowlist.pop();
    assert_eq!(evaluate_checklist(&input).items[4].answer, Answer::No);
    let mut input = fixed();
    input.restriction.allowlist.clear();
    assert_eq!(evaluate_checklist(&input).items[4].answer, Answer::No);

    // A network device answering telnet makes 2-⑬ いいえ even with the MAC filter recorded,
    // and it is not counted in 2-⑫ (servers and PCs).
    let mut input = fixed();
    input.devices[2]
        .flags
        .push(flag(FlagKind::UnneededService, Some("telnet/tcp/23"), "x"));
    let report = evaluate_checklist(&input);
    assert_eq!(report.items[4].answer, Answer::No);
    assert_eq!(report.items[3].answer, Answer::Yes);
    // Kept by an exception instead (the flag is gone): はい, and the exception is shown.
    input.devices[2].flags.clear();
    input.devices[2].exceptions.push(Exception {
        device_id: "003".into(),
        service: "telnet".into(),
        reason: "管理用端末からのみ接続可（ACL 設定済み）".into(),
        approver: "情報システム委員会".into(),
        expires: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    });
    let report = evaluate_checklist(&input);
    assert_eq!(report.items[4].answer, Answer::Yes);
    assert_eq!(report.items[4].evidence[2].rows[0][1], "VPN装置");
    assert!(
        report.items[3].evidence[1]
            .rows
            .iter()
            .all(|r| r[1] != "VPN装置")
    );
}

/// Checks that every opened element is closed in order (void elements excepted).
fn assert_balanced(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "link", "input"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unterminated tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if closing {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "misnested </{name}>"
            );
        } else if !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn html_is_balanced_escaped_printable_and_shows_the_answers() {
    for input in [broken(), fixed()] {
        let report = evaluate_checklist(&input);
        let html = render_html(&report);
        assert_balanced(&html);
        assert!(html.contains("@page { size: A4"));
        assert!(html.contains("<html lang=\"ja\">"));
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script")
        );
        assert!(html.contains("テスト&lt;クリニック&gt; &amp; &quot;診療所&quot;"));
        assert!(!html.contains("<クリニック>"));
        for item in &report.items {
            let needle = format!("{}</span>", item.answer.label());
            assert!(html.contains(&needle));
            assert!(html.contains(item.item.number()));
        }
        assert!(html.contains("確認日: 2026年11月21日"));
    }
    let broken_html = render_html(&evaluate_checklist(&broken()));
    assert!(broken_html.contains("「はい」にするために"));
    // Addresses print whole on one line: a wrapped IP cannot be compared with the ledger.
    for td in broken_html.split("<td").skip(1) {
        let cell = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
        let looks_like_address = cell.split('.').count() == 4 || cell.matches(':').count() == 5;
        if looks_like_address
            && cell
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ".:".contains(c))
        {
            assert!(
                td.starts_with(" class=\"code\""),
                "address cell may wrap: <td{td}"
            );
        }
    }
    assert_eq!(
        broken_html
            .matches("<span class=\"answer no\">いいえ</span>")
            .count(),
        8
    );
}

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        html::escape("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
}

#[test]
fn xlsx_has_the_summary_and_one_sheet_per_item() {
    use calamine::{Reader, open_workbook_auto_from_rs};
    let bytes = render_xlsx(&evaluate_checklist(&broken())).unwrap();
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "チェックリスト",
            "2-①台帳",
            "2-②リモート保守",
            "2-⑥パッチ",
            "2-⑫サービス",
            "2-⑬接続元制限"
        ]
    );
    let summary = book.worksheet_range("チェックリスト").unwrap();
    let answers: Vec<String> = (6..11)
        .map(|r| summary.get_value((r, 2)).unwrap().to_string())
        .collect();
    assert_eq!(
        answers,
        ["いいえ", "記入不要", "いいえ", "いいえ", "いいえ"]
    );
}

#[test]
fn remote_maintenance_is_yes_once_every_vendor_and_path_is_confirmed() {
    use daicho_model::remote_maintenance::{RemoteMaintenance, RemoteUse};
    let mut input = fixed();
    // The VPN appliance is a path; nobody has asked its vendor yet.
    input.devices[2].remote_paths = vec!["VPN 装置: FortiOS 7.2.10".into()];
    let item = |input: &ChecklistInput| {
        evaluate_checklist(input)
            .items
            .into_iter()
            .find(|i| i.item == ChecklistItem::RemoteMaintenance)
            .unwrap()
    };
    let open = item(&input);
    assert_eq!(open.answer, Answer::No);
    assert_eq!(open.evidence[0].rows.len(), 1);
    assert_eq!(open.evidence[0].rows[0][8], "VPN 装置: FortiOS 7.2.10");
    assert!(
        open.findings
            .iter()
            .any(|f| f.contains("保守事業者が記録されていない機器が 1 台")),
        "{:?}",
        open.findings
    );
    assert_eq!(open.actions.len(), 2, "{:?}", open.actions);

    // The vendor is recorded, not yet confirmed: still いいえ, one action left.
    input.devices[2].remote = Some(RemoteMaintenance {
        vendor: "B社".into(),
        ..RemoteMaintenance::default()
    });
    let pending = item(&input);
    assert_eq!(pending.answer, Answer::No);
    assert_eq!(pending.actions.len(), 1);

    // The vendor confirmed remote maintenance over the SSL-VPN: はい, and the sheet shows it.
    input.devices[2].remote = Some(RemoteMaintenance {
        vendor: "B社".into(),
        remote: RemoteUse::Yes,
        method: "SSL-VPN".into(),
        confirmed_with: "B社 保守課 佐藤".into(),
        confirmed_on: NaiveDate::from_ymd_opt(2026, 11, 20),
    });
    let done = item(&input);
    assert_eq!(done.answer, Answer::Yes);
    assert!(done.actions.is_empty());
    assert_eq!(
        done.evidence[0].rows[0][3..8],
        ["B社", "あり", "SSL-VPN", "B社 保守課 佐藤", "2026/11/20"]
    );
    // A device the vendor maintains, with no path seen, is asked about too.
    input.devices[0].remote = Some(RemoteMaintenance {
        vendor: "A社".into(),
        ..RemoteMaintenance::default()
    });
    assert_eq!(item(&input).answer, Answer::No);
}
