//! A test double of the collector's report API (`POST /api/v1/reports`), on 127.0.0.1.
//!
//! It checks what the real collector checks (bearer token, gzip body, a report the wire model
//! accepts), records every delivery per report id, and answers like the collector: `duplicate`
//! when the id was seen before. Its behaviour can be switched to 503, stopped (port closed) and
//! restarted on the same port, or made to record a report and then hang before answering.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use daicho_model::ScanReport;
use daicho_model::api::ReportAccepted;
use uuid::Uuid;

/// How the double answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Store and answer 201.
    Accept = 0,
    /// Answer 503 without storing.
    Unavailable = 1,
    /// Store the next report, then hang before answering (a lost acknowledgement); later
    /// requests are accepted normally.
    RecordThenHang = 2,
}

/// What the double saw; shared across restarts.
#[derive(Default)]
pub struct Record {
    /// Deliveries per report id (more than 1 = a duplicate the dedup caught).
    pub deliveries: Mutex<HashMap<Uuid, usize>>,
    /// Every report stored, in arrival order (first delivery of each id only).
    pub stored: Mutex<Vec<ScanReport>>,
    /// Requests answered 503.
    pub refused: AtomicUsize,
    /// Requests refused for a bad token.
    pub unauthorized: AtomicUsize,
    mode: AtomicU8,
}

impl Record {
    /// Switches behaviour.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
    fn mode(&self) -> Mode {
        match self.mode.load(Ordering::SeqCst) {
            1 => Mode::Unavailable,
            2 => Mode::RecordThenHang,
            _ => Mode::Accept,
        }
    }
    /// Distinct ids stored.
    pub fn ids(&self) -> Vec<Uuid> {
        self.deliveries.lock().unwrap().keys().copied().collect()
    }
    /// The reports stored, first delivery of each id.
    pub fn reports(&self) -> Vec<ScanReport> {
        self.stored.lock().unwrap().clone()
    }
    /// How often `id` was delivered.
    pub fn count(&self, id: Uuid) -> usize {
        self.deliveries
            .lock()
            .unwrap()
            .get(&id)
            .copied()
            .unwrap_or(0)
    }
}

struct Shared {
    record: Arc<Record>,
    token: String,
}

/// A running double.
pub struct CollectorDouble {
    /// What it saw.
    pub record: Arc<Record>,
    /// Where it listens.
    pub addr: SocketAddr,
    token: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl CollectorDouble {
    /// Starts on a free loopback port.
    pub async fn start(token: &str) -> Self {
        let mut double = Self {
            record: Arc::new(Record::default()),
            addr: "127.0.0.1:0".parse().unwrap(),
            token: token.to_owned(),
            task: None,
        };
        double.restart().await;
        double
    }

    /// (Re)starts listening on the same port, keeping the record.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            record: Arc::clone(&self.record),
            token: self.token.clone(),
        });
        let app = Router::new()
            .route("/api/v1/reports", post(receive))
            .with_state(shared);
        self.task = Some(tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        }));
    }

    /// Stops: the port is closed and open connections are dropped.
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// The base URL for the agent's config.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let record = &shared.record;
    let expected = format!("Bearer {}", shared.token);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        record.unauthorized.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::UNAUTHORIZED, r#"{"error":"bad token"}"#.into());
    }
    if record.mode() == Mode::Unavailable {
        record.refused.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"maintenance"}"#.into(),
        );
    }
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("gzip")
    {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"expected gzip"}"#.into(),
        );
    }
    let mut json = Vec::new();
    if let Err(e) = flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut json) {
        return (
            StatusCode::BAD_REQUEST,
            format!(r#"{{"error":"gzip: {e}"}}"#),
        );
    }
    let report = match ScanReport::from_json(&json) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, format!(r#"{{"error":"{e}"}}"#)),
    };
    let duplicate = {
        let mut deliveries = record.deliveries.lock().unwrap();
        let count = deliveries.entry(report.report_id).or_default();
        *count += 1;
        *count > 1
    };
    if !duplicate {
        record.stored.lock().unwrap().push(report.clone());
    }
    if record.mode() == Mode::RecordThenHang {
        record.set_mode(Mode::Accept);
        tokio::time::sleep(Duration::from_mins(2)).await;
    }
    let accepted = ReportAccepted {
        report_id: report.report_id,
        duplicate,
        devices: report.hosts.len() + usize::from(report.local.is_some()),
        data_bundle: None,
    };
    (
        if duplicate {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        serde_json::to_string(&accepted).unwrap(),
    )
}
