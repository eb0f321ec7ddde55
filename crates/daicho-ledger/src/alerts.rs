//! Alerts as stored: what was raised, for which device and flag, and every delivery attempt on
//! every channel. What to raise, remind and close and the wording of each message come from an
//! [`AlertPlanner`] the caller gives, when to retry a failed delivery from the caller too (the
//! collector, with `daicho-alert`); sending is the collector's alert worker. This module keeps
//! the record so each alert goes out once, reminders go out on time, and failed deliveries are
//! retried and never silently dropped.

use std::net::IpAddr;

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use chrono::{DateTime, Utc};
use daicho_policy::Flag;
use serde::{Deserialize, Serialize};

use crate::flags::{STORED_FLAG_COLUMNS, stored_flag};
use crate::sites::SiteScope;
use crate::time::{from_db, to_db};
use crate::{Ledger, LedgerError};

/// What one planning pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AlertPlanOutcome {
    /// New alerts raised.
    pub raised: usize,
    /// Reminders queued.
    pub reminded: usize,
    /// Alerts closed because their flag cleared.
    pub closed: usize,
    /// Digests queued (one per channel each) instead of the raised and reminded alerts' own
    /// notices, when the planner digested the pass.
    pub digests: usize,
}

/// A flag active on a live device, as a planning pass reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAlertFlag {
    /// The device.
    pub device_id: i64,
    /// The device's current addresses (randomised-MAC alerts are per subnet).
    pub ips: Vec<IpAddr>,
    /// The flag.
    pub flag: Flag,
}

/// An alert on record that is not closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    /// The alert's id.
    pub id: i64,
    /// The device it is about.
    pub device_id: i64,
    /// The flag key ([`Flag::key`]) that raised it.
    pub flag_key: String,
    /// When it was last sent (first notice or reminder).
    pub last_notified_at: DateTime<Utc>,
    /// Whether an operator acknowledged it.
    pub acknowledged: bool,
}

/// One decision of a planning pass, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertDecision {
    /// Raise a new alert for this flag on this device.
    Raise {
        /// The device.
        device_id: i64,
        /// The flag.
        flag: Flag,
    },
    /// Send the open alert again as a reminder.
    Remind {
        /// The alert's id.
        alert_id: i64,
    },
    /// Close the alert (its flag is gone).
    Close {
        /// The alert's id.
        alert_id: i64,
    },
}

/// The decisions of one planning pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertDecisions {
    /// What to raise, remind and close, in order.
    pub decisions: Vec<AlertDecision>,
    /// Whether the pass's notices go out as one digest per channel (raised ones and reminded
    /// ones each) instead of one message per alert.
    pub digest: bool,
}

/// Decides and words alerts for [`Ledger::record_alert_pass`], which calls it inside the pass's
/// transaction. Implemented above the ledger (the collector, with `daicho-alert`).
///
/// A message is the JSON an alert is stored and delivered as: an object whose `subject` member
/// is the one-line subject [`Ledger::alerts`] lists.
pub trait AlertPlanner {
    /// What to raise, remind and close, given the flags active now and the open alerts.
    fn decide(&self, active: &[ActiveAlertFlag], open: &[OpenAlert]) -> AlertDecisions;

    /// The message of alert `alert_id`, just raised for `flag` on device `device_id`, whose
    /// fields a person recognises it by are `device` (the planner words its label).
    fn message(&self, alert_id: i64, device_id: i64, device: &AlertDevice, flag: &Flag) -> String;

    /// One digest standing for `messages` (each as [`AlertPlanner::message`] made it), as
    /// reminders or not: the id of the alert it hangs on and its message; `None` when there is
    /// nothing to send.
    fn digest(&self, messages: &[String], reminder: bool) -> Option<(i64, String)>;
}

/// A delivery that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// Delivery id (pass it back to [`Ledger::record_delivery`]).
    pub id: i64,
    /// The channel name (`log`, `webhook`, `email`).
    pub channel: String,
    /// Whether it is a reminder.
    pub reminder: bool,
    /// Whether `message` is a digest (stored as sent, reminder or not).
    pub digest: bool,
    /// The message as stored: the digest's, else the alert's own as first raised.
    pub message: String,
}

