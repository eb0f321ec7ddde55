//! The checklist evidence: 2-①, 2-②, 2-⑥, 2-⑫ and 2-⑬ answered from what daicho knows.
//!
//! [`evaluate_checklist`] turns a [`ChecklistInput`] (every device the collector knows, with
//! its ledger row if registered, its flags from `daicho-policy` and the exceptions in force,
//! plus the operator's record of the connection restriction) into a [`ChecklistReport`]:
//! for each item the answer, the date checked, the rule applied, the evidence tables and what
//! to do to reach はい. [`render_html`] prints it as one self-contained A4 page set;
//! [`render_xlsx`] writes the same content as a workbook, every cell through
//! [`xlsx_cell`](crate::xlsx_cell::xlsx_cell) (formula guard, Excel's cell limit).
//!
//! # The rules (はい only when every condition holds)
//!
//! - **2-① 台帳管理**: at least one device is registered; no device seen on the network is
//!   unregistered; every registered row other than 廃棄 has メーカー, OS, コンピュータ名,
//!   設置場所, 利用者, 登録日, 状態 and an IP or MAC address ([`REQUIRED_FIELDS`]); no device the
//!   ledger says is 稼働 carries the `missing` flag (not seen for the policy's period).
//! - **2-⑥ セキュリティパッチ**: no device other than 廃棄 carries `eol_os`, `os_unpatched` or
//!   `vulnerable_firmware`. Only what daicho could identify is judged; the report says so.
//! - **2-⑫ 不要なサービスの停止** (servers, PCs and devices of unknown kind): none carries
//!   `unneeded_service`. Services allowed by role or by a recorded exception do not count
//!   against the answer; the exceptions are listed with reason, approver and expiry.
//! - **2-⑬ 接続元制限**: the operator has recorded that a MAC restriction is applied, the
//!   recorded allowlist is not empty, and every device seen with a MAC address is on it.

use std::fmt::Write as _;
use std::net::IpAddr;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use daicho_model::MacAddr;
use daicho_model::remote_maintenance::RemoteMaintenance;
use daicho_policy::{Exception, Flag, FlagKind};

use crate::row::{Column, DeviceStatus, LedgerRow, LedgerRowText as _, flag_label};

mod html;
pub mod remote_maintenance;
mod xlsx;

pub use html::render_html;
pub use xlsx::render_xlsx;

/// What kind of device, as far as the checklist items are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// サーバ.
    Server,
    /// 端末PC.
    Pc,
    /// ネットワーク機器 (router, switch, access point, firewall, VPN appliance).
    Network,
    /// Printer.
    Printer,
    /// Medical device (modality, monitor).
    Medical,
    /// Not known.
    Unknown,
}

impl DeviceKind {
    /// The Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Server => "サーバ",
            Self::Pc => "端末PC",
            Self::Network => "ネットワーク機器",
            Self::Printer => "プリンタ",
            Self::Medical => "医療機器",
            Self::Unknown => "不明",
        }
    }
}

/// One device the collector knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistDevice {
    /// Its ledger row; `None` when it is not registered.
    pub ledger: Option<LedgerRow>,
    /// Its kind.
    pub kind: DeviceKind,
    /// Address last seen.
    pub ip: Option<IpAddr>,
    /// MAC address last seen.
    pub mac: Option<MacAddr>,
    /// Host name as discovered.
    pub hostname: String,
    /// IEEE vendor of the MAC.
    pub vendor: String,
    /// OS or firmware as identified (`Windows 10 22H2`, `FortiOS 6.0.4`).
    pub os: String,
    /// When last seen; `None` if never seen on the network.
    pub last_seen: Option<DateTime<Utc>>,
    /// Open services, as `name/protocol/port`.
    pub open_services: Vec<String>,
    /// Flags from the policy evaluation.
    pub flags: Vec<Flag>,
    /// Exceptions in force for this device.
    pub exceptions: Vec<Exception>,
    /// The ledger's id of the device (the vendor's confirmation sheet carries it back).
    pub device_id: i64,
    /// Its remote-maintenance register entry (2-②), if any.
    pub remote: Option<RemoteMaintenance>,
    /// The remote-maintenance paths it shows, one text each (`VPN 装置: FortiOS 6.0.4`).
    pub remote_paths: Vec<String>,
}

