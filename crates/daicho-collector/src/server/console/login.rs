//! `GET /login`, `POST /login` (form fields `username`, `password`), `POST /logout`.
//!
//! A failed login is logged and answered only after a pause; the lock after repeated failures
//! is the ledger's rule (`Ledger::authenticate`).

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use daicho_ledger::accounts::LoginOutcome;
use serde::Deserialize;
use tower_sessions::Session;

use super::form::local_path;
use super::render::{ConsoleError, facility_name, html, see_other};
use super::session::{sign_in, sign_out};
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// How long a failed login waits before it is answered (slows guessing).
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
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|r| ConsoleError::new(StatusCode::BAD_REQUEST, r.body_text()))?;
    let name = form.username.trim().to_owned();
    let password = form.password;
    let who = name.clone();
    let outcome = on_ledger(&st, move |l| l.authenticate(&who, &password, Utc::now())).await?;
    let refuse = |message: String| async {
        tokio::time::sleep(FAILED_LOGIN_PAUSE).await;
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
            sign_in(&session, &account.name).await?;
            tracing::info!(account = %daicho_ledger_io::text::log_text(&account.name), "console login");
            Ok(see_other(local_path(&form.next)))
        }
        LoginOutcome::BadCredentials => {
            tracing::warn!(username = %daicho_ledger_io::text::log_text(&name), "console login failed: bad credentials");
            refuse("ユーザー名またはパスワードが違います。".to_owned()).await
        }
        LoginOutcome::Locked { until } => {
            tracing::warn!(username = %daicho_ledger_io::text::log_text(&name), %until, "console login refused: account locked");
            let until = daicho_ledger::time::from_db(&until).map_or(until, |t| {
                t.with_timezone(&daicho_ledger_io::export::now_jst().timezone())
                    .format("%H:%M")
                    .to_string()
            });
            refuse(format!(
                "ログインの失敗が続いたため、このアカウントは {until} までロックされています。"
            ))
            .await
        }
        LoginOutcome::Disabled => {
            tracing::warn!(username = %daicho_ledger_io::text::log_text(&name), "console login refused: account disabled");
            refuse("このアカウントは無効にされています。管理者に連絡してください。".to_owned())
                .await
        }
    }
}

pub(super) async fn logout(session: Session) -> Response {
    sign_out(&session).await;
    see_other("/login")
}
