//! `GET /api/v1/ledger/export` and `GET /api/v1/reports/checklist`: the files of the
//! `ledger export` and `report checklist` commands, for the operator's browser.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use daicho_ledger::TokenInfo;
use serde::Deserialize;

use crate::evidence::{RestrictionStatement, checklist_report, export_ledger, facility_for};
use crate::server::AppState;
use crate::server::download::{checklist_file, ledger_file, ledger_format, with_notice};
use crate::server::error::Failure;
use crate::server::extract::blocking;
use crate::site_access::report_site;

/// `GET /api/v1/ledger/export` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
    /// CSV encoding: `utf8` (default, with BOM) or `cp932`.
    encoding: Option<String>,
    /// Only registered devices.
    #[serde(default)]
    registered_only: bool,
    /// 医療機関名.
    #[serde(default)]
    facility: String,
    /// The site whose ledger it is.
    site: Option<String>,
}

/// `GET /api/v1/reports/checklist` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChecklistQuery {
    /// `html` (default) or `xlsx`.
    format: Option<String>,
    /// 医療機関名.
    #[serde(default)]
    facility: String,
    /// The operator states a MAC restriction is applied (2-⑬).
    #[serde(default)]
    restriction_applied: bool,
    /// Where and how.
    #[serde(default)]
    restriction_note: String,
    /// The site whose checklist it is.
    site: Option<String>,
}

fn bad_query(r: &QueryRejection) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, r.body_text())
}

pub(super) async fn ledger_export(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let Query(q) = query.map_err(|r| bad_query(&r))?;
    let csv = ledger_format(q.format.as_deref(), q.encoding.as_deref())?;
    let ledger = st.ledger.clone();
    let (bytes, _, notice) = blocking(move || {
        let site = report_site(&ledger, &token.scope(), q.site.as_deref())?.id;
        let facility = facility_for(&ledger, site, &q.facility).map_err(Failure::from)?;
        export_ledger(&ledger, site, csv, q.registered_only, &facility).map_err(Failure::from)
    })
    .await?;
    Ok(with_notice(ledger_file(bytes, csv), notice.as_ref()))
}

pub(super) async fn checklist(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<ChecklistQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let Query(q) = query.map_err(|r| bad_query(&r))?;
    let xlsx = match q.format.as_deref().unwrap_or("html") {
        "html" => false,
        "xlsx" => true,
        other => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                format!("unsupported format `{other}`: use html or xlsx"),
            ));
        }
    };
    let ledger = st.ledger.clone();
    let report = blocking(move || {
        let site = report_site(&ledger, &token.scope(), q.site.as_deref())?.id;
        checklist_report(
            &ledger,
            site,
            &facility_for(&ledger, site, &q.facility)?,
            &RestrictionStatement {
                applied: q.restriction_applied,
                note: q.restriction_note,
            },
        )
        .map_err(Failure::from)
    })
    .await?;
    checklist_file(&report, xlsx).map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e))
}
