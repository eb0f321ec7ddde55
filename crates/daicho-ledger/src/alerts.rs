//! Alerts as stored: what was raised, for which device and flag, and every delivery attempt on
//! every channel. Deciding what to raise is `daicho_alert::plan`; sending is the collector's
//! alert worker; this module keeps the record so each alert goes out once, reminders go out on
//! time, and failed deliveries are retried and never silently dropped.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use daicho_alert::{ActiveFlag, AlertMessage, AlertRecord, Planned, digested, plan, retry_at};
use daicho_policy::{Flag, FlagKind};
use ipnet::IpNet;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

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
    /// notices, when the pass had more than `digest_after` of them.
    pub digests: usize,
}

/// A delivery that is due.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Delivery id (pass it back to [`Ledger::record_delivery`]).
    pub id: i64,
    /// The channel name (`log`, `webhook`, `email`).
    pub channel: String,
    /// The message to send.
    pub message: AlertMessage,
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

struct ActiveRow {
    device_id: i64,
    ips: Vec<IpAddr>,
    flag: Flag,
}

fn active_flags(conn: &Connection) -> Result<Vec<ActiveRow>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT f.device_id, d.ip, f.flag, f.code, f.service, f.reason, f.evidence
         FROM device_flags f JOIN devices d ON d.id = f.device_id
         WHERE d.merged_into IS NULL ORDER BY f.device_id, f.key",
    )?;
    let rows = stmt.query_map([], |r| {
        let ip: Option<String> = r.get(1)?;
        let kind: String = r.get(2)?;
        let evidence: String = r.get(6)?;
        Ok((
            r.get::<_, i64>(0)?,
            ip,
            kind,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            evidence,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (device_id, ip, kind, code, service, reason, evidence) = row?;
        // A flag name this build does not know (written by a newer one) raises no alert.
        let Ok(kind) = serde_json::from_value::<FlagKind>(serde_json::Value::String(kind)) else {
            continue;
        };
        out.push(ActiveRow {
            device_id,
            ips: ip.iter().filter_map(|i| i.parse().ok()).collect(),
            flag: Flag {
                kind,
                code,
                service,
                reason,
                evidence: serde_json::from_str(&evidence).unwrap_or_default(),
            },
        });
    }
    Ok(out)
}

/// How a person recognises the device in an alert: IP, MAC, name, vendor, asset number.
fn device_label(conn: &Connection, device_id: i64) -> Result<String, LedgerError> {
    let parts: Option<[Option<String>; 5]> = conn
        .query_row(
            "SELECT ip, mac, hostname, vendor, asset_no FROM devices WHERE id = ?1",
            params![device_id],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
        )
        .optional()?;
    let Some([ip, mac, hostname, vendor, asset_no]) = parts else {
        return Ok(format!("device {device_id}"));
    };
    let mut label: Vec<String> = [ip, mac, hostname].into_iter().flatten().collect();
    if let Some(vendor) = vendor {
        label.push(format!("({vendor})"));
    }
    if let Some(asset) = asset_no {
        label.push(format!("管理番号 {asset}"));
    }
    Ok(if label.is_empty() {
        format!("device {device_id}")
    } else {
        label.join(" ")
    })
}

fn queue(
    conn: &Connection,
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
    conn: &Connection,
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

/// Queues one digest of `messages` on every channel, hung on the first alert.
fn queue_digest(
    conn: &Connection,
    messages: &[AlertMessage],
    channels: &[&str],
    reminder: bool,
    now: DateTime<Utc>,
) -> Result<bool, LedgerError> {
    let Some(digest) = AlertMessage::digest(messages, now, reminder) else {
        return Ok(false);
    };
    let json = serde_json::to_string(&digest).unwrap_or_default();
    queue_message(
        conn,
        digest.alert_id,
        channels,
        reminder,
        &to_db(now),
        Some(&json),
    )?;
    Ok(true)
}

impl Ledger {
    /// One planning pass at `now`: raises an alert for each newly raised flag (queued on every
    /// channel in `channels`), queues reminders for unacknowledged alerts older than `reminder`,
    /// and closes alerts whose flag has cleared. Runs in one transaction. Never digests (see
    /// [`Ledger::plan_alerts_digest`]).
    pub fn plan_alerts(
        &self,
        now: DateTime<Utc>,
        channels: &[&str],
        reminder: Option<Duration>,
        randomized_mac_subnets: &[IpNet],
    ) -> Result<AlertPlanOutcome, LedgerError> {
        self.plan_alerts_digest(now, channels, reminder, randomized_mac_subnets, usize::MAX)
    }

    /// [`Ledger::plan_alerts`], batched by `daicho_alert::digested`: when the pass raises and
    /// reminds more than `digest_after` alerts, each is recorded as usual but only one digest
    /// of the raised ones (and one of the reminded ones) is queued per channel.
    pub fn plan_alerts_digest(
        &self,
        now: DateTime<Utc>,
        channels: &[&str],
        reminder: Option<Duration>,
        randomized_mac_subnets: &[IpNet],
        digest_after: usize,
    ) -> Result<AlertPlanOutcome, LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.transaction()?;
            let active = active_flags(&tx)?;
            let device_ids: Vec<String> = active.iter().map(|a| a.device_id.to_string()).collect();
            let views: Vec<ActiveFlag<'_>> = active
                .iter()
                .zip(&device_ids)
                .map(|(a, id)| ActiveFlag { device_id: id, ips: &a.ips, flag: &a.flag })
                .collect();
            let open: Vec<AlertRecord> = tx
                .prepare(
                    "SELECT id, device_id, flag_key, last_notified_at, acknowledged_at IS NOT NULL
                     FROM alerts WHERE closed_at IS NULL",
                )?
                .query_map([], |r| {
                    let last: String = r.get(3)?;
                    Ok(AlertRecord {
                        id: r.get(0)?,
                        device_id: r.get::<_, i64>(1)?.to_string(),
                        flag_key: r.get(2)?,
                        last_notified_at: from_db(&last).unwrap_or(now),
                        acknowledged: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut outcome = AlertPlanOutcome::default();
            let steps = plan(now, &views, &open, reminder, randomized_mac_subnets);
            let digest = digested(&steps, digest_after);
            let (mut raised, mut reminded) = (Vec::new(), Vec::new());
            for step in steps {
                match step {
                    Planned::Raise { device_id, flag } => {
                        let device_id: i64 = device_id.parse().unwrap_or_default();
                        let label = device_label(&tx, device_id)?;
                        tx.execute(
                            "INSERT INTO alerts (device_id, flag_key, flag, message, raised_at, last_notified_at)
                             VALUES (?1, ?2, ?3, '{}', ?4, ?4)",
                            params![device_id, flag.key(), flag.kind.as_str(), at],
                        )?;
                        let alert_id = tx.last_insert_rowid();
                        let message = AlertMessage::new(alert_id, &device_id.to_string(), &label, &flag, now, false);
                        tx.execute(
                            "UPDATE alerts SET message = ?2 WHERE id = ?1",
                            params![alert_id, serde_json::to_string(&message).unwrap_or_default()],
                        )?;
                        if digest {
                            raised.push(message);
                        } else {
                            queue(&tx, alert_id, channels, false, &at)?;
                        }
                        outcome.raised += 1;
                    }
                    Planned::Remind { alert_id } => {
                        tx.execute("UPDATE alerts SET last_notified_at = ?2 WHERE id = ?1", params![alert_id, at])?;
                        if digest {
                            let message: String = tx.query_row(
                                "SELECT message FROM alerts WHERE id = ?1",
                                params![alert_id],
                                |r| r.get(0),
                            )?;
                            reminded.extend(serde_json::from_str::<AlertMessage>(&message).ok());
                        } else {
                            queue(&tx, alert_id, channels, true, &at)?;
                        }
                        outcome.reminded += 1;
                    }
                    Planned::Close { alert_id } => {
                        tx.execute("UPDATE alerts SET closed_at = ?2 WHERE id = ?1", params![alert_id, at])?;
                        outcome.closed += 1;
                    }
                }
            }
            for (messages, again) in [(&raised, false), (&reminded, true)] {
                if queue_digest(&tx, messages, channels, again, now)? {
                    outcome.digests += 1;
                }
            }
            tx.commit()?;
            Ok(outcome)
        })
    }

    /// Deliveries whose next attempt is due at `now`, oldest first, at most `limit`.
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
                let (id, channel, reminder, message, is_digest) = row?;
                let Ok(mut message) = serde_json::from_str::<AlertMessage>(&message) else {
                    continue;
                };
                // A digest is stored as sent, reminder or not.
                if reminder && !is_digest {
                    message = AlertMessage::new(
                        message.alert_id,
                        &message.device_id,
                        &message.device,
                        &message.flag,
                        message.raised_at,
                        true,
                    );
                }
                out.push(DueDelivery { id, channel, message });
            }
            Ok(out)
        })
    }

    /// Records one delivery attempt at `now`. A failure is retried on the back-off schedule of
    /// `daicho_alert::retry_at`; after the last try the delivery stays failed, on record.
    pub fn record_delivery(
        &self,
        delivery_id: i64,
        now: DateTime<Utc>,
        result: &Result<(), String>,
    ) -> Result<(), LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.transaction()?;
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
                    params![delivery_id, attempts, retry_at(attempts, now).map(to_db), error],
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

    /// Alerts, newest first, with their deliveries; `open_only` leaves out closed ones.
    pub fn alerts(&self, open_only: bool, limit: usize) -> Result<Vec<AlertView>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, device_id, flag, flag_key, message, raised_at, last_notified_at,
                        acknowledged_at, acknowledged_by, closed_at
                 FROM alerts WHERE NOT ?1 OR closed_at IS NULL ORDER BY id DESC LIMIT ?2",
            )?;
            let mut alerts = stmt
                .query_map(params![open_only, crate::sql_count(limit)], |r| {
                    let message: String = r.get(4)?;
                    Ok(AlertView {
                        id: r.get(0)?,
                        device_id: r.get(1)?,
                        flag: r.get(2)?,
                        flag_key: r.get(3)?,
                        subject: serde_json::from_str::<AlertMessage>(&message)
                            .map(|m| m.subject)
                            .unwrap_or_default(),
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
