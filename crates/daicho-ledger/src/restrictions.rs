//! The record of MAC-address restrictions applied on network devices (checklist 2-⑬).
//!
//! No scan can see a switch's port security or a router's MAC filter, so the operator records
//! each one: where it is applied, by whom, on which day, and the MAC addresses it admits (the
//! allowlist exported from the ledger at that moment). The checklist compares what the network
//! shows with these lists, so a device registered after the list was applied reads as "not yet
//! allowed" until the list is applied again. Recording a list for a place replaces that place's
//! previous one; a withdrawn record stays in the register for the audit trail.

use crate::db::{WriteLock, params};
use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::MacAddr;
use serde::{Deserialize, Serialize};

use crate::sites::SiteId;
use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// One applied allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionRecord {
    /// Record id.
    pub id: i64,
    /// The site whose network device applies it.
    #[serde(default)]
    pub site_id: SiteId,
    /// Where it is applied (`コアスイッチ SW-01`, `無線LAN AP 2F`).
    pub place: String,
    /// Who applied it.
    pub applied_by: String,
    /// The day it was applied (YYYY-MM-DD).
    pub applied_on: String,
    /// How it is applied, free text (`port-security maximum 1, violation restrict`).
    pub note: String,
    /// The MAC addresses the device admits.
    pub macs: Vec<MacAddr>,
    /// When it was recorded.
    pub recorded_at: String,
    /// When it was withdrawn or replaced by a newer record for the same place.
    pub withdrawn_at: Option<String>,
}

/// A restriction as the operator states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRestriction {
    /// The site whose network device applies it (a place is named within its site).
    pub site: SiteId,
    /// Where it is applied.
    pub place: String,
    /// Who applied it.
    pub applied_by: String,
    /// The day it was applied.
    pub applied_on: NaiveDate,
    /// How it is applied (may be empty).
    pub note: String,
    /// The MAC addresses it admits (not empty).
    pub macs: Vec<MacAddr>,
}

