//! Delivery of spooled reports to the collector: `POST /api/v1/reports` over HTTPS (rustls),
//! bearer token, gzip body, retried with exponential backoff and jitter.
//!
//! Status handling: 2xx removes the spool file. 408, 429, 5xx, other 4xx that may heal (404
//! behind a proxy being redeployed), redirects and network errors are retried. 400, 401, 403,
//! 413, 415 and 422 can never succeed with the same body and token: the report is logged loudly
//! and moved to `rejected/`.

use std::sync::Arc;
use std::time::Duration;

use daicho_model::api::{ApiError, ReportAccepted};
use reqwest::StatusCode;
use tracing::{error, info, warn};

use crate::config::{CollectorConfig, read_token};
use crate::spool::{Spool, SpoolError};

/// The collector client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The CA file could not be used.
    #[error("collector.ca_file {path}: {message}")]
    CaFile {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// reqwest refused the client settings.
    #[error("cannot build the HTTPS client: {0}")]
    Client(#[from] reqwest::Error),
}

/// What one push achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored (or already stored: a retry of a delivered report).
    Accepted {
        /// The collector had this id already.
        duplicate: bool,
        /// The serial of the data bundle the collector uses, when it said.
        data_bundle: Option<u64>,
    },
    /// Refused for good.
    Rejected {
        /// What the collector said.
        reason: String,
    },
    /// Try again later.
    Retry {
        /// Why it failed.
        reason: String,
    },
}

/// The collector endpoint.
#[derive(Debug, Clone)]
pub struct Collector {
    client: reqwest::Client,
    reports_url: reqwest::Url,
    bundle_url: reqwest::Url,
    token_file: std::path::PathBuf,
    /// Where a newer data bundle the collector names is installed; none: never fetched.
    bundles: Option<crate::bundle::AgentBundles>,
}

/// Installs ring as rustls' process-wide crypto provider (reqwest is built without one).
pub fn install_crypto_provider() {
    // Err only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Collector {
    /// Builds the client: rustls, the configured CA alone when one is given (a self-signed
    /// collector), the platform's roots otherwise; no redirects (a POST must not turn into a GET).
    pub fn new(config: &CollectorConfig) -> Result<Self, DeliveryError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("daicho-agent/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_file {
            let ca_error = |message: String| DeliveryError::CaFile {
                path: ca.display().to_string(),
                message,
            };
            let pem = std::fs::read(ca).map_err(|e| ca_error(e.to_string()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
            builder = builder.tls_certs_only(certs);
        }
        let mut base = config.url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let join = |path| {
            base.join(path)
                .expect("a fixed relative path joins any http(s) base")
        };
        Ok(Self {
            client: builder.build()?,
            reports_url: join("api/v1/reports"),
            bundle_url: join("api/v1/data/bundle"),
            token_file: config.token_file.clone(),
            bundles: None,
        })
    }

    /// Fetches and installs the collector's data bundle whenever a report's answer names a
    /// newer one than in use.
    #[must_use]
    pub fn with_bundles(mut self, bundles: crate::bundle::AgentBundles) -> Self {
        self.bundles = Some(bundles);
        self
    }

    /// When the collector uses a newer bundle than this agent, fetches, verifies and installs
    /// it. A failure is logged: the agent goes on with the data it has and tries again after
    /// the next delivery.
    async fn follow_bundle(&self, offered: u64) {
        let Some(bundles) = &self.bundles else { return };
        if !bundles.wants(offered) {
            return;
        }
        let fetched = async {
            let token = read_token(&self.token_file)?;
            let response = self
                .client
                .get(self.bundle_url.clone())
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            response.bytes().await.map_err(|e| error_chain(&e))
        }
        .await;
        // Verifying and parsing take a few tens of milliseconds: no blocking task needed.
        let installed = fetched.and_then(|bytes| bundles.install(&bytes));
        match installed {
            Ok(serial) => info!(serial, "data bundle from the collector in use"),
            Err(reason) => warn!(offered, %reason, "the collector's data bundle was not installed"),
        }
    }

    /// The URL reports are posted to.
    pub fn reports_url(&self) -> &reqwest::Url {
        &self.reports_url
    }

    /// Posts one gzip-compressed report body.
    pub async fn push(&self, gzip_body: Vec<u8>) -> PushOutcome {
        // Read at each push so that a rotated token is picked up without a restart.
        let token = match read_token(&self.token_file) {
            Ok(t) => t,
            Err(reason) => return PushOutcome::Retry { reason },
        };
        let response = self
            .client
            .post(self.reports_url.clone())
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gzip_body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                return PushOutcome::Retry {
                    reason: error_chain(&e),
                };
            }
        };
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        classify(status, &body)
    }
}

