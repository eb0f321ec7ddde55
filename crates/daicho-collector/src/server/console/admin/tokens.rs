//! The 管理 page's bearer tokens (for agents pushing reports and for scripts using the API):
//! `POST /admin/tokens` (`name`, `role` = `agent` | `operator`) creates one and redirects (303)
//! to the 管理 page, which shows the token this once (Post/Redirect/Get: reloading the page
//! creates nothing and shows no token); `POST /admin/tokens/{id}/revoke` revokes the one token
//! with that id. With sites, `sites` (repeated: site names) binds it: an agent token to exactly
//! one site (the implicit site when none), an operator token to those (none: every site); a
//! grant beyond the 管理者's own sites is 403.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use daicho_ledger::Role;

use super::{NEW_TOKEN_KEY, NewToken, admin_page};
use crate::decisions;
use crate::server::AppState;
use crate::server::console::decide::{Flags, decide, refuse};
use crate::server::console::form::FormFields;
use crate::server::console::render::{ConsoleError, see_other};
use crate::server::console::session::Admin;
use crate::server::extract::{on_ledger, path_id};
use crate::site_access::site_ids;

/// These forms' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", post(create))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

fn token_role(value: Option<&str>) -> Option<Role> {
    match value {
        Some("agent") => Some(Role::Agent),
        Some("operator") => Some(Role::Operator),
        _ => None,
    }
}

/// `POST /admin/tokens`: the new token waits in the session for the `GET /admin` the redirect
/// leads to (the ledger keeps only its hash). Only when the session cannot hold it is the page
/// answered here, so that the token is not lost.
pub(super) async fn create(
    State(st): State<AppState>,
    Admin(signed): Admin,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let Some(role) = token_role(form.get("role")) else {
        let problem = "トークンの種類（エージェント・運用）を選んでください。";
        return Ok(refuse(&signed, "/admin", problem).await);
    };
    let name = form.get("name").unwrap_or_default().to_owned();
    let sites: Vec<String> = form.all("sites").map(str::to_owned).collect();
    let actor = signed.actor();
    let result = on_ledger(&st, move |l| {
        let sites = site_ids(l, &sites)?;
        decisions::create_token(l, &actor, &name, role, &sites, l.now())
    })
    .await;
    match result {
        Ok((info, token)) => {
            let created = NewToken {
                id: info.id,
                role_label: decisions::token_role_label(info.role).to_owned(),
                name: info.name,
                token,
            };
            match signed.session.insert(NEW_TOKEN_KEY, &created).await {
                Ok(()) => Ok(see_other("/admin")),
                Err(e) => {
                    tracing::warn!(error = %daicho_ledger_io::text::log_text(&e), "could not keep a new token for the next page");
                    admin_page(&st, &signed, Some(created), None).await
                }
            }
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => Err(f.into()),
        Err(f) => Ok(refuse(&signed, "/admin", f.message()).await),
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub(super) async fn revoke(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let id = path_id(path)?;
    Ok(decide(
        &st,
        &signed,
        "/admin",
        Flags::Stay,
        move |l, actor| decisions::revoke_token(l, actor, id, l.now()),
        |info| format!("トークン #{id}（{}）を失効させました。", info.name),
    )
    .await)
}
