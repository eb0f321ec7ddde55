//! `GET /devices/{id}`: one device — its ledger fields (editable), services and OS with their
//! evidence, flags with reasons, exceptions, role, the timeline; and its decisions:
//! `POST /devices/{id}/ledger`, `…/role`, `…/merge`, `…/split`. A device of a site the account
//! may not see is 403, on the page and in each decision.

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use daicho_ledger::{DeviceDetail, DevicePort, LedgerFieldsPatch, SiteScope};
use daicho_model::MacAddr;

use super::decide::{Flags, decide, refuse};
use super::form::{FormFields, back_to};
use super::labels::{display_time, event_detail, event_label, flag_label};
use super::render::{ConsoleError, Layout, Page, html};
use super::session::{Decider, Signed};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::{on_ledger, path_id};
use crate::site_access::check_device;
use daicho_model::remote_maintenance::RemoteMaintenance;

/// 状態 values offered (others may be typed).
pub(crate) const STATUS_CHOICES: [&str; 5] = ["稼働", "停止", "予備", "廃棄予定", "廃棄"];

/// A service row.
pub(crate) struct ServiceRow {
    pub port: String,
    pub name: String,
    pub product: String,
    pub open: bool,
    pub evidence: Vec<String>,
    pub last_seen: String,
}

/// A flag row.
pub(crate) struct FlagRow {
    pub label: String,
    pub class: String,
    pub code: String,
    pub reason: String,
    pub evidence: Vec<String>,
    pub raised_at: String,
}

/// An exception row.
pub(crate) struct ExceptionRow {
    pub id: i64,
    pub service: String,
    pub reason: String,
    pub approver: String,
    pub expires: String,
    pub revoked: bool,
}

/// A timeline row.
pub(crate) struct EventRow {
    pub at: String,
    pub what: &'static str,
    pub detail: String,
}

