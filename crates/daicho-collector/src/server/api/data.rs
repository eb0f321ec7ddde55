//! `GET /api/v1/data/bundle`: the collector's installed data bundle, for agents to fetch when
//! a report's answer names a newer serial than theirs. Served as stored: an agent verifies the
//! signature itself and trusts no bundle for coming from its collector.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use daicho_bundle::Store;

use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::extract::blocking;

pub(super) async fn get_bundle(State(st): State<AppState>) -> Result<Response, Failure> {
    let dir = st.data_dir.clone();
    let bytes = blocking(move || {
        Store::new(dir.as_path())
            .current_bytes()
            .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    })
    .await?;
    match bytes {
        Some(bytes) => {
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
        None => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no data bundle is installed on this collector (it uses its compiled-in data)",
        )),
    }
}
