//! Which site a console page covers: the `?site=NAME` of a page (a `site` hidden field in its
//! forms), checked against the signed-in account's sites by [`crate::site_access`], the one
//! rule; the links and redirects that keep the chosen site; and the page shown when a per-site
//! page (接続元制限, 台帳の取り込み) is opened with several sites to choose from.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use super::render::{ConsoleError, Layout, html};

/// The `site` of a request's query string (`None` when absent or blank).
#[derive(Debug, Clone, Default)]
pub(crate) struct SiteParam(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SiteParam {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(site_of(parts.uri.query())))
    }
}

/// The `site` field of a query string or form body (`None` when absent or blank).
pub(crate) fn site_of(raw: Option<&str>) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "site")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `path` with `site=NAME` added when a site is given (a local path stays local).
pub(crate) fn with_site(path: &str, site: Option<&str>) -> String {
    match site.map(str::trim).filter(|s| !s.is_empty()) {
        None => path.to_owned(),
        Some(site) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            let encoded: String = form_urlencoded::byte_serialize(site.as_bytes()).collect();
            format!("{path}{sep}site={encoded}")
        }
    }
}

/// One entry of the site selector in the header.
#[derive(Debug, Clone)]
pub(crate) struct SiteLink {
    /// What it says (the site's label, or すべてのサイト).
    pub label: String,
    /// The same page for that site.
    pub href: String,
    /// The site shown now.
    pub active: bool,
    /// The entry for every site the account sees (no site chosen).
    pub all: bool,
}

/// The page asking which site a per-site page is for.
#[derive(Template)]
#[template(path = "console/site_choice.html")]
struct SiteChoicePage<'a> {
    layout: Layout,
    /// What the page is (接続元制限, …).
    what: &'a str,
}

/// A per-site page opened without a site while the account sees several: the choice of site
/// (each a link to the same page for that site, as in the header's selector).
pub(crate) fn choose_site(layout: Layout, what: &str) -> Result<Response, ConsoleError> {
    html(&SiteChoicePage { layout, what })
}

/// Whether a per-site page must first ask for the site: none chosen, several visible.
pub(crate) fn must_choose(layout: &Layout) -> bool {
    layout.several_sites() && layout.site.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_read_and_kept_in_links() {
        assert_eq!(
            site_of(Some("view=eol&site=east-1")).as_deref(),
            Some("east-1")
        );
        assert_eq!(site_of(Some("site=+")), None);
        assert_eq!(site_of(None), None);
        assert_eq!(with_site("/devices", Some("east")), "/devices?site=east");
        assert_eq!(
            with_site("/alerts?all=1", Some("east")),
            "/alerts?all=1&site=east"
        );
        assert_eq!(with_site("/triage", None), "/triage");
        assert_eq!(with_site("/x", Some("a&b")), "/x?site=a%26b");
    }
}
