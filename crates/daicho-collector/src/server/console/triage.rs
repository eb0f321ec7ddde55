//! `GET /triage`: 未登録機器の確認 — the devices nobody registered, newest first, with what is
//! known of each; register them (one or several at once: every card with a 管理番号 filled in
//! is registered, `POST /triage/register`), or say what one is — 私物, 来訪者, 撤去
//! (`POST /triage/{id}/dismiss`, field `as`; blank undoes it) — so it stops reappearing as new.
//! The devices are the `?site=`'s, else those of every site the account sees.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use daicho_ledger::triage::Disposition;
use std::collections::HashMap;

use daicho_ledger::{DeviceFilter, DevicePort, DeviceSummary, LedgerError, LedgerFieldsPatch};

use super::decide::{Flags, decide, refuse};
use super::device::STATUS_CHOICES;
use super::form::{FormFields, back_to};
use super::labels::{display_time, flag_label};
use super::render::{ConsoleError, Layout, Page, flash, html, see_other};
use super::session::{Decider, Signed};
use super::sites::{site_of, with_site};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::{on_ledger, path_id};

/// Cards per page.
const PER_PAGE: u32 = 30;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/triage", get(page))
        .route("/triage/register", post(register))
        .route("/triage/{id}/dismiss", post(dismiss))
}

/// One unregistered device, with the ledger fields suggested from what was seen.
pub(crate) struct Candidate {
    pub id: i64,
    /// Its site's label (shown when the account sees several sites).
    pub site: String,
    pub ip: String,
    pub mac: String,
    pub randomized: bool,
    pub vendor: String,
    pub hostname: String,
    pub os: String,
    pub services: String,
    pub flags: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub agent: String,
    /// Where it is plugged in (`sw-2f ポート 14`), when a switch reading placed it.
    pub port: String,
}

/// A device already triaged.
pub(crate) struct Triaged {
    pub id: i64,
    pub name: String,
    pub mac: String,
    pub label: &'static str,
}

