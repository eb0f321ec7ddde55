//! `GET /metrics`: answered without a token, for monitoring.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::server::AppState;
use crate::server::extract::blocking;

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
