//! Alerts over the ledger: `daicho-alert` decides what to raise, remind and close
//! ([`daicho_alert::plan`], batched by [`daicho_alert::digested`]), words the messages
//! ([`AlertMessage`]) and spaces the retries ([`daicho_alert::retry_at`]); `daicho-ledger`
//! records alerts and deliveries ([`Ledger::record_alert_pass`], [`Ledger::due_deliveries`],
//! [`Ledger::record_delivery`]). The alert worker, the CLI and tests drive alerts through these
//! functions.

use chrono::{DateTime, Duration, Utc};
use daicho_alert::{ActiveFlag, AlertMessage, AlertRecord, Planned, digested, plan, retry_at};
use daicho_ledger::alerts::{
    ActiveAlertFlag, AlertDecision, AlertDecisions, AlertDevice, AlertPlanOutcome, AlertPlanner,
    OpenAlert,
};
use daicho_ledger::{Ledger, LedgerError};
use daicho_policy::Flag;
use ipnet::IpNet;

/// How a person recognises device `device_id` in an alert: its IP address, MAC and host name,
/// its vendor in brackets and its 管理番号 (`198.18.0.10 00:1b:21:00:00:0a pc-a (Intel)
/// 管理番号 A-1`), or `device {id}` when the ledger knows none of them.
pub fn device_label(device_id: i64, device: &AlertDevice) -> String {
    let mut label: Vec<String> = [&device.ip, &device.mac, &device.hostname]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(vendor) = &device.vendor {
        label.push(format!("({vendor})"));
    }
    if let Some(asset) = &device.asset_no {
        label.push(format!("管理番号 {asset}"));
    }
    if label.is_empty() {
        format!("device {device_id}")
    } else {
        label.join(" ")
    }
}

/// `daicho-alert`'s rules for one planning pass at `now`.
struct AlertRules<'a> {
    now: DateTime<Utc>,
    reminder: Option<Duration>,
    randomized_mac_subnets: &'a [IpNet],
    digest_after: usize,
}

impl AlertPlanner for AlertRules<'_> {
    fn decide(&self, active: &[ActiveAlertFlag], open: &[OpenAlert]) -> AlertDecisions {
        let device_ids: Vec<String> = active.iter().map(|a| a.device_id.to_string()).collect();
        let views: Vec<ActiveFlag<'_>> = active
            .iter()
            .zip(&device_ids)
            .map(|(a, id)| ActiveFlag {
                device_id: id,
                ips: &a.ips,
                flag: &a.flag,
            })
            .collect();
        let open: Vec<AlertRecord> = open
            .iter()
            .map(|o| AlertRecord {
                id: o.id,
                device_id: o.device_id.to_string(),
                flag_key: o.flag_key.clone(),
                last_notified_at: o.last_notified_at,
                acknowledged: o.acknowledged,
            })
            .collect();
        let steps = plan(
            self.now,
            &views,
            &open,
            self.reminder,
            self.randomized_mac_subnets,
        );
        let digest = digested(&steps, self.digest_after);
        let decisions = steps
            .into_iter()
            .map(|step| match step {
                Planned::Raise { device_id, flag } => AlertDecision::Raise {
                    device_id: device_id.parse().unwrap_or_default(),
                    flag,
                },
                Planned::Remind { alert_id } => AlertDecision::Remind { alert_id },
                Planned::Close { alert_id } => AlertDecision::Close { alert_id },
            })
            .collect();
        AlertDecisions { decisions, digest }
    }

    fn message(&self, alert_id: i64, device_id: i64, device: &AlertDevice, flag: &Flag) -> String {
        let message = AlertMessage::new(
            alert_id,
            &device_id.to_string(),
            &device_label(device_id, device),
            flag,
            self.now,
            false,
        );
        serde_json::to_string(&message).unwrap_or_default()
    }

    fn digest(&self, messages: &[String], reminder: bool) -> Option<(i64, String)> {
        let messages: Vec<AlertMessage> = messages
            .iter()
            .filter_map(|m| serde_json::from_str(m).ok())
            .collect();
        let digest = AlertMessage::digest(&messages, self.now, reminder)?;
        Some((
            digest.alert_id,
            serde_json::to_string(&digest).unwrap_or_default(),
        ))
    }
}

/// One planning pass at `now`: raises an alert for each newly raised flag (queued on every
/// channel in `channels`), queues reminders for unacknowledged alerts older than `reminder`,
/// and closes alerts whose flag has cleared. Runs in one transaction. Never digests (see
/// [`plan_alerts_digest`]).
pub fn plan_alerts(
    ledger: &Ledger,
    now: DateTime<Utc>,
    channels: &[&str],
    reminder: Option<Duration>,
    randomized_mac_subnets: &[IpNet],
) -> Result<AlertPlanOutcome, LedgerError> {
    plan_alerts_digest(
        ledger,
        now,
        channels,
        reminder,
        randomized_mac_subnets,
        usize::MAX,
    )
}

