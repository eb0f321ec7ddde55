//! The HTTP API (axum). Routes, authentication and limits are documented on [`router`].

use std::future::Future;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json};
use daicho_ledger::exceptions::NewException;
use daicho_ledger::{
    DeviceFilter, EventFilter, Ledger, LedgerError, LedgerFieldsPatch, Role, TokenInfo,
};
use daicho_model::api::{ApiError, Health, ReportAccepted};
use daicho_model::report::from_json_with_path;
use daicho_model::{MacAddr, ModelError, ScanReport};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::metrics::{Metrics, Rejection};
use crate::tls::{self, TlsError, TlsListener};

mod files;
mod restrictions;

/// Largest body of an operator request (PATCH, merge, split).
const OPERATOR_BODY_LIMIT: usize = 1024 * 1024;

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body as sent.
    pub max_body_bytes: usize,
    /// Largest report after decompression.
    pub max_decompressed_bytes: usize,
    /// Time to answer a request.
    pub request_timeout: Duration,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The ledger.
    pub ledger: Arc<Ledger>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Limits.
    pub limits: Limits,
    /// Wakes the alert worker (after an ingest or an operator decision).
    pub alerts_wake: Arc<tokio::sync::Notify>,
}

/// An error answer: a status and one sentence, as [`ApiError`] JSON.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
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
            _ => {
                tracing::error!(error = %e, "ledger failure");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

fn bad_json(e: &ModelError) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, e.to_string())
}

/// Runs `work` on the ledger off the async threads; a ledger error becomes its HTTP answer.
async fn on_ledger<T: Send + 'static>(
    st: &AppState,
    work: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, Failure> {
    let ledger = Arc::clone(&st.ledger);
    blocking(move || work(&ledger).map_err(Failure::from)).await
}

/// The query string, or 400 naming what is wrong with it.
fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Failure> {
    query
        .map(|Query(q)| q)
        .map_err(|r| Failure::new(StatusCode::BAD_REQUEST, r.body_text()))
}

/// Runs blocking ledger work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal task failed: {e}"),
        ))
    })
}

/// The API.
///
/// | route | auth | answers |
/// |---|---|---|
/// | `POST /api/v1/reports` | agent token | 201 stored / 200 duplicate ([`ReportAccepted`]), 400, 401, 403, 413, 415 |
/// | `GET /api/v1/devices?flag&status&presence&subnet&q&limit&offset` | operator token | 200 `DevicePage`, 400 |
/// | `GET /api/v1/devices/{id}` | operator | 200 `DeviceDetail`, 404 |
/// | `PATCH /api/v1/devices/{id}` | operator | 200 `DeviceDetail`, 400, 404, 409 |
/// | `POST /api/v1/devices/{id}/merge` `{"from": B}` | operator | 200 `MergeOutcome`, 400, 404 |
/// | `POST /api/v1/devices/{id}/split` `{"macs": [..]}` | operator | 201 `SplitOutcome`, 400, 404 |
/// | `GET /api/v1/events?device&kind&since&after&limit` | operator | 200 `[EventRecord]` |
/// | `GET /api/v1/ledger/export?format=csv\|xlsx&encoding=utf8\|cp932&registered_only&facility` | operator | 200 file, 400, 422 |
/// | `GET /api/v1/reports/checklist?format=html\|xlsx&facility&restriction_applied&restriction_note` | operator | 200 file, 400 |
/// | `GET /api/v1/allowlist/records?all` | operator | 200 `[RestrictionRecord]` |
/// | `POST /api/v1/allowlist/records` `AppliedAllowlist` | operator | 201 `RestrictionRecord`, 400 |
/// | `DELETE /api/v1/allowlist/records/{id}` | operator | 204, 400 |
/// | `GET /healthz` | none | 200 / 503 [`Health`] |
/// | `GET /metrics` | none | 200 Prometheus text |
///
/// Every error body is [`ApiError`] JSON. A request not answered within the timeout gets 408.
pub fn router(state: AppState) -> Router {
    let agent = Router::new()
        .route("/api/v1/reports", post(post_report))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .route_layer(middleware::from_fn_with_state(state.clone(), agent_auth));
    let operator = Router::new()
        .route("/api/v1/devices", get(list_devices))
        .route("/api/v1/devices/{id}", get(get_device).patch(patch_device))
        .route("/api/v1/devices/{id}/merge", post(merge_device))
        .route("/api/v1/devices/{id}/split", post(split_device))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/devices/{id}/role", put(put_role))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{id}/ack", post(ack_alert))
        .route(
            "/api/v1/exceptions",
            get(list_exceptions).post(post_exception),
        )
        .route("/api/v1/exceptions/{id}", delete(delete_exception))
        .route("/api/v1/ledger/export", get(files::ledger_export))
        .route("/api/v1/reports/checklist", get(files::checklist))
        .route(
            "/api/v1/allowlist/records",
            get(restrictions::list).post(restrictions::record),
        )
        .route(
            "/api/v1/allowlist/records/{id}",
            delete(restrictions::withdraw),
        )
        .layer(DefaultBodyLimit::max(OPERATOR_BODY_LIMIT))
        .route_layer(middleware::from_fn_with_state(state.clone(), operator_auth));
    Router::new()
        .merge(agent)
        .merge(operator)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .with_state(state)
}

