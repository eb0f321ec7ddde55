//! Which alerts to raise, remind and close; when to retry a failed delivery.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use daicho_policy::{Flag, FlagKind};
use ipnet::IpNet;

/// A flag active on a device now.
#[derive(Debug, Clone, Copy)]
pub struct ActiveFlag<'a> {
    /// The ledger device id.
    pub device_id: &'a str,
    /// The device's current addresses (randomised-MAC alerts are per subnet).
    pub ips: &'a [IpAddr],
    /// The flag.
    pub flag: &'a Flag,
}

/// An alert already on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// The alert's id.
    pub id: i64,
    /// The device it is about.
    pub device_id: String,
    /// The flag key ([`Flag::key`]) that raised it.
    pub flag_key: String,
    /// When it was last sent (first notice or reminder).
    pub last_notified_at: DateTime<Utc>,
    /// Whether an operator acknowledged it (no more reminders).
    pub acknowledged: bool,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Raise a new alert for this flag on this device.
    Raise {
        /// The device.
        device_id: String,
        /// The flag.
        flag: Flag,
    },
    /// Send the open alert again as a reminder.
    Remind {
        /// The alert's id.
        alert_id: i64,
    },
    /// The flag is gone: close the alert, so that a later recurrence alerts afresh.
    Close {
        /// The alert's id.
        alert_id: i64,
    },
}

