//! The collector's background work beside the HTTP server: the periodic sweep (time alone
//! changes things: devices go missing, exceptions expire, console sessions end) that wakes the
//! alert worker; the scheduled backups (`[backup]`); following data bundles that `data import`
//! installed.

use std::sync::Arc;
use std::time::Duration;

use daicho_ledger::Ledger;

use crate::config::{BackupConfig, Config};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Starts the sweep: every `every`, marks devices gone and recomputes flags; wakes `alerts`
/// when something changed.
pub(crate) fn spawn_sweeper(
    ledger: Arc<Ledger>,
    every: Duration,
    alerts: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let l = ledger.clone();
            let swept = tokio::task::spawn_blocking(move || {
                let now = l.now();
                l.sweep_gone(now)?;
                l.purge_sessions(now.timestamp())?;
                l.refresh_flags(now)
            })
            .await;
            match swept {
                Ok(Ok(changed)) if changed > 0 => alerts.notify_one(),
                Ok(Err(e)) => {
                    tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "periodic sweep failed");
                }
                _ => {}
            }
        }
    })
}

/// How often the server looks for a bundle installed by another process.
const BUNDLE_CHECK_EVERY: Duration = Duration::from_mins(1);

/// Starts following the installed data bundle: every minute, a bundle installed since (by
/// `data import` or `data rollback` in another process) is put into use and the ledger
/// re-resolved from it; wakes `alerts` when it did.
pub(crate) fn spawn_bundle_follower(
    ledger: Arc<Ledger>,
    config: Config,
    alerts: Arc<Notify>,
) -> JoinHandle<()> {
    let config = Arc::new(config);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(BUNDLE_CHECK_EVERY);
        loop {
            tick.tick().await;
            let (l, c) = (ledger.clone(), Arc::clone(&config));
            match tokio::task::spawn_blocking(move || crate::bundles::follow_installed(&c, &l))
                .await
            {
                Ok(Ok(true)) => alerts.notify_one(),
                Ok(Err(e)) => {
                    tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "re-resolving the ledger from the data bundle failed");
                }
                _ => {}
            }
        }
    })
}

/// Starts the scheduled backups: one when `every_hours` have passed since the newest generation
/// in the directory (at once when there is none), pruned to `keep`. A failure is logged and
/// tried again in an hour at the latest; the server keeps serving.
pub(crate) fn spawn_backups(ledger: Arc<Ledger>, config: BackupConfig) -> JoinHandle<()> {
    tokio::spawn(async move {
        let retry = chrono::Duration::hours(1);
        let mut failed_at: Option<chrono::DateTime<chrono::Utc>> = None;
        loop {
            let now = ledger.now();
            let due = match crate::backup::next_due(&config, now) {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(dir = %config.dir.display(), error = %e, "cannot read the backup directory");
                    now + retry
                }
            };
            let due = match failed_at {
                Some(f) => due.max(
                    f + retry.min(chrono::Duration::from_std(config.every()).unwrap_or(retry)),
                ),
                None => due,
            };
            if due > now {
                // Woken at least hourly so a changed clock or a removed generation is seen.
                let wait = (due - now)
                    .to_std()
                    .unwrap_or_default()
                    .min(Duration::from_hours(1));
                tokio::time::sleep(wait).await;
                continue;
            }
            let (l, c) = (ledger.clone(), config.clone());
            let done =
                tokio::task::spawn_blocking(move || crate::backup::scheduled_backup(&l, &c, now))
                    .await;
            match done {
                Ok(Ok(b)) => {
                    failed_at = None;
                    tracing::info!(
                        file = %b.backup.path.display(),
                        bytes = b.backup.bytes,
                        millis = b.backup.elapsed.as_millis() as u64,
                        removed = b.removed.len(),
                        "scheduled backup written and checked"
                    );
                }
                Ok(Err(e)) => {
                    failed_at = Some(now);
                    tracing::error!(dir = %config.dir.display(), error = %e, "scheduled backup failed");
                }
                Err(e) => {
                    failed_at = Some(now);
                    tracing::error!(error = %e, "scheduled backup task failed");
                }
            }
        }
    })
}
