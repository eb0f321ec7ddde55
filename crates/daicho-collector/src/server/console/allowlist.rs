//! `GET /allowlist`: 接続元制限 (checklist 2-⑬) — the registered devices' MAC allowlist as a
//! file for each kind of network device (`GET /allowlist/download`), the record of where a list
//! was applied (`POST /allowlist/applied`, `POST /allowlist/records/{id}/withdraw`), and the
//! registered devices that no applied list admits yet. All of it is one site's
//! ([`crate::site_access::report_site`]: the `site` of the page or form, else the account's only
//! site); with several to choose from and none chosen, the page asks for the site.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use daicho_ledger::restrictions::RestrictionRecord;
use daicho_ledger::{Site, SiteScope};
use daicho_ledger_io::allowlist::AllowlistEntry;

use super::form::FormFields;
use super::labels::display_time;
use super::render::{ConsoleError, Layout, Page, flash, html, see_other};
use super::session::{Decider, Signed};
use super::sites::{choose_site, must_choose, site_of, with_site};
use crate::decisions;
use crate::evidence::{
    AppliedAllowlist, registered_allowlist, registered_not_applied, render_allowlist,
};
use crate::server::AppState;
use crate::server::download::attachment;
use crate::server::extract::{on_ledger, path_id};
use crate::site_access::report_site;

mod download;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/allowlist", get(page))
        .route("/allowlist/download", get(download_file))
        .route("/allowlist/applied", post(record_applied))
        .route("/allowlist/records/{id}/withdraw", post(withdraw))
}

/// A registered device on the list, as the page shows it.
struct DeviceRow {
    mac: String,
    asset_no: String,
    computer_name: String,
    ip: String,
    location: String,
}

impl From<AllowlistEntry> for DeviceRow {
    fn from(e: AllowlistEntry) -> Self {
        Self {
            mac: e.mac.to_string(),
            asset_no: e.asset_no,
            computer_name: e.computer_name,
            ip: e.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            location: e.location,
        }
    }
}

/// A registered device the allowlist leaves out, and why.
struct LeftOut {
    asset_no: String,
    reason: String,
}

/// An applied-allowlist record.
struct RecordRow {
    id: i64,
    place: String,
    applied_by: String,
    applied_on: String,
    note: String,
    macs: usize,
    recorded_at: String,
    withdrawn_at: Option<String>,
}

impl From<RestrictionRecord> for RecordRow {
    fn from(r: RestrictionRecord) -> Self {
        Self {
            id: r.id,
            place: r.place,
            applied_by: r.applied_by,
            applied_on: r.applied_on.replace('-', "/"),
            note: r.note,
            macs: r.macs.len(),
            recorded_at: display_time(&r.recorded_at),
            withdrawn_at: r.withdrawn_at.as_deref().map(display_time),
        }
    }
}

#[derive(Template)]
#[template(path = "console/allowlist.html")]
struct AllowlistPage {
    layout: Layout,
    allowed: usize,
    not_applied: Vec<DeviceRow>,
    left_out: Vec<LeftOut>,
    records: Vec<RecordRow>,
    show_all: bool,
    formats: [(&'static str, &'static str); 7],
    radius_formats: [(&'static str, &'static str); 4],
    today: String,
}

/// `GET /allowlist?all=1`.
async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.as_deref().unwrap_or_default().as_bytes());
    let show_all = query.get("all").is_some_and(|v| !v.is_empty() && v != "0");
    let site = site_of(raw.as_deref());
    let layout = Layout::new(&st, &signed, Page::Allowlist, site.as_deref()).await?;
    if must_choose(&layout) {
        return choose_site(layout, "接続元制限");
    }
    let caller = signed.scope.clone();
    let (list, not_applied, records) = on_ledger(&st, move |l| {
        let site = report_site(l, &caller, site.as_deref())?.id;
        Ok((
            registered_allowlist(l, site, &[])?,
            registered_not_applied(l, site)?,
            l.restrictions(site, !show_all)?,
        ))
    })
    .await?;
    html(&AllowlistPage {
        layout,
        allowed: list.len(),
        not_applied: not_applied.into_iter().map(DeviceRow::from).collect(),
        left_out: list
            .skipped
            .into_iter()
            .map(|s| LeftOut {
                asset_no: s.asset_no,
                reason: s.reason,
            })
            .collect(),
        records: records.into_iter().map(RecordRow::from).collect(),
        show_all,
        formats: download::FORMATS,
        radius_formats: download::RADIUS_FORMATS,
        today: daicho_ledger_io::export::now_jst()
            .format("%Y-%m-%d")
            .to_string(),
    })
}

