//! The 管理 page's console accounts: `POST /admin/accounts` (`name`, `role`, `password`,
//! `password_confirm`) adds one; `POST /admin/accounts/{name}/role` (`role`),
//! `…/password` (`password`, `password_confirm`), `…/disable` and `…/enable` change one. The
//! rules (password length, not disabling oneself or the last 管理者) are the ledger's and
//! [`crate::decisions`]'s; passwords are taken as typed, never trimmed.
//! `POST /admin/accounts/{name}/sites` (`sites`, repeated site names; none: every site) limits
//! an account to sites; an account or a grant beyond the 管理者's own sites is 403.

use std::fmt::Write as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use daicho_ledger::AccountRole;

use crate::decisions;
use crate::server::AppState;
use crate::server::console::decide::{Flags, decide, refuse};
use crate::server::console::form::FormFields;
use crate::server::console::render::ConsoleError;
use crate::server::console::session::Admin;
use crate::site_access::site_ids;

/// These forms' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", post(add))
        .route("/admin/accounts/{name}/role", post(set_role))
        .route("/admin/accounts/{name}/password", post(set_password))
        .route("/admin/accounts/{name}/disable", post(disable))
        .route("/admin/accounts/{name}/enable", post(enable))
        .route("/admin/accounts/{name}/sites", post(set_sites))
}

/// An account name as one URL path segment (every byte but unreserved ones escaped).
pub(in crate::server::console) fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A form field exactly as sent (a password: spaces are part of it).
fn untrimmed(body: &[u8], name: &str) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The new password of a form, or why it cannot be used.
fn new_password(body: &[u8]) -> Result<String, &'static str> {
    let password = untrimmed(body, "password");
    if password != untrimmed(body, "password_confirm") {
        return Err("パスワードと確認用のパスワードが一致しません。");
    }
    Ok(password)
}

fn role_of(form: &FormFields) -> Result<AccountRole, String> {
    form.get("role")
        .unwrap_or_default()
        .parse()
        .map_err(|e: daicho_ledger::LedgerError| e.to_string())
}

fn account_name(path: Result<Path<String>, PathRejection>) -> Result<String, ConsoleError> {
    path.map(|Path(name)| name).map_err(|_| {
        ConsoleError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "アカウント名が読み取れません。",
        )
    })
}
/// Where the account forms return.
const ADMIN: &str = "/admin";

/// `POST /admin/accounts`.
pub(super) async fn add(
    State(st): State<AppState>,
    Admin(signed): Admin,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let name = form.get("name").unwrap_or_default().to_owned();
    let role = match role_of(&form) {
        Ok(role) => role,
        Err(problem) => return Ok(refuse(&signed, ADMIN, problem).await),
    };
    let password = match new_password(&body) {
        Ok(p) => p,
        Err(problem) => return Ok(refuse(&signed, ADMIN, problem).await),
    };
    let who = name.clone();
    let done = format!("アカウント「{name}」を{}として追加しました。", role.label());
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| decisions::add_account(l, actor, &who, role, &password, l.now()),
        |_| done,
    )
    .await)
}

/// `POST /admin/accounts/{name}/role` (`role`).
pub(super) async fn set_role(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let name = account_name(path)?;
    let role = match role_of(&FormFields::parse(&body)) {
        Ok(role) => role,
        Err(problem) => return Ok(refuse(&signed, ADMIN, problem).await),
    };
    let who = name.clone();
    let done = format!("アカウント「{name}」の役割を{}にしました。", role.label());
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| decisions::set_account_role(l, actor, &who, role, l.now()),
        |_| done,
    )
    .await)
}

/// `POST /admin/accounts/{name}/password` (`password`, `password_confirm`); also clears a
/// login lock.
pub(super) async fn set_password(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let name = account_name(path)?;
    let password = match new_password(&body) {
        Ok(p) => p,
        Err(problem) => return Ok(refuse(&signed, ADMIN, problem).await),
    };
    let who = name.clone();
    let done = format!("アカウント「{name}」のパスワードを設定しました。");
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| decisions::set_account_password(l, actor, &who, &password, l.now()),
        |()| done,
    )
    .await)
}

/// `POST /admin/accounts/{name}/disable`.
pub(super) async fn disable(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let name = account_name(path)?;
    let who = name.clone();
    let done = format!("アカウント「{name}」を無効にしました。");
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| decisions::disable_account(l, actor, &who, l.now()),
        |_| done,
    )
    .await)
}

/// `POST /admin/accounts/{name}/enable`.
pub(super) async fn enable(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let name = account_name(path)?;
    let who = name.clone();
    let done = format!("アカウント「{name}」を有効にしました。");
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| decisions::enable_account(l, actor, &who, l.now()),
        |_| done,
    )
    .await)
}

/// `POST /admin/accounts/{name}/sites` (`sites`…; none: every site).
pub(super) async fn set_sites(
    State(st): State<AppState>,
    Admin(signed): Admin,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let name = account_name(path)?;
    let sites: Vec<String> = FormFields::parse(&body)
        .all("sites")
        .map(str::to_owned)
        .collect();
    let who = name.clone();
    Ok(decide(
        &st,
        &signed,
        ADMIN,
        Flags::Stay,
        move |l, actor| {
            let ids = site_ids(l, &sites)?;
            decisions::set_account_sites(l, actor, &who, &ids, l.now())
        },
        move |info| {
            if info.sites.is_empty() {
                format!("アカウント「{name}」をすべてのサイトを見られるようにしました。")
            } else {
                format!(
                    "アカウント「{name}」の対象サイトを {} サイトにしました。",
                    info.sites.len()
                )
            }
        },
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_path_segment() {
        assert_eq!(path_segment("yamada"), "yamada");
        assert_eq!(path_segment("a/b?c#"), "a%2Fb%3Fc%23");
        assert_eq!(path_segment("看"), "%E7%9C%8B");
    }

    #[test]
    fn passwords_are_taken_as_typed_and_must_match() {
        let body = b"password=+spaced+pass+&password_confirm=+spaced+pass+";
        assert_eq!(new_password(body).unwrap(), " spaced pass ");
        assert!(new_password(b"password=abcdefghijk&password_confirm=abcdefghijK").is_err());
    }
}
