//! Device flags: what the MHLW checklist cares about, each with a reason and evidence,
//! recomputed whenever a device changes and on every periodic sweep (time alone raises
//! `missing` and ends exceptions). The rules themselves live in `daicho-policy`; this module
//! feeds them the device's facts from the database and stores the result. Raising or clearing
//! a flag records an event (`flag_raised` / `flag_cleared`).

use std::collections::BTreeMap;

use crate::db::{Conn, OptionalExtension, params};
use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::{LocalInventory, OsFamily, OsGuess, Protocol, Service};
use daicho_policy::{DeviceFacts, Exception, Flag, FlagKind, Policy, evaluate};
use serde_json::json;

use crate::LedgerError;
use crate::events::EventKind;
use crate::registration::REGISTERED;
use crate::time::from_db;
use crate::triage::KNOWN_OUTSIDE_LEDGER;

/// Recomputes every flag of `device_id` as of `at`, recording an event for each change.
/// Returns how many flags changed.
pub(crate) fn recompute(
    conn: &Conn,
    policy: &Policy,
    device_id: i64,
    at: &str,
    report_id: Option<&str>,
) -> Result<usize, LedgerError> {
    let now = from_db(at).unwrap_or_else(Utc::now);
    let facts = device_facts(conn, device_id)?;
    let exceptions = device_exceptions(conn, device_id)?;
    let flags: BTreeMap<String, Flag> = evaluate(&facts, policy, &exceptions, now)
        .into_iter()
        .map(|f| (f.key(), f))
        .collect();

    // key -> stored evidence (JSON)
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT key, evidence FROM device_flags WHERE device_id = ?1")?;
        let rows = stmt.query_map(params![device_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (key, evidence) = row?;
            current.insert(key, evidence);
        }
    }
    let mut changed = 0;
    for (key, flag) in &flags {
        let evidence = serde_json::to_string(&flag.evidence).unwrap_or_default();
        match current.get(key) {
            // Still raised: keep reason and evidence current (an IP change, …) without an event.
            Some(stored) if *stored == evidence => {}
            Some(_) => {
                conn.prepare_cached(
                    "UPDATE device_flags SET reason = ?3, evidence = ?4
                     WHERE device_id = ?1 AND key = ?2",
                )?
                .execute(params![device_id, key, flag.reason, evidence])?;
            }
            None => {
                store_flag(conn, device_id, key, flag, &evidence, at)?;
                crate::events::record_event(
                    conn,
                    device_id,
                    EventKind::FlagRaised,
                    at,
                    report_id,
                    &json!({"flag": flag.kind.as_str(), "code": flag.code, "service": flag.service,
                            "reason": flag.reason, "evidence": flag.evidence}),
                )?;
                changed += 1;
            }
        }
    }
    for key in current.keys().filter(|k| !flags.contains_key(*k)) {
        conn.prepare_cached("DELETE FROM device_flags WHERE device_id = ?1 AND key = ?2")?
            .execute(params![device_id, key])?;
        let flag = key.split(':').next().unwrap_or(key);
        crate::events::record_event(
            conn,
            device_id,
            EventKind::FlagCleared,
            at,
            report_id,
            &json!({"flag": flag, "key": key}),
        )?;
        changed += 1;
    }
    Ok(changed)
}

/// Stores a newly raised `flag` of `device_id` under `key`, its evidence as the JSON text
/// `evidence`. [`stored_flag`] reads it back.
fn store_flag(
    conn: &Conn,
    device_id: i64,
    key: &str,
    flag: &Flag,
    evidence: &str,
    at: &str,
) -> Result<(), LedgerError> {
    conn.prepare_cached(
        "INSERT INTO device_flags
             (device_id, key, flag, code, service, reason, evidence, raised_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        device_id,
        key,
        flag.kind.as_str(),
        flag.code,
        flag.service,
        flag.reason,
        evidence,
        at
    ])?;
    Ok(())
}

/// The columns of `device_flags` that [`stored_flag`] decodes, in its order.
pub(crate) const STORED_FLAG_COLUMNS: &str = "flag, code, service, reason, evidence";

