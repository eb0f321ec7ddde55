//! The alert worker: after every ingest and every few seconds, it plans alerts from the flags
//! now raised (raise once, remind, close) and delivers what is due on every configured channel,
//! recording each attempt. Delivery runs outside the database lock; a slow SMTP relay never
//! holds up ingest.

use std::sync::Arc;
use std::time::Duration;

use daicho_alert::{AlertConfig, Channel};
use daicho_ledger::alerts::AlertPlanOutcome;
use daicho_ledger::{Ledger, LedgerError};
use tokio::sync::Notify;

use crate::alerts;

/// How many due deliveries one pass sends at most; the rest wait for the next pass.
const DELIVERIES_PER_PASS: usize = 200;

/// Plans and delivers alerts.
pub struct AlertWorker {
    ledger: Arc<Ledger>,
    channels: Vec<Channel>,
    config: AlertConfig,
    wake: Arc<Notify>,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassOutcome {
    /// Alerts raised, reminded and closed.
    pub planned: AlertPlanOutcome,
    /// Deliveries that succeeded.
    pub delivered: usize,
    /// Deliveries that failed (each will be retried on schedule).
    pub failed: usize,
}

impl AlertWorker {
    /// A worker over `ledger` sending on `channels`; `wake` starts a pass at once.
    pub fn new(
        ledger: Arc<Ledger>,
        channels: Vec<Channel>,
        config: AlertConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            ledger,
            channels,
            config,
            wake,
        }
    }

    /// Runs passes until the task is dropped.
    pub async fn run(self) {
        let every = Duration::from_secs(self.config.check_interval_secs.max(1));
        loop {
            match self.pass().await {
                Ok(outcome) if outcome != PassOutcome::default() => {
                    tracing::info!(
                        raised = outcome.planned.raised,
                        reminded = outcome.planned.reminded,
                        closed = outcome.planned.closed,
                        digests = outcome.planned.digests,
                        delivered = outcome.delivered,
                        failed = outcome.failed,
                        "alert pass"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %daicho_ledger_io::text::log_text(&e), "alert pass failed");
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One pass: plan, then deliver what is due.
    pub async fn pass(&self) -> Result<PassOutcome, LedgerError> {
        let now = self.ledger.now();
        let names: Vec<&'static str> = self.channels.iter().map(Channel::name).collect();
        let reminder = self
            .config
            .reminder_hours
            .map(|h| chrono::Duration::hours(i64::from(h)));
        let subnets = self.config.randomized_mac_subnets.clone();
        let digest_after = self.config.digest_after;
        let ledger = Arc::clone(&self.ledger);
        let planned = blocking(move || {
            alerts::plan_alerts_digest(&ledger, now, &names, reminder, &subnets, digest_after)
        })
        .await?;
        let ledger = Arc::clone(&self.ledger);
        let due =
            blocking(move || alerts::due_deliveries(&ledger, now, DELIVERIES_PER_PASS)).await?;
        let mut outcome = PassOutcome {
            planned,
            ..PassOutcome::default()
        };
        for delivery in due {
            let result = match self.channels.iter().find(|c| c.name() == delivery.channel) {
                Some(channel) => channel
                    .deliver(&delivery.message)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!(
                    "channel `{}` is no longer configured",
                    delivery.channel
                )),
            };
            if let Err(error) = &result {
                tracing::warn!(alert_id = delivery.message.alert_id, channel = %daicho_ledger_io::text::log_text(&delivery.channel), error = %daicho_ledger_io::text::log_text(error), "alert delivery failed; will retry");
                outcome.failed += 1;
            } else {
                outcome.delivered += 1;
            }
            let ledger = Arc::clone(&self.ledger);
            let id = delivery.id;
            blocking(move || alerts::record_delivery(&ledger, id, ledger.now(), &result)).await?;
        }
        Ok(outcome)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, LedgerError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(LedgerError::Invalid(format!("alert task failed: {e}"))))
}
