//! `/api/v1/devices…` and `/api/v1/events`: the ledger read and the operator decisions on one
//! device (ledger fields, role, merge, split).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use daicho_ledger::{DeviceFilter, EventFilter, LedgerFieldsPatch, TokenInfo};
use daicho_model::MacAddr;
use serde::Deserialize;

use crate::decisions;
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::{on_decision, on_ledger, operator_body, path_id, query_of};
use crate::site_access::{check_device, requested_scope};

pub(super) async fn list_devices(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<DeviceFilter>, QueryRejection>,
) -> Result<Response, Failure> {
    let mut filter = query_of(query)?;
    let page = on_ledger(&st, move |ledger| {
        filter.scope = requested_scope(ledger, &token.scope(), filter.site.as_deref())?;
        ledger.list_devices(&filter)
    })
    .await?;
    Ok(Json(page).into_response())
}

pub(super) async fn get_device(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let detail = on_ledger(&st, move |ledger| {
        check_device(ledger, &token.scope(), id)?;
        ledger.device(id)
    })
    .await?;
    Ok(Json(detail).into_response())
}

pub(super) async fn patch_device(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let patch: LedgerFieldsPatch = operator_body(body)?;
    let detail = on_decision(&st, &token, move |ledger, actor| {
        decisions::update_ledger(ledger, actor, id, &patch, ledger.now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok(Json(detail).into_response())
}

/// `POST /api/v1/devices/{id}/merge` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeRequest {
    /// The device to merge into `{id}`.
    from: i64,
}

pub(super) async fn merge_device(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: MergeRequest = operator_body(body)?;
    let outcome = on_decision(&st, &token, move |ledger, actor| {
        decisions::merge_devices(ledger, actor, id, req.from, ledger.now())
    })
    .await?;
    Ok(Json(outcome).into_response())
}

/// `POST /api/v1/devices/{id}/split` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitRequest {
    /// The MACs to move to a new device.
    macs: Vec<MacAddr>,
}

pub(super) async fn split_device(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: SplitRequest = operator_body(body)?;
    let outcome = on_decision(&st, &token, move |ledger, actor| {
        decisions::split_device(ledger, actor, id, &req.macs, ledger.now())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

pub(super) async fn list_events(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<EventFilter>, QueryRejection>,
) -> Result<Response, Failure> {
    let mut filter = query_of(query)?;
    let events = on_ledger(&st, move |ledger| {
        filter.scope = requested_scope(ledger, &token.scope(), filter.site.as_deref())?;
        ledger.events(&filter)
    })
    .await?;
    Ok(Json(events).into_response())
}

/// `PUT /api/v1/devices/{id}/role` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    /// A role id of the policy, or null to clear.
    role: Option<String>,
}

pub(super) async fn put_role(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: RoleRequest = operator_body(body)?;
    let detail = on_decision(&st, &token, move |ledger, actor| {
        decisions::set_role(ledger, actor, id, req.role.as_deref(), ledger.now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok(Json(detail).into_response())
}