/// The operator's record of the connection restriction (2-⑬).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionRestriction {
    /// True when a MAC restriction is configured on the network devices.
    pub applied: bool,
    /// Where and how (e.g. `RTX1210 lan1 ethernet filter, 2026-11-01 適用`).
    pub description: String,
    /// The MAC addresses the devices allow.
    pub allowlist: Vec<MacAddr>,
}

/// Everything the checklist is decided from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistInput {
    /// 医療機関名.
    pub facility: String,
    /// When the check was made; its offset is used for every time shown.
    pub checked_at: DateTime<FixedOffset>,
    /// Every device known: registered ones and those seen but unregistered.
    pub devices: Vec<ChecklistDevice>,
    /// The 2-⑬ record.
    pub restriction: ConnectionRestriction,
}

/// はい, いいえ, or 記入不要 where the checklist says an item need not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// はい.
    Yes,
    /// いいえ.
    No,
    /// 記入不要: 2-② without any contracted vendor (the checklist's note).
    NotRequired,
}

impl Answer {
    /// The checklist's word.
    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "はい",
            Self::No => "いいえ",
            Self::NotRequired => "記入不要",
        }
    }

    /// True unless the answer is いいえ: nothing to do for this item.
    pub fn is_done(self) -> bool {
        self != Self::No
    }
}

/// The items daicho can give evidence for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecklistItem {
    /// 2-① 台帳管理.
    Ledger,
    /// 2-② リモートメンテナンスの確認.
    RemoteMaintenance,
    /// 2-⑥ セキュリティパッチ.
    Patches,
    /// 2-⑫ 不要なソフトウェア・サービスの停止.
    Services,
    /// 2-⑬ 接続元制限.
    ConnectionRestriction,
}

impl ChecklistItem {
    /// The item number as the checklist writes it.
    pub fn number(self) -> &'static str {
        match self {
            Self::Ledger => "2-①",
            Self::RemoteMaintenance => "2-②",
            Self::Patches => "2-⑥",
            Self::Services => "2-⑫",
            Self::ConnectionRestriction => "2-⑬",
        }
    }

    /// The item's text, as in the checklist.
    pub fn title(self) -> &'static str {
        match self {
            Self::Ledger => "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。",
            Self::RemoteMaintenance => {
                "リモートメンテナンス（保守）を利用している機器の有無を事業者に確認した。（医療情報システム全般）"
            }
            Self::Patches => {
                "セキュリティパッチ（最新ファームウェアや更新プログラム）を適用している。"
            }
            Self::Services => {
                "バックグラウンドで動作している不要なソフトウェア及びサービスを停止している。（サーバ、端末PC）"
            }
            Self::ConnectionRestriction => "接続元制限を実施している。（ネットワーク機器）",
        }
    }

    /// A short name for sheet tabs.
    pub fn short(self) -> &'static str {
        match self {
            Self::Ledger => "台帳",
            Self::RemoteMaintenance => "リモート保守",
            Self::Patches => "パッチ",
            Self::Services => "サービス",
            Self::ConnectionRestriction => "接続元制限",
        }
    }
}

/// One evidence table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What the table shows.
    pub caption: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows (may be empty: an empty table is evidence too).
    pub rows: Vec<Vec<String>>,
}

