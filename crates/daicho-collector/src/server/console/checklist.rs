//! `GET /checklist`: the checklist evidence on screen — 2-①, 2-②, 2-⑥, 2-⑫ and 2-⑬ each with
//! はい/いいえ, the rule applied, the findings, what to do and the evidence tables — printable
//! on A4 one item a page; and `GET /checklist/download?format=html|xlsx`, the same report as
//! the self-contained file the CLI and the API write. Both are one site's
//! ([`crate::site_access::report_site`]: the `?site=`, else the account's only site) and carry
//! its name: an added site's label, the implicit site's the 医療機関名 set in the console
//! (管理 → 医療機関名). With several sites and none chosen, `GET /checklist` is the group
//! summary: one printable table, a row per site the account sees with each item's answer and
//! the devices counted, each linking to that site's checklist.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use daicho_ledger::SiteScope;
use daicho_ledger_io::checklist::{ChecklistReport, Evidence, ItemResult};

use super::form::FormFields;
use super::render::{ConsoleError, Layout, Page, html};
use super::session::Signed;
use super::sites::{SiteParam, must_choose, with_site};
use crate::evidence::{group_summary, site_checklist};
use crate::server::AppState;
use crate::server::download::checklist_file;
use crate::server::extract::on_ledger;
use crate::site_access::report_site;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/checklist", get(page))
        .route("/checklist/download", get(download))
}

/// One item as the page shows it.
struct ItemView {
    number: &'static str,
    title: &'static str,
    yes: bool,
    label: &'static str,
    checked_on: String,
    rule: String,
    findings: Vec<String>,
    actions: Vec<String>,
    evidence: Vec<Evidence>,
}

impl From<ItemResult> for ItemView {
    fn from(r: ItemResult) -> Self {
        Self {
            number: r.item.number(),
            title: r.item.title(),
            yes: r.answer.is_done(),
            label: r.answer.label(),
            checked_on: r.checked_on.format("%Y年%m月%d日").to_string(),
            rule: r.rule,
            findings: r.findings,
            actions: r.actions,
            evidence: r.evidence,
        }
    }
}

#[derive(Template)]
#[template(path = "console/checklist.html")]
struct ChecklistPage {
    layout: Layout,
    /// The name printed on it (the site's, see [`facility_for`]).
    facility: String,
    is_admin: bool,
    checked_at: String,
    device_count: usize,
    registered_count: usize,
    items: Vec<ItemView>,
}

/// One answer in the group summary.
struct SummaryAnswer {
    yes: bool,
    label: &'static str,
}

/// One site's row of the group summary.
struct SummaryRow {
    label: String,
    /// Its checklist.
    href: String,
    answers: Vec<SummaryAnswer>,
    device_count: usize,
    registered_count: usize,
}

#[derive(Template)]
#[template(path = "console/checklist_summary.html")]
struct SummaryPage {
    layout: Layout,
    checked_at: String,
    /// The items' numbers and titles, the columns.
    items: Vec<(&'static str, &'static str)>,
    rows: Vec<SummaryRow>,
}

/// The report of the one site the request is for.
async fn report(
    st: &AppState,
    scope: &SiteScope,
    site: Option<String>,
) -> Result<ChecklistReport, ConsoleError> {
    let scope = scope.clone();
    Ok(on_ledger(st, move |l| {
        site_checklist(l, &report_site(l, &scope, site.as_deref())?)
    })
    .await?)
}

/// `GET /checklist`: one site's evidence, or the group summary.
async fn page(
    State(st): State<AppState>,
    signed: Signed,
    SiteParam(site): SiteParam,
) -> Result<Response, ConsoleError> {
    let layout = Layout::new(&st, &signed, Page::Checklist, site.as_deref()).await?;
    if must_choose(&layout) {
        return summary(&st, layout).await;
    }
    let report = report(&st, &signed.scope, site).await?;
    html(&ChecklistPage {
        layout,
        facility: report.facility.clone(),
        is_admin: signed.role.can_administer(),
        checked_at: report.checked_at.format("%Y年%m月%d日 %H:%M").to_string(),
        device_count: report.device_count,
        registered_count: report.registered_count,
        items: report.items.into_iter().map(ItemView::from).collect(),
    })
}

/// The group summary: every visible site's report, one row each.
async fn summary(st: &AppState, layout: Layout) -> Result<Response, ConsoleError> {
    let sites = layout.visible.clone();
    let reports = on_ledger(st, move |l| group_summary(l, sites)).await?;
    let items = reports
        .first()
        .map(|(_, r)| {
            r.items
                .iter()
                .map(|i| (i.item.number(), i.item.title()))
                .collect()
        })
        .unwrap_or_default();
    let checked_at = reports
        .first()
        .map(|(_, r)| r.checked_at.format("%Y年%m月%d日 %H:%M").to_string())
        .unwrap_or_default();
    let rows = reports
        .into_iter()
        .map(|(site, report)| SummaryRow {
            label: site.display_name().to_owned(),
            href: with_site("/checklist", Some(&site.name)),
            answers: report
                .items
                .iter()
                .map(|i| SummaryAnswer {
                    yes: i.answer.is_done(),
                    label: i.answer.label(),
                })
                .collect(),
            device_count: report.device_count,
            registered_count: report.registered_count,
        })
        .collect();
    html(&SummaryPage {
        layout,
        checked_at,
        items,
        rows,
    })
}

/// `GET /checklist/download?format=html|xlsx&site=NAME` (HTML by default).
async fn download(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let xlsx = query.choice("format", "形式", &[("html", false), ("xlsx", true)])?;
    let site = query.get("site").map(str::to_owned);
    let report = report(&st, &signed.scope, site).await?;
    checklist_file(&report, xlsx).map_err(|e| {
        tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "checklist workbook failed");
        ConsoleError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Excel ファイルを作れませんでした。",
        )
    })
}