async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method",
    )
}

async fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "no such route")
}

async fn timeout(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.limits.request_timeout;
    if let Ok(response) = tokio::time::timeout(limit, next.run(req)).await {
        response
    } else {
        st.metrics.timed_out();
        Failure::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request was not completed within {} s", limit.as_secs()),
        )
        .into_response()
    }
}

async fn agent_auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    authenticate(st, Role::Agent, req, next).await
}

async fn operator_auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    authenticate(st, Role::Operator, req, next).await
}

/// Checks the bearer token before any body is read, so a refused push costs nothing.
async fn authenticate(st: AppState, role: Role, mut req: Request, next: Next) -> Response {
    let refuse = |failure: Failure| {
        if role == Role::Agent {
            st.metrics.rejected(Rejection::Auth);
        }
        failure.into_response()
    };
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "the Authorization header is not `Bearer <token>`",
        ));
    };
    let ledger = st.ledger.clone();
    let found = blocking(move || ledger.verify_token(&token).map_err(Failure::from)).await;
    match found {
        Err(f) => f.into_response(),
        Ok(None) => refuse(Failure::new(
            StatusCode::UNAUTHORIZED,
            "unknown or revoked token",
        )),
        Ok(Some(info)) if info.role != role => refuse(Failure::new(
            StatusCode::FORBIDDEN,
            format!(
                "this is an {} token; this route needs an {} token",
                info.role.as_str(),
                role.as_str()
            ),
        )),
        Ok(Some(info)) => {
            req.extensions_mut().insert(info);
            next.run(req).await
        }
    }
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
            let cap = limits.max_decompressed_bytes;
            let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(cap));
            flate2::read::GzDecoder::new(&body[..])
                .take(cap as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| {
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        format!("the body is not valid gzip: {e}"),
                    )
                })?;
            if out.len() > cap {
                return Err(too_large(cap));
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content encoding `{other}` is not supported (use gzip or none)"),
        )),
    }
}

fn too_large(limit: usize) -> Failure {
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the decompressed report is larger than {limit} bytes"),
    )
}

fn body_failure(rejection: &BytesRejection, limit: usize) -> Failure {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {limit} bytes"),
        )
    } else {
        Failure::new(rejection.status(), rejection.body_text())
    }
}

async fn post_report(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
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
        let report = ScanReport::from_json(&json).map_err(|e| {
            metrics.rejected(Rejection::Malformed);
            bad_json(&e)
        })?;
        if report.agent.name != token.name {
            tracing::warn!(token = %token.name, agent = %report.agent.name,
                "report's agent name differs from its token's name; storing both");
        }
        let started = Instant::now();
        let outcome = ledger.ingest(&report, Some(&token.name)).map_err(|e| {
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
            }),
        ))
    })
    .await
}

