//! Moving up: a clinic's whole ledger copied into a hospital group's ledger as one site.
//!
//! Everything the clinic's ledger knows comes along, with its history: devices (merges
//! included) and their keys, addresses, services, switch ports, flags, sightings and events, the reports,
//! exceptions, alerts with their deliveries, the applied allowlists, the agents' tokens (bound to
//! the site, so the clinic's agents deliver to the group's collector unchanged) and the audit
//! log. Row ids are new in the target (the group's database has other sites' rows); every
//! reference follows. The copy is one transaction: it lands whole or not at all. Console
//! accounts and sessions stay behind (the group's administrators add people), and so do the
//! settings, but for the facility name, which becomes the site's label.

use std::collections::HashMap;

use serde::Serialize;

use crate::db::{Conn, Value, WriteLock, params, params_from_iter};
use crate::sites::SiteId;
use crate::{Ledger, LedgerError};

/// What a migration copied, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrateOutcome {
    /// The site the ledger now is.
    pub site: String,
    /// Rows copied per table, in copy order.
    pub rows: Vec<(String, usize)>,
}

/// How a copied column's value is carried over.
#[derive(Clone, Copy)]
enum Carry {
    /// As it is.
    Same,
    /// The row's own id: a new one is given, the old one remembered (`table` → old → new).
    OwnId,
    /// An id of another copied table, replaced by its new id.
    IdOf(&'static str),
    /// The target site.
    Site,
}

use Carry::{IdOf, OwnId, Same, Site};

/// The tables copied, in an order where every reference is copied before it is needed, with
/// each column and how it is carried. `devices.merged_into` is set afterwards (it may point at a
/// later device).
const TABLES: &[(&str, &[(&str, Carry)])] = &[
    (
        "reports",
        &[
            ("id", OwnId),
            ("report_id", Same),
            ("agent", Same),
            ("agent_version", Same),
            ("machine_id", Same),
            ("token_name", Same),
            ("started_at", Same),
            ("finished_at", Same),
            ("received_at", Same),
            ("host_count", Same),
            ("device_count", Same),
            ("scope_json", Same),
            ("methods_json", Same),
            ("warnings_json", Same),
            ("data_json", Same),
            ("site_id", Site),
        ],
    ),
    (
        "devices",
        &[
            ("id", OwnId),
            ("ip", Same),
            ("ip_key", Same),
            ("mac", Same),
            ("mac_randomized", Same),
            ("vendor", Same),
            ("hostname", Same),
            ("hostname_norm", Same),
            ("machine_id", Same),
            ("os_family", Same),
            ("os_name", Same),
            ("os_version", Same),
            ("os_confidence", Same),
            ("os_evidence", Same),
            ("os_confirmed_at", Same),
            ("local_json", Same),
            ("first_seen", Same),
            ("last_seen", Same),
            ("last_report_id", Same),
            ("last_agent", Same),
            ("last_match", Same),
            ("presence", Same),
            ("asset_no", Same),
            ("location", Same),
            ("user_name", Same),
            ("status", Same),
            ("description", Same),
            ("registered_on", Same),
            ("role", Same),
            ("ledger_updated_at", Same),
            ("created_at", Same),
            ("maker", Same),
            ("ledger_os", Same),
            ("software", Same),
            ("software_version", Same),
            ("ledger_ip", Same),
            ("computer_name", Same),
            ("disposition", Same),
            ("disposition_at", Same),
            ("disposition_by", Same),
            ("site_id", Site),
        ],
    ),
    (
        "device_keys",
        &[
            ("site_id", Site),
            ("kind", Same),
            ("value", Same),
            ("device_id", IdOf("devices")),
            ("randomized", Same),
            ("pinned", Same),
            ("first_seen", Same),
            ("last_seen", Same),
        ],
    ),
    (
        "device_ips",
        &[
            ("device_id", IdOf("devices")),
            ("ip", Same),
            ("first_seen", Same),
            ("last_seen", Same),
            ("last_report_id", Same),
        ],
    ),
    (
        "device_services",
        &[
            ("device_id", IdOf("devices")),
            ("protocol", Same),
            ("port", Same),
            ("state", Same),
            ("name", Same),
            ("product", Same),
            ("version", Same),
            ("evidence", Same),
            ("first_seen", Same),
            ("last_seen", Same),
        ],
    ),
    (
        "device_ports",
        &[
            ("device_id", IdOf("devices")),
            ("switch_address", Same),
            ("switch_name", Same),
            ("switch_device_id", IdOf("devices")),
            ("port_name", Same),
            ("port_alias", Same),
            ("vlan", Same),
            ("seen_at", Same),
            ("report_id", Same),
        ],
    ),
    (
        "device_flags",
        &[
            ("device_id", IdOf("devices")),
            ("key", Same),
            ("flag", Same),
            ("code", Same),
            ("service", Same),
            ("reason", Same),
            ("evidence", Same),
            ("raised_at", Same),
        ],
    ),
    (
        "exceptions",
        &[
            ("id", OwnId),
            ("device_id", IdOf("devices")),
            ("service", Same),
            ("reason", Same),
            ("approver", Same),
            ("expires", Same),
            ("created_at", Same),
            ("revoked_at", Same),
        ],
    ),
    (
        "remote_maintenance",
        &[
            ("device_id", IdOf("devices")),
            ("vendor", Same),
            ("remote", Same),
            ("method", Same),
            ("confirmed_with", Same),
            ("confirmed_on", Same),
            ("updated_at", Same),
        ],
    ),
    (
        "alerts",
        &[
            ("id", OwnId),
            ("device_id", IdOf("devices")),
            ("flag_key", Same),
            ("flag", Same),
            ("message", Same),
            ("raised_at", Same),
            ("last_notified_at", Same),
            ("acknowledged_at", Same),
            ("acknowledged_by", Same),
            ("closed_at", Same),
        ],
    ),
    (
        "alert_deliveries",
        &[
            ("id", OwnId),
            ("alert_id", IdOf("alerts")),
            ("channel", Same),
            ("reminder", Same),
            ("created_at", Same),
            ("attempts", Same),
            ("next_attempt_at", Same),
            ("delivered_at", Same),
            ("last_error", Same),
            ("digest", Same),
        ],
    ),
    (
        "alert_attempts",
        &[
            ("id", OwnId),
            ("delivery_id", IdOf("alert_deliveries")),
            ("at", Same),
            ("ok", Same),
            ("error", Same),
        ],
    ),
    (
        "sightings",
        &[
            ("id", OwnId),
            ("report_id", Same),
            ("device_id", IdOf("devices")),
            ("seen_at", Same),
            ("ip", Same),
            ("mac", Same),
            ("matched_by", Same),
        ],
    ),
    (
        "events",
        &[
            ("id", OwnId),
            ("device_id", IdOf("devices")),
            ("kind", Same),
            ("at", Same),
            ("report_id", Same),
            ("detail", Same),
        ],
    ),
    (
        "restrictions",
        &[
            ("id", OwnId),
            ("place", Same),
            ("applied_by", Same),
            ("applied_on", Same),
            ("note", Same),
            ("macs", Same),
            ("recorded_at", Same),
            ("withdrawn_at", Same),
            ("site_id", Site),
        ],
    ),
    (
        "tokens",
        &[
            ("id", OwnId),
            ("name", Same),
            ("role", Same),
            ("token_sha256", Same),
            ("created_at", Same),
            ("revoked_at", Same),
            ("last_used_at", Same),
        ],
    ),
    (
        "audit_log",
        &[
            ("id", OwnId),
            ("at", Same),
            ("actor", Same),
            ("action", Same),
            ("target", Same),
            ("summary", Same),
            ("before_json", Same),
            ("after_json", Same),
        ],
    ),
];

/// Old id → new id, per table.
type IdMaps = HashMap<&'static str, HashMap<i64, i64>>;

impl Ledger {
    /// Copies the whole of `source` (a clinic's ledger: one site, the implicit one) into this
    /// ledger as the site `site`, created when missing with the clinic's facility name as its
    /// label. Refused when the site already holds devices, when `source` has devices of other
    /// sites, or when one of its reports is already stored here; nothing is copied then.
    pub fn migrate_from(&self, source: &Ledger, site: &str) -> Result<MigrateOutcome, LedgerError> {
        if source.sites()?.len() > 1 {
            return Err(LedgerError::Invalid(
                "the source ledger has sites of its own; migrate copies a single clinic's ledger"
                    .to_owned(),
            ));
        }
        let label = source.facility_name()?;
        let target = match self.site_named(site) {
            Ok(s) => s,
            Err(_) => self.add_site(site, label.as_deref())?,
        };
        source.read(|src| {
            self.write(|dst| {
                let tx = dst.begin(WriteLock::Exclusive)?;
                let held: i64 = tx.query_row(
                    "SELECT count(*) FROM devices WHERE site_id = ?1",
                    params![target.id.0],
                    |r| r.get(0),
                )?;
                if held > 0 {
                    return Err(LedgerError::Conflict(format!(
                        "サイト `{site}` には既に {held} 台の機器があります。移行は空のサイトへ / site `{site}` already holds {held} devices; migrate into an empty site"
                    )));
                }
                let mut ids = IdMaps::new();
                let mut rows = Vec::new();
                for (table, columns) in TABLES {
                    let n = copy_table(src, &tx, table, columns, target.id, &mut ids)?;
                    rows.push(((*table).to_owned(), n));
                }
                follow_merges(src, &tx, &ids)?;
                bind_tokens(&tx, target.id, &ids)?;
                tx.commit()?;
                Ok(MigrateOutcome {
                    site: target.name.clone(),
                    rows,
                })
            })
        })
    }
}

/// Copies every row of `table`, carrying each column as `columns` says; returns how many.
fn copy_table(
    src: &Conn,
    dst: &Conn,
    table: &'static str,
    columns: &[(&str, Carry)],
    site: SiteId,
    ids: &mut IdMaps,
) -> Result<usize, LedgerError> {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let written: Vec<&str> = columns
        .iter()
        .filter(|(_, carry)| !matches!(carry, OwnId))
        .map(|(c, _)| *c)
        .collect();
    let placeholders: Vec<String> = (1..=written.len()).map(|i| format!("?{i}")).collect();
    let has_id = columns.iter().any(|(_, c)| matches!(c, OwnId));
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({}){}",
        written.join(", "),
        placeholders.join(", "),
        if has_id { " RETURNING id" } else { "" }
    );
    // Read whole first: a row's insert may need the id of a row copied before it.
    let mut source_rows: Vec<Vec<Value>> = Vec::new();
    src.for_each_row(
        &format!("SELECT {} FROM {table} ORDER BY 1", names.join(", ")),
        [],
        |r| {
            let row = (0..names.len())
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()?;
            source_rows.push(row);
            Ok(())
        },
    )?;
    let mut own = HashMap::new();
    for row in &source_rows {
        let mut values = Vec::with_capacity(written.len());
        let mut old_id = None;
        for ((column, carry), value) in columns.iter().zip(row) {
            match carry {
                OwnId => old_id = integer(value),
                Same => values.push(value.clone()),
                Site => values.push(Value::Integer(site.0)),
                IdOf(other) => values.push(match integer(value) {
                    None => Value::Null,
                    Some(old) => Value::Integer(
                        *ids.get(other).and_then(|m| m.get(&old)).ok_or_else(|| {
                            LedgerError::Invalid(format!(
                                "{table}.{column} = {old} names no row of {other}"
                            ))
                        })?,
                    ),
                }),
            }
        }
        if has_id {
            let new: i64 = dst.query_row(&insert, params_from_iter(values.iter()), |r| r.get(0))?;
            if let Some(old) = old_id {
                own.insert(old, new);
            }
        } else {
            dst.execute(&insert, params_from_iter(values.iter()))?;
        }
    }
    ids.insert(table, own);
    Ok(source_rows.len())
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

/// Sets `merged_into` of the copied devices to the new id of the device each was merged into.
fn follow_merges(src: &Conn, dst: &Conn, ids: &IdMaps) -> Result<(), LedgerError> {
    let devices = &ids["devices"];
    let mut merges = Vec::new();
    src.for_each_row(
        "SELECT id, merged_into FROM devices WHERE merged_into IS NOT NULL",
        [],
        |r| {
            merges.push((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?));
            Ok(())
        },
    )?;
    for (from, into) in merges {
        dst.execute(
            "UPDATE devices SET merged_into = ?1 WHERE id = ?2",
            params![devices[&into], devices[&from]],
        )?;
    }
    Ok(())
}

/// Binds the copied tokens to `site`: the agents' and the operators' alike (they served the
/// clinic alone).
fn bind_tokens(dst: &Conn, site: SiteId, ids: &IdMaps) -> Result<(), LedgerError> {
    for token in ids["tokens"].values() {
        dst.execute(
            "INSERT INTO token_sites (token_id, site_id) VALUES (?1, ?2)",
            params![token, site.0],
        )?;
    }
    Ok(())
}
