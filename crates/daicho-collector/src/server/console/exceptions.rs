//! `GET /exceptions`: the 例外台帳 — every service a vendor agreed to keep open on a device,
//! with its reason, approver and expiry (有効, 期限切れ, 取消済み), and a form to record one;
//! `POST /exceptions` records one and `POST /exceptions/{id}/revoke` revokes one. The device page
//! posts to the same two routes with a `back` field, so the browser returns there. The register
//! is the `?site=`'s, else that of every site the account sees.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use daicho_ledger::exceptions::{ExceptionRecord, NewException};
use daicho_ledger::{DeviceFilter, Ledger, LedgerError, SiteId, SiteScope};

use super::decide::{Flags, decide, refuse};
use super::form::{FormFields, back_to};
use super::labels::display_time;
use super::render::{ConsoleError, Layout, Page, html};
use super::session::{Decider, Signed};
use super::sites::{SiteParam, with_site};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::{on_ledger, path_id};

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/exceptions", get(page).post(add))
        .route("/exceptions/{id}/revoke", post(revoke))
}

/// How a person recognises a device in a list: its IP address and name.
#[derive(Debug, Clone, Default)]
pub(super) struct DeviceLabel {
    /// Current IP address (empty when none).
    pub ip: String,
    /// Ledger コンピュータ名, else the host name (empty when none).
    pub name: String,
    /// Its site (shown when the account sees several).
    pub site: SiteId,
}

/// The labels of the devices of the sites of `scope`, by id (devices merged away have none).
pub(super) fn device_labels(
    ledger: &Ledger,
    scope: &SiteScope,
) -> Result<HashMap<i64, DeviceLabel>, LedgerError> {
    const PAGE: u32 = 1000;
    let mut labels = HashMap::new();
    let mut offset = 0;
    loop {
        let page = ledger.list_devices(&DeviceFilter {
            limit: Some(PAGE),
            offset: Some(offset),
            scope: scope.clone(),
            ..DeviceFilter::default()
        })?;
        let got = page.devices.len();
        for d in page.devices {
            labels.insert(
                d.id,
                DeviceLabel {
                    ip: d.ip.unwrap_or_default(),
                    name: d.ledger.computer_name.or(d.hostname).unwrap_or_default(),
                    site: d.site_id,
                },
            );
        }
        if got < PAGE as usize {
            return Ok(labels);
        }
        offset += PAGE;
    }
}

/// Where an exception stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExceptionState {
    /// In force.
    Valid,
    /// Its last valid day has passed.
    Expired,
    /// Revoked by an operator.
    Revoked,
}

impl ExceptionState {
    /// The state of `e` on `today`.
    pub(super) fn of(e: &ExceptionRecord, today: NaiveDate) -> Self {
        if e.revoked_at.is_some() {
            Self::Revoked
        } else if NaiveDate::parse_from_str(&e.expires, "%Y-%m-%d").is_ok_and(|d| d < today) {
            Self::Expired
        } else {
            Self::Valid
        }
    }

