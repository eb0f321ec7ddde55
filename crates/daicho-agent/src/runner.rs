//! The long-running mode: on each scheduled run, scan (when configured), take the local
//! inventory, spool the report, and let the delivery task push it. SIGTERM/SIGINT abandon a
//! run in progress (nothing half-written reaches the spool) and flush the spool within the
//! configured grace.
//!
//! A full spool disk (ENOSPC, EDQUOT) does not stop the agent: at start-up it logs `SPOOL DISK
//! FULL`, delivers the backlog (which frees space) and keeps to its schedule. A run whose
//! report cannot be written is skipped: the report is logged as lost (ERROR `SPOOL DISK FULL:
//! report lost`, with its id, host count and size) and never held in memory; the next run
//! writes again. Keeping it would only hide the fault while memory grows; the next run carries
//! the same inventory anyway.
//!
//! Every report is bounded by the collector's own rule (`daicho_model::bounds`) before it is
//! spooled: a device answering with a 40,000-character host name or 600 services costs the
//! spool and the network no more than the collector would keep, and the cut is recorded in the
//! report's `warnings` and logged here.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use daicho_inventory::LiveHost;
use daicho_model::{AgentInfo, LocalInventory, ScanReport, Scope};
use tokio::sync::mpsc;
use tracing::{error, info, warn};
use uuid::Uuid;

use crate::config::AgentConfig;
use crate::delivery::{
    Backoff, Collector, DeliveryError, DeliverySignal, FlushSummary, delivery_loop,
};
use crate::scan_step::ScanStep;
use crate::schedule::Scheduler;
use crate::spool::{Spool, SpoolError};

/// Why the agent could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The spool could not be opened or written.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The collector client could not be built.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// A worker task failed.
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Run forever on the schedule, or once now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Runs on the schedule until a shutdown signal.
    Scheduled,
    /// One run immediately (no jitter), one delivery pass, then exit.
    Once,
}

/// What the agent did before it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Reports produced and spooled.
    pub reports: usize,
    /// The final delivery pass.
    pub final_flush: FlushSummary,
    /// Reports the collector refused for good (moved to `rejected/`) during this process.
    pub rejected: usize,
    /// Runs that produced no spooled report (a full spool disk, a failed task).
    pub failed_runs: usize,
}

