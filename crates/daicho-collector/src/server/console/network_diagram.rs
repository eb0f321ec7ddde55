//! `GET /network-diagram?paper=a3|a4`: the network diagram (BCP 1-1, ネットワーク構成図) of one
//! site on screen, the SVG inline, printable on the paper chosen (landscape); and
//! `GET /network-diagram/download?format=svg|pdf&paper=a3|a4`, the same drawing as the file the
//! CLI's `report network-diagram` writes. The site is [`crate::site_access::report_site`]'s
//! (the `?site=`, else the account's only site); the drawing is gathered by
//! [`crate::network_map`].

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use daicho_diagram::Paper;

use super::form::FormFields;
use super::render::{ConsoleError, Layout, Page, html};
use super::session::Signed;
use super::sites::{SiteParam, must_choose};
use crate::network_map::{DiagramError, DiagramFormat, site_diagram};
use crate::server::AppState;
use crate::server::download::attachment;
use crate::server::extract::on_ledger;
use crate::site_access::report_site;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/network-diagram", get(page))
        .route("/network-diagram/download", get(download))
}

#[derive(Template)]
#[template(path = "console/network_diagram.html")]
struct DiagramPage {
    layout: Layout,
    /// `a3` or `a4`.
    paper: &'static str,
    /// The PDF's download path (without the site).
    pdf_path: String,
    /// The SVG's.
    svg_path: String,
    /// The drawing, made by `daicho-diagram`'s SVG writer, which escapes every text in it.
    svg: String,
    /// No site chosen among several: the drawing waits for one.
    choose: bool,
}

/// The paper a query asks for (A3 by default).
fn paper_of(query: &FormFields) -> Result<Paper, ConsoleError> {
    query.choice("paper", "用紙", &[("a3", Paper::A3), ("a4", Paper::A4)])
}

/// The diagram file of the site the request is for.
async fn diagram(
    st: &AppState,
    signed: &Signed,
    site: Option<String>,
    format: DiagramFormat,
    paper: Paper,
) -> Result<Vec<u8>, ConsoleError> {
    let scope = signed.scope.clone();
    let made = on_ledger(st, move |l| {
        let site = report_site(l, &scope, site.as_deref())?;
        Ok::<_, daicho_ledger::LedgerError>(site_diagram(l, &site, format, paper))
    })
    .await?;
    made.map_err(|e| match e {
        DiagramError::Ledger(e) => ConsoleError::from(e),
        DiagramError::Font(e) => {
            tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "network diagram PDF failed");
            ConsoleError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "PDF を作れませんでした: 日本語フォントがありません（パッケージ {} を導入してください）。",
                    daicho_diagram::font::FONT_PACKAGE
                ),
            )
        }
    })
}

/// `GET /network-diagram`.
async fn page(
    State(st): State<AppState>,
    signed: Signed,
    SiteParam(site): SiteParam,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let paper = paper_of(&query)?;
    let layout = Layout::new(&st, &signed, Page::NetworkDiagram, site.as_deref()).await?;
    let choose = must_choose(&layout);
    let svg = if choose {
        String::new()
    } else {
        String::from_utf8(diagram(&st, &signed, site, DiagramFormat::Svg, paper).await?)
            .unwrap_or_default()
    };
    let paper = if paper == Paper::A4 { "a4" } else { "a3" };
    html(&DiagramPage {
        layout,
        paper,
        pdf_path: format!("/network-diagram/download?format=pdf&paper={paper}"),
        svg_path: format!("/network-diagram/download?format=svg&paper={paper}"),
        svg,
        choose,
    })
}

/// `GET /network-diagram/download?format=svg|pdf&paper=a3|a4&site=NAME` (SVG on A3 by default).
async fn download(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let format = query.choice(
        "format",
        "形式",
        &[("svg", DiagramFormat::Svg), ("pdf", DiagramFormat::Pdf)],
    )?;
    let paper = paper_of(&query)?;
    let site = query.get("site").map(str::to_owned);
    let bytes = diagram(&st, &signed, site, format, paper).await?;
    let name = format!(
        "daicho-network-diagram-{}.{}",
        paper.name().to_lowercase(),
        format.extension()
    );
    Ok(attachment(bytes, format.content_type(), &name))
}
