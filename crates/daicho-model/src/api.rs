//! Request and response bodies of the collector API (`/api/v1/`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The collector's answer to `POST /api/v1/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAccepted {
    /// The report's id, echoed.
    pub report_id: Uuid,
    /// True when this id had already been stored: the push was a retry and changed nothing.
    pub duplicate: bool,
    /// How many ledger devices the report touched.
    pub devices: usize,
    /// The serial of the data bundle the collector uses (absent: its compiled-in data). An
    /// agent whose own is older fetches `GET /api/v1/data/bundle`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bundle: Option<u64>,
}

/// The body of every error answer: one sentence an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong.
    pub error: String,
}

/// `GET /healthz` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the collector can reach its database.
    pub status: String,
    /// The collector's version.
    pub version: String,
}
