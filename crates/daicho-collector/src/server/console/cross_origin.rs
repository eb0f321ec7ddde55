//! The cross-site request check of the console's forms: a state-changing request (anything but
//! GET, HEAD, OPTIONS) from another origin is refused with 403.
//!
//! The rule is the one Go 1.25's `CrossOriginProtection` and tower-http 0.7's CSRF layer use
//! (Fetch Metadata first, then `Origin` against `Host`); it is written here because tower-http
//! 0.7 would be a second tower-http beside the 0.6 that reqwest needs. A request with neither
//! header comes from no browser (curl, the agent) and carries no ambient session, so it passes.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::render::ConsoleError;

/// Why a request was refused, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrossOrigin {
    /// `Sec-Fetch-Site` says the request came from another site or origin.
    FetchSite,
    /// `Origin` names another host than the request's `Host`.
    OriginMismatch,
}

/// Decides whether a request may change state. `None`: allowed.
pub(crate) fn check(method: &Method, headers: &HeaderMap) -> Option<CrossOrigin> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => None,
            _ => Some(CrossOrigin::FetchSite),
        };
    }
    // Neither header: not a browser, so no ambient session to abuse.
    let origin = headers.get(header::ORIGIN)?;
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest));
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => None,
        _ => Some(CrossOrigin::OriginMismatch),
    }
}

/// Middleware: refuses cross-origin state changes before any handler runs.
pub(crate) async fn refuse_cross_origin(req: Request, next: Next) -> Response {
    if let Some(why) = check(req.method(), req.headers()) {
        tracing::warn!(path = %daicho_ledger_io::text::log_text(req.uri().path()), ?why, "cross-origin form post refused");
        return ConsoleError::new(
            StatusCode::FORBIDDEN,
            "別のサイトから送られた操作は受け付けません（cross-origin request refused）。",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert_eq!(check(&Method::GET, &h), None);
        assert_eq!(check(&Method::HEAD, &h), None);
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let post = Method::POST;
        assert_eq!(
            check(&post, &headers(&[("sec-fetch-site", "same-origin")])),
            None
        );
        assert_eq!(check(&post, &headers(&[("sec-fetch-site", "none")])), None);
        assert_eq!(
            check(&post, &headers(&[("sec-fetch-site", "same-site")])),
            Some(CrossOrigin::FetchSite)
        );
        // Sec-Fetch-Site wins over a matching Origin.
        assert_eq!(
            check(
                &post,
                &headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "http://c:8640"),
                    ("host", "c:8640")
                ])
            ),
            Some(CrossOrigin::FetchSite)
        );
    }

    #[test]
    fn origin_must_match_host_without_fetch_metadata() {
        let post = Method::POST;
        let same = headers(&[
            ("origin", "https://collector:8640"),
            ("host", "collector:8640"),
        ]);
        assert_eq!(check(&post, &same), None);
        let other = headers(&[
            ("origin", "https://evil.example"),
            ("host", "collector:8640"),
        ]);
        assert_eq!(check(&post, &other), Some(CrossOrigin::OriginMismatch));
        let port = headers(&[
            ("origin", "http://collector:9999"),
            ("host", "collector:8640"),
        ]);
        assert_eq!(check(&post, &port), Some(CrossOrigin::OriginMismatch));
        let null = headers(&[("origin", "null"), ("host", "collector:8640")]);
        assert_eq!(check(&post, &null), Some(CrossOrigin::OriginMismatch));
    }

    #[test]
    fn no_browser_headers_pass() {
        assert_eq!(check(&Method::POST, &HeaderMap::new()), None);
    }
}
