//! Request limits: body sizes and the time to answer.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::Failure;

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body as sent.
    pub max_body_bytes: usize,
    /// Largest report after decompression.
    pub max_decompressed_bytes: usize,
    /// Most hosts in one report.
    pub max_hosts_per_report: usize,
    /// Time to answer a request.
    pub request_timeout: Duration,
}

/// Answers 408 to a request not completed within the limit.
pub(crate) async fn timeout(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.limits.request_timeout;
    if let Ok(response) = tokio::time::timeout(limit, next.run(req)).await {
        response
    } else {
        st.metrics.timed_out();
        Failure::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request was not completed within {} s", limit.as_secs()),
        )
        .into_response()
    }
}