/// `GET /allowlist/download?format=…&subnets=…&<the format's options>`: the file; a form
/// mistake or a list that cannot be written goes back to the page with the reason.
async fn download_file(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let back = with_site("/allowlist", form.get("site"));
    let request = match download::read(&form) {
        Ok(request) => request,
        Err(message) => {
            flash(&signed.session, false, message).await;
            return Ok(see_other(&back));
        }
    };
    let subnets = request.subnets.clone();
    let site = site_of_form(&st, &signed.scope, &form).await?;
    let list = on_ledger(&st, move |l| registered_allowlist(l, site.id, &subnets)).await?;
    match render_allowlist(&list, &request.output) {
        Ok(bytes) => Ok(attachment(
            bytes,
            request.output.content_type(),
            request.output.file_name(),
        )),
        Err(e) => {
            flash(
                &signed.session,
                false,
                format!("ファイルを作れませんでした: {e}"),
            )
            .await;
            Ok(see_other(&back))
        }
    }
}

/// The one site a form or download is for (its `site` field, else the account's only site).
async fn site_of_form(
    st: &AppState,
    scope: &SiteScope,
    form: &FormFields,
) -> Result<Site, ConsoleError> {
    let (scope, name) = (scope.clone(), form.get("site").map(str::to_owned));
    Ok(on_ledger(st, move |l| report_site(l, &scope, name.as_deref())).await?)
}

/// The applied-allowlist form read into what is recorded, for the network device of `site`.
fn applied_from(form: &FormFields, site: &Site) -> Result<AppliedAllowlist, String> {
    let required = |name: &str, what: &str| match form.get(name) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(format!("{what}を入れてください。")),
    };
    let applied_on = match form.get("applied_on") {
        None | Some("") => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| format!("適用日「{d}」は 2026-05-01 の形で入れてください。"))?,
        ),
    };
    Ok(AppliedAllowlist {
        site: site.id,
        place: required("place", "適用した場所")?,
        applied_by: required("applied_by", "適用した人")?,
        applied_on,
        note: form.get("note").unwrap_or_default().to_owned(),
        subnets: download::subnets(form.get("subnets"))?,
    })
}

/// `POST /allowlist/applied` (`place`, `applied_by`, `applied_on`, `note`, `subnets`): records
/// that the list as downloadable now was applied there.
async fn record_applied(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let back = with_site("/allowlist", form.get("site"));
    let site = site_of_form(&st, &signed.scope, &form).await?;
    let applied = match applied_from(&form, &site) {
        Ok(applied) => applied,
        Err(message) => {
            flash(&signed.session, false, message).await;
            return Ok(see_other(&back));
        }
    };
    let actor = signed.actor();
    let result = on_ledger(&st, move |l| {
        decisions::record_allowlist(l, &actor, &applied, l.now())
    })
    .await;
    match result {
        Ok(record) => {
            flash(
                &signed.session,
                true,
                format!(
                    "{} に許可リスト（{} 台）を適用したと記録しました。",
                    record.place,
                    record.macs.len()
                ),
            )
            .await;
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => return Err(f.into()),
        Err(f) => flash(&signed.session, false, f.message().to_owned()).await,
    }
    Ok(see_other(&back))
}

/// `POST /allowlist/records/{id}/withdraw` (`site`): the restriction was removed from that
/// device.
async fn withdraw(
    State(st): State<AppState>,
    Decider(signed): Decider,
    path: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    let back = with_site("/allowlist", FormFields::parse(&body).get("site"));
    let actor = signed.actor();
    let result = on_ledger(&st, move |l| {
        decisions::withdraw_allowlist(l, &actor, id, l.now())
    })
    .await;
    match result {
        Ok(()) => {
            flash(
                &signed.session,
                true,
                format!("適用記録 #{id} を取り下げました。"),
            )
            .await;
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => return Err(f.into()),
        Err(f) => flash(&signed.session, false, f.message().to_owned()).await,
    }
    Ok(see_other(&back))
}
