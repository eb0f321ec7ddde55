//! `/api/v1/allowlist/records`: the record of MAC allowlists applied on network devices, as the
//! `allowlist applied`, `records` and `withdraw` commands keep it.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use daicho_ledger::TokenInfo;

use crate::decisions;
use crate::evidence::AppliedAllowlist;
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::{SiteQuery, on_decision, on_ledger, operator_body, path_id, query_of};
use crate::site_access::report_site;

/// `GET /api/v1/allowlist/records` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecordsQuery {
    /// Include withdrawn and replaced records.
    #[serde(default)]
    all: bool,
    /// The site whose records they are.
    site: Option<String>,
}

/// `GET /api/v1/allowlist/records?all&site=`: the site's records, newest first.
pub(super) async fn list(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<RecordsQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let records = on_ledger(&st, move |ledger| {
        let site = report_site(ledger, &token.scope(), q.site.as_deref())?;
        ledger.restrictions(site.id, !q.all)
    })
    .await?;
    Ok(Json(records).into_response())
}

/// `POST /api/v1/allowlist/records?site=` with an [`AppliedAllowlist`]: 201 with the record.
pub(super) async fn record(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<SiteQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let mut applied: AppliedAllowlist = operator_body(body)?;
    let record = on_decision(&st, &token, move |ledger, actor| {
        applied.site = report_site(ledger, actor.scope(), q.site.as_deref())?.id;
        decisions::record_allowlist(ledger, actor, &applied, ledger.now())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// `DELETE /api/v1/allowlist/records/{id}`: withdraws a record.
pub(super) async fn withdraw(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    on_decision(&st, &token, move |ledger, actor| {
        decisions::withdraw_allowlist(ledger, actor, id, ledger.now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
