//! (being written) console pages: triage.

use axum::Router;

use crate::server::AppState;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
}
