//! Liveness and readiness, answered without a token, for systemd, load balancers and
//! monitoring.
//!
//! - `GET /livez` (liveness): the process and its async runtime answer; no database access, so
//!   it answers 200 while the collector serves at all. A load balancer or a supervisor that
//!   restarts on it restarts only a collector that no longer answers.
//! - `GET /healthz`, alias `GET /readyz` (readiness): [`readiness`] — the database can be read
//!   and written; 503 naming what failed otherwise. A load balancer sends no agent to a
//!   collector that cannot store what it sends, and systemd's watchdog
//!   ([`super::systemd`]) is fed only while it passes.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use daicho_ledger::Ledger;
use daicho_model::api::Health;

use crate::server::AppState;
use crate::server::extract::on_ledger;

/// The health routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/livez", get(livez))
        .route("/healthz", get(readyz))
        .route("/readyz", get(readyz))
}

/// Ready when the database can be read and written (`Ledger::check_readable`, then
/// `Ledger::check_writable`: a few pages read, a small committed write); otherwise which failed
/// and why (a full disk or database, a damaged file, a lock held elsewhere).
pub(crate) async fn readiness(st: &AppState) -> Result<(), String> {
    on_ledger(st, |l: &Ledger| {
        if let Err(e) = l.check_readable() {
            return Ok(Err(format!("database cannot be read: {e}")));
        }
        Ok(match l.check_writable() {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("database cannot be written: {e}")),
        })
    })
    .await
    .unwrap_or_else(|f| Err(format!("database unavailable: {}", f.message)))
}

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// 200 `alive`: answered by the runtime alone.
async fn livez() -> Json<Health> {
    Json(Health {
        status: "alive".to_owned(),
        version: version(),
    })
}

/// 200 `ok` when [`readiness`] passes, 503 with its reason otherwise.
async fn readyz(State(st): State<AppState>) -> Response {
    match readiness(&st).await {
        Ok(()) => Json(Health {
            status: "ok".to_owned(),
            version: version(),
        })
        .into_response(),
        Err(status) => {
            tracing::warn!(status = %daicho_ledger_io::text::log_text(&status), "/healthz: not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status,
                    version: version(),
                }),
            )
                .into_response()
        }
    }
}