/// Decides what to send. `open` are the unresolved alerts on record; `reminder` the interval
/// after which an unacknowledged alert is sent again (`None`: never); `randomized_mac_subnets`
/// the subnets where a randomised MAC is worth an alert (elsewhere it stays a flag only).
pub fn plan(
    now: DateTime<Utc>,
    active: &[ActiveFlag<'_>],
    open: &[AlertRecord],
    reminder: Option<Duration>,
    randomized_mac_subnets: &[IpNet],
) -> Vec<Planned> {
    let by_key: HashMap<(&str, &str), &AlertRecord> = open
        .iter()
        .map(|a| ((a.device_id.as_str(), a.flag_key.as_str()), a))
        .collect();
    let mut still_active = HashSet::new();
    let mut planned = Vec::new();
    for item in active {
        if !alertable(item, randomized_mac_subnets) {
            continue;
        }
        let key = item.flag.key();
        still_active.insert((item.device_id.to_owned(), key.clone()));
        match by_key.get(&(item.device_id, key.as_str())) {
            None => planned.push(Planned::Raise {
                device_id: item.device_id.to_owned(),
                flag: item.flag.clone(),
            }),
            Some(record) => {
                let due = reminder.is_some_and(|every| now - record.last_notified_at >= every);
                if due && !record.acknowledged {
                    planned.push(Planned::Remind {
                        alert_id: record.id,
                    });
                }
            }
        }
    }
    for record in open {
        if !still_active.contains(&(record.device_id.clone(), record.flag_key.clone())) {
            planned.push(Planned::Close {
                alert_id: record.id,
            });
        }
    }
    planned
}

/// Whether one planning pass sends its notices as one digest per channel instead of one
/// message per alert: when it raises and reminds more than `digest_after` alerts together.
///
/// This is the one batching rule. Each ingest wakes a pass, so a pass's raises are one report's
/// worth (or a sweep's, for `missing`). A digested alert is still recorded like any other (it
/// can be acknowledged, it is reminded and closed as usual), only its notice goes out in the
/// digest rather than by itself. Reminders count with raises: alerts digested together fall due
/// together, so their reminders are digested again (a digest of reminders). Closing sends
/// nothing and never counts.
pub fn digested(planned: &[Planned], digest_after: usize) -> bool {
    planned
        .iter()
        .filter(|p| matches!(p, Planned::Raise { .. } | Planned::Remind { .. }))
        .count()
        > digest_after
}

fn alertable(item: &ActiveFlag<'_>, randomized_mac_subnets: &[IpNet]) -> bool {
    match item.flag.kind {
        FlagKind::RandomizedMac => item
            .ips
            .iter()
            .any(|ip| randomized_mac_subnets.iter().any(|n| n.contains(ip))),
        _ => true,
    }
}

/// When to try a failed delivery again after `attempts` failures, the last at `last`: one
/// minute, doubling to at most an hour between tries, giving up after a day's worth of tries
/// (the failure stays on record for the operator to see).
pub fn retry_at(attempts: u32, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
    const MAX_ATTEMPTS: u32 = 30;
    if attempts == 0 {
        return Some(last);
    }
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let minutes = 1i64.checked_shl(attempts - 1).unwrap_or(i64::MAX).min(60);
    Some(last + Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn flag(kind: FlagKind, code: &str) -> Flag {
        Flag {
            kind,
            code: code.into(),
            service: None,
            reason: "r".into(),
            evidence: vec![],
        }
    }

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, h, 0, 0).unwrap()
    }

    const IPS: &[IpAddr] = &[IpAddr::V4(std::net::Ipv4Addr::new(198, 18, 0, 30))];

    #[test]
    fn a_new_flag_is_raised_once_then_only_reminded() {
        let f = flag(FlagKind::Unregistered, "unregistered");
        let active = [ActiveFlag {
            device_id: "d1",
            ips: IPS,
            flag: &f,
        }];
        assert_eq!(
            plan(t(1), &active, &[], None, &[]),
            [Planned::Raise {
                device_id: "d1".into(),
                flag: f.clone()
            }]
        );
        let record = AlertRecord {
            id: 7,
            device_id: "d1".into(),
            flag_key: f.key(),
            last_notified_at: t(1),
            acknowledged: false,
        };
        assert!(
            plan(t(2), &active, std::slice::from_ref(&record), None, &[]).is_empty(),
            "no reminder configured"
        );
        let every = Some(Duration::hours(4));
        assert!(
            plan(t(4), &active, std::slice::from_ref(&record), every, &[]).is_empty(),
            "not yet due"
        );
        assert_eq!(
            plan(t(5), &active, std::slice::from_ref(&record), every, &[]),
            [Planned::Remind { alert_id: 7 }]
        );
        let acked = AlertRecord {
            acknowledged: true,
            ..record
        };
        assert!(
            plan(t(9), &active, &[acked], every, &[]).is_empty(),
            "acknowledged: silent"
        );
    }

    #[test]
    fn a_resolved_flag_closes_its_alert() {
        let record = AlertRecord {
            id: 3,
            device_id: "d1".into(),
            flag_key: "eol_os:unsupported:".into(),
            last_notified_at: t(1),
            acknowledged: false,
        };
        assert_eq!(
            plan(t(2), &[], &[record], None, &[]),
            [Planned::Close { alert_id: 3 }]
        );
    }

    #[test]
    fn randomized_macs_alert_only_in_configured_subnets() {
        let f = flag(FlagKind::RandomizedMac, "randomized_mac");
        let active = [ActiveFlag {
            device_id: "p",
            ips: IPS,
            flag: &f,
        }];
        assert!(plan(t(1), &active, &[], None, &[]).is_empty());
        let guest: IpNet = "198.18.0.0/24".parse().unwrap();
        assert_eq!(plan(t(1), &active, &[], None, &[guest]).len(), 1);
    }

    #[test]
    fn more_than_digest_after_notices_in_one_pass_are_digested() {
        let f = flag(FlagKind::Unregistered, "unregistered");
        let ids: Vec<String> = (0..21).map(|i| format!("d{i}")).collect();
        let active: Vec<ActiveFlag<'_>> = ids
            .iter()
            .map(|id| ActiveFlag {
                device_id: id,
                ips: IPS,
                flag: &f,
            })
            .collect();
        let planned = plan(t(1), &active, &[], None, &[]);
        assert!(digested(&planned, 20));
        assert!(!digested(&planned[..20], 20));
        let closes = vec![Planned::Close { alert_id: 1 }; 30];
        assert!(!digested(&closes, 20), "closing sends nothing");
        let reminders = vec![Planned::Remind { alert_id: 1 }; 21];
        assert!(digested(&reminders, 20), "reminders are digested too");
    }

    #[test]
    fn retries_back_off_and_give_up() {
        assert_eq!(retry_at(0, t(1)), Some(t(1)));
        assert_eq!(retry_at(1, t(1)), Some(t(1) + Duration::minutes(1)));
        assert_eq!(retry_at(3, t(1)), Some(t(1) + Duration::minutes(4)));
        assert_eq!(retry_at(12, t(1)), Some(t(1) + Duration::minutes(60)));
        assert_eq!(retry_at(30, t(1)), None);
    }
}
