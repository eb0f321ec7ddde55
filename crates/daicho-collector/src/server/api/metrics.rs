//! `GET /healthz` and `GET /metrics`: answered without a token, for monitoring.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use daicho_ledger::Ledger;
use daicho_model::api::Health;

use crate::server::AppState;
use crate::server::extract::{blocking, on_ledger};

/// 200 `ok` when the database can be read and written (`Ledger::check_readable`, then
/// `Ledger::check_writable`: a few pages read, a small committed write); 503 naming which
/// failed and why otherwise (a full disk or database, a damaged file, a lock held elsewhere).
pub(super) async fn healthz(State(st): State<AppState>) -> Response {
    let checked = on_ledger(&st, |l: &Ledger| {
        if let Err(e) = l.check_readable() {
            return Ok(Err(format!("database cannot be read: {e}")));
        }
        Ok(match l.check_writable() {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("database cannot be written: {e}")),
        })
    })
    .await
    .unwrap_or_else(|f| Err(format!("database unavailable: {}", f.message)));
    let version = env!("CARGO_PKG_VERSION").to_owned();
    match checked {
        Ok(()) => Json(Health {
            status: "ok".to_owned(),
            version,
        })
        .into_response(),
        Err(status) => {
            tracing::warn!(%status, "/healthz: unhealthy");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health { status, version }),
            )
                .into_response()
        }
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