async fn list_devices(
    State(st): State<AppState>,
    query: Result<Query<DeviceFilter>, QueryRejection>,
) -> Result<Response, Failure> {
    let filter = query_of(query)?;
    let page = on_ledger(&st, move |ledger| ledger.list_devices(&filter)).await?;
    Ok(Json(page).into_response())
}

fn path_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, Failure> {
    path.map(|Path(id)| id).map_err(|_| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "the id in the path must be an integer",
        )
    })
}

async fn get_device(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let detail = on_ledger(&st, move |ledger| ledger.device(id)).await?;
    Ok(Json(detail).into_response())
}

fn operator_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Failure> {
    let body = body.map_err(|r| body_failure(&r, OPERATOR_BODY_LIMIT))?;
    from_json_with_path(&body).map_err(|e| bad_json(&e))
}

async fn patch_device(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let patch: LedgerFieldsPatch = operator_body(body)?;
    let detail = on_ledger(&st, move |ledger| ledger.update_ledger(id, &patch)).await?;
    Ok(Json(detail).into_response())
}

/// `POST /api/v1/devices/{id}/merge` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeRequest {
    /// The device to merge into `{id}`.
    from: i64,
}

async fn merge_device(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: MergeRequest = operator_body(body)?;
    let outcome = on_ledger(&st, move |ledger| ledger.merge_devices(id, req.from)).await?;
    Ok(Json(outcome).into_response())
}

/// `POST /api/v1/devices/{id}/split` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitRequest {
    /// The MACs to move to a new device.
    macs: Vec<MacAddr>,
}

async fn split_device(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: SplitRequest = operator_body(body)?;
    let outcome = on_ledger(&st, move |ledger| ledger.split_device(id, &req.macs)).await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

async fn list_events(
    State(st): State<AppState>,
    query: Result<Query<EventFilter>, QueryRejection>,
) -> Result<Response, Failure> {
    let filter = query_of(query)?;
    let events = on_ledger(&st, move |ledger| ledger.events(&filter)).await?;
    Ok(Json(events).into_response())
}

/// `PUT /api/v1/devices/{id}/role` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    /// A role id of the policy, or null to clear.
    role: Option<String>,
}

