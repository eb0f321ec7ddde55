//! How console pages are answered: the common frame ([`Layout`]: facility, account, menu, the
//! one-time message), HTML responses with the console's security headers, and error pages.

use std::borrow::Borrow;

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use daicho_ledger::{Site, SiteScope};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::session::Signed;
use super::sites::{SiteLink, with_site};
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::on_ledger;
use crate::site_access;

/// The console's pages, for the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// ダッシュボード.
    Dashboard,
    /// 機器台帳.
    Devices,
    /// 未登録機器の確認.
    Triage,
    /// アラート.
    Alerts,
    /// 例外台帳.
    Exceptions,
    /// 接続元制限.
    Allowlist,
    /// リモート保守 (2-②).
    RemoteMaintenance,
    /// 台帳の取り込み.
    Import,
    /// チェックリスト.
    Checklist,
    /// ネットワーク構成図.
    NetworkDiagram,
    /// 操作履歴.
    Audit,
    /// 管理 (accounts, tokens, agents, settings).
    Admin,
}

const MENU: [(Page, &str, &str); 12] = [
    (Page::Dashboard, "/", "ダッシュボード"),
    (Page::Devices, "/devices", "機器台帳"),
    (Page::Triage, "/triage", "未登録機器"),
    (Page::Alerts, "/alerts", "アラート"),
    (Page::Exceptions, "/exceptions", "例外台帳"),
    (Page::Allowlist, "/allowlist", "接続元制限"),
    (
        Page::RemoteMaintenance,
        "/remote-maintenance",
        "リモート保守",
    ),
    (Page::Import, "/import", "台帳の取り込み"),
    (Page::Checklist, "/checklist", "チェックリスト"),
    (
        Page::NetworkDiagram,
        "/network-diagram",
        "ネットワーク構成図",
    ),
    (Page::Audit, "/audit", "操作履歴"),
    (Page::Admin, "/admin", "管理"),
];

impl Page {
    /// The page's address in the menu.
    fn path(self) -> &'static str {
        MENU.iter()
            .find(|(p, _, _)| *p == self)
            .map_or("/", |(_, href, _)| href)
    }
}

/// One menu entry.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    /// Where it goes (with the chosen site).
    pub href: String,
    /// What it says.
    pub label: &'static str,
    /// The page shown now.
    pub active: bool,
}

/// A one-time message shown on the next page (after a form's redirect).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Flash {
    /// `ok` or `ng`.
    pub class: String,
    /// The message.
    pub text: String,
}

const FLASH_KEY: &str = "flash";

/// Leaves a message for the next page.
pub(crate) async fn flash(session: &Session, ok: bool, text: impl Into<String>) {
    let message = Flash {
        class: if ok { "ok" } else { "ng" }.to_owned(),
        text: text.into(),
    };
    if let Err(e) = session.insert(FLASH_KEY, message).await {
        tracing::warn!(error = %daicho_ledger_io::text::log_text(&e), "could not keep a console message");
    }
}

/// The frame every console page shares.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// 医療機関名 (printed on every page).
    pub facility: String,
    /// The account's name.
    pub user: String,
    /// The account's role, in Japanese.
    pub role_label: &'static str,
    /// The menu.
    pub nav: Vec<NavItem>,
    /// The message left by the last form.
    pub flash: Option<Flash>,
    /// When the page was made (JST), printed at the top of a printout.
    pub printed_at: String,
    /// The account may make ledger decisions (admin or operator): forms are shown.
    pub can_decide: bool,
    /// The site selector: a link for all the sites the account sees, then one for each; empty
    /// when it sees one site only (so a collector without sites shows none).
    pub sites: Vec<SiteLink>,
    /// The chosen site's name, carried by links and forms; empty when none is chosen or the
    /// account sees one site only.
    pub site: String,
    /// The name of the site shown (header and printout), when the collector has several sites.
    pub site_label: String,
    /// What the page's lists cover: the chosen site, else every site the account may see.
    pub scope: SiteScope,
    /// The site shown: the chosen one, else the account's only site.
    pub current: Option<Site>,
    /// Every site the account sees.
    pub visible: Vec<Site>,
}

