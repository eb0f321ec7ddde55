//! Bearer-token authentication of the API: the token is checked before any body is read, so a
//! refused push costs nothing. Console sessions are authenticated in `console::session`.
//!
//! A missing, malformed or unknown token is logged (source address, route, reason; never the
//! token) and answered only after a pause that doubles with each failure from the same source
//! ([`AuthFailures`](super::AuthFailures)): guessing is slow, while a good token is never paused, even from a source
//! that failed before.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use daicho_ledger::Role;

use super::AppState;

use super::error::Failure;
use super::extract::blocking;
use crate::metrics::Rejection;

/// Lets through requests with a live agent token.
pub(crate) async fn agent_auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    authenticate(st, Role::Agent, req, next).await
}

/// Lets through requests with a live operator token.
pub(crate) async fn operator_auth(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    authenticate(st, Role::Operator, req, next).await
}

async fn authenticate(st: AppState, role: Role, mut req: Request, next: Next) -> Response {
    let source = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // The path as requested (URI characters only), bounded for the log.
    let route: String = req.uri().path().chars().take(200).collect();
    let refuse = |failure: Failure| {
        if role == Role::Agent {
            st.metrics.rejected(Rejection::Auth);
        }
        failure.into_response()
    };
    // A failed authentication: logged, counted against its source, answered after the pause.
    let fail = |reason: &'static str, failure: Failure| {
        let (failures, pause) = st.auth_failures.failed(source);
        tracing::warn!(source = %shown(source), route = %route, reason, failures,
            pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            "API authentication failed");
        let answer = refuse(failure);
        async move {
            tokio::time::sleep(pause).await;
            answer
        }
    };
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return fail(
            "no Authorization header",
            Failure::new(
                StatusCode::UNAUTHORIZED,
                "missing bearer token (Authorization: Bearer <token>)",
            ),
        )
        .await;
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return fail(
            "Authorization is not `Bearer <token>`",
            Failure::new(
                StatusCode::UNAUTHORIZED,
                "the Authorization header is not `Bearer <token>`",
            ),
        )
        .await;
    };
    let ledger = st.ledger.clone();
    let found = blocking(move || ledger.verify_token(&token).map_err(Failure::from)).await;
    match found {
        Err(f) => f.into_response(),
        Ok(None) => {
            fail(
                "unknown or revoked token",
                Failure::new(StatusCode::UNAUTHORIZED, "unknown or revoked token"),
            )
            .await
        }
        Ok(Some(info)) if info.role != role => {
            // A live token on the wrong route: not a guess, so not paused; logged all the same.
            tracing::warn!(source = %shown(source), route = %route, token_name = %info.name,
                token_role = info.role.as_str(), "API token used on a route of another role");
            refuse(Failure::new(
                StatusCode::FORBIDDEN,
                format!(
                    "this is an {} token; this route needs an {} token",
                    info.role.as_str(),
                    role.as_str()
                ),
            ))
        }
        Ok(Some(info)) => {
            req.extensions_mut().insert(info);
            next.run(req).await
        }
    }
}

/// The source address for the log.
fn shown(source: Option<IpAddr>) -> String {
    source.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}
