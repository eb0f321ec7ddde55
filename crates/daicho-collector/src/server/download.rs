//! Files handed to the browser (the ledger, the checklist, allowlists): the attachment answer
//! and the ledger file's format choice, shared by the API and the console.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use daicho_ledger_io::CsvEncoding;

use super::error::Failure;

/// The XLSX media type.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `bytes` as a download named `name`.
pub(crate) fn attachment(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The ledger file asked for: `format=csv` (default; `encoding=utf8|cp932`) or `format=xlsx`.
/// `None` is XLSX.
pub(crate) fn ledger_format(
    format: Option<&str>,
    encoding: Option<&str>,
) -> Result<Option<CsvEncoding>, Failure> {
    match (format.unwrap_or("csv"), encoding) {
        ("xlsx", None | Some("")) => Ok(None),
        ("csv", None | Some("" | "utf8")) => Ok(Some(CsvEncoding::Utf8Bom)),
        ("csv", Some("cp932")) => Ok(Some(CsvEncoding::Cp932)),
        (f, e) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            format!(
                "unsupported format `{f}`{}: use format=csv (encoding=utf8|cp932) or format=xlsx",
                e.map(|e| format!(" with encoding `{e}`"))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// The ledger file as a download, named and typed for its format.
pub(crate) fn ledger_file(bytes: Vec<u8>, csv: Option<CsvEncoding>) -> Response {
    match csv {
        None => attachment(bytes, XLSX, "daicho-ledger.xlsx"),
        Some(CsvEncoding::Utf8Bom) => {
            attachment(bytes, "text/csv; charset=utf-8", "daicho-ledger.csv")
        }
        Some(CsvEncoding::Cp932) => {
            attachment(bytes, "text/csv; charset=Shift_JIS", "daicho-ledger.csv")
        }
    }
}

/// The header a CP932 export's notice travels in (ASCII; the CLI prints the Japanese text).
pub(crate) const NOTICE_HEADER: &str = "x-daicho-notice";

/// Adds `notice` (characters CP932 could not hold, replaced or dropped) as [`NOTICE_HEADER`].
pub(crate) fn with_notice(
    mut response: Response,
    notice: Option<&daicho_ledger_io::Cp932Notice>,
) -> Response {
    if let Some(value) = notice.and_then(|n| axum::http::HeaderValue::from_str(&n.ascii()).ok()) {
        response.headers_mut().insert(NOTICE_HEADER, value);
    }
    response
}

/// The checklist evidence as a download: the XLSX workbook, or the printable HTML page. The
/// error is the workbook writer's message.
pub(crate) fn checklist_file(
    report: &daicho_ledger_io::checklist::ChecklistReport,
    xlsx: bool,
) -> Result<Response, String> {
    if xlsx {
        let bytes = daicho_ledger_io::checklist::render_xlsx(report).map_err(|e| e.to_string())?;
        Ok(attachment(bytes, XLSX, "daicho-checklist.xlsx"))
    } else {
        Ok(attachment(
            daicho_ledger_io::checklist::render_html(report).into_bytes(),
            "text/html; charset=utf-8",
            "daicho-checklist.html",
        ))
    }
}
