//! Console logins: the session cookie (tower-sessions: HttpOnly, SameSite=Lax, Secure under TLS,
//! ended after idle minutes; sessions kept in the ledger, see `session_store`) and who is signed in ([`Signed`], checked against the account on
//! every request, so a disabled account or a changed role takes effect at once). A session
//! also ends a fixed number of hours after login, used or not. The account's sites are read on
//! every request too ([`Signed::scope`]).
//!
//! [`Decider`] and [`Admin`] are the role gates: a route taking one answers 403 to a viewer.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use daicho_ledger::accounts::AccountRole;
use daicho_ledger::{Ledger, SiteScope};
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use super::render::ConsoleError;
use super::session_store::LedgerSessionStore;
use crate::config::ConsoleConfig;
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "daicho_session";

const LOGIN_KEY: &str = "login";

/// What a session remembers of its login.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Login {
    account: String,
    /// Unix seconds of the login, for the absolute limit.
    since: i64,
}

/// The session layer of the console, keeping sessions in the ledger.
pub(crate) fn layer(
    ledger: Arc<Ledger>,
    config: &ConsoleConfig,
    tls: bool,
) -> SessionManagerLayer<LedgerSessionStore> {
    let idle = i64::from(config.idle_timeout_minutes.max(1));
    SessionManagerLayer::new(LedgerSessionStore::new(ledger))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(tls)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::minutes(idle),
        ))
}

/// Starts a signed-in session for `account` (a new session id, so a planted id is useless).
pub(crate) async fn sign_in(
    session: &Session,
    account: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(), ConsoleError> {
    session.cycle_id().await.map_err(|e| session_failed(&e))?;
    session
        .insert(
            LOGIN_KEY,
            Login {
                account: account.to_owned(),
                since: now.timestamp(),
            },
        )
        .await
        .map_err(|e| session_failed(&e))
}

/// Ends the session.
pub(crate) async fn sign_out(session: &Session) {
    if let Err(e) = session.flush().await {
        tracing::warn!(error = %daicho_ledger_io::text::log_text(&e), "could not end a console session");
    }
}

fn session_failed(e: &tower_sessions::session::Error) -> ConsoleError {
    tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "console session store failed");
    ConsoleError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "セッションを保存できませんでした。",
    )
}

/// The signed-in account of a console request. Without one, the request is sent to the login
/// page (and comes back to where it was going afterwards).
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Account name (the audit log's actor).
    pub name: String,
    /// Its role now.
    pub role: AccountRole,
    /// The sites it may see and change now (every site for a group-wide account).
    pub scope: SiteScope,
    /// The session, for one-time messages.
    pub session: Session,
}

impl Signed {
    /// The audit log's name for this account, allowed only its sites.
    pub(crate) fn actor(&self) -> crate::decisions::Actor {
        crate::decisions::Actor::account(&self.name).limited_to(self.scope.clone())
    }
}

fn to_login(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let next = if parts.method == axum::http::Method::GET {
        next
    } else {
        "/"
    };
    let query: String = url_encode(next);
    Redirect::to(&format!("/login?next={query}")).into_response()
}

/// Percent-encodes a path for the `next` parameter.
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let login: Option<Login> = session.get(LOGIN_KEY).await.ok().flatten();
        let Some(login) = login else {
            return Err(to_login(parts));
        };
        let limit = i64::from(st.console.session_hours.max(1)) * 3600;
        if st.ledger.now().timestamp() - login.since > limit {
            sign_out(&session).await;
            return Err(to_login(parts));
        }
        let name = login.account.clone();
        let account = on_ledger(st, move |l| l.account(&name))
            .await
            .map_err(|f| ConsoleError::from(f).into_response())?;
        match account {
            Some(a) if a.disabled_at.is_none() => Ok(Self {
                scope: a.scope(),
                name: a.name,
                role: a.role,
                session,
            }),
            _ => {
                sign_out(&session).await;
                Err(to_login(parts))
            }
        }
    }
}

/// A signed-in account that may make ledger decisions (管理者 or 運用担当); 403 for 閲覧.
#[derive(Debug, Clone)]
pub(crate) struct Decider(pub Signed);

impl FromRequestParts<AppState> for Decider {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let signed = Signed::from_request_parts(parts, st).await?;
        if signed.role.can_decide() {
            Ok(Self(signed))
        } else {
            Err(ConsoleError::forbidden().into_response())
        }
    }
}

/// A signed-in 管理者 (accounts, tokens, settings); 403 for the other roles.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub Signed);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let signed = Signed::from_request_parts(parts, st).await?;
        if signed.role.can_administer() {
            Ok(Self(signed))
        } else {
            Err(ConsoleError::forbidden().into_response())
        }
    }
}
