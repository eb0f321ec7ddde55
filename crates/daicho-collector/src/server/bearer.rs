//! Bearer-token authentication of the API: the token is checked before any body is read, so a
//! refused push costs nothing. Console sessions are authenticated in `console::session`.

use axum::extract::{Request, State};
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
    let refuse = |failure: Failure| {
        if role == Role::Agent {
            st.metrics.rejected(Rejection::Auth);
        }
        failure.into_response()
    };
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>)",
        ));
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
        return refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "the Authorization header is not `Bearer <token>`",
        ));
    };
    let ledger = st.ledger.clone();
    let found = blocking(move || ledger.verify_token(&token).map_err(Failure::from)).await;
    match found {
        Err(f) => f.into_response(),
        Ok(None) => refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "unknown or revoked token",
        )),
        Ok(Some(info)) if info.role != role => refuse(Failure::new(
            StatusCode::FORBIDDEN,
            format!(
                "this is an {} token; this route needs an {} token",
                info.role.as_str(),
                role.as_str()
            ),
        )),
        Ok(Some(info)) => {
            req.extensions_mut().insert(info);
            next.run(req).await
        }
    }
}
