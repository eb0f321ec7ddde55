//! `GET /healthz` and `GET /metrics`: answered without a token, for monitoring.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use daicho_ledger::Ledger;
use daicho_model::api::Health;

use crate::server::AppState;
use crate::server::extract::{blocking, on_ledger};

pub(super) async fn healthz(State(st): State<AppState>) -> Response {
    let ok = on_ledger(&st, Ledger::ping).await;
    let version = env!("CARGO_PKG_VERSION").to_owned();
    match ok {
        Ok(()) => Json(Health {
            status: "ok".to_owned(),
            version,
        })
        .into_response(),
        Err(f) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: format!("database unavailable: {}", f.message),
                version,
            }),
        )
            .into_response(),
    }
}

pub(super) async fn metrics(State(st): State<AppState>) -> Response {
    let ledger = st.ledger.clone();
    let counts =
        blocking(move || Ok((ledger.device_count().ok(), ledger.report_count().ok()))).await;
    let (devices, reports) = counts.unwrap_or((None, None));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(devices, reports),
    )
        .into_response()
}