/// Runs the agent until `shutdown` resolves (or after one run in [`RunMode::Once`]).
pub async fn run_agent<S: ScanStep>(
    config: AgentConfig,
    scanner: Option<S>,
    mode: RunMode,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, RunError> {
    let spool = Arc::new(Spool::open(
        &config.spool.dir,
        config.spool.max_reports,
        config.spool.max_bytes,
    )?);
    // The collector's data bundle, once fetched, names vendors and decides medical safe mode.
    let bundles = crate::bundle::AgentBundles::new(&config.data);
    if let Some(serial) = bundles.use_installed() {
        info!(serial, "data bundle in use");
    }
    let collector = Collector::new(&config.collector)?.with_bundles(bundles);
    let backlog = spool.pending()?.len();
    if let Err(e) = spool.probe() {
        if e.disk_full() {
            error!(
                error = %e,
                backlog,
                "SPOOL DISK FULL: new reports cannot be written; delivering the spooled ones to free space and retrying at each run"
            );
        } else {
            return Err(e.into());
        }
    }
    info!(
        collector = %collector.reports_url(),
        spool = %config.spool.dir.display(),
        backlog,
        scan = config.scan.is_some(),
        mode = ?mode,
        "agent started"
    );
    let (signals, receiver) = mpsc::channel(8);
    let delivery = tokio::spawn(delivery_loop(
        Arc::clone(&spool),
        collector,
        Backoff::new(config.collector.retry_initial, config.collector.retry_max),
        receiver,
        config.shutdown_grace,
    ));
    // Whatever a previous life left in the spool goes first.
    if backlog > 0 {
        let _ = signals.try_send(DeliverySignal::NewReport);
    }

    let config = Arc::new(config);
    let scanner = scanner.map(Arc::new);
    let mut scheduler = Scheduler::new(config.schedule.clone());
    let mut reports = 0;
    let mut failed_runs = 0;
    tokio::pin!(shutdown);
    loop {
        let (planned, jitter) = match mode {
            RunMode::Once => (Utc::now(), Duration::ZERO),
            RunMode::Scheduled => (scheduler.next_planned(Utc::now()), scheduler.jitter()),
        };
        let wait = (planned - Utc::now()).to_std().unwrap_or_default() + jitter;
        if !wait.is_zero() {
            info!(
                next_run = %(planned + chrono::Duration::from_std(jitter).unwrap_or_default()).to_rfc3339(),
                "waiting for the next run"
            );
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => break,
        }
        tokio::select! {
            result = produce_report(Arc::clone(&config), scanner.clone(), Arc::clone(&spool)) => match result {
                Ok(_) => {
                    reports += 1;
                    let _ = signals.try_send(DeliverySignal::NewReport);
                }
                Err(e) => {
                    failed_runs += 1;
                    error!(error = %e, "run failed; no report written");
                    // Delivering what is spooled may free the space the next run needs.
                    let _ = signals.try_send(DeliverySignal::NewReport);
                }
            },
            () = &mut shutdown => {
                warn!("shutdown requested during a run: run abandoned, nothing of it was spooled");
                break;
            }
        }
        if mode == RunMode::Once {
            break;
        }
    }
    info!("stopping: delivering what the spool holds");
    let _ = signals.send(DeliverySignal::Shutdown).await;
    let final_flush = delivery.await.map_err(|e| RunError::Task(e.to_string()))?;
    let rejected = spool.rejected_count();
    info!(
        reports,
        failed_runs,
        rejected,
        delivered = final_flush.delivered,
        pending = final_flush.remaining,
        "agent stopped"
    );
    Ok(RunSummary {
        reports,
        final_flush,
        rejected,
        failed_runs,
    })
}

/// One run: scan, inventory, report, spool. Returns the report id once it is safely on disk.
pub async fn produce_report<S: ScanStep>(
    config: Arc<AgentConfig>,
    scanner: Option<Arc<S>>,
    spool: Arc<Spool>,
) -> Result<Uuid, RunError> {
    let started_at = Utc::now();
    let mut scope = Scope::default();
    let mut outcome = crate::scan_step::ScanOutcome::default();
    if let (Some(settings), Some(scanner)) = (&config.scan, &scanner) {
        let started = Instant::now();
        match scanner.scan(settings).await {
            Ok(found) => {
                scope = Scope {
                    targets: settings.targets.clone(),
                    exclude: settings.exclude.clone(),
                    ports: settings.ports.clone(),
                };
                info!(
                    hosts = found.hosts.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "scan finished"
                );
                outcome = found;
            }
            // The report then claims no scope: an empty host list must not read as "all gone".
            Err(e) => {
                error!(error = %e, "scan failed; the report carries the inventory only");
                outcome.warnings.push(format!(
                    "scan of {} failed: {e}",
                    settings.targets.join(", ")
                ));
            }
        }
    }
    let local = if config.inventory {
        let started = Instant::now();
        let inventory = tokio::task::spawn_blocking(|| daicho_inventory::collect(&LiveHost))
            .await
            .map_err(|e| RunError::Task(e.to_string()))?;
        info!(
            packages = inventory.packages.len(),
            processes = inventory.processes.len(),
            listening = inventory.listening.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "local inventory taken"
        );
        Some(inventory)
    } else {
        None
    };
    let agent = agent_info(&config, local.as_ref());
    let mut report = ScanReport::new(agent, scope, started_at);
    report.data = daicho_data::in_use();
    report.hosts = outcome.hosts;
    report.methods = outcome.methods;
    report.warnings = outcome.warnings;
    report.switches = outcome.switches;
    report.local = local;
    report.finished_at = Utc::now().max(started_at);
    bound_report(&mut report);
    let report_id = report.report_id;
    let hosts = report.hosts.len();
    let bytes = tokio::task::spawn_blocking(move || -> Result<usize, SpoolError> {
        let body = gzip_json(&report);
        let dropped = spool.put(report.report_id, &body).inspect_err(|e| {
            if e.disk_full() {
                error!(
                    %report_id,
                    hosts,
                    bytes = body.len(),
                    error = %e,
                    "SPOOL DISK FULL: report lost, it could not be spooled; the next run tries again"
                );
            }
        })?;
        for id in dropped {
            warn!(dropped_report_id = %id, "SPOOL FULL: oldest undelivered report dropped");
        }
        Ok(body.len())
    })
    .await
    .map_err(|e| RunError::Task(e.to_string()))??;
    info!(%report_id, hosts, bytes, "report spooled");
    Ok(report_id)
}

/// Applies the collector's bounds to `report`, appending one warning per cut field to its
/// `warnings` and logging each. A warning names a field path and counts, never device text; it
/// is still logged as Debug (`?`), which escapes control characters (the agent does not link
/// daicho-ledger-io's `log_text`).
pub fn bound_report(report: &mut ScanReport) {
    let cuts = daicho_model::bounds::bound_strings(report);
    for cut in &cuts {
        warn!(report_id = %report.report_id, cut = ?cut, "device-supplied field bounded before spooling");
    }
    report.warnings.extend(cuts);
}

fn agent_info(config: &AgentConfig, local: Option<&LocalInventory>) -> AgentInfo {
    let name = config
        .agent_name
        .clone()
        .or_else(|| local.map(|l| l.hostname.clone()))
        .or_else(sysinfo_hostname)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "daicho-agent".to_owned());
    AgentInfo {
        name,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        machine_id: local.and_then(|l| l.machine_id.clone()),
    }
}

fn sysinfo_hostname() -> Option<String> {
    daicho_inventory::HostSource::hostname(&LiveHost)
}

/// The report as gzip-compressed JSON, the exact bytes spooled and sent.
pub fn gzip_json(report: &ScanReport) -> Vec<u8> {
    let json = serde_json::to_vec(report).expect("report serialises");
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 4),
        flate2::Compression::default(),
    );
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .expect("writing to a Vec cannot fail")
}
