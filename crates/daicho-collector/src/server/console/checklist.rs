//! `GET /checklist`: the checklist evidence on screen — 2-①, 2-⑥, 2-⑫ and 2-⑬ each with
//! はい/いいえ, the rule applied, the findings, what to do and the evidence tables — printable
//! on A4 one item a page; and `GET /checklist/download?format=html|xlsx`, the same report as
//! the self-contained file the CLI and the API write. Both carry the facility name set in the
//! console (管理 → 医療機関名).

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use daicho_ledger_io::checklist::{Answer, ChecklistReport, Evidence, ItemResult};

use super::form::FormFields;
use super::render::{ConsoleError, Layout, Page, facility_name, html};
use super::session::Signed;
use crate::evidence::{RestrictionStatement, checklist_report};
use crate::server::AppState;
use crate::server::download::checklist_file;
use crate::server::extract::on_ledger;

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
            yes: r.answer == Answer::Yes,
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
    is_admin: bool,
    checked_at: String,
    device_count: usize,
    registered_count: usize,
    items: Vec<ItemView>,
}

/// The report as the ledger says now, with the console's facility name.
async fn report(st: &AppState) -> Result<ChecklistReport, ConsoleError> {
    let facility = facility_name(st).await?;
    Ok(on_ledger(st, move |l| {
        checklist_report(l, &facility, &RestrictionStatement::default())
    })
    .await?)
}

/// `GET /checklist`.
async fn page(State(st): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    let layout = Layout::new(&st, &signed, Page::Checklist).await?;
    let report = report(&st).await?;
    html(&ChecklistPage {
        layout,
        is_admin: signed.role.can_administer(),
        checked_at: report.checked_at.format("%Y年%m月%d日 %H:%M").to_string(),
        device_count: report.device_count,
        registered_count: report.registered_count,
        items: report.items.into_iter().map(ItemView::from).collect(),
    })
}

/// `GET /checklist/download?format=html|xlsx` (HTML by default).
async fn download(
    State(st): State<AppState>,
    _signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let xlsx = match query.get("format").unwrap_or("html") {
        "" | "html" => false,
        "xlsx" => true,
        other => {
            return Err(ConsoleError::new(
                StatusCode::BAD_REQUEST,
                format!("形式「{other}」は選べません（html または xlsx）。"),
            ));
        }
    };
    let report = report(&st).await?;
    checklist_file(&report, xlsx).map_err(|e| {
        tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "checklist workbook failed");
        ConsoleError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Excel ファイルを作れませんでした。",
        )
    })
}
