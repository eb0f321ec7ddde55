//! The JSON API under `/api/v1/`, bearer-token authenticated. Routes are documented on
//! [`crate::server::router`]; each handler runs one ledger operation.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{delete, get, post, put};

use super::AppState;
use super::bearer::{agent_auth, operator_auth};
use super::extract::OPERATOR_BODY_LIMIT;

mod alerts;
mod data;
mod devices;
mod exceptions;
mod files;
mod metrics;
mod remote_maintenance;
mod reports;
mod restrictions;

/// The API routes and `/metrics`.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let agent = Router::new()
        .route("/api/v1/reports", post(reports::post_report))
        .route("/api/v1/data/bundle", get(data::get_bundle))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .route_layer(middleware::from_fn_with_state(state.clone(), agent_auth));
    let operator = Router::new()
        .route("/api/v1/devices", get(devices::list_devices))
        .route(
            "/api/v1/devices/{id}",
            get(devices::get_device).patch(devices::patch_device),
        )
        .route("/api/v1/devices/{id}/merge", post(devices::merge_device))
        .route("/api/v1/devices/{id}/split", post(devices::split_device))
        .route("/api/v1/events", get(devices::list_events))
        .route("/api/v1/devices/{id}/role", put(devices::put_role))
        .route(
            "/api/v1/devices/{id}/remote-maintenance",
            put(remote_maintenance::put_entry),
        )
        .route("/api/v1/remote-maintenance", get(remote_maintenance::list))
        .route("/api/v1/alerts", get(alerts::list_alerts))
        .route("/api/v1/alerts/{id}/ack", post(alerts::ack_alert))
        .route(
            "/api/v1/exceptions",
            get(exceptions::list_exceptions).post(exceptions::post_exception),
        )
        .route(
            "/api/v1/exceptions/{id}",
            delete(exceptions::delete_exception),
        )
        .route("/api/v1/ledger/export", get(files::ledger_export))
        .route("/api/v1/reports/checklist", get(files::checklist))
        .route(
            "/api/v1/allowlist/records",
            get(restrictions::list).post(restrictions::record),
        )
        .route(
            "/api/v1/allowlist/records/{id}",
            delete(restrictions::withdraw),
        )
        .layer(DefaultBodyLimit::max(OPERATOR_BODY_LIMIT))
        .route_layer(middleware::from_fn_with_state(state.clone(), operator_auth));
    Router::new()
        .merge(agent)
        .merge(operator)
        .route("/metrics", get(metrics::metrics))
}
