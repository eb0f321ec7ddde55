//! `/api/v1/allowlist/records`: the record of MAC allowlists applied on network devices, as the
//! `allowlist applied`, `records` and `withdraw` commands keep it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AppState, Failure, blocking, operator_body, path_id};
use crate::evidence::{AppliedAllowlist, record_applied_allowlist};

/// `GET /api/v1/allowlist/records` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecordsQuery {
    /// Include withdrawn and replaced records.
    #[serde(default)]
    all: bool,
}

/// `GET /api/v1/allowlist/records?all`: the records, newest first.
pub(super) async fn list(
    State(st): State<AppState>,
    query: Result<Query<RecordsQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let Query(q) = query.map_err(|r| Failure::new(StatusCode::BAD_REQUEST, r.body_text()))?;
    let ledger = st.ledger.clone();
    let records = blocking(move || ledger.restrictions(!q.all).map_err(Failure::from)).await?;
    Ok(Json(records).into_response())
}

/// `POST /api/v1/allowlist/records` with an [`AppliedAllowlist`]: 201 with the record.
pub(super) async fn record(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let applied: AppliedAllowlist = operator_body(body)?;
    let ledger = st.ledger.clone();
    let record = blocking(move || {
        record_applied_allowlist(&ledger, &applied, chrono::Utc::now()).map_err(Failure::from)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// `DELETE /api/v1/allowlist/records/{id}`: withdraws a record.
pub(super) async fn withdraw(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    let ledger = st.ledger.clone();
    blocking(move || {
        ledger
            .withdraw_restriction(id, chrono::Utc::now())
            .map_err(Failure::from)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
