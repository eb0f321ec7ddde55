//! What handlers take from a request (path ids, queries, JSON bodies) and how they run ledger
//! work off the async threads. Every failure here is a 400 naming the problem.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use daicho_ledger::{Ledger, LedgerError, TokenInfo};
use daicho_model::report::from_json_with_path;

use super::AppState;
use super::error::{Failure, bad_json, body_failure};
use crate::decisions::Actor;

/// Largest body of an operator request (PATCH, merge, split).
pub(crate) const OPERATOR_BODY_LIMIT: usize = 1024 * 1024;

/// Runs `work` on the ledger off the async threads; a ledger error becomes its HTTP answer.
pub(crate) async fn on_ledger<T: Send + 'static>(
    st: &AppState,
    work: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, Failure> {
    let ledger = Arc::clone(&st.ledger);
    blocking(move || work(&ledger).map_err(Failure::from)).await
}

/// Runs an audited decision (`crate::decisions`) for an operator token off the async threads;
/// the audit log names the token (`token:NAME`).
pub(crate) async fn on_decision<T: Send + 'static>(
    st: &AppState,
    token: &TokenInfo,
    work: impl FnOnce(&Ledger, &Actor) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, Failure> {
    let actor = Actor::token(&token.name).limited_to(token.scope());
    on_ledger(st, move |ledger| work(ledger, &actor)).await
}

/// Runs blocking ledger work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal task failed: {e}"),
        ))
    })
}

/// The query string, or 400 naming what is wrong with it.
pub(crate) fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Failure> {
    query
        .map(|Query(q)| q)
        .map_err(|r| Failure::new(StatusCode::BAD_REQUEST, r.body_text()))
}

/// The integer id in the path, or 400.
pub(crate) fn path_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, Failure> {
    path.map(|Path(id)| id).map_err(|_| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "the id in the path must be an integer",
        )
    })
}

/// An operator request's JSON body, or 400 naming the bad field (413 above the limit).
pub(crate) fn operator_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Failure> {
    let body = body.map_err(|r| body_failure(&r, OPERATOR_BODY_LIMIT))?;
    from_json_with_path(&body).map_err(|e| bad_json(&e))
}

/// A request's `?site=NAME` alone (routes whose other input is a body or a path).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteQuery {
    /// The site the request is about.
    pub site: Option<String>,
}
