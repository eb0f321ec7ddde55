//! Item 2-②: whether the vendors were asked which devices they maintain remotely. The devices
//! to ask about are those with a 保守事業者 in the register and those showing a remote-maintenance
//! path; the answer is はい when every one of them has the vendor's confirmation recorded.

use chrono::NaiveDate;

use super::{
    Answer, ChecklistDevice, ChecklistInput, ChecklistItem, Evidence, ItemResult, answer, asset_no,
    ip_text, is_disposed, name, strings,
};

/// Whether `device` is one to confirm with a vendor: a 保守事業者 recorded, or a path seen (a
/// device disposed of is not).
pub fn to_confirm(device: &ChecklistDevice) -> bool {
    !is_disposed(device)
        && (device.remote.as_ref().is_some_and(|r| !r.vendor.is_empty())
            || !device.remote_paths.is_empty())
}

/// The register's row of one device for the evidence table and the vendor's sheet.
pub(crate) fn register_row(device: &ChecklistDevice) -> Vec<String> {
    let record = device.remote.clone().unwrap_or_default();
    vec![
        asset_no(device),
        name(device),
        ip_text(device),
        record.vendor.clone(),
        record.remote.label().to_owned(),
        record.method.clone(),
        record.confirmed_with.clone(),
        record
            .confirmed_on
            .map(|d| d.format("%Y/%m/%d").to_string())
            .unwrap_or_default(),
        device.remote_paths.join("\n"),
    ]
}

pub(super) fn remote_maintenance_item(input: &ChecklistInput, checked_on: NaiveDate) -> ItemResult {
    let subjects: Vec<&ChecklistDevice> = input.devices.iter().filter(|d| to_confirm(d)).collect();
    let confirmed = |d: &&ChecklistDevice| {
        d.remote
            .as_ref()
            .is_some_and(daicho_model::remote_maintenance::RemoteMaintenance::is_confirmed)
    };
    let unconfirmed: Vec<&ChecklistDevice> =
        subjects.iter().filter(|d| !confirmed(d)).copied().collect();
    let no_vendor = subjects
        .iter()
        .filter(|d| d.remote.as_ref().is_none_or(|r| r.vendor.is_empty()))
        .count();
    let remote = subjects
        .iter()
        .filter(|d| {
            d.remote
                .as_ref()
                .is_some_and(|r| r.remote == daicho_model::remote_maintenance::RemoteUse::Yes)
        })
        .count();
    let rule = "保守事業者を記録した機器と、リモートメンテナンスの経路となりうる機器（VPN 装置、リモートサポートツール、サーバのリモートデスクトップ）のすべてについて、事業者の担当者と確認日が記録されているとき「はい」。どちらもないときは、事業者と契約していないものとして「記入不要」（チェックリストの注記）。".to_owned();
    let table = Evidence {
        caption: "リモートメンテナンスの確認状況".into(),
        headers: strings([
            "管理番号",
            "コンピュータ名",
            "IPアドレス",
            "保守事業者",
            "リモート保守",
            "接続方法",
            "確認した担当者",
            "確認日",
            "検出された経路",
        ]),
        rows: subjects.iter().map(|d| register_row(d)).collect(),
    };
    if subjects.is_empty() {
        return ItemResult {
            item: ChecklistItem::RemoteMaintenance,
            answer: Answer::NotRequired,
            checked_on,
            rule,
            findings: vec!["保守事業者の記録がなく、リモートメンテナンスの経路となりうる機器も見つかりませんでした。事業者と契約していない場合、2-② の記入は不要です。契約がある場合は、機器ごとに保守事業者を記録してください。".into()],
            evidence: vec![table],
            actions: Vec::new(),
        };
    }
    let mut findings = vec![format!(
        "確認の対象は {} 台（保守事業者の記録 {} 台、経路を検出した機器を含む）です。事業者に確認済み {} 台、未確認 {} 台。リモート保守ありと確認した機器は {} 台です。",
        subjects.len(),
        subjects.len() - no_vendor,
        subjects.len() - unconfirmed.len(),
        unconfirmed.len(),
        remote
    )];
    let mut actions = Vec::new();
    if no_vendor > 0 {
        findings.push(format!(
            "経路を検出したのに保守事業者が記録されていない機器が {no_vendor} 台あります。"
        ));
        actions.push("経路を検出した機器について、どの事業者が保守しているかを確かめ、保守事業者として記録してください。".into());
    }
    if !unconfirmed.is_empty() {
        actions.push(format!(
            "未確認の {} 台について、保守事業者にリモートメンテナンスの有無を確認してください（事業者ごとの確認依頼書: daicho-collector report vendor-confirmation --vendor 事業者名。回答は remote-maintenance import で取り込めます）。",
            unconfirmed.len()
        ));
    }
    ItemResult {
        item: ChecklistItem::RemoteMaintenance,
        answer: answer(!unconfirmed.is_empty()),
        checked_on,
        rule,
        findings,
        evidence: vec![table],
        actions,
    }
}