/// The result for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    /// Which item.
    pub item: ChecklistItem,
    /// はい/いいえ.
    pub answer: Answer,
    /// 確認日.
    pub checked_on: NaiveDate,
    /// The rule applied, in Japanese.
    pub rule: String,
    /// One line per fact that decided the answer.
    pub findings: Vec<String>,
    /// The evidence tables.
    pub evidence: Vec<Evidence>,
    /// What to do to reach はい (empty when the answer is はい).
    pub actions: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistReport {
    /// 医療機関名.
    pub facility: String,
    /// When checked.
    pub checked_at: DateTime<FixedOffset>,
    /// Devices considered.
    pub device_count: usize,
    /// Registered devices.
    pub registered_count: usize,
    /// The items in checklist order.
    pub items: Vec<ItemResult>,
}

/// The ledger fields 2-① requires on every registered row (IP or MAC counts as one).
pub const REQUIRED_FIELDS: [Column; 7] = [
    Column::Maker,
    Column::Os,
    Column::ComputerName,
    Column::Location,
    Column::User,
    Column::RegisteredOn,
    Column::Status,
];

/// The required fields `row` leaves blank (`IPアドレス/MACアドレス` when both are).
pub fn missing_fields(row: &LedgerRow) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = REQUIRED_FIELDS
        .iter()
        .filter(|c| row.text(**c).unwrap_or_default().is_empty())
        .map(|c| c.header())
        .collect();
    if row.ip.is_none() && row.mac.is_none() {
        missing.push("IPアドレスまたはMACアドレス");
    }
    missing
}

pub(crate) fn is_disposed(device: &ChecklistDevice) -> bool {
    device
        .ledger
        .as_ref()
        .is_some_and(|r| r.status == Some(DeviceStatus::Disposed))
}

pub(crate) fn asset_no(device: &ChecklistDevice) -> String {
    device
        .ledger
        .as_ref()
        .map_or_else(|| "（未登録）".to_owned(), |r| r.asset_no.clone())
}

pub(crate) fn name(device: &ChecklistDevice) -> String {
    device
        .ledger
        .as_ref()
        .map(|r| r.computer_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| device.hostname.clone())
}

