//! `POST /api/v1/reports`: an agent's scan report, optionally gzip-compressed, merged into the
//! ledger in one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest as _, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::{Extension, Json};
use daicho_ledger::TokenInfo;
use daicho_model::ScanReport;
use daicho_model::api::ReportAccepted;
use daicho_model::gzip::InflateError;

use crate::metrics::Rejection;
use crate::server::error::{Failure, bad_json, body_failure, too_large};
use crate::server::extract::blocking;
use crate::server::{AppState, Limits};

/// How long a gzip report waits for a decompression slot before 503.
const DECOMPRESSION_WAIT: Duration = Duration::from_secs(2);
/// The Retry-After of that 503, in seconds.
const DECOMPRESSION_RETRY_AFTER: &str = "5";
/// How long the body of a report refused that way is read (and dropped) before the answer.
const DISCARD_WAIT: Duration = Duration::from_secs(10);

/// Whether the body is gzip (then it takes a decompression slot).
fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip")
        })
}

/// The report body as JSON bytes: checks the content type and undoes gzip, bounded.
fn decode_body(headers: &HeaderMap, body: Bytes, limits: Limits) -> Result<Bytes, Failure> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("content type `{ct}` is not application/json"),
            ));
        }
    }
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or_default().trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => {
            if body.len() > limits.max_decompressed_bytes {
                return Err(too_large(limits.max_decompressed_bytes));
            }
            Ok(body)
        }
        Some("gzip" | "x-gzip") => {
            daicho_model::gzip::inflate_bounded(&body, limits.max_decompressed_bytes)
                .map(Bytes::from)
                .map_err(|e| match e {
                    InflateError::TooLarge { limit } => too_large(limit),
                    InflateError::Invalid(_) => {
                        Failure::new(StatusCode::BAD_REQUEST, e.to_string())
                    }
                })
        }
        Some(other) => Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content encoding `{other}` is not supported (use gzip or none)"),
        )),
    }
}

pub(super) async fn post_report(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    headers: HeaderMap,
    request: Request,
) -> Result<(StatusCode, Json<ReportAccepted>), Response> {
    // At most `server.max_concurrent_decompressions` gzip reports are read, decompressed and
    // parsed at once (each holds its body, up to max_body_bytes, and up to
    // max_decompressed_bytes decompressed); one more waits briefly with its body unread, then
    // 503. The slot is taken before the body is read, or every waiting report would hold its
    // body in memory meanwhile.
    let slot = if is_gzip(&headers) {
        let wait = tokio::time::timeout(
            DECOMPRESSION_WAIT,
            Arc::clone(&st.decompressions).acquire_owned(),
        )
        .await;
        if let Ok(Ok(permit)) = wait {
            Some(permit)
        } else {
            st.metrics.rejected(Rejection::Internal);
            tracing::warn!(agent = %token.name, "report refused: every decompression slot is busy");
            // Read and drop the body (never kept), so that the agent reads the 503 rather than a
            // connection reset from a close with its body unread.
            discard_body(request.into_body(), st.limits.max_body_bytes).await;
            return Err((
                AppendHeaders([(header::RETRY_AFTER, DECOMPRESSION_RETRY_AFTER)]),
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the collector is decompressing other reports; retry later",
                ),
            )
                .into_response());
        }
    } else {
        None
    };
    let body = Bytes::from_request(request, &st).await;
    ingest(st, token, headers, body, slot)
        .await
        .map_err(IntoResponse::into_response)
}

/// Reads `body` to its end and drops each chunk, for at most `limit` bytes and
/// [`DISCARD_WAIT`].
async fn discard_body(mut body: Body, limit: usize) {
    let drain = async {
        let mut read = 0usize;
        while let Some(Ok(frame)) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            read += frame.data_ref().map_or(0, Bytes::len);
            if read > limit {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_WAIT, drain).await;
}

async fn ingest(
    st: AppState,
    token: TokenInfo,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
) -> Result<(StatusCode, Json<ReportAccepted>), Failure> {
    let limits = st.limits;
    let body = body.map_err(|r| {
        let f = body_failure(&r, limits.max_body_bytes);
        st.metrics
            .rejected(if f.status == StatusCode::PAYLOAD_TOO_LARGE {
                Rejection::TooLarge
            } else {
                Rejection::Malformed
            });
        f
    })?;
    let ledger = st.ledger.clone();
    let metrics = st.metrics.clone();
    let wake = Arc::clone(&st.alerts_wake);
    blocking(move || {
        let json = decode_body(&headers, body, limits).inspect_err(|f| {
            metrics.rejected(match f.status {
                StatusCode::PAYLOAD_TOO_LARGE => Rejection::TooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => Rejection::Unsupported,
                _ => Rejection::Malformed,
            });
        })?;
        let mut report = ScanReport::from_json(&json).map_err(|e| {
            metrics.rejected(Rejection::Malformed);
            bad_json(&e)
        })?;
        // The decompressed bytes are gone once parsed: the slot is free for the next report.
        drop(json);
        drop(slot);
        if report.hosts.len() > limits.max_hosts_per_report {
            metrics.rejected(Rejection::TooLarge);
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the report holds {} hosts, more than server.max_hosts_per_report ({}); \
                     split the scan scope",
                    report.hosts.len(),
                    limits.max_hosts_per_report
                ),
            ));
        }
        // A token is bound to its agent name: it cannot report under another.
        if report.agent.name != token.name {
            metrics.rejected(Rejection::Auth);
            // Shown bounded and escaped: the name is the agent's to choose.
            let shown = |name: &str| {
                let mut s = name.to_owned();
                daicho_model::bounds::truncate_marked(&mut s, 100);
                daicho_ledger_io::text::log_text(&s).to_string()
            };
            let (token_name, agent_name) = (shown(&token.name), shown(&report.agent.name));
            tracing::warn!(token = %token_name, agent = %agent_name,
                "report refused: its agent name differs from its token's name");
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the report's agent.name `{agent_name}` differs from this token's agent \
                     name `{token_name}`; create a token for agent `{agent_name}` \
                     (token create --agent NAME must match the agent's [agent] name)"
                ),
            ));
        }
        // Over-long strings and lists are cut, never the report refused; each cut is noted in
        // the stored report's warnings.
        let cut = daicho_model::bounds::bound_strings(&mut report);
        if !cut.is_empty() {
            tracing::warn!(agent = %daicho_ledger_io::text::log_text(&token.name), fields = cut.len(),
                "report stored with over-long fields truncated");
            report.warnings.extend(cut);
        }
        // The collector's registry names the vendors, not the agent's (which may be older).
        daicho_data::resolve_report(&mut report);
        let started = Instant::now();
        let outcome = ledger.ingest_at(token.agent_site(), &report, Some(&token.name)).map_err(|e| {
            metrics.rejected(Rejection::Internal);
            Failure::from(e)
        })?;
        let status = if outcome.duplicate {
            metrics.duplicate();
            StatusCode::OK
        } else {
            metrics.accepted(report.hosts.len(), started.elapsed());
            wake.notify_one();
            StatusCode::CREATED
        };
        Ok((
            status,
            Json(ReportAccepted {
                report_id: outcome.report_id,
                duplicate: outcome.duplicate,
                devices: outcome.devices,
                data_bundle: daicho_data::applied_serial(),
            }),
        ))
    })
    .await
}