    /// The Japanese word shown.
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Valid => "有効",
            Self::Expired => "期限切れ",
            Self::Revoked => "取消済み",
        }
    }

    /// The style class of the word.
    pub(super) fn class(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// One register line.
pub(super) struct RegisterRow {
    pub id: i64,
    pub device_id: i64,
    pub device: DeviceLabel,
    pub service: String,
    pub reason: String,
    pub approver: String,
    pub expires: String,
    pub recorded: String,
    pub state: ExceptionState,
}

#[derive(Template)]
#[template(path = "console/exceptions.html")]
struct ExceptionsPage {
    layout: Layout,
    rows: Vec<RegisterRow>,
    valid: usize,
    default_expiry: String,
}

/// Today in Japan.
fn today_jst() -> NaiveDate {
    daicho_ledger_io::export::now_jst().date_naive()
}

/// `GET /exceptions`: the register, newest first.
pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    SiteParam(site): SiteParam,
) -> Result<Response, ConsoleError> {
    let layout = Layout::new(&st, &signed, Page::Exceptions, site.as_deref()).await?;
    let scope = layout.scope.clone();
    let (records, labels) = on_ledger(&st, move |l| {
        Ok((l.exceptions(&scope, None)?, device_labels(l, &scope)?))
    })
    .await?;
    let today = today_jst();
    let rows: Vec<RegisterRow> = records
        .into_iter()
        .map(|e| RegisterRow {
            id: e.id,
            device_id: e.device_id,
            device: labels.get(&e.device_id).cloned().unwrap_or_default(),
            state: ExceptionState::of(&e, today),
            recorded: display_time(&e.created_at),
            service: e.service,
            reason: e.reason,
            approver: e.approver,
            expires: e.expires,
        })
        .collect();
    html(&ExceptionsPage {
        layout,
        valid: rows
            .iter()
            .filter(|r| r.state == ExceptionState::Valid)
            .count(),
        rows,
        default_expiry: (today + chrono::Days::new(365))
            .format("%Y-%m-%d")
            .to_string(),
    })
}

/// The new exception the form describes, or what to fix.
fn new_exception(form: &FormFields) -> Result<NewException, &'static str> {
    let device_id = form
        .get("device_id")
        .and_then(|v| v.trim_start_matches('#').parse::<i64>().ok())
        .ok_or("機器番号（#の後の数字）を入れてください。")?;
    let field = |name: &str| form.get(name).unwrap_or_default().to_owned();
    Ok(NewException {
        device_id,
        service: field("service"),
        reason: field("reason"),
        approver: field("approver"),
        expires: field("expires"),
    })
}

/// `POST /exceptions`: record an exception (fields `device_id`, `service`, `reason`,
/// `approver`, `expires`, optional `back`).
pub(super) async fn add(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/exceptions", form.get("site")));
    let new = match new_exception(&form) {
        Ok(new) => new,
        Err(problem) => return Ok(refuse(&signed, &back, problem).await),
    };
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| {
            let id = decisions::add_exception(l, actor, &new, l.now())?;
            Ok((id, new))
        },
        |(id, new)| {
            format!(
                "例外 #{id}（機器 #{} の {}、{} まで）を記録しました。",
                new.device_id, new.service, new.expires
            )
        },
    )
    .await)
}

/// `POST /exceptions/{id}/revoke` (optional `back`): the flag it silenced returns.
pub(super) async fn revoke(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let form = FormFields::parse(&body);
    let back = back_to(&form, &with_site("/exceptions", form.get("site")));
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Change,
        move |l, actor| decisions::revoke_exception(l, actor, id, l.now()),
        |()| format!("例外 #{id} を取り消しました。"),
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires: &str, revoked: bool) -> ExceptionRecord {
        ExceptionRecord {
            id: 1,
            device_id: 2,
            service: "telnet".into(),
            reason: "保守".into(),
            approver: "山田".into(),
            expires: expires.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            revoked_at: revoked.then(|| "2026-02-01T00:00:00Z".into()),
        }
    }

    #[test]
    fn the_state_follows_the_last_valid_day_and_revocation() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let state = |e: &str, r| ExceptionState::of(&record(e, r), today);
        assert_eq!(state("2026-05-01", false), ExceptionState::Valid);
        assert_eq!(state("2026-04-30", false), ExceptionState::Expired);
        assert_eq!(state("2026-04-30", true), ExceptionState::Revoked);
        assert_eq!(ExceptionState::Expired.label(), "期限切れ");
    }

    #[test]
    fn the_form_needs_a_device_number() {
        let f = FormFields::parse(
            b"device_id=%2312&service=telnet&reason=r&approver=a&expires=2030-01-01",
        );
        assert_eq!(new_exception(&f).unwrap().device_id, 12);
        assert!(new_exception(&FormFields::parse(b"device_id=abc")).is_err());
    }
}