pub(crate) fn ip_text(device: &ChecklistDevice) -> String {
    device
        .ip
        .or_else(|| device.ledger.as_ref().and_then(|r| r.ip))
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

pub(crate) fn mac_text(device: &ChecklistDevice) -> String {
    device
        .mac
        .or_else(|| device.ledger.as_ref().and_then(|r| r.mac))
        .map(|m| m.to_string())
        .unwrap_or_default()
}

fn time_text(t: Option<DateTime<Utc>>, offset: FixedOffset) -> String {
    t.map_or_else(
        || "未確認".to_owned(),
        |t| {
            t.with_timezone(&offset)
                .format("%Y/%m/%d %H:%M")
                .to_string()
        },
    )
}

pub(crate) fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Decides the items.
pub fn evaluate_checklist(input: &ChecklistInput) -> ChecklistReport {
    let checked_on = input.checked_at.date_naive();
    ChecklistReport {
        facility: input.facility.clone(),
        checked_at: input.checked_at,
        device_count: input.devices.len(),
        registered_count: input.devices.iter().filter(|d| d.ledger.is_some()).count(),
        items: vec![
            ledger_item(input, checked_on),
            remote_maintenance::remote_maintenance_item(input, checked_on),
            patches_item(input, checked_on),
            services_item(input, checked_on),
            restriction_item(input, checked_on),
        ],
    }
}

pub(crate) fn answer(problems: bool) -> Answer {
    if problems { Answer::No } else { Answer::Yes }
}

fn ledger_item(input: &ChecklistInput, checked_on: NaiveDate) -> ItemResult {
    let offset = *input.checked_at.offset();
    let registered: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| d.ledger.is_some())
        .collect();
    let unregistered: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| d.ledger.is_none())
        .collect();
    let incomplete: Vec<(&ChecklistDevice, Vec<&str>)> = registered
        .iter()
        .filter(|d| !is_disposed(d))
        .filter_map(|d| {
            let missing = missing_fields(d.ledger.as_ref().expect("registered"));
            (!missing.is_empty()).then_some((*d, missing))
        })
        .collect();
    let missing: Vec<&ChecklistDevice> = registered
        .iter()
        .filter(|d| {
            d.ledger
                .as_ref()
                .is_some_and(|r| r.status == Some(DeviceStatus::Active))
                && d.flags.iter().any(|f| f.kind == FlagKind::Missing)
        })
        .copied()
        .collect();

    let mut findings = vec![format!(
        "台帳登録 {} 台、ネットワーク上で確認した未登録の機器 {} 台",
        registered.len(),
        unregistered.len()
    )];
    findings
        .push("台帳の現物は、機器台帳のエクスポート（XLSX）を印刷して添付してください。".into());
    let mut actions = Vec::new();
    if registered.is_empty() {
        findings.push("台帳に登録された機器がありません。".into());
        actions.push("機器台帳を作成してください（既存の Excel 台帳は取り込めます）。".into());
    }
    if !unregistered.is_empty() {
        findings.push(format!(
            "台帳にない機器が {} 台接続されています。",
            unregistered.len()
        ));
        actions.push(
            "台帳にない機器を確認し、台帳に登録するか、ネットワークから外してください。".into(),
        );
    }
    if !incomplete.is_empty() {
        findings.push(format!(
            "記入漏れのある台帳行が {} 行あります。",
            incomplete.len()
        ));
        actions.push("記入漏れの項目（所在・利用者・OS など）を台帳に記入してください。".into());
    }
    if !missing.is_empty() {
        findings.push(format!(
            "台帳では稼働なのにネットワーク上で確認できない機器が {} 台あります。",
            missing.len()
        ));
        actions.push(
            "所在を確認し、使っていなければ台帳の状態を「停止」または「廃棄」にしてください。"
                .into(),
        );
    }
    let evidence = vec![
        Evidence {
            caption: "台帳にない機器（ネットワーク上で確認）".into(),
            headers: strings([
                "IPアドレス",
                "MACアドレス",
                "ホスト名",
                "ベンダー",
                "OS",
                "最終確認日時",
            ]),
            rows: unregistered
                .iter()
                .map(|d| {
                    vec![
                        ip_text(d),
                        mac_text(d),
                        d.hostname.clone(),
                        d.vendor.clone(),
                        d.os.clone(),
                        time_text(d.last_seen, offset),
                    ]
                })
                .collect(),
        },
        Evidence {
            caption: "記入漏れのある台帳行".into(),
            headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "記入のない項目"]),
            rows: incomplete
                .iter()
                .map(|(d, fields)| vec![asset_no(d), name(d), ip_text(d), fields.join("、")])
                .collect(),
        },
        Evidence {
            caption: "台帳では稼働だが確認できない機器".into(),
            headers: strings(["管理番号", "コンピュータ名", "設置場所", "最終確認日時"]),
            rows: missing
                .iter()
                .map(|d| {
                    vec![
                        asset_no(d),
                        name(d),
                        d.ledger
                            .as_ref()
                            .map(|r| r.location.clone())
                            .unwrap_or_default(),
                        time_text(d.last_seen, offset),
                    ]
                })
                .collect(),
        },
    ];
    ItemResult {
        item: ChecklistItem::Ledger,
        answer: answer(!actions.is_empty()),
        checked_on,
        rule: "台帳に機器が登録されていて、ネットワーク上の全機器が台帳にあり、廃棄以外の台帳行にメーカー・OS・コンピュータ名・設置場所・利用者・登録日・状態と IP または MAC アドレスが記入され、稼働とされた機器がすべて確認できるとき「はい」。".into(),
        findings,
        evidence,
        actions,
    }
}

