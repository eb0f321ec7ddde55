//! `GET /admin`: the 管理 page, for 管理者 only — the 医療機関名 printed on every page, the
//! console accounts ([`accounts`]), the agents' and scripts' bearer tokens ([`tokens`]) and the
//! agents with when each last reported. Every route here takes [`Admin`]: other roles get 403.
//! `POST /admin/facility` (`facility_name`) sets the name.
//!
//! With sites, tokens are created for sites (an agent's for exactly one) and accounts may be
//! limited to sites (`POST /admin/accounts/{name}/sites`). A 管理者 limited to sites sees and
//! manages only the accounts and tokens of their sites, and may grant only those sites (the
//! decisions refuse anything beyond with 403; group-wide grants need a group-wide 管理者).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use daicho_ledger::overview::AgentSummary;
use daicho_ledger::{AccountInfo, AccountRole, Site, SiteId, SiteScope, TokenInfo};
use serde::{Deserialize, Serialize};

use super::decide::{Flags, decide};
use super::form::FormFields;
use super::labels::display_time;
use super::render::{ConsoleError, Layout, Page, html};
use super::session::{Admin, Signed};
use super::sites::{SiteParam, with_site};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::on_ledger;
use crate::site_access::covers;

mod accounts;
mod tokens;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/facility", post(set_facility))
        .merge(accounts::routes())
        .merge(tokens::routes())
}

/// A token just created, shown on the next 管理 page and never again: kept in the session by
/// `POST /admin/tokens` and taken out of it by the `GET /admin` that shows it.
#[derive(Serialize, Deserialize)]
pub(super) struct NewToken {
    pub id: i64,
    pub name: String,
    pub role_label: String,
    pub token: String,
}

/// The session key of the [`NewToken`] waiting to be shown.
const NEW_TOKEN_KEY: &str = "new_token";

/// One account line.
pub(super) struct AccountRow {
    pub name: String,
    /// The name as one URL path segment, for the forms' addresses.
    pub path: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub last_login: String,
    pub disabled: bool,
    /// Until when (JST) failed logins keep it locked, when a lock is in force.
    pub locked_until: Option<String>,
    /// The signed-in account itself (it may not disable or demote itself).
    pub is_me: bool,
    /// Its sites' labels (すべてのサイト for a group-wide account).
    pub sites_label: String,
    /// The site checkboxes of its sites form: (name, label, bound now).
    pub site_boxes: Vec<(String, String, bool)>,
}

/// One token line.
pub(super) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role_label: &'static str,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
    /// Its sites' labels (すべてのサイト for a group-wide operator token).
    pub sites_label: String,
}

/// One agent line.
pub(super) struct AgentRow {
    pub name: String,
    pub token_name: String,
    pub version: String,
    pub last_report_at: String,
    pub hosts: u64,
    pub reports: u64,
    pub quiet: bool,
    /// The IEEE registry date its last report names (empty for older agents).
    pub registry_date: String,
}

/// A role choice of the account forms.
pub(super) struct RoleChoice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "console/admin.html")]
struct AdminPage {
    layout: Layout,
    facility_name: String,
    accounts: Vec<AccountRow>,
    roles: Vec<RoleChoice>,
    min_password: usize,
    tokens: Vec<TokenRow>,
    new_token: Option<NewToken>,
    agents: Vec<AgentRow>,
    /// The sites the 管理者 may grant, when the collector has several sites (else empty and
    /// no site controls are shown).
    site_choices: Vec<Site>,
    /// The implicit site's label (an agent token's site when none is chosen).
    default_site_label: String,
}

/// The labels of `ids` among `sites`, joined (すべてのサイト for none).
fn sites_label(sites: &[Site], ids: &[SiteId]) -> String {
    if ids.is_empty() {
        return "すべてのサイト".to_owned();
    }
    ids.iter()
        .map(|id| {
            sites
                .iter()
                .find(|s| s.id == *id)
                .map_or_else(|| id.to_string(), |s| s.display_name().to_owned())
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn account_row(a: AccountInfo, me: &str, now: chrono::DateTime<Utc>, sites: &[Site]) -> AccountRow {
    AccountRow {
        sites_label: sites_label(sites, &a.sites),
        site_boxes: sites
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.display_name().to_owned(),
                    a.sites.contains(&s.id),
                )
            })
            .collect(),
        path: accounts::path_segment(&a.name),
        role: a.role.as_str(),
        role_label: a.role.label(),
        last_login: a
            .last_login_at
            .as_deref()
            .map(display_time)
            .unwrap_or_default(),
        disabled: a.disabled_at.is_some(),
        locked_until: a
            .locked_until
            .filter(|u| daicho_ledger::time::from_db(u).is_some_and(|u| u > now))
            .map(|u| display_time(&u)),
        is_me: a.name == me,
        name: a.name,
    }
}

