//! `/api/v1/remote-maintenance` and `/api/v1/devices/{id}/remote-maintenance`: the register of
//! checklist 2-② (the devices to confirm with a vendor, and recording a vendor's answer).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use daicho_ledger::TokenInfo;
use daicho_model::remote_maintenance::RemoteMaintenance;
use serde::Deserialize;

use crate::decisions;
use crate::remote_register::{RegisterView, remote_register};
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::{on_decision, on_ledger, operator_body, path_id, query_of};
use crate::site_access::report_site;

/// `GET /api/v1/remote-maintenance` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterQuery {
    /// The site (required once the caller sees several).
    site: Option<String>,
}

/// `GET /api/v1/remote-maintenance?site=`: the devices to confirm, with their entries.
pub(super) async fn list(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<RegisterQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let list = on_ledger(&st, move |ledger| {
        let site = report_site(ledger, &token.scope(), q.site.as_deref())?;
        Ok(remote_register(ledger, &site)?
            .iter()
            .map(RegisterView::from)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(list).into_response())
}

/// `PUT /api/v1/devices/{id}/remote-maintenance` with the entry (`vendor`, `remote`
/// yes|no|unknown, `method`, `confirmed_with`, `confirmed_on`): records it.
pub(super) async fn put_entry(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    let entry: RemoteMaintenance = operator_body(body)?;
    on_decision(&st, &token, move |ledger, actor| {
        decisions::set_remote_maintenance(ledger, actor, id, entry, ledger.now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