/// A role choice.
pub(crate) struct RoleChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/device.html")]
struct DevicePage {
    layout: Layout,
    id: i64,
    title: String,
    ip: String,
    mac: String,
    mac_randomized: bool,
    vendor: String,
    hostname: String,
    presence_gone: bool,
    first_seen: String,
    last_seen: String,
    os: String,
    os_confidence: String,
    os_evidence: Vec<String>,
    /// `sw-2f ポート 14`, with the port's description and when it was seen there; empty when
    /// no switch reading placed it.
    port: String,
    port_detail: String,
    /// The switch's own device page, when the switch is a device.
    port_switch_id: Option<i64>,
    /// Its remote-maintenance register entry (2-②) in words; empty when there is none.
    remote: String,
    asset_no: String,
    location: String,
    user: String,
    status: String,
    description: String,
    registered_on: String,
    maker: String,
    ledger_os: String,
    software: String,
    software_version: String,
    computer_name: String,
    statuses: [&'static str; 5],
    roles: Vec<RoleChoice>,
    services: Vec<ServiceRow>,
    service_choices: Vec<String>,
    flags: Vec<FlagRow>,
    exceptions: Vec<ExceptionRow>,
    events: Vec<EventRow>,
    macs: Vec<String>,
    default_expiry: String,
}

fn or_empty(v: Option<&String>) -> String {
    v.cloned().unwrap_or_default()
}

fn device_page(
    layout: Layout,
    d: &DeviceDetail,
    exceptions: Vec<daicho_ledger::exceptions::ExceptionRecord>,
    roles: Vec<RoleChoice>,
    remote: Option<&RemoteMaintenance>,
) -> DevicePage {
    let s = &d.summary;
    let l = &s.ledger;
    let os = [s.os.name.as_deref(), s.os.version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut service_choices: Vec<String> = d
        .services
        .iter()
        .filter(|v| v.state == "open")
        .map(|v| v.name.clone())
        .chain(
            d.flag_details
                .iter()
                .filter(|f| f.flag == "unneeded_service")
                .map(|f| f.code.clone()),
        )
        .collect();
    service_choices.sort();
    service_choices.dedup();
    DevicePage {
        remote: remote.map(remote_text).unwrap_or_default(),
        layout,
        id: s.id,
        title: l
            .computer_name
            .clone()
            .or_else(|| s.hostname.clone())
            .or_else(|| s.ip.clone())
            .unwrap_or_else(|| format!("#{}", s.id)),
        ip: or_empty(s.ip.as_ref()),
        mac: or_empty(s.mac.as_ref()),
        mac_randomized: s.mac_randomized,
        vendor: or_empty(s.vendor.as_ref()),
        hostname: or_empty(s.hostname.as_ref()),
        presence_gone: s.presence == "gone",
        first_seen: display_time(&s.first_seen),
        last_seen: display_time(&s.last_seen),
        os: if os.is_empty() {
            s.os.family.clone()
        } else {
            format!("{os}（{}）", s.os.family)
        },
        os_confidence: format!("{:.0}%", s.os.confidence * 100.0),
        os_evidence: d.os_evidence.clone(),
        port: d.port.as_ref().map(DevicePort::label).unwrap_or_default(),
        port_detail: d
            .port
            .as_ref()
            .map(|p| {
                let mut parts = Vec::new();
                if let Some(alias) = &p.port_alias {
                    parts.push(format!("「{alias}」"));
                }
                if let Some(vlan) = p.vlan {
                    parts.push(format!("VLAN {vlan}"));
                }
                parts.push(format!("{} 確認", display_time(&p.seen_at)));
                parts.join("　")
            })
            .unwrap_or_default(),
        port_switch_id: d.port.as_ref().and_then(|p| p.switch_device_id),
        asset_no: or_empty(l.asset_no.as_ref()),
        location: or_empty(l.location.as_ref()),
        user: or_empty(l.user.as_ref()),
        status: or_empty(l.status.as_ref()),
        description: or_empty(l.description.as_ref()),
        registered_on: or_empty(l.registered_on.as_ref()),
        maker: or_empty(l.maker.as_ref()),
        ledger_os: or_empty(l.os.as_ref()),
        software: or_empty(l.software.as_ref()),
        software_version: or_empty(l.software_version.as_ref()),
        computer_name: or_empty(l.computer_name.as_ref()),
        statuses: STATUS_CHOICES,
        roles,
        services: d
            .services
            .iter()
            .map(|v| ServiceRow {
                port: format!("{}/{}", v.port, v.protocol),
                name: v.name.clone(),
                product: [v.product.as_deref(), v.version.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                open: v.state == "open",
                evidence: v.evidence.clone(),
                last_seen: display_time(&v.last_seen),
            })
            .collect(),
        service_choices,
        flags: d
            .flag_details
            .iter()
            .map(|f| FlagRow {
                label: flag_label(&f.flag),
                class: f.flag.clone(),
                code: f.code.clone(),
                reason: f.reason.clone(),
                evidence: f.evidence.clone(),
                raised_at: display_time(&f.raised_at),
            })
            .collect(),
        exceptions: exceptions
            .into_iter()
            .map(|e| ExceptionRow {
                id: e.id,
                service: e.service,
                reason: e.reason,
                approver: e.approver,
                expires: e.expires,
                revoked: e.revoked_at.is_some(),
            })
            .collect(),
        events: d
            .events
            .iter()
            .map(|e| EventRow {
                at: display_time(&e.at),
                what: event_label(e.kind),
                detail: event_detail(e.kind, &e.detail),
            })
            .collect(),
        macs: d
            .keys
            .iter()
            .filter(|k| k.kind == "mac")
            .map(|k| k.value.clone())
            .collect(),
        default_expiry: (daicho_ledger_io::export::now_jst().date_naive() + chrono::Days::new(365))
            .format("%Y-%m-%d")
            .to_string(),
    }
}

pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let caller = signed.scope.clone();
    let (detail, exceptions, policy, remote) = on_ledger(&st, move |l| {
        let site = check_device(l, &caller, id)?;
        Ok((
            l.device(id)?,
            l.exceptions(&SiteScope::one(site), Some(id))?,
            l.policy(),
            l.remote_maintenance(id)?,
        ))
    })
    .await?;
    let layout = Layout::new(&st, &signed, Page::Devices, Some(&detail.summary.site)).await?;
    let current = detail.summary.role.clone();
    let roles = policy
        .roles
        .iter()
        .map(|(id, role)| RoleChoice {
            selected: current.as_deref() == Some(id.as_str()),
            id: id.clone(),
            label: role.label.clone(),
        })
        .collect();
    html(&device_page(
        layout,
        &detail,
        exceptions,
        roles,
        remote.as_ref(),
    ))
}

/// A register entry in words: `B社・あり（SSL-VPN） B社 保守課 佐藤 2026-12-01 確認`.
fn remote_text(r: &RemoteMaintenance) -> String {
    let method = if r.method.is_empty() {
        String::new()
    } else {
        format!("（{}）", r.method)
    };
    let confirmed = r
        .confirmed_on
        .map(|day| format!(" {} {day} 確認", r.confirmed_with))
        .unwrap_or_default();
    format!("{}・{}{method}{confirmed}", r.vendor, r.remote.label())
}

/// The ledger form's patch: each field the form has is set; a blank one is cleared; a field
/// the form does not have is left as it is.
pub(crate) fn ledger_patch(form: &FormFields) -> LedgerFieldsPatch {
    let field = |name: &str| {
        form.get(name)
            .map(|v| Some(v.to_owned()).filter(|v| !v.is_empty()))
    };
    LedgerFieldsPatch {
        asset_no: field("asset_no"),
        location: field("location"),
        user: field("user"),
        status: field("status"),
        description: field("description"),
        registered_on: field("registered_on"),
        maker: field("maker"),
        os: field("os"),
        software: field("software"),
        software_version: field("software_version"),
        computer_name: field("computer_name"),
    }
}

/// `POST /devices/{id}/ledger`: set the ledger fields.
pub(super) async fn save_ledger(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let form = FormFields::parse(&body);
    let back = back_to(&form, &format!("/devices/{id}"));
    let patch = ledger_patch(&form);
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| decisions::update_ledger(l, actor, id, &patch, l.now()),
        |_| format!("機器 #{id} の台帳項目を保存しました。"),
    )
    .await)
}