fn flag_rows(devices: &[&ChecklistDevice], kinds: &[FlagKind]) -> Vec<Vec<String>> {
    devices
        .iter()
        .flat_map(|d| {
            d.flags
                .iter()
                .filter(|f| kinds.contains(&f.kind))
                .map(move |f| {
                    vec![
                        asset_no(d),
                        name(d),
                        ip_text(d),
                        d.os.clone(),
                        match &f.service {
                            Some(s) => format!("{}（{s}）", flag_label(f.kind)),
                            None => flag_label(f.kind).to_owned(),
                        },
                        f.reason.clone(),
                    ]
                })
        })
        .collect()
}

fn patches_item(input: &ChecklistInput, checked_on: NaiveDate) -> ItemResult {
    const KINDS: [FlagKind; 3] = [
        FlagKind::VulnerableFirmware,
        FlagKind::EolOs,
        FlagKind::OsUnpatched,
    ];
    let flagged: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| !is_disposed(d) && d.flags.iter().any(|f| KINDS.contains(&f.kind)))
        .collect();
    let identified = input.devices.iter().filter(|d| !d.os.is_empty()).count();
    let count = |kind: FlagKind| {
        flagged
            .iter()
            .filter(|d| d.flags.iter().any(|f| f.kind == kind))
            .count()
    };
    let mut findings = vec![format!(
        "OS・ファームウェアを判別できた機器 {identified} 台 / 全 {} 台について判定しました。",
        input.devices.len()
    )];
    let mut actions = Vec::new();
    if count(FlagKind::VulnerableFirmware) > 0 {
        findings.push(format!(
            "悪用が確認されている脆弱性のあるファームウェアが {} 台あります。",
            count(FlagKind::VulnerableFirmware)
        ));
        actions.push(
            "脆弱なファームウェアの機器（VPN 装置など）を直ちに最新版へ更新してください。".into(),
        );
    }
    if count(FlagKind::EolOs) > 0 {
        findings.push(format!(
            "サポートが終了した OS の機器が {} 台あります。",
            count(FlagKind::EolOs)
        ));
        actions.push("サポート終了 OS の機器は更新・買い替えを計画し、それまではネットワークを分離して、その旨を台帳の説明欄に記録してください。".into());
    }
    if count(FlagKind::OsUnpatched) > 0 {
        findings.push(format!(
            "更新プログラムが長期間適用されていない機器が {} 台あります。",
            count(FlagKind::OsUnpatched)
        ));
        actions.push("更新プログラム（セキュリティパッチ）を適用してください。".into());
    }
    ItemResult {
        item: ChecklistItem::Patches,
        answer: answer(!flagged.is_empty()),
        checked_on,
        rule: "廃棄以外の機器に、サポート終了 OS・パッチ未適用・悪用が確認されている脆弱なファームウェアのいずれもないとき「はい」。判別できなかった機器は判定の対象外です。".into(),
        findings,
        evidence: vec![Evidence {
            caption: "パッチ・サポートに問題のある機器".into(),
            headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "OS", "問題", "理由と対応"]),
            rows: flag_rows(&flagged, &KINDS),
        }],
        actions,
    }
}

/// The exceptions in force on `devices`: the justification the inspector reads for each service
/// that stays.
fn exception_evidence(devices: &[&ChecklistDevice], caption: &str) -> Evidence {
    Evidence {
        caption: caption.into(),
        headers: strings([
            "管理番号",
            "コンピュータ名",
            "サービス",
            "理由",
            "承認者",
            "期限",
        ]),
        rows: devices
            .iter()
            .flat_map(|d| {
                d.exceptions.iter().map(move |e| {
                    vec![
                        asset_no(d),
                        name(d),
                        e.service.clone(),
                        e.reason.clone(),
                        e.approver.clone(),
                        e.expires.format("%Y/%m/%d").to_string(),
                    ]
                })
            })
            .collect(),
    }
}