/// A disposition button.
pub(crate) struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "console/triage.html")]
struct TriagePage {
    layout: Layout,
    total: u64,
    candidates: Vec<Candidate>,
    triaged: Vec<Triaged>,
    choices: Vec<Choice>,
    statuses: [&'static str; 5],
    page: u32,
    pages: u64,
    has_next: bool,
    /// The previous and next pages' addresses.
    prev_href: String,
    next_href: String,
    back: String,
}

fn joined(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn candidate(d: &DeviceSummary, layout: &Layout, ports: &HashMap<i64, DevicePort>) -> Candidate {
    Candidate {
        id: d.id,
        site: layout.site_label_of(d.site_id),
        ip: d.ip.clone().unwrap_or_default(),
        mac: d.mac.clone().unwrap_or_default(),
        randomized: d.mac_randomized,
        vendor: d.vendor.clone().unwrap_or_default(),
        hostname: d.hostname.clone().unwrap_or_default(),
        os: joined(&[d.os.name.as_deref(), d.os.version.as_deref()]),
        services: d.open_services.join("、"),
        flags: d
            .flags
            .iter()
            .filter(|f| *f != "unregistered")
            .map(|f| flag_label(f))
            .collect(),
        first_seen: display_time(&d.first_seen),
        last_seen: display_time(&d.last_seen),
        agent: d.last_agent.clone().unwrap_or_default(),
        port: ports.get(&d.id).map(DevicePort::label).unwrap_or_default(),
    }
}

fn page_of(raw: Option<&str>) -> u32 {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let page = page_of(raw.as_deref());
    let site = site_of(raw.as_deref());
    let layout = Layout::new(&st, &signed, Page::Triage, site.as_deref()).await?;
    let scope = layout.scope.clone();
    let (list, known, ports) = on_ledger(&st, move |l| {
        let list = l.list_devices(&DeviceFilter {
            flag: Some("unregistered".to_owned()),
            sort: Some("first_seen".to_owned()),
            desc: Some(true),
            limit: Some(PER_PAGE),
            offset: Some((page - 1) * PER_PAGE),
            scope: scope.clone(),
            ..DeviceFilter::default()
        })?;
        let known = l.list_devices(&DeviceFilter {
            disposition: Some("any".to_owned()),
            sort: Some("last_seen".to_owned()),
            desc: Some(true),
            limit: Some(50),
            scope,
            ..DeviceFilter::default()
        })?;
        let ids: Vec<i64> = list.devices.iter().map(|d| d.id).collect();
        let ports = l.device_ports(&ids)?;
        Ok((list, known, ports))
    })
    .await?;
    let triaged = known
        .devices
        .iter()
        .map(|d| Triaged {
            id: d.id,
            name: d
                .hostname
                .clone()
                .or_else(|| d.ip.clone())
                .unwrap_or_default(),
            mac: d.mac.clone().unwrap_or_default(),
            label: d
                .disposition
                .as_deref()
                .and_then(|s| s.parse::<Disposition>().ok())
                .map_or("", Disposition::label),
        })
        .collect();
    html(&TriagePage {
        total: list.total,
        candidates: list
            .devices
            .iter()
            .map(|d| candidate(d, &layout, &ports))
            .collect(),
        triaged,
        choices: Disposition::ALL
            .iter()
            .map(|d| Choice {
                value: d.as_str(),
                label: d.label(),
            })
            .collect(),
        statuses: STATUS_CHOICES,
        page,
        pages: list.total.div_ceil(u64::from(PER_PAGE)).max(1),
        has_next: u64::from(page) < list.total.div_ceil(u64::from(PER_PAGE)),
        prev_href: layout.href(&format!("/triage?page={}", page.saturating_sub(1))),
        next_href: layout.href(&format!("/triage?page={}", page + 1)),
        back: layout.href(&if page > 1 {
            format!("/triage?page={page}")
        } else {
            "/triage".to_owned()
        }),
        layout,
    })
}

/// The registration a card asks for: `None` when its 管理番号 is blank.
fn card_patch(form: &FormFields, id: i64) -> Option<LedgerFieldsPatch> {
    let field = |name: &str| {
        form.get(&format!("{name}_{id}"))
            .map(|v| Some(v.to_owned()).filter(|v| !v.is_empty()))
    };
    let asset_no = field("asset_no").flatten()?;
    Some(LedgerFieldsPatch {
        asset_no: Some(Some(asset_no)),
        maker: field("maker"),
        os: field("os"),
        computer_name: field("computer_name"),
        location: field("location"),
        user: field("user"),
        status: field("status"),
        ..LedgerFieldsPatch::default()
    })
}

/// `POST /triage/register`: registers every card whose 管理番号 is filled in.
async fn register(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/triage", form.get("site")));
    let cards: Vec<(i64, LedgerFieldsPatch)> = form
        .all("id")
        .filter_map(|v| v.parse::<i64>().ok())
        .filter_map(|id| card_patch(&form, id).map(|p| (id, p)))
        .collect();
    if cards.is_empty() {
        return Ok(refuse(&signed, &back, "登録する機器の管理番号を入れてください。").await);
    }
    let actor = signed.actor();
    // A device of a site the account may not see stops it with 403.
    let outcomes = on_ledger(&st, move |l| {
        let mut outcomes = Vec::with_capacity(cards.len());
        for (id, patch) in cards {
            match decisions::register_device(l, &actor, id, patch, l.now()) {
                Ok(_) => outcomes.push((id, Ok(()))),
                Err(e @ LedgerError::Forbidden(_)) => return Err(e),
                Err(e) => outcomes.push((id, Err(e.to_string()))),
            }
        }
        Ok(outcomes)
    })
    .await?;
    let registered = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
    let problems: Vec<String> = outcomes
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("機器 #{id}: {e}")))
        .collect();
    if registered > 0 {
        st.alerts_wake.notify_one();
    }
    if problems.is_empty() {
        flash(
            &signed.session,
            true,
            format!("{registered} 台を台帳に登録しました。"),
        )
        .await;
    } else {
        flash(
            &signed.session,
            false,
            format!(
                "{registered} 台を登録しました。登録できなかった機器があります：{}",
                problems.join(" ／ ")
            ),
        )
        .await;
    }
    Ok(see_other(&back))
}

/// `POST /triage/{id}/dismiss` (`as` = personal | visitor | removed, blank to undo).
async fn dismiss(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/triage", form.get("site")));
    let disposition = match form.get("as").unwrap_or_default() {
        "" => None,
        other => match other.parse::<Disposition>() {
            Ok(d) => Some(d),
            Err(e) => return Err(e.into()),
        },
    };
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| decisions::set_disposition(l, actor, id, disposition, l.now()),
        move |_| {
            disposition.map_or_else(
                || format!("機器 #{id} を未登録機器に戻しました。"),
                |d| format!("機器 #{id} を{}として記録しました。", d.label()),
            )
        },
    )
    .await)
}
