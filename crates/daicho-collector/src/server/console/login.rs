//! `GET /login`, `POST /login` (form fields `username`, `password`), `POST /logout`.
//!
//! A failed login is logged with its source address and answered only after a pause that grows
//! with the failures from that source (counted with the API's bad tokens, `AuthFailures`), at
//! least [`FAILED_LOGIN_PAUSE`]; the lock of an account after repeated failures is the ledger's
//! rule (`Ledger::authenticate`).

use std::net::SocketAddr;
use std::time::Duration;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use daicho_ledger::accounts::LoginOutcome;
use daicho_ledger_io::text::log_text;
use serde::Deserialize;
use tower_sessions::Session;

use super::form::local_path;
use super::labels::display_time_as;
use super::render::{ConsoleError, facility_name, html, see_other};
use super::session::{sign_in, sign_out};
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// The least a failed login waits before it is answered (slows guessing).
const FAILED_LOGIN_PAUSE: Duration = Duration::from_secs(1);

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    facility: String,
    message: Option<String>,
    username: String,
    next: String,
}

/// `GET /login?next=` query.
#[derive(Debug, Deserialize)]
pub(super) struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn page(
    State(st): State<AppState>,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let next = query.map(|Query(q)| q.next).unwrap_or_default();
    html(&LoginPage {
        facility: facility_name(&st).await?,
        message: None,
        username: String::new(),
        next: local_path(&next).to_owned(),
    })
}

pub(super) async fn submit(
    State(st): State<AppState>,
    source: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|r| ConsoleError::new(StatusCode::BAD_REQUEST, r.body_text()))?;
    let name = form.username.trim().to_owned();
    let password = form.password;
    let who = name.clone();
    let outcome = on_ledger(&st, move |l| l.authenticate(&who, &password, l.now())).await?;
    let source = source.map(|Extension(ConnectInfo(addr))| addr.ip());
    let shown_source = source.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let refuse = |message: String| async {
        let (_, pause) = st.auth_failures.failed(source);
        tokio::time::sleep(pause.max(FAILED_LOGIN_PAUSE)).await;
        let page = LoginPage {
            facility: facility_name(&st).await?,
            message: Some(message),
            username: name.clone(),
            next: local_path(&form.next).to_owned(),
        };
        Ok::<_, ConsoleError>((StatusCode::UNAUTHORIZED, html(&page)?).into_response())
    };
    match outcome {
        LoginOutcome::Ok(account) => {
            sign_in(&session, &account.name, st.ledger.now()).await?;
            tracing::info!(account = %log_text(&account.name), source = %shown_source, "console login");
            Ok(see_other(local_path(&form.next)))
        }
        LoginOutcome::BadCredentials => {
            tracing::warn!(username = %log_text(&name), source = %shown_source, "console login failed: bad credentials");
            refuse("ユーザー名またはパスワードが違います。".to_owned()).await
        }
        LoginOutcome::Locked { until } => {
            tracing::warn!(username = %log_text(&name), source = %shown_source, %until, "console login refused: account locked");
            let until = display_time_as(&until, "%H:%M");
            refuse(format!(
                "ログインの失敗が続いたため、このアカウントは {until} までロックされています。"
            ))
            .await
        }
        LoginOutcome::Disabled => {
            tracing::warn!(username = %log_text(&name), source = %shown_source, "console login refused: account disabled");
            refuse("このアカウントは無効にされています。管理者に連絡してください。".to_owned())
                .await
        }
    }
}

pub(super) async fn logout(session: Session) -> Response {
    sign_out(&session).await;
    see_other("/login")
}