fn services_item(input: &ChecklistInput, checked_on: NaiveDate) -> ItemResult {
    let in_scope: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| {
            !is_disposed(d)
                && matches!(
                    d.kind,
                    DeviceKind::Server | DeviceKind::Pc | DeviceKind::Unknown
                )
        })
        .collect();
    let flagged: Vec<&ChecklistDevice> = in_scope
        .iter()
        .filter(|d| d.flags.iter().any(|f| f.kind == FlagKind::UnneededService))
        .copied()
        .collect();
    let exceptions = exception_evidence(&in_scope, "例外として認めているサービス");
    let unneeded = flag_rows(&flagged, &[FlagKind::UnneededService]);
    // Only a device seen on the network has observed services; listing ledger-only devices with
    // empty service lists would bury the evidence.
    let seen: Vec<&ChecklistDevice> = in_scope
        .iter()
        .filter(|d| d.last_seen.is_some())
        .copied()
        .collect();
    let mut findings = vec![format!(
        "サーバ・端末PC（種別不明を含む）{} 台のうち、ネットワーク上で確認した {} 台の開放サービスを確認しました。",
        in_scope.len(),
        seen.len()
    )];
    if seen.len() < in_scope.len() {
        findings.push(format!(
            "台帳にあってネットワーク上で確認できていない {} 台は、開放サービスを確認できていません。",
            in_scope.len() - seen.len()
        ));
    }
    let mut actions = Vec::new();
    if !unneeded.is_empty() {
        findings.push(format!(
            "不要なサービスが {} 件（{} 台）動いています。",
            unneeded.len(),
            flagged.len()
        ));
        actions.push("不要なサービスを停止してください。業務上どうしても必要なものは、理由・承認者・期限を例外として記録してください。".into());
    }
    if !exceptions.rows.is_empty() {
        findings.push(format!(
            "例外として認めているサービスが {} 件あります。",
            exceptions.rows.len()
        ));
    }
    ItemResult {
        item: ChecklistItem::Services,
        answer: answer(!unneeded.is_empty()),
        checked_on,
        rule: "サーバ・端末PC（種別不明の機器を含む）に、役割または有効な例外で認められていない不要なサービスが動いていないとき「はい」。".into(),
        findings,
        evidence: vec![
            Evidence {
                caption: "不要なサービス".into(),
                headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "OS", "サービス", "理由と対応"]),
                rows: unneeded,
            },
            exceptions,
            Evidence {
                caption: "ネットワーク上で確認した対象機器の開放サービス".into(),
                headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "種別", "開放サービス"]),
                rows: seen
                    .iter()
                    .map(|d| {
                        vec![
                            asset_no(d),
                            name(d),
                            ip_text(d),
                            d.kind.label().to_owned(),
                            d.open_services.join(", "),
                        ]
                    })
                    .collect(),
            },
        ],
        actions,
    }
}

