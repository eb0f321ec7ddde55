//! The error answer of every route: a status and one sentence, as [`ApiError`] JSON.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use daicho_ledger::LedgerError;
use daicho_model::ModelError;
use daicho_model::api::ApiError;

/// An error answer: a status and one sentence, as [`ApiError`] JSON.
#[derive(Debug)]
pub struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The sentence it answers with.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ApiError {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"daicho\""),
            );
        }
        response
    }
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        match &e {
            LedgerError::NoSuchDevice(_) | LedgerError::NoSuchToken(_) => {
                Self::new(StatusCode::NOT_FOUND, e.to_string())
            }
            LedgerError::Invalid(_) => Self::new(StatusCode::BAD_REQUEST, e.to_string()),
            LedgerError::Conflict(_) => Self::new(StatusCode::CONFLICT, e.to_string()),
            LedgerError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, e.to_string()),
            _ => {
                tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "ledger failure");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

impl From<crate::evidence::EvidenceError> for Failure {
    /// A file the ledger cannot be written into (e.g. an XLSX cell limit) is 422.
    fn from(e: crate::evidence::EvidenceError) -> Self {
        match e {
            crate::evidence::EvidenceError::Ledger(e) => e.into(),
            crate::evidence::EvidenceError::Export(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
        }
    }
}

/// 400 for a body that is not the JSON expected; the message names the field.
pub(crate) fn bad_json(e: &ModelError) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, e.to_string())
}

/// 413 for a report larger than `limit` once decompressed.
pub(crate) fn too_large(limit: usize) -> Failure {
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the decompressed report is larger than {limit} bytes"),
    )
}

/// The answer to a body that could not be read (413 above `limit`).
pub(crate) fn body_failure(rejection: &BytesRejection, limit: usize) -> Failure {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {limit} bytes"),
        )
    } else {
        Failure::new(rejection.status(), rejection.body_text())
    }
}

/// The fallback for a known route asked with another method.
pub(crate) async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method",
    )
}

/// The fallback for an unknown route.
pub(crate) async fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "no such route")
}