/// A stored flag decoded: the row's [`STORED_FLAG_COLUMNS`] (as [`store_flag`] wrote them),
/// the first at index `first`. `None` for a flag kind this build does not know (written by a
/// newer one); evidence that is not a JSON list of text reads as none.
pub(crate) fn stored_flag(r: &crate::db::Row<'_>, first: usize) -> crate::db::Result<Option<Flag>> {
    let kind: String = r.get(first)?;
    let Some(kind) = FlagKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
        return Ok(None);
    };
    let evidence: String = r.get(first + 4)?;
    Ok(Some(Flag {
        kind,
        code: r.get(first + 1)?,
        service: r.get(first + 2)?,
        reason: r.get(first + 3)?,
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
    }))
}

/// The device's row as the flag rules read it: `SELECT {facts_select} FROM devices d …`.
fn facts_select() -> String {
    format!(
        "d.id, d.ip, d.mac_randomized, {REGISTERED}, d.role, d.last_seen, d.os_family, d.os_name,
         d.os_version, d.os_confidence, d.os_evidence, d.local_json, {KNOWN_OUTSIDE_LEDGER}"
    )
}

/// One device's row and open services as the flag rules need them.
fn facts_of(
    r: &crate::db::Row<'_>,
    services: Vec<Service>,
) -> Result<DeviceFacts, crate::db::DbError> {
    let id: i64 = r.get(0)?;
    let ip: Option<String> = r.get(1)?;
    let family: String = r.get(6)?;
    let family: OsFamily = family.parse().unwrap_or_default();
    let os_name: Option<String> = r.get(7)?;
    let os_evidence: String = r.get(10)?;
    let os = (family != OsFamily::Unknown || os_name.is_some())
        .then(|| -> Result<OsGuess, crate::db::DbError> {
            Ok(OsGuess {
                family,
                name: os_name,
                version: r.get(8)?,
                confidence: r.get(9)?,
                evidence: serde_json::from_str(&os_evidence).unwrap_or_default(),
            })
        })
        .transpose()?;
    let local_json: Option<String> = r.get(11)?;
    let local: Option<LocalInventory> = local_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let last_seen: String = r.get(5)?;
    Ok(DeviceFacts {
        id: id.to_string(),
        ips: ip.iter().filter_map(|ip| ip.parse().ok()).collect(),
        mac_randomized: r.get(2)?,
        registered: r.get(3)?,
        known_outside_ledger: r.get(12)?,
        role: r.get(4)?,
        last_seen: from_db(&last_seen).unwrap_or_else(Utc::now),
        os,
        services,
        last_updated: local.as_ref().and_then(|l| l.last_updated),
        self_inventoried: local.is_some(),
        programs: local
            .as_ref()
            .map(|l| l.packages.clone())
            .unwrap_or_default(),
        system_services: local.map(|l| l.system_services).unwrap_or_default(),
    })
}

/// An open service row (`port, protocol, name, product, version, evidence` after the device
/// id) as the rules read it.
fn service_of(r: &crate::db::Row<'_>) -> Result<(i64, Service), crate::db::DbError> {
    let protocol: String = r.get(2)?;
    let evidence: String = r.get(6)?;
    Ok((
        r.get(0)?,
        Service {
            port: r.get(1)?,
            protocol: if protocol == "udp" {
                Protocol::Udp
            } else {
                Protocol::Tcp
            },
            name: r.get(3)?,
            product: r.get(4)?,
            version: r.get(5)?,
            evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        },
    ))
}

const SERVICE_COLUMNS: &str =
    "s.device_id, s.port, s.protocol, s.name, s.product, s.version, s.evidence";

/// What the flag rules need to know about one device, read from its row, its open services
/// and its own inventory.
pub(crate) fn device_facts(conn: &Conn, device_id: i64) -> Result<DeviceFacts, LedgerError> {
    let services = conn
        .prepare_cached(&format!(
            "SELECT {SERVICE_COLUMNS} FROM device_services s
             WHERE s.device_id = ?1 AND s.state = 'open' ORDER BY s.protocol, s.port"
        ))?
        .query_map(params![device_id], service_of)?
        .map(|r| r.map(|(_, s)| s))
        .collect::<Result<Vec<_>, _>>()?;
    conn.prepare_cached(&format!(
        "SELECT {} FROM devices d WHERE d.id = ?1",
        facts_select()
    ))?
    .query_row(params![device_id], |r| facts_of(r, services))
    .optional()?
    .ok_or(LedgerError::NoSuchDevice(device_id))
}