fn restriction_item(input: &ChecklistInput, checked_on: NaiveDate) -> ItemResult {
    let offset = *input.checked_at.offset();
    let record = &input.restriction;
    let outside: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| d.last_seen.is_some())
        .filter(|d| d.mac.is_some_and(|m| !record.allowlist.contains(&m)))
        .collect();
    let network: Vec<&ChecklistDevice> = input
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Network && !is_disposed(d))
        .collect();
    // A switch or router whose management answers anyone over telnet or a default SNMP community
    // has no connection-source restriction where it matters most, whatever the MAC filter says.
    let open_management = network
        .iter()
        .filter(|d| d.flags.iter().any(|f| f.kind == FlagKind::UnneededService))
        .copied()
        .collect::<Vec<_>>();
    let management_rows = flag_rows(&open_management, &[FlagKind::UnneededService]);
    let network_exceptions = exception_evidence(
        &network,
        "例外として認めている管理用サービス（接続元を限定済みなど）",
    );
    let mut findings = vec![format!(
        "ネットワーク機器 {} 台、許可リスト {} 件。",
        network.len(),
        record.allowlist.len()
    )];
    let mut actions = Vec::new();
    if !management_rows.is_empty() {
        findings.push(format!(
            "誰でも接続できる管理用サービス（Telnet・既定のコミュニティ名の SNMP など）が {} 件（ネットワーク機器 {} 台）あります。",
            management_rows.len(),
            open_management.len()
        ));
        actions.push("ネットワーク機器の Telnet などの管理用サービスを停止して SSH・HTTPS に切り替えるか、管理用端末からしか接続できないよう接続元を限定し、その旨を例外として記録してください。".into());
    }
    if !network_exceptions.rows.is_empty() {
        findings.push(format!(
            "例外として認めている管理用サービスが {} 件あります。",
            network_exceptions.rows.len()
        ));
    }
    if record.applied {
        findings.push(format!("接続元制限の記録: {}", record.description));
    } else {
        findings.push(
            "ネットワーク機器に接続元制限（MAC アドレス制限）を設定した記録がありません。".into(),
        );
        actions.push("台帳から MAC アドレス許可リストを出力し、無線 LAN アクセスポイント・スイッチ・ルータに設定して、設定した機器と日付を記録してください。".into());
    }
    if record.applied && record.allowlist.is_empty() {
        findings.push("許可リストが空です。".into());
        actions.push("設定した許可リストを記録してください。".into());
    }
    if !outside.is_empty() {
        findings.push(format!(
            "許可リストにない MAC アドレスの機器が {} 台ネットワーク上で確認されました。",
            outside.len()
        ));
        actions.push("許可リストにない機器を確認し、必要な機器は台帳に登録して許可リストを更新し、不要な機器は接続を止めてください。制限を設定していない区間があれば設定してください。".into());
    }
    let allowlist_note = if record.applied {
        "設定済み"
    } else {
        "未設定"
    };
    ItemResult {
        item: ChecklistItem::ConnectionRestriction,
        answer: answer(!actions.is_empty()),
        checked_on,
        rule: "ネットワーク機器に MAC アドレスによる接続元制限を設定した記録があり、許可リストが空でなく、ネットワーク上で確認したすべての機器の MAC アドレスが許可リストにあり、ネットワーク機器に誰でも接続できる管理用サービス（例外の記録がないもの）がないとき「はい」。MAC アドレス制限の効果は限定的です（マニュアル 2-⑬ 補足）。".into(),
        findings,
        evidence: vec![
            Evidence {
                caption: "ネットワーク機器".into(),
                headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "MACアドレス", "ベンダー", "OS・ファームウェア"]),
                rows: network
                    .iter()
                    .map(|d| vec![asset_no(d), name(d), ip_text(d), mac_text(d), d.vendor.clone(), d.os.clone()])
                    .collect(),
            },
            Evidence {
                caption: "誰でも接続できる管理用サービス".into(),
                headers: strings(["管理番号", "コンピュータ名", "IPアドレス", "OS", "サービス", "理由と対応"]),
                rows: management_rows,
            },
            network_exceptions,
            Evidence {
                caption: format!("許可リストにない機器（接続元制限: {allowlist_note}）"),
                headers: strings(["管理番号", "IPアドレス", "MACアドレス", "ホスト名", "ベンダー", "最終確認日時"]),
                rows: outside
                    .iter()
                    .map(|d| {
                        vec![
                            asset_no(d),
                            ip_text(d),
                            mac_text(d),
                            d.hostname.clone(),
                            d.vendor.clone(),
                            time_text(d.last_seen, offset),
                        ]
                    })
                    .collect(),
            },
        ],
        actions,
    }
}

/// A one-line summary per item (`2-① はい (2026/11/21)`), for logs and the CLI.
pub fn summary(report: &ChecklistReport) -> String {
    let mut out = String::new();
    for item in &report.items {
        let _ = writeln!(
            out,
            "{} {} ({})",
            item.item.number(),
            item.answer.label(),
            item.checked_on.format("%Y/%m/%d")
        );
    }
    out
}

#[cfg(test)]
mod tests;