async fn put_role(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let id = path_id(path)?;
    let req: RoleRequest = operator_body(body)?;
    let detail = on_ledger(&st, move |ledger| {
        ledger.set_role(id, req.role.as_deref(), chrono::Utc::now())?;
        ledger.device(id)
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok(Json(detail).into_response())
}

/// `GET /api/v1/alerts` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertQuery {
    /// Only alerts not closed (default true).
    open: Option<bool>,
    /// At most this many (default 100, at most 1000).
    limit: Option<usize>,
}

async fn list_alerts(
    State(st): State<AppState>,
    query: Result<Query<AlertQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let alerts = on_ledger(&st, move |ledger| {
        ledger.alerts(q.open.unwrap_or(true), limit)
    })
    .await?;
    Ok(Json(alerts).into_response())
}

async fn ack_alert(
    State(st): State<AppState>,
    Extension(token): Extension<TokenInfo>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    on_ledger(&st, move |ledger| {
        ledger.acknowledge_alert(id, &token.name, chrono::Utc::now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/exceptions` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionQuery {
    /// Only this device's exceptions.
    device: Option<i64>,
}

async fn list_exceptions(
    State(st): State<AppState>,
    query: Result<Query<ExceptionQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let q = query_of(query)?;
    let list = on_ledger(&st, move |ledger| ledger.exceptions(q.device)).await?;
    Ok(Json(list).into_response())
}

async fn post_exception(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let new: NewException = operator_body(body)?;
    let id = on_ledger(&st, move |ledger| {
        ledger.add_exception(&new, chrono::Utc::now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

async fn delete_exception(
    State(st): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Failure> {
    let id = path_id(path)?;
    on_ledger(&st, move |ledger| {
        ledger.revoke_exception(id, chrono::Utc::now())
    })
    .await?;
    st.alerts_wake.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

async fn healthz(State(st): State<AppState>) -> Response {
    let ok = on_ledger(&st, Ledger::ping).await;
    let version = env!("CARGO_PKG_VERSION").to_owned();
    match ok {
        Ok(()) => Json(Health {
            status: "ok".to_owned(),
            version,
        })
        .into_response(),
        Err(f) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: format!("database unavailable: {}", f.message),
                version,
            }),
        )
            .into_response(),
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    let ledger = st.ledger.clone();
    let counts =
        blocking(move || Ok((ledger.device_count().ok(), ledger.report_count().ok()))).await;
    let (devices, reports) = counts.unwrap_or((None, None));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(devices, reports),
    )
        .into_response()
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The policy file is missing or invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The `[alerts]` section cannot be used.
    #[error(transparent)]
    Alerts(#[from] daicho_alert::ConfigError),
    /// The server failed while running.
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    alerts: crate::alert_worker::AlertWorker,
    tls: Option<Arc<rustls::ServerConfig>>,
    sweep_every: Duration,
}

impl Server {
    /// Opens the ledger and binds the configured address (port 0 picks a free port).
    pub async fn bind(config: &Config) -> Result<Self, ServeError> {
        let path = config.storage.database.clone();
        let options = config.ledger.options();
        let policy = config.load_policy()?;
        let channels = config.alerts.channels()?;
        let ledger = tokio::task::spawn_blocking(move || Ledger::open(&path, options))
            .await
            .map_err(|e| ServeError::Io(std::io::Error::other(e)))??
            .with_policy(policy);
        let ledger = Arc::new(ledger);
        let alerts_wake = Arc::new(tokio::sync::Notify::new());
        let tls = config
            .server
            .tls
            .as_ref()
            .map(tls::server_config)
            .transpose()?;
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        Ok(Self {
            listener,
            alerts: crate::alert_worker::AlertWorker::new(
                Arc::clone(&ledger),
                channels,
                config.alerts.clone(),
                Arc::clone(&alerts_wake),
            ),
            state: AppState {
                alerts_wake,
                ledger,
                metrics: Arc::new(Metrics::default()),
                limits: Limits {
                    max_body_bytes: config.server.max_body_bytes,
                    max_decompressed_bytes: config.server.max_decompressed_bytes,
                    request_timeout: config.server.request_timeout(),
                },
            },
            tls,
            sweep_every: Duration::from_secs(config.ledger.gone_check_interval_secs),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The ledger the server writes to.
    pub fn ledger(&self) -> Arc<Ledger> {
        self.state.ledger.clone()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.local_addr()?;
        let ledger = self.state.ledger.clone();
        let every = self.sweep_every;
        let wake = Arc::clone(&self.state.alerts_wake);
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let l = ledger.clone();
                // Time alone changes things: devices go missing, exceptions expire.
                let swept = tokio::task::spawn_blocking(move || {
                    let now = chrono::Utc::now();
                    l.sweep_gone(now)?;
                    l.refresh_flags(now)
                })
                .await;
                match swept {
                    Ok(Ok(changed)) if changed > 0 => wake.notify_one(),
                    Ok(Err(e)) => tracing::error!(error = %e, "periodic sweep failed"),
                    _ => {}
                }
            }
        });
        let alerts = tokio::spawn(self.alerts.run());
        let app = router(self.state);
        let result = if let Some(config) = self.tls {
            tracing::info!(%addr, tls = true, "listening");
            let listener = TlsListener::new(self.listener, config)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        } else {
            tracing::info!(%addr, tls = false, "listening");
            axum::serve(self.listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        };
        sweeper.abort();
        alerts.abort();
        result.map_err(ServeError::Io)
    }
}