/// [`plan_alerts`], batched by `daicho_alert::digested`: when the pass raises and reminds more
/// than `digest_after` alerts, each is recorded as usual but only one digest of the raised ones
/// (and one of the reminded ones) is queued per channel.
pub fn plan_alerts_digest(
    ledger: &Ledger,
    now: DateTime<Utc>,
    channels: &[&str],
    reminder: Option<Duration>,
    randomized_mac_subnets: &[IpNet],
    digest_after: usize,
) -> Result<AlertPlanOutcome, LedgerError> {
    let rules = AlertRules {
        now,
        reminder,
        randomized_mac_subnets,
        digest_after,
    };
    ledger.record_alert_pass(now, channels, &rules)
}

/// A delivery that is due, with the message to send.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Delivery id (pass it back to [`record_delivery`]).
    pub id: i64,
    /// The channel name (`log`, `webhook`, `email`).
    pub channel: String,
    /// The message to send.
    pub message: AlertMessage,
}

/// Deliveries whose next attempt is due at `now`, oldest first, at most `limit`. A reminder of
/// one alert is its message worded again as a reminder; a digest is sent as stored. A stored
/// message this build cannot read is left out.
pub fn due_deliveries(
    ledger: &Ledger,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DueDelivery>, LedgerError> {
    let mut out = Vec::new();
    for due in ledger.due_deliveries(now, limit)? {
        let Ok(mut message) = serde_json::from_str::<AlertMessage>(&due.message) else {
            continue;
        };
        if due.reminder && !due.digest {
            message = AlertMessage::new(
                message.alert_id,
                &message.device_id,
                &message.device,
                &message.flag,
                message.raised_at,
                true,
            );
        }
        out.push(DueDelivery {
            id: due.id,
            channel: due.channel,
            message,
        });
    }
    Ok(out)
}

/// Records one delivery attempt at `now`. A failure is retried on the back-off schedule of
/// `daicho_alert::retry_at`; after the last try the delivery stays failed, on record.
pub fn record_delivery(
    ledger: &Ledger,
    delivery_id: i64,
    now: DateTime<Utc>,
    result: &Result<(), String>,
) -> Result<(), LedgerError> {
    ledger.record_delivery(delivery_id, now, result, &|attempts| {
        retry_at(attempts, now)
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use daicho_policy::FlagKind;

    use super::*;

    #[test]
    fn a_device_label_names_what_the_ledger_knows() {
        let device = AlertDevice {
            ip: Some("198.18.0.10".into()),
            mac: Some("00:1b:21:00:00:0a".into()),
            hostname: Some("pc-a".into()),
            vendor: Some("Intel".into()),
            asset_no: Some("A-1".into()),
        };
        assert_eq!(
            device_label(7, &device),
            "198.18.0.10 00:1b:21:00:00:0a pc-a (Intel) 管理番号 A-1"
        );
        let partial = AlertDevice {
            mac: Some("00:1b:21:00:00:0a".into()),
            asset_no: Some("A-1".into()),
            ..AlertDevice::default()
        };
        assert_eq!(device_label(7, &partial), "00:1b:21:00:00:0a 管理番号 A-1");
        assert_eq!(device_label(7, &AlertDevice::default()), "device 7");
    }

    fn ips(texts: &[&str]) -> Vec<std::net::IpAddr> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    fn flag(kind: FlagKind) -> Flag {
        Flag {
            kind,
            code: kind.as_str().into(),
            service: None,
            reason: "r".into(),
            evidence: vec![],
        }
    }

    #[test]
    fn the_rules_decide_with_ledger_ids() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
        let rules = AlertRules {
            now,
            reminder: Some(Duration::hours(4)),
            randomized_mac_subnets: &[],
            digest_after: 1,
        };
        let unregistered = flag(FlagKind::Unregistered);
        let active = [ActiveAlertFlag {
            device_id: 12,
            ips: ips(&["198.18.0.12"]),
            flag: unregistered.clone(),
        }];
        let open = [
            OpenAlert {
                id: 3,
                device_id: 7,
                flag_key: unregistered.key(),
                last_notified_at: now - Duration::hours(5),
                acknowledged: false,
            },
            OpenAlert {
                id: 4,
                device_id: 12,
                flag_key: flag(FlagKind::EolOs).key(),
                last_notified_at: now,
                acknowledged: false,
            },
        ];
        let decided = rules.decide(&active, &open);
        assert_eq!(
            decided.decisions,
            [
                AlertDecision::Raise {
                    device_id: 12,
                    flag: unregistered.clone()
                },
                AlertDecision::Close { alert_id: 3 },
                AlertDecision::Close { alert_id: 4 },
            ]
        );
        assert!(!decided.digest, "one raise is not more than 1");

        let device = AlertDevice {
            ip: Some("198.18.0.12".into()),
            ..AlertDevice::default()
        };
        let message = rules.message(9, 12, &device, &unregistered);
        let read: AlertMessage = serde_json::from_str(&message).unwrap();
        assert_eq!((read.alert_id, read.device_id.as_str()), (9, "12"));
        assert_eq!(read.device, "198.18.0.12");
        let (hung_on, digest) = rules
            .digest(&[message.clone(), "not json".into(), message], true)
            .unwrap();
        assert_eq!(hung_on, 9);
        let digest: AlertMessage = serde_json::from_str(&digest).unwrap();
        assert!(digest.reminder);
        assert_eq!(digest.digest.unwrap().alerts, 2, "unreadable ones left out");
        assert!(rules.digest(&[], false).is_none());
    }
}
