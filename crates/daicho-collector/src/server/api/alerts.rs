//! `/api/v1/alerts`: alerts with their deliveries, and acknowledging one.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use daicho_ledger::TokenInfo;
use serde::Deserialize;

use crate::decisions;
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::{on_decision, on_ledger, path_id, query_of};
use crate::site_access::requested_scope;

/// `GET /api/v1/alerts` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertQuery {
    /// Only alerts not closed (default true).
    open: Option<bool>,
    /// At most this many (default 100, at most 1000).
    limit: Option<usize>,
    /// Only alerts of this site's devices.
    site: Option<String>,
}

pub(super) async fn list_alerts(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<AlertQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let alerts = on_ledger(&st, move |ledger| {
        let scope = requested_scope(ledger, &token.scope(), q.site.as_deref())?;
        ledger.alerts(&scope, q.open.unwrap_or(true), limit)
    })
    .await?;
    Ok(Json(alerts).into_response())
}

pub(super) async fn ack_alert(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    let by = token.name.clone();
    on_decision(&st, &token, move |ledger, actor| {
        decisions::acknowledge_alert(ledger, actor, &by, id, ledger.now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