impl Layout {
    /// The frame for `page` of `site` (the page's `?site=`; none: every site the account sees),
    /// taking the pending message. A site outside the account's sites is 403, an unknown one
    /// 400 ([`crate::site_access::requested_scope`]).
    pub(crate) async fn new(
        st: &AppState,
        signed: &Signed,
        page: Page,
        site: Option<&str>,
    ) -> Result<Self, ConsoleError> {
        let caller = signed.scope.clone();
        let named = site
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let asked = named.clone();
        let (facility, site_count, visible, scope) = on_ledger(st, move |l| {
            let scope = site_access::requested_scope(l, &caller, asked.as_deref())?;
            Ok((
                l.facility_name()?.unwrap_or_default(),
                l.sites()?.len(),
                site_access::visible_sites(l, &caller)?,
                scope,
            ))
        })
        .await?;
        let chosen = named.and_then(|n| visible.iter().find(|s| s.name == n).cloned());
        let current = match (&chosen, visible.as_slice()) {
            (Some(site), _) => Some(site.clone()),
            (None, [only]) => Some(only.clone()),
            (None, _) => None,
        };
        let several = visible.len() > 1;
        let site = match &chosen {
            Some(s) if several => s.name.clone(),
            _ => String::new(),
        };
        let site_label = match &current {
            Some(s) if site_count > 1 => s.display_name().to_owned(),
            _ => String::new(),
        };
        let here = page.path();
        let selector = if several {
            std::iter::once(SiteLink {
                label: "すべてのサイト".to_owned(),
                href: here.to_owned(),
                active: site.is_empty(),
                all: true,
            })
            .chain(visible.iter().map(|s| SiteLink {
                label: s.display_name().to_owned(),
                href: with_site(here, Some(&s.name)),
                active: s.name == site,
                all: false,
            }))
            .collect()
        } else {
            Vec::new()
        };
        let flash = signed
            .session
            .remove::<Flash>(FLASH_KEY)
            .await
            .ok()
            .flatten();
        let nav = MENU
            .iter()
            .filter(|(p, _, _)| *p != Page::Admin || signed.role.can_administer())
            .map(|&(p, href, label)| NavItem {
                href: with_site(href, Some(&site)),
                label,
                active: p == page,
            })
            .collect();
        Ok(Self {
            facility,
            user: signed.name.clone(),
            role_label: signed.role.label(),
            nav,
            flash,
            printed_at: daicho_ledger_io::export::now_jst()
                .format("%Y/%m/%d %H:%M")
                .to_string(),
            can_decide: signed.role.can_decide(),
            sites: selector,
            site,
            site_label,
            scope,
            current,
            visible,
        })
    }

    /// Whether the account sees several sites (the selector and the サイト column are shown).
    pub(crate) fn several_sites(&self) -> bool {
        !self.sites.is_empty()
    }

    /// `path` keeping the chosen site (for links in templates).
    pub(crate) fn href(&self, path: &str) -> String {
        with_site(path, Some(&self.site))
    }

    /// The label of the site with this id among those the account sees (empty when unknown).
    pub(crate) fn site_label_of(&self, id: impl Borrow<daicho_ledger::SiteId>) -> String {
        let id = *id.borrow();
        self.visible
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.display_name().to_owned())
            .unwrap_or_default()
    }
}

/// The facility name as set in the console (empty until set).
pub(crate) async fn facility_name(st: &AppState) -> Result<String, ConsoleError> {
    Ok(on_ledger(st, daicho_ledger::Ledger::facility_name)
        .await?
        .unwrap_or_default())
}

/// Renders a template as an HTML answer.
pub(crate) fn html(template: &impl Template) -> Result<Response, ConsoleError> {
    template
        .render()
        .map(|body| Html(body).into_response())
        .map_err(|e| {
            tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "console template failed");
            ConsoleError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "画面を作れませんでした。",
            )
        })
}

/// After a form: back to `to` (303, so a reload does not post again).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A console error page: status, heading and one sentence.
#[derive(Debug)]
pub(crate) struct ConsoleError {
    status: StatusCode,
    message: String,
}

impl ConsoleError {
    /// An error page with this status and message.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 403 for an account whose role may not do this.
    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "この操作の権限がありません（閲覧アカウントは閲覧とダウンロードのみ）。",
        )
    }
}

impl From<Failure> for ConsoleError {
    fn from(f: Failure) -> Self {
        Self::new(f.status(), f.message())
    }
}

impl From<daicho_ledger::LedgerError> for ConsoleError {
    fn from(e: daicho_ledger::LedgerError) -> Self {
        Failure::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    heading: &'a str,
    message: &'a str,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let heading = match self.status {
            StatusCode::FORBIDDEN => "権限がありません",
            StatusCode::NOT_FOUND => "見つかりません",
            StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                "入力を確認してください"
            }
            _ => "エラーが発生しました",
        };
        let page = ErrorPage {
            heading,
            message: &self.message,
        };
        let body = page.render().unwrap_or_else(|_| self.message.clone());
        (self.status, Html(body)).into_response()
    }
}

/// Middleware: the console's headers on every answer — no caching of ledger pages, no framing,
/// scripts and styles from this server only (device-supplied text can never run).
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