/// `POST /devices/{id}/role`: set or clear the role profile.
pub(super) async fn save_role(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let form = FormFields::parse(&body);
    let role = form
        .get("role")
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    Ok(decide(
        &st,
        &signed,
        &format!("/devices/{id}"),
        Flags::Change,
        move |l, actor| decisions::set_role(l, actor, id, role.as_deref(), l.now()),
        |_| "役割を設定しました。".to_owned(),
    )
    .await)
}

/// `POST /devices/{id}/merge` (`from`): the other device becomes part of this one.
pub(super) async fn merge(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let back = format!("/devices/{id}");
    let form = FormFields::parse(&body);
    let Some(from) = form
        .get("from")
        .and_then(|v| v.trim_start_matches('#').parse::<i64>().ok())
    else {
        let problem = "統合する機器の番号（#の後の数字）を入れてください。";
        return Ok(refuse(&signed, &back, problem).await);
    };
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| decisions::merge_devices(l, actor, id, from, l.now()),
        |_| format!("機器 #{from} をこの機器に統合しました。"),
    )
    .await)
}

/// `POST /devices/{id}/split` (`mac` repeated): those MACs become a new device.
pub(super) async fn split(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let back = format!("/devices/{id}");
    let form = FormFields::parse(&body);
    let macs: Result<Vec<MacAddr>, _> = form.all("mac").map(str::parse).collect();
    let Ok(macs) = macs else {
        return Ok(refuse(&signed, &back, "MACアドレスの形式が正しくありません。").await);
    };
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| decisions::split_device(l, actor, id, &macs, l.now()),
        |outcome| {
            format!(
                "新しい機器 #{} に分離しました。",
                outcome.split_off.summary.id
            )
        },
    )
    .await)
}