fn token_row(t: TokenInfo, sites: &[Site]) -> TokenRow {
    TokenRow {
        sites_label: sites_label(sites, &t.sites),
        id: t.id,
        role_label: decisions::token_role_label(t.role),
        created: display_time(&t.created_at),
        last_used: t
            .last_used_at
            .as_deref()
            .map(display_time)
            .unwrap_or_default(),
        revoked: t.revoked_at.as_deref().map(display_time),
        name: t.name,
    }
}

fn agent_row(a: AgentSummary) -> AgentRow {
    AgentRow {
        registry_date: a.registry_date().map(|d| d.to_string()).unwrap_or_default(),
        last_report_at: display_time(&a.last_report_at),
        name: a.name,
        token_name: a.token_name.unwrap_or_default(),
        version: a.version,
        hosts: a.last_host_count,
        reports: a.reports,
        quiet: a.quiet,
    }
}

/// The 管理 page of `site` (kept in the menu's links), with a token just created when there is
/// one. A 管理者 limited to sites sees the accounts and tokens of those sites only.
pub(super) async fn admin_page(
    st: &AppState,
    signed: &Signed,
    new_token: Option<NewToken>,
    site: Option<&str>,
) -> Result<Response, ConsoleError> {
    let layout = Layout::new(st, signed, Page::Admin, site).await?;
    let scope: SiteScope = signed.scope.clone();
    let (accounts, tokens, agents, all_sites) = on_ledger(st, move |l| {
        Ok((
            l.list_accounts()?,
            l.list_tokens()?,
            l.agents(&scope, l.now())?,
            l.sites()?,
        ))
    })
    .await?;
    let me = signed.name.as_str();
    let site_choices = if all_sites.len() > 1 {
        layout.visible.clone()
    } else {
        Vec::new()
    };
    html(&AdminPage {
        facility_name: layout.facility.clone(),
        layout,
        accounts: accounts
            .into_iter()
            .filter(|a| a.name == me || covers(&signed.scope, &a.sites))
            .map(|a| account_row(a, me, st.ledger.now(), &site_choices))
            .collect(),
        roles: AccountRole::ALL
            .iter()
            .map(|r| RoleChoice {
                value: r.as_str(),
                label: r.label(),
            })
            .collect(),
        min_password: daicho_ledger::accounts::MIN_PASSWORD_CHARS,
        tokens: tokens
            .into_iter()
            .rev()
            .filter(|t| covers(&signed.scope, &t.sites))
            .map(|t| token_row(t, &all_sites))
            .collect(),
        new_token,
        agents: agents.into_iter().map(agent_row).collect(),
        default_site_label: sites_label(&all_sites, &[SiteId::DEFAULT]),
        site_choices,
    })
}

/// `GET /admin`, with the token just created when the session holds one (removed here, so a
/// reload does not show it again).
pub(super) async fn page(
    State(st): State<AppState>,
    Admin(signed): Admin,
    SiteParam(site): SiteParam,
) -> Result<Response, ConsoleError> {
    let new_token = signed
        .session
        .remove::<NewToken>(NEW_TOKEN_KEY)
        .await
        .ok()
        .flatten();
    admin_page(&st, &signed, new_token, site.as_deref()).await
}

/// `POST /admin/facility` (`facility_name`): the name printed on every page.
pub(super) async fn set_facility(
    State(st): State<AppState>,
    Admin(signed): Admin,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let name = form.get("facility_name").unwrap_or_default().to_owned();
    let shown = name.clone();
    Ok(decide(
        &st,
        &signed,
        &with_site("/admin", form.get("site")),
        Flags::Stay,
        move |l, actor| decisions::set_facility_name(l, actor, &name, l.now()),
        |()| format!("医療機関名を「{shown}」にしました。"),
    )
    .await)
}
