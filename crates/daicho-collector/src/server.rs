//! The collector's HTTP server: the JSON API under `/api/v1/` and the operator console at `/` on
//! one listener (plain or TLS), and the workers beside it.
//!
//! Split by concern: [`error`] (the error answer), `extract` (what handlers take from a request),
//! `bearer` (API tokens), `limits`, `api` (the JSON routes), `console` (the operator console's pages),
//! `workers` (the periodic sweep), `connections` (the accept loop: timeouts and the connection cap),
//! `health` (liveness and readiness), [`systemd`] (`READY=1` and the watchdog on `$NOTIFY_SOCKET`).
//! Routes are documented on [`router`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use daicho_ledger::{Ledger, LedgerError};
use tokio::net::TcpListener;

use crate::config::{Config, ConsoleConfig};
use crate::metrics::Metrics;
use crate::tls::{self, Handshake, TlsError};

mod api;
mod auth_failures;
mod bearer;
pub mod connections;
mod console;
mod download;
pub mod error;
mod extract;
mod health;
mod limits;
pub mod systemd;
mod workers;

pub use auth_failures::AuthFailures;
pub use connections::ConnectionLimits;
pub use error::Failure;
pub use limits::Limits;

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
    /// The console's session settings.
    pub console: ConsoleConfig,
    /// The listener speaks TLS (console cookies are then `Secure`).
    pub tls: bool,
    /// Gzip reports decompressed at once (`server.max_concurrent_decompressions`).
    pub decompressions: Arc<tokio::sync::Semaphore>,
    /// Failed authentications per source, which pause the next answer to that source.
    pub auth_failures: Arc<AuthFailures>,
    /// The dashboard's checklist, kept while the ledger does not change.
    pub checklist: Arc<crate::evidence::ChecklistCache>,
    /// Where the installed data bundle lives (`[data] dir`), served to agents.
    pub data_dir: Arc<std::path::PathBuf>,
}

/// The API.
///
/// | route | auth | answers |
/// |---|---|---|
/// | `POST /api/v1/reports` | agent token | 201 stored / 200 duplicate ([`ReportAccepted`]), 400, 401, 403, 413, 415 |
/// | `GET /api/v1/data/bundle` | agent token | 200 the installed data bundle (`application/octet-stream`; the agent verifies it), 404 none |
/// | `GET /api/v1/devices?flag&flagged&status&presence&disposition&subnet&q&<column>&sort&desc&limit&offset` | operator token | 200 `DevicePage`, 400 |
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
/// | `GET /livez` | none | 200 [`Health`] `alive` while the process serves (no database access) |
/// | `GET /healthz`, `GET /readyz` | none | 200 / 503 [`Health`]: the database can be read and written |
/// | `GET /metrics` | none | 200 Prometheus text |
///
/// Every error body is [`ApiError`] JSON. A request not answered within the timeout gets 408.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes(&state))
        .merge(health::routes())
        .merge(console::routes(&state))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::timeout,
        ))
        .with_state(state)
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
    connections: ConnectionLimits,
    sweep_every: Duration,
    backup: Option<crate::config::BackupConfig>,
    /// The configuration, for following data bundles installed by `data import`.
    config: Config,
}

impl Server {
    /// Opens the ledger and binds the configured address (port 0 picks a free port).
    pub async fn bind(config: &Config) -> Result<Self, ServeError> {
        let storage = config.storage.storage();
        let options = config.ledger.options();
        let policy = config.load_policy()?;
        let channels = config.alerts.channels()?;
        let ledger = tokio::task::spawn_blocking(move || Ledger::open_storage(&storage, options))
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
                    max_hosts_per_report: config.server.max_hosts_per_report,
                    request_timeout: config.server.request_timeout(),
                },
                console: config.console.clone(),
                tls: tls.is_some(),
                decompressions: Arc::new(tokio::sync::Semaphore::new(
                    config.server.max_concurrent_decompressions,
                )),
                auth_failures: Arc::new(AuthFailures::new()),
                checklist: Arc::default(),
                data_dir: Arc::new(config.data_dir()),
            },
            tls,
            connections: ConnectionLimits::from_config(&config.server),
            sweep_every: Duration::from_secs(config.ledger.gone_check_interval_secs),
            backup: config.backup.clone(),
            config: config.clone(),
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

    /// The connection limits in force (the cap lowered to the open-files limit).
    pub fn connection_limits(&self) -> ConnectionLimits {
        self.connections
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.local_addr()?;
        let sweeper = workers::spawn_sweeper(
            self.state.ledger.clone(),
            self.sweep_every,
            Arc::clone(&self.state.alerts_wake),
        );
        let alerts = tokio::spawn(self.alerts.run());
        let backups = self
            .backup
            .map(|b| workers::spawn_backups(self.state.ledger.clone(), b));
        let bundles = workers::spawn_bundle_follower(
            self.state.ledger.clone(),
            self.config,
            Arc::clone(&self.state.alerts_wake),
        );
        // Listener bound and database opened (in `bind`): ready for systemd.
        let systemd = systemd::Systemd::ready(&self.state).map(Arc::new);
        let on_stop = systemd.clone();
        let shutdown = async move {
            shutdown.await;
            if let Some(s) = on_stop {
                s.stopping();
            }
        };
        let app = router(self.state);
        let limits = self.connections;
        let handshake = self
            .tls
            .map(|config| Handshake::new(config, limits.tls_handshake_timeout));
        tracing::info!(%addr, tls = handshake.is_some(),
            max_connections = limits.max_connections, "listening");
        let result = connections::serve(self.listener, handshake, app, limits, shutdown).await;
        drop(systemd);
        sweeper.abort();
        bundles.abort();
        alerts.abort();
        if let Some(b) = backups {
            b.abort();
        }
        result.map_err(ServeError::Io)
    }
}