/// Decides what a collector answer means for the report.
pub fn classify(status: StatusCode, body: &[u8]) -> PushOutcome {
    if status.is_success() {
        let answer = serde_json::from_slice::<ReportAccepted>(body).ok();
        return PushOutcome::Accepted {
            duplicate: answer.as_ref().is_some_and(|a| a.duplicate),
            data_bundle: answer.and_then(|a| a.data_bundle),
        };
    }
    let said = serde_json::from_slice::<ApiError>(body).map_or_else(
        |_| {
            String::from_utf8_lossy(&body[..body.len().min(300)])
                .trim()
                .to_owned()
        },
        |e| e.error,
    );
    let reason = if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    };
    match status.as_u16() {
        400 | 401 | 403 | 413 | 415 | 422 => PushOutcome::Rejected { reason },
        _ => PushOutcome::Retry { reason },
    }
}

/// reqwest's error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The result of one pass over the spool.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlushSummary {
    /// Reports the collector accepted.
    pub delivered: usize,
    /// Reports moved to `rejected/`.
    pub rejected: usize,
    /// Reports still pending.
    pub remaining: usize,
    /// Why the pass stopped early, when it did.
    pub failure: Option<String>,
}

/// Delivers spooled reports oldest first, including reports spooled while it runs; stops at
/// the first retryable failure (the collector is down: the rest would fail the same way).
/// Then, when the collector named a newer data bundle, fetches it.
pub async fn flush(spool: &Spool, collector: &Collector) -> Result<FlushSummary, SpoolError> {
    let mut offered = None;
    let summary = deliver_pending(spool, collector, &mut offered).await;
    if let Some(serial) = offered {
        collector.follow_bundle(serial).await;
    }
    summary
}

/// [`flush`]'s delivery pass; `offered` gets the newest bundle serial a collector answer named.
async fn deliver_pending(
    spool: &Spool,
    collector: &Collector,
    offered: &mut Option<u64>,
) -> Result<FlushSummary, SpoolError> {
    let mut summary = FlushSummary::default();
    loop {
        let pending = spool.pending()?;
        if pending.is_empty() {
            return Ok(summary);
        }
        let total = pending.len();
        for (i, report) in pending.iter().enumerate() {
            let body = match spool.read(report) {
                Ok(b) => b,
                // Dropped by a full spool meanwhile.
                Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let bytes = body.len();
            let started = std::time::Instant::now();
            match collector.push(body).await {
                PushOutcome::Accepted {
                    duplicate,
                    data_bundle,
                } => {
                    *offered = (*offered).max(data_bundle);
                    spool.remove(report)?;
                    summary.delivered += 1;
                    info!(
                        report_id = %report.report_id,
                        bytes,
                        duplicate,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "report delivered"
                    );
                }
                PushOutcome::Rejected { reason } => {
                    let moved = spool.reject(report, &reason)?;
                    summary.rejected += 1;
                    error!(
                        report_id = %report.report_id,
                        %reason,
                        moved_to = %moved.display(),
                        "COLLECTOR REJECTED REPORT: it will not be retried; fix the cause (token, size, version) and move it back to pending/ to resend"
                    );
                }
                PushOutcome::Retry { reason } => {
                    summary.remaining = total - i;
                    summary.failure = Some(reason);
                    return Ok(summary);
                }
            }
        }
    }
}

/// Exponential backoff with full jitter: each delay is random in `[d/2, d]`, `d` doubling from
/// `initial` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    /// A backoff starting at `initial`, capped at `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            current: initial,
        }
    }

    /// The next delay.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.current;
        self.current = (self.current * 2).min(self.max);
        let half = d / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Back to the initial delay after a success.
    pub fn reset(&mut self) {
        self.current = self.initial;
    }
}

/// What the background delivery task is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverySignal {
    /// A new report was spooled.
    NewReport,
    /// Flush what can be flushed and stop.
    Shutdown,
}