/// An alert with its deliveries, as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    /// Alert id.
    pub id: i64,
    /// The device.
    pub device_id: i64,
    /// The flag's name.
    pub flag: String,
    /// The flag's key.
    pub flag_key: String,
    /// Subject line as sent.
    pub subject: String,
    /// When raised.
    pub raised_at: String,
    /// When last sent (first notice or reminder).
    pub last_notified_at: String,
    /// When acknowledged, and by whom.
    pub acknowledged_at: Option<String>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When closed (its flag cleared).
    pub closed_at: Option<String>,
    /// Every delivery: channel, attempts, outcome.
    pub deliveries: Vec<DeliveryView>,
}

/// One channel's delivery of one alert (first notice or reminder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Delivery id.
    pub id: i64,
    /// Channel name.
    pub channel: String,
    /// Whether it is a reminder.
    pub reminder: bool,
    /// Attempts made.
    pub attempts: u32,
    /// When it succeeded.
    pub delivered_at: Option<String>,
    /// The next try, if one is scheduled.
    pub next_attempt_at: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
}

fn active_flags(conn: &Conn) -> Result<Vec<ActiveAlertFlag>, LedgerError> {
    // The flag's columns are unqualified: `devices` has none of their names.
    let mut stmt = conn.prepare(&format!(
        "SELECT f.device_id, d.ip, {STORED_FLAG_COLUMNS}
         FROM device_flags f JOIN devices d ON d.id = f.device_id
         WHERE d.merged_into IS NULL ORDER BY f.device_id, f.key"
    ))?;
    let rows = stmt.query_map([], |r| {
        let ip: Option<String> = r.get(1)?;
        Ok((r.get::<_, i64>(0)?, ip, stored_flag(r, 2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        // A flag name this build does not know (written by a newer one) raises no alert.
        let (device_id, ip, Some(flag)) = row? else {
            continue;
        };
        out.push(ActiveAlertFlag {
            device_id,
            ips: ip.iter().filter_map(|i| i.parse().ok()).collect(),
            flag,
        });
    }
    Ok(out)
}

/// What a person recognises a device by, as the ledger holds it (each `None` when unknown):
/// the raw fields an [`AlertPlanner`] words a device's label from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertDevice {
    /// Current IP address.
    pub ip: Option<String>,
    /// Current MAC address.
    pub mac: Option<String>,
    /// Host name as discovered.
    pub hostname: Option<String>,
    /// IEEE vendor of the MAC.
    pub vendor: Option<String>,
    /// 管理番号.
    pub asset_no: Option<String>,
}

/// Device `device_id`'s [`AlertDevice`] fields (all `None` when there is no such device).
fn alert_device(conn: &Conn, device_id: i64) -> Result<AlertDevice, LedgerError> {
    Ok(conn
        .query_row(
            "SELECT ip, mac, hostname, vendor, asset_no FROM devices WHERE id = ?1",
            params![device_id],
            |r| {
                Ok(AlertDevice {
                    ip: r.get(0)?,
                    mac: r.get(1)?,
                    hostname: r.get(2)?,
                    vendor: r.get(3)?,
                    asset_no: r.get(4)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

fn queue(
    conn: &Conn,
    alert_id: i64,
    channels: &[&str],
    reminder: bool,
    at: &str,
) -> Result<(), LedgerError> {
    queue_message(conn, alert_id, channels, reminder, at, None)
}

/// Queues a delivery on every channel; `digest` (the digest's JSON) in place of the alert's own
/// message.
fn queue_message(
    conn: &Conn,
    alert_id: i64,
    channels: &[&str],
    reminder: bool,
    at: &str,
    digest: Option<&str>,
) -> Result<(), LedgerError> {
    for channel in channels {
        conn.prepare_cached(
            "INSERT INTO alert_deliveries (alert_id, channel, reminder, created_at, next_attempt_at, digest)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        )?
        .execute(params![alert_id, channel, reminder, at, digest])?;
    }
    Ok(())
}

/// Queues one digest of `messages` on every channel, hung on the alert `planner` names.
fn queue_digest(
    conn: &Conn,
    planner: &dyn AlertPlanner,
    messages: &[String],
    channels: &[&str],
    reminder: bool,
    at: &str,
) -> Result<bool, LedgerError> {
    let Some((alert_id, digest)) = planner.digest(messages, reminder) else {
        return Ok(false);
    };
    queue_message(conn, alert_id, channels, reminder, at, Some(&digest))?;
    Ok(true)
}

/// The alerts on record that are not closed (`now` for a last notice that does not read).
fn open_alerts(conn: &Conn, now: DateTime<Utc>) -> Result<Vec<OpenAlert>, LedgerError> {
    Ok(conn
        .prepare(
            "SELECT id, device_id, flag_key, last_notified_at, acknowledged_at IS NOT NULL
             FROM alerts WHERE closed_at IS NULL",
        )?
        .query_map([], |r| {
            let last: String = r.get(3)?;
            Ok(OpenAlert {
                id: r.get(0)?,
                device_id: r.get(1)?,
                flag_key: r.get(2)?,
                last_notified_at: from_db(&last).unwrap_or(now),
                acknowledged: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The one-line subject of a stored message (blank when it has none).
fn stored_subject(message: &str) -> String {
    #[derive(Deserialize)]
    struct Subject {
        subject: String,
    }
    serde_json::from_str::<Subject>(message)
        .map(|m| m.subject)
        .unwrap_or_default()
}

impl Ledger {
    /// One planning pass at `now`, in one transaction: `planner` decides from the flags active
    /// on live devices and the open alerts; each raised alert is recorded with its message and
    /// queued on every channel in `channels`, each reminded one queued again as a reminder, each
    /// closed one closed. When `planner` digests the pass, every alert is recorded as usual but
    /// only one digest of the raised ones (and one of the reminded ones) is queued per channel.
    pub fn record_alert_pass(
        &self,
        now: DateTime<Utc>,
        channels: &[&str],
        planner: &dyn AlertPlanner,
    ) -> Result<AlertPlanOutcome, LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            let active = active_flags(&tx)?;
            let open = open_alerts(&tx, now)?;
            let mut outcome = AlertPlanOutcome::default();
            let AlertDecisions { decisions, digest } = planner.decide(&active, &open);
            let (mut raised, mut reminded) = (Vec::new(), Vec::new());
            for decision in decisions {
                match decision {
                    AlertDecision::Raise { device_id, flag } => {
                        let device = alert_device(&tx, device_id)?;
                        let alert_id: i64 = tx.query_row(
"INSERT INTO alerts (device_id, flag_key, flag, message, raised_at, last_notified_at)
                             VALUES (?1, ?2, ?3, '{}', ?4, ?4)
 RETURNING id",
                            params![device_id, flag.key(), flag.kind.as_str(), at],
 |r| r.get(0),
)?;
                        let message = planner.message(alert_id, device_id, &device, &flag);
                        tx.execute(
                            "UPDATE alerts SET message = ?2 WHERE id = ?1",
                            params![alert_id, message],
                        )?;
                        if digest {
                            raised.push(message);
                        } else {
                            queue(&tx, alert_id, channels, false, &at)?;
                        }
                        outcome.raised += 1;
                    }
                    AlertDecision::Remind { alert_id } => {
                        tx.execute(
                            "UPDATE alerts SET last_notified_at = ?2 WHERE id = ?1",
                            params![alert_id, at],
                        )?;
                        if digest {
                            let message: String = tx.query_row(
                                "SELECT message FROM alerts WHERE id = ?1",
                                params![alert_id],
                                |r| r.get(0),
                            )?;
                            reminded.push(message);
                        } else {
                            queue(&tx, alert_id, channels, true, &at)?;
                        }
                        outcome.reminded += 1;
                    }
                    AlertDecision::Close { alert_id } => {
                        tx.execute(
                            "UPDATE alerts SET closed_at = ?2 WHERE id = ?1",
                            params![alert_id, at],
                        )?;
                        outcome.closed += 1;
                    }
                }
            }
            for (messages, again) in [(&raised, false), (&reminded, true)] {
                if queue_digest(&tx, planner, messages, channels, again, &at)? {
                    outcome.digests += 1;
                }
            }
            tx.commit()?;
            Ok(outcome)
        })
    }

    /// Deliveries whose next attempt is due at `now`, oldest first, at most `limit`, each with
    /// its message as stored.
    pub fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, LedgerError> {
        let at = to_db(now);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT x.id, x.channel, x.reminder, COALESCE(x.digest, a.message), x.digest IS NOT NULL
                 FROM alert_deliveries x
                 JOIN alerts a ON a.id = x.alert_id
                 WHERE x.delivered_at IS NULL AND x.next_attempt_at IS NOT NULL AND x.next_attempt_at <= ?1
                 ORDER BY x.next_attempt_at, x.id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![at, crate::sql_count(limit)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, channel, reminder, message, digest) = row?;
                out.push(DueDelivery {
                    id,
                    channel,
                    reminder,
                    digest,
                    message,
                });
            }
            Ok(out)
        })
    }

    /// Records one delivery attempt at `now`. A failure is tried again at `next_try(attempts)`
    /// (`attempts`: the tries made, this one included); when that is `None` the delivery stays
    /// failed, on record.
    pub fn record_delivery(
        &self,
        delivery_id: i64,
        now: DateTime<Utc>,
        result: &Result<(), String>,
        next_try: &dyn Fn(u32) -> Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            let attempts: u32 = tx
                .query_row("SELECT attempts FROM alert_deliveries WHERE id = ?1", params![delivery_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| LedgerError::Invalid(format!("no delivery with id {delivery_id}")))?;
            let attempts = attempts + 1;
            tx.execute(
                "INSERT INTO alert_attempts (delivery_id, at, ok, error) VALUES (?1, ?2, ?3, ?4)",
                params![delivery_id, at, result.is_ok(), result.as_ref().err()],
            )?;
            match result {
                Ok(()) => tx.execute(
                    "UPDATE alert_deliveries SET attempts = ?2, delivered_at = ?3, next_attempt_at = NULL,
                         last_error = NULL WHERE id = ?1",
                    params![delivery_id, attempts, at],
                )?,
                Err(error) => tx.execute(
                    "UPDATE alert_deliveries SET attempts = ?2, next_attempt_at = ?3, last_error = ?4
                     WHERE id = ?1",
                    params![delivery_id, attempts, next_try(attempts).map(to_db), error],
                )?,
            };
            tx.commit()?;
            Ok(())
        })
    }

    /// Acknowledges an alert: no more reminders. Its flag stays until fixed or excepted.
    pub fn acknowledge_alert(
        &self,
        id: i64,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let n = conn.execute(
                "UPDATE alerts SET acknowledged_at = ?2, acknowledged_by = ?3
                 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![id, at, by],
            )?;
            if n == 0 {
                return Err(LedgerError::Invalid(format!(
                    "no unacknowledged alert with id {id}"
                )));
            }
            Ok(())
        })
    }

    /// The device alert `id` is about, if there is such an alert.
    pub fn alert_device(&self, id: i64) -> Result<Option<i64>, LedgerError> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT device_id FROM alerts WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Alerts of devices of the sites of `scope`, newest first, with their deliveries;
    /// `open_only` leaves out closed ones.
    pub fn alerts(
        &self,
        scope: &SiteScope,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<AlertView>, LedgerError> {
        let in_scope = scope.devices_sql("device_id");
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT id, device_id, flag, flag_key, message, raised_at, last_notified_at,
                        acknowledged_at, acknowledged_by, closed_at
                 FROM alerts WHERE (NOT ?1 OR closed_at IS NULL) AND {in_scope}
                 ORDER BY id DESC LIMIT ?2"
            ))?;
            let mut alerts = stmt
                .query_map(params![open_only, crate::sql_count(limit)], |r| {
                    let message: String = r.get(4)?;
                    Ok(AlertView {
                        id: r.get(0)?,
                        device_id: r.get(1)?,
                        flag: r.get(2)?,
                        flag_key: r.get(3)?,
                        subject: stored_subject(&message),
                        raised_at: r.get(5)?,
                        last_notified_at: r.get(6)?,
                        acknowledged_at: r.get(7)?,
                        acknowledged_by: r.get(8)?,
                        closed_at: r.get(9)?,
                        deliveries: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut deliveries = conn.prepare_cached(
                "SELECT id, channel, reminder, attempts, delivered_at, next_attempt_at, last_error
                 FROM alert_deliveries WHERE alert_id = ?1 ORDER BY id",
            )?;
            for alert in &mut alerts {
                alert.deliveries = deliveries
                    .query_map(params![alert.id], |r| {
                        Ok(DeliveryView {
                            id: r.get(0)?,
                            channel: r.get(1)?,
                            reminder: r.get(2)?,
                            attempts: r.get(3)?,
                            delivered_at: r.get(4)?,
                            next_attempt_at: r.get(5)?,
                            last_error: r.get(6)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
            }
            Ok(alerts)
        })
    }
}
