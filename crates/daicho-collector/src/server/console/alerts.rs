//! `GET /alerts?all=1`: the アラート inbox — the open alerts newest first (closed ones too with
//! `all=1`), each with its device, flag, subject, when it was raised, who acknowledged it and
//! how each channel's delivery went. `POST /alerts/{id}/ack` acknowledges one and
//! `POST /alerts/ack` (repeated `id` checkboxes) several; an acknowledged alert is not
//! reminded again, its flag stays until it is fixed or excepted. The alerts are the
//! `?site=`'s, else those of every site the account sees.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use daicho_ledger::LedgerError;
use daicho_ledger::alerts::{AlertView, DeliveryView};

use super::exceptions::{DeviceLabel, device_labels};
use super::form::{FormFields, back_to};
use super::labels::{display_time, flag_label};
use super::render::{ConsoleError, Layout, Page, flash, html, see_other};
use super::session::{Decider, Signed};
use super::sites::{site_of, with_site};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::{on_ledger, path_id};

/// How many alerts the inbox lists.
const INBOX_SIZE: usize = 300;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(page))
        .route("/alerts/ack", post(ack_many))
        .route("/alerts/{id}/ack", post(ack_one))
}

/// One channel's delivery, as shown.
pub(super) struct DeliveryRow {
    pub channel: String,
    pub reminder: bool,
    pub attempts: u32,
    pub delivered: bool,
    /// 送信済み 14:05, 再送予定 …, or 送信できませんでした.
    pub outcome: String,
    pub error: String,
}

/// One alert line.
pub(super) struct AlertRow {
    pub id: i64,
    pub device_id: i64,
    pub device: DeviceLabel,
    pub flag_label: String,
    pub flag_class: String,
    pub subject: String,
    pub raised_at: String,
    pub acknowledged: Option<(String, String)>,
    pub closed_at: String,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "console/alerts.html")]
struct AlertsPage {
    layout: Layout,
    all: bool,
    rows: Vec<AlertRow>,
    unacknowledged: Vec<i64>,
}

fn delivery_row(d: DeliveryView) -> DeliveryRow {
    let outcome = match (&d.delivered_at, &d.next_attempt_at) {
        (Some(at), _) => format!("送信済み {}", display_time(at)),
        (None, Some(next)) if d.attempts == 0 => format!("送信待ち {}", display_time(next)),
        (None, Some(next)) => format!("再送予定 {}", display_time(next)),
        (None, None) => "送信できませんでした".to_owned(),
    };
    DeliveryRow {
        delivered: d.delivered_at.is_some(),
        channel: d.channel,
        reminder: d.reminder,
        attempts: d.attempts,
        outcome,
        error: d.last_error.unwrap_or_default(),
    }
}

fn alert_row(a: AlertView, device: DeviceLabel) -> AlertRow {
    AlertRow {
        id: a.id,
        device_id: a.device_id,
        device,
        flag_label: flag_label(&a.flag),
        subject: a
            .subject
            .strip_prefix("[daicho] ")
            .unwrap_or(&a.subject)
            .to_owned(),
        flag_class: a.flag,
        raised_at: display_time(&a.raised_at),
        acknowledged: a
            .acknowledged_at
            .map(|at| (a.acknowledged_by.unwrap_or_default(), display_time(&at))),
        closed_at: a.closed_at.as_deref().map(display_time).unwrap_or_default(),
        deliveries: a.deliveries.into_iter().map(delivery_row).collect(),
    }
}

/// `GET /alerts?all=1`.
pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.as_deref().unwrap_or_default().as_bytes());
    let all = query.get("all").is_some_and(|v| v == "1");
    let site = site_of(raw.as_deref());
    let layout = Layout::new(&st, &signed, Page::Alerts, site.as_deref()).await?;
    let scope = layout.scope.clone();
    let (alerts, labels) = on_ledger(&st, move |l| {
        Ok((
            l.alerts(&scope, !all, INBOX_SIZE)?,
            device_labels(l, &scope)?,
        ))
    })
    .await?;
    let unacknowledged = alerts
        .iter()
        .filter(|a| a.acknowledged_at.is_none())
        .map(|a| a.id)
        .collect();
    let rows = alerts
        .into_iter()
        .map(|a| {
            let device = labels.get(&a.device_id).cloned().unwrap_or_default();
            alert_row(a, device)
        })
        .collect();
    html(&AlertsPage {
        layout,
        all,
        rows,
        unacknowledged,
    })
}

/// Acknowledges each of `ids` as `signed`; how many were, and the first refusal. An alert of a
/// site the account may not see stops it with 403.
async fn acknowledge(
    st: &AppState,
    signed: &Signed,
    ids: Vec<i64>,
) -> Result<(usize, Option<String>), ConsoleError> {
    let actor = signed.actor();
    let result = on_ledger(st, move |l| {
        let now = l.now();
        let mut done = 0;
        let mut refused = None;
        for id in ids {
            match decisions::acknowledge_alert(l, &actor, actor.as_str(), id, now) {
                Ok(()) => done += 1,
                Err(e @ LedgerError::Forbidden(_)) => return Err(e),
                Err(e) => {
                    refused.get_or_insert_with(|| format!("アラート #{id}: {e}"));
                }
            }
        }
        Ok((done, refused))
    })
    .await;
    match result {
        Ok(outcome) => Ok(outcome),
        Err(f) if f.status() == StatusCode::FORBIDDEN => Err(f.into()),
        Err(f) => Ok((0, Some(f.message().to_owned()))),
    }
}

/// Leaves one message saying how many were acknowledged and what was refused.
async fn report(signed: &Signed, done: usize, refused: Option<String>) {
    let (ok, text) = match (done, refused) {
        (0, None) => (false, "確認済みにするアラートを選んでください。".to_owned()),
        (0, Some(problem)) => (false, problem),
        (n, None) => (true, format!("{n} 件のアラートを確認済みにしました。")),
        (n, Some(problem)) => (
            false,
            format!("{n} 件のアラートを確認済みにしました。できなかったもの：{problem}"),
        ),
    };
    flash(&signed.session, ok, text).await;
}

/// `POST /alerts/{id}/ack` (optional `back`).
pub(super) async fn ack_one(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/alerts", form.get("site")));
    let (done, refused) = acknowledge(&st, &signed, vec![id]).await?;
    report(&signed, done, refused).await;
    Ok(see_other(&back))
}

/// `POST /alerts/ack` (`id` repeated, optional `back`).
pub(super) async fn ack_many(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/alerts", form.get("site")));
    let ids: Result<Vec<i64>, _> = form.all("id").map(str::parse).collect();
    let Ok(ids) = ids else {
        flash(&signed.session, false, "アラートの番号が正しくありません。").await;
        return Ok(see_other(&back));
    };
    let (done, refused) = acknowledge(&st, &signed, ids).await?;
    report(&signed, done, refused).await;
    Ok(see_other(&back))
}