/// The background delivery loop: flushes when told a report was spooled, retries with backoff
/// while the collector fails, and on shutdown makes one last attempt within `grace`.
pub async fn delivery_loop(
    spool: Arc<Spool>,
    collector: Collector,
    mut backoff: Backoff,
    mut signals: tokio::sync::mpsc::Receiver<DeliverySignal>,
    grace: Duration,
) -> FlushSummary {
    let mut retry_at: Option<tokio::time::Instant> = None;
    let mut failures: u32 = 0;
    let mut shutdown_deadline = None;
    loop {
        let signal = match retry_at {
            Some(at) => tokio::select! {
                s = signals.recv() => s,
                () = tokio::time::sleep_until(at) => Some(DeliverySignal::NewReport),
            },
            None => signals.recv().await,
        };
        match signal {
            None | Some(DeliverySignal::Shutdown) => break,
            // While backing off, a new report waits for the retry like the others.
            Some(DeliverySignal::NewReport)
                if retry_at.is_some_and(|at| at > tokio::time::Instant::now()) => {}
            Some(DeliverySignal::NewReport) => {
                match flush_unless_shutdown(&spool, &collector, &mut signals, grace).await {
                    PassEnd::Shutdown { deadline } => {
                        shutdown_deadline = Some(deadline);
                        break;
                    }
                    PassEnd::Finished(result) => match result {
                        Ok(s) if s.failure.is_none() => {
                            if failures > 0 {
                                info!(after_failures = failures, "collector reachable again");
                            }
                            failures = 0;
                            backoff.reset();
                            retry_at = None;
                        }
                        Ok(s) => {
                            failures += 1;
                            let delay = backoff.next_delay();
                            warn!(
                                reason = s.failure.as_deref().unwrap_or_default(),
                                pending = s.remaining,
                                retry_in_ms = delay.as_millis() as u64,
                                "delivery failed; reports stay in the spool"
                            );
                            retry_at = Some(tokio::time::Instant::now() + delay);
                        }
                        Err(e) => {
                            failures += 1;
                            let delay = backoff.next_delay();
                            error!(error = %e, retry_in_ms = delay.as_millis() as u64, "spool error");
                            retry_at = Some(tokio::time::Instant::now() + delay);
                        }
                    },
                }
            }
        }
    }
    let deadline = shutdown_deadline.unwrap_or_else(|| tokio::time::Instant::now() + grace);
    final_flush(&spool, &collector, deadline).await
}

/// How a delivery pass inside the loop ended.
enum PassEnd {
    /// It ran to its end.
    Finished(Result<FlushSummary, SpoolError>),
    /// Shutdown was requested during it; the push in flight was given until `deadline` to
    /// finish (cutting it off would only make the collector see it twice).
    Shutdown { deadline: tokio::time::Instant },
}

/// A flush that absorbs new-report signals (the pass picks up everything pending anyway) and,
/// on shutdown, lets the pass continue for at most `grace`.
async fn flush_unless_shutdown(
    spool: &Spool,
    collector: &Collector,
    signals: &mut tokio::sync::mpsc::Receiver<DeliverySignal>,
    grace: Duration,
) -> PassEnd {
    let pass = flush(spool, collector);
    tokio::pin!(pass);
    loop {
        tokio::select! {
            result = &mut pass => return PassEnd::Finished(result),
            signal = signals.recv() => match signal {
                Some(DeliverySignal::NewReport) => {}
                None | Some(DeliverySignal::Shutdown) => {
                    let deadline = tokio::time::Instant::now() + grace;
                    let _ = tokio::time::timeout_at(deadline, &mut pass).await;
                    return PassEnd::Shutdown { deadline };
                }
            },
        }
    }
}

/// One last delivery pass, cut off at `deadline`; what it cannot deliver stays on disk for the
/// next start.
pub async fn final_flush(
    spool: &Spool,
    collector: &Collector,
    deadline: tokio::time::Instant,
) -> FlushSummary {
    let outcome = tokio::time::timeout_at(deadline, flush(spool, collector)).await;
    let pending = spool.pending().map(|p| p.len()).unwrap_or_default();
    let summary = match outcome {
        Ok(Ok(mut s)) => {
            s.remaining = pending;
            s
        }
        Ok(Err(e)) => FlushSummary {
            remaining: pending,
            failure: Some(e.to_string()),
            ..FlushSummary::default()
        },
        Err(_) => FlushSummary {
            remaining: pending,
            failure: Some("shutdown grace elapsed".to_owned()),
            ..FlushSummary::default()
        },
    };
    if summary.remaining > 0 {
        warn!(
            pending = summary.remaining,
            reason = summary.failure.as_deref().unwrap_or_default(),
            "reports left in the spool; they are delivered after the next start"
        );
    }
    summary
}

#[cfg(test)]
mod tests;