impl Ledger {
    /// Records an applied allowlist, replacing the active record of the same place. Returns its
    /// id.
    pub fn record_restriction(
        &self,
        new: &NewRestriction,
        now: DateTime<Utc>,
    ) -> Result<i64, LedgerError> {
        let place = new.place.trim();
        let applied_by = new.applied_by.trim();
        if place.is_empty() {
            return Err(LedgerError::Invalid(
                "place must not be empty: name the switch, router or access point".into(),
            ));
        }
        if applied_by.is_empty() {
            return Err(LedgerError::Invalid("applied_by must not be empty".into()));
        }
        if new.macs.is_empty() {
            return Err(LedgerError::Invalid(
                "the allowlist is empty: register devices with their MAC addresses first".into(),
            ));
        }
        // "Today" in the operator's zone: no later than today at UTC+14, the earliest zone.
        if new.applied_on > (now + chrono::Duration::hours(14)).date_naive() {
            return Err(LedgerError::Invalid(format!(
                "applied_on {} is in the future",
                new.applied_on
            )));
        }
        let mut macs = new.macs.clone();
        macs.sort_unstable();
        macs.dedup();
        let macs_json =
            serde_json::to_string(&macs).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            tx.execute(
                "UPDATE restrictions SET withdrawn_at = ?2
                 WHERE place = ?1 AND site_id = ?3 AND withdrawn_at IS NULL",
                params![place, at, new.site.0],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO restrictions (place, applied_by, applied_on, note, macs, recorded_at,
                     site_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
 RETURNING id",
                params![
                    place,
                    applied_by,
                    new.applied_on.to_string(),
                    new.note.trim(),
                    macs_json,
                    at,
                    new.site.0
                ],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Withdraws a record (the restriction was removed from the device).
    pub fn withdraw_restriction(&self, id: i64, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let at = to_db(now);
        self.write(|conn| {
            let changed = conn.execute(
                "UPDATE restrictions SET withdrawn_at = ?2 WHERE id = ?1 AND withdrawn_at IS NULL",
                params![id, at],
            )?;
            if changed == 0 {
                return Err(LedgerError::Invalid(format!(
                    "no active restriction record with id {id}"
                )));
            }
            Ok(())
        })
    }

    /// `site`'s register, newest first; `active_only` leaves out withdrawn and replaced records.
    pub fn restrictions(
        &self,
        site: SiteId,
        active_only: bool,
    ) -> Result<Vec<RestrictionRecord>, LedgerError> {
        let tail =
            format!("WHERE (NOT ?1 OR withdrawn_at IS NULL) AND site_id = {site} ORDER BY id DESC");
        self.read(|conn| select_records(conn, &tail, active_only))
    }

    /// One record, active or not.
    pub fn restriction(&self, id: i64) -> Result<Option<RestrictionRecord>, LedgerError> {
        self.read(|conn| Ok(select_records(conn, "WHERE id = ?1", id)?.pop()))
    }
}

/// The records `tail` (a WHERE/ORDER clause over one parameter `?1`) selects.
fn select_records(
    conn: &crate::db::Conn,
    tail: &str,
    param: impl crate::db::ToValue,
) -> Result<Vec<RestrictionRecord>, LedgerError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, place, applied_by, applied_on, note, macs, recorded_at, withdrawn_at, site_id
         FROM restrictions {tail}"
    ))?;
    let rows = stmt.query_map(params![param], |r| {
        let macs: String = r.get(5)?;
        Ok((
            RestrictionRecord {
                id: r.get(0)?,
                place: r.get(1)?,
                applied_by: r.get(2)?,
                applied_on: r.get(3)?,
                note: r.get(4)?,
                macs: Vec::new(),
                recorded_at: r.get(6)?,
                withdrawn_at: r.get(7)?,
                site_id: SiteId(r.get(8)?),
            },
            macs,
        ))
    })?;
    rows.map(|row| {
        let (mut record, macs) = row?;
        record.macs = serde_json::from_str(&macs).map_err(|e| {
            LedgerError::Invalid(format!(
                "restriction record {}: stored MAC list unreadable: {e}",
                record.id
            ))
        })?;
        Ok(record)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LedgerOptions;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.db"), LedgerOptions::default()).unwrap();
        (dir, ledger)
    }

    fn mac(s: &str) -> MacAddr {
        s.parse().unwrap()
    }

    fn new(place: &str, macs: &[&str]) -> NewRestriction {
        NewRestriction {
            site: SiteId::DEFAULT,
            place: place.into(),
            applied_by: "情報システム担当".into(),
            applied_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            note: "port-security".into(),
            macs: macs.iter().map(|m| mac(m)).collect(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-22T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_new_list_for_a_place_replaces_the_old_one_and_both_stay_in_the_register() {
        let (_dir, ledger) = ledger();
        let first = ledger
            .record_restriction(
                &new(
                    "コアスイッチ",
                    &[
                        "00:00:5e:00:53:02",
                        "00:00:5e:00:53:01",
                        "00:00:5e:00:53:01",
                    ],
                ),
                now(),
            )
            .unwrap();
        let ap = ledger
            .record_restriction(&new("無線LAN AP", &["00:00:5e:00:53:09"]), now())
            .unwrap();
        let second = ledger
            .record_restriction(&new(" コアスイッチ ", &["00:00:5e:00:53:03"]), now())
            .unwrap();
        let active = ledger.restrictions(SiteId::DEFAULT, true).unwrap();
        assert_eq!(
            active.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![second, ap]
        );
        let all = ledger.restrictions(SiteId::DEFAULT, false).unwrap();
        assert_eq!(all.len(), 3);
        let old = ledger.restriction(first).unwrap().unwrap();
        assert!(old.withdrawn_at.is_some());
        // Sorted, without duplicates.
        assert_eq!(
            old.macs,
            vec![mac("00:00:5e:00:53:01"), mac("00:00:5e:00:53:02")]
        );
        ledger.withdraw_restriction(ap, now()).unwrap();
        assert_eq!(ledger.restrictions(SiteId::DEFAULT, true).unwrap().len(), 1);
        assert!(ledger.withdraw_restriction(ap, now()).is_err());
        assert!(ledger.restriction(999).unwrap().is_none());
    }

    #[test]
    fn bad_statements_are_refused() {
        let (_dir, ledger) = ledger();
        for (bad, needle) in [
            (new(" ", &["00:00:5e:00:53:01"]), "place"),
            (
                NewRestriction {
                    applied_by: String::new(),
                    ..new("SW", &["00:00:5e:00:53:01"])
                },
                "applied_by",
            ),
            (new("SW", &[]), "empty"),
            (
                NewRestriction {
                    applied_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    ..new("SW", &["00:00:5e:00:53:01"])
                },
                "future",
            ),
        ] {
            let err = ledger.record_restriction(&bad, now()).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
        assert!(
            ledger
                .restrictions(SiteId::DEFAULT, false)
                .unwrap()
                .is_empty()
        );
    }
}