/// [`device_facts`] of every device of `site` not merged away, by device id, in two reads.
pub(crate) fn site_facts(
    conn: &Conn,
    site: crate::sites::SiteId,
) -> Result<std::collections::HashMap<i64, DeviceFacts>, LedgerError> {
    let mut services: std::collections::HashMap<i64, Vec<Service>> =
        std::collections::HashMap::new();
    for row in conn
        .prepare(&format!(
            "SELECT {SERVICE_COLUMNS} FROM device_services s JOIN devices d ON d.id = s.device_id
             WHERE d.site_id = ?1 AND d.merged_into IS NULL AND s.state = 'open'
             ORDER BY s.device_id, s.protocol, s.port"
        ))?
        .query_map(params![site.0], service_of)?
    {
        let (id, service) = row?;
        services.entry(id).or_default().push(service);
    }
    let facts = conn
        .prepare(&format!(
            "SELECT {} FROM devices d WHERE d.site_id = ?1 AND d.merged_into IS NULL",
            facts_select()
        ))?
        .query_map(params![site.0], |r| {
            let id: i64 = r.get(0)?;
            facts_of(r, services.remove(&id).unwrap_or_default()).map(|f| (id, f))
        })?
        .collect::<Result<_, _>>()?;
    Ok(facts)
}

/// The device's exceptions that are not revoked (expired ones are kept: the rules check expiry
/// against the day being evaluated).
fn device_exceptions(conn: &Conn, device_id: i64) -> Result<Vec<Exception>, LedgerError> {
    let rows = conn
        .prepare_cached(
            "SELECT service, reason, approver, expires FROM exceptions
             WHERE device_id = ?1 AND revoked_at IS NULL",
        )?
        .query_map(params![device_id], |r| {
            let expires: String = r.get(3)?;
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                expires,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(service, reason, approver, expires)| {
            Some(Exception {
                device_id: device_id.to_string(),
                service,
                reason,
                approver,
                expires: NaiveDate::parse_from_str(&expires, "%Y-%m-%d").ok()?,
            })
        })
        .collect())
}

/// Recomputes the flags of every device (not merged away) as of `now`. Returns how many flags
/// changed in all.
pub(crate) fn recompute_all(
    conn: &Conn,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let at = crate::time::to_db(now);
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM devices WHERE merged_into IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut changed = 0;
    for id in ids {
        changed += recompute(conn, policy, id, &at, None)?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device to hang flags on, in a fresh database.
    fn database() -> Conn {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let conn = Conn::sqlite(conn);
        conn.execute(
            "INSERT INTO devices (first_seen, last_seen, last_match, presence, created_at)
             VALUES ('2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z', 'ledger', 'gone',
                     '2026-12-07T00:00:00Z')",
            [],
        )
        .unwrap();
        conn
    }

    fn read_back(conn: &Conn, key: &str) -> Option<Flag> {
        conn.query_row(
            &format!("SELECT {STORED_FLAG_COLUMNS} FROM device_flags WHERE key = ?1"),
            params![key],
            |r| stored_flag(r, 0),
        )
        .unwrap()
    }

    #[test]
    fn a_stored_flag_of_every_kind_decodes_to_the_same_flag() {
        let conn = database();
        for (i, kind) in FlagKind::ALL.into_iter().enumerate() {
            let flag = Flag {
                kind,
                code: format!("code-{i}"),
                service: (i % 2 == 0).then(|| format!("svc/tcp/{i}")),
                reason: format!("理由 {i}"),
                evidence: vec![format!("ip 198.18.0.{i}"), "改行\nも".into()],
            };
            let evidence = serde_json::to_string(&flag.evidence).unwrap();
            store_flag(
                &conn,
                1,
                &flag.key(),
                &flag,
                &evidence,
                "2026-12-07T00:00:00Z",
            )
            .unwrap();
            assert_eq!(read_back(&conn, &flag.key()), Some(flag), "{kind:?}");
        }
    }

    #[test]
    fn a_stored_flag_of_an_unknown_kind_decodes_to_none() {
        let conn = database();
        conn.execute(
            "INSERT INTO device_flags
                 (device_id, key, flag, code, service, reason, evidence, raised_at)
             VALUES (1, 'newer:x:', 'newer', 'x', NULL, '', '[]', '2026-12-07T00:00:00Z')",
            [],
        )
        .unwrap();
        assert_eq!(read_back(&conn, "newer:x:"), None);
    }
}
