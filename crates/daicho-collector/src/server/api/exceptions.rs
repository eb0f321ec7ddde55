//! `/api/v1/exceptions`: the exception register (vendor-agreed services, 2-⑫).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use daicho_ledger::TokenInfo;
use daicho_ledger::exceptions::NewException;
use serde::Deserialize;

use crate::decisions;
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::{on_decision, on_ledger, operator_body, path_id, query_of};
use crate::site_access::requested_scope;

/// `GET /api/v1/exceptions` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExceptionQuery {
    /// Only this device's exceptions.
    device: Option<i64>,
    /// Only exceptions of this site's devices.
    site: Option<String>,
}

pub(super) async fn list_exceptions(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<ExceptionQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let list = on_ledger(&st, move |ledger| {
        let scope = requested_scope(ledger, &token.scope(), q.site.as_deref())?;
        ledger.exceptions(&scope, q.device)
    })
    .await?;
    Ok(Json(list).into_response())
}

pub(super) async fn post_exception(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let new: NewException = operator_body(body)?;
    let id = on_decision(&st, &token, move |ledger, actor| {
        decisions::add_exception(ledger, actor, &new, ledger.now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

pub(super) async fn delete_exception(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    on_decision(&st, &token, move |ledger, actor| {
        decisions::revoke_exception(ledger, actor, id, ledger.now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok(StatusCode::NO_CONTENT)
}
