//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the schema from version `i` to `i + 1` and runs in its own
//! transaction together with the version bump, so a crash mid-upgrade leaves the old version.
//! Never edit a released migration; append a new one.

use rusqlite::Connection;

use crate::LedgerError;

/// Migration `i` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11];

/// The newest schema version this build knows.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Version 1: reports, devices with their identity keys, history, flags, exceptions, alerts and
/// tokens.
const V1: &str = r"
CREATE TABLE tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'operator')),
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
);

CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    report_id      TEXT NOT NULL UNIQUE,
    agent          TEXT NOT NULL,
    agent_version  TEXT NOT NULL,
    machine_id     TEXT,
    token_name     TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    host_count     INTEGER NOT NULL,
    device_count   INTEGER NOT NULL,
    scope_json     TEXT NOT NULL,
    methods_json   TEXT NOT NULL,
    warnings_json  TEXT NOT NULL
);

CREATE TABLE devices (
    id               INTEGER PRIMARY KEY,
    merged_into      INTEGER REFERENCES devices(id),
    ip               TEXT,
    ip_key           BLOB,
    mac              TEXT,
    mac_randomized   INTEGER NOT NULL DEFAULT 0,
    vendor           TEXT,
    hostname         TEXT,
    hostname_norm    TEXT,
    machine_id       TEXT,
    os_family        TEXT NOT NULL DEFAULT 'unknown',
    os_name          TEXT,
    os_version       TEXT,
    os_confidence    REAL NOT NULL DEFAULT 0,
    os_evidence      TEXT NOT NULL DEFAULT '[]',
    os_confirmed_at  TEXT,
    local_json       TEXT,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    last_report_id   TEXT,
    last_agent       TEXT,
    last_match       TEXT NOT NULL,
    presence         TEXT NOT NULL DEFAULT 'present' CHECK (presence IN ('present', 'gone')),
    asset_no         TEXT,
    location         TEXT,
    user_name        TEXT,
    status           TEXT,
    description      TEXT,
    registered_on    TEXT,
    role             TEXT,
    ledger_updated_at TEXT,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX devices_asset_no ON devices(asset_no) WHERE asset_no IS NOT NULL;
CREATE INDEX devices_ip_key ON devices(ip_key);
CREATE INDEX devices_ip ON devices(ip);
CREATE INDEX devices_hostname ON devices(hostname_norm);
CREATE INDEX devices_presence ON devices(presence, last_seen);
CREATE INDEX devices_status ON devices(status);

CREATE TABLE device_keys (
    kind        TEXT NOT NULL CHECK (kind IN ('mac', 'machine_id')),
    value       TEXT NOT NULL,
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    randomized  INTEGER NOT NULL DEFAULT 0,
    pinned      INTEGER NOT NULL DEFAULT 0,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX device_keys_device ON device_keys(device_id);

CREATE TABLE device_ips (
    device_id       INTEGER NOT NULL REFERENCES devices(id),
    ip              TEXT NOT NULL,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    last_report_id  TEXT NOT NULL,
    PRIMARY KEY (device_id, ip)
) WITHOUT ROWID;

CREATE TABLE device_services (
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    protocol    TEXT NOT NULL,
    port        INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    name        TEXT NOT NULL,
    product     TEXT,
    version     TEXT,
    evidence    TEXT NOT NULL DEFAULT '[]',
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (device_id, protocol, port)
) WITHOUT ROWID;

CREATE TABLE device_flags (
    device_id  INTEGER NOT NULL REFERENCES devices(id),
    key        TEXT NOT NULL,
    flag       TEXT NOT NULL,
    code       TEXT NOT NULL,
    service    TEXT,
    reason     TEXT NOT NULL,
    evidence   TEXT NOT NULL DEFAULT '[]',
    raised_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, key)
) WITHOUT ROWID;
CREATE INDEX device_flags_flag ON device_flags(flag, device_id);

CREATE TABLE exceptions (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    service     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    approver    TEXT NOT NULL,
    expires     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX exceptions_device ON exceptions(device_id);

CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY,
    device_id         INTEGER NOT NULL REFERENCES devices(id),
    flag_key          TEXT NOT NULL,
    flag              TEXT NOT NULL,
    message           TEXT NOT NULL,
    raised_at         TEXT NOT NULL,
    last_notified_at  TEXT NOT NULL,
    acknowledged_at   TEXT,
    acknowledged_by   TEXT,
    closed_at         TEXT
);
CREATE INDEX alerts_open ON alerts(closed_at, device_id);

CREATE TABLE alert_deliveries (
    id               INTEGER PRIMARY KEY,
    alert_id         INTEGER NOT NULL REFERENCES alerts(id),
    channel          TEXT NOT NULL,
    reminder         INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    delivered_at     TEXT,
    last_error       TEXT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE alert_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES alert_deliveries(id),
    at           TEXT NOT NULL,
    ok           INTEGER NOT NULL,
    error        TEXT
);

CREATE TABLE sightings (
    id          INTEGER PRIMARY KEY,
    report_id   TEXT NOT NULL,
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    seen_at     TEXT NOT NULL,
    ip          TEXT NOT NULL,
    mac         TEXT,
    matched_by  TEXT NOT NULL
);
CREATE INDEX sightings_device ON sightings(device_id, id);
CREATE INDEX sightings_report ON sightings(report_id);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    device_id  INTEGER NOT NULL REFERENCES devices(id),
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    report_id  TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_device ON events(device_id, id);
CREATE INDEX events_kind ON events(kind, id);
";

/// Version 2: the MHLW ledger columns a scan cannot confirm, as the operator's ledger states
/// them (imported from a hand-kept ledger): メーカー, OS, ソフトウェア, ソフトウェアバージョン,
/// IPアドレス and コンピュータ名. The observed columns (`vendor`, `os_*`, `ip`, `hostname`) stay
/// what the scans saw.
const V2: &str = r"
ALTER TABLE devices ADD COLUMN maker TEXT;
ALTER TABLE devices ADD COLUMN ledger_os TEXT;
ALTER TABLE devices ADD COLUMN software TEXT;
ALTER TABLE devices ADD COLUMN software_version TEXT;
ALTER TABLE devices ADD COLUMN ledger_ip TEXT;
ALTER TABLE devices ADD COLUMN computer_name TEXT;
";

/// Version 3: the MAC allowlists applied on network devices (checklist 2-⑬), as the operator
/// records them; `macs` is a JSON array of the admitted addresses.
const V3: &str = r"
CREATE TABLE restrictions (
    id            INTEGER PRIMARY KEY,
    place         TEXT NOT NULL,
    applied_by    TEXT NOT NULL,
    applied_on    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    macs          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    withdrawn_at  TEXT
);
CREATE INDEX restrictions_active ON restrictions(place) WHERE withdrawn_at IS NULL;
";

/// Version 4: the operator console's accounts (argon2id PHC hashes, lockout state), the audit
/// log of every operator decision (who, what, on which target, before and after as JSON), and
/// the collector's settings as key/value text.
const V4: &str = r"
CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash        TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    disabled_at          TEXT,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    last_login_at        TEXT,
    password_changed_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_target ON audit_log(target, id);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);
";

/// Version 5: the operator's triage decision on a device nobody registered: a known personal
/// or visitor device, or one taken off the network (see `triage`).
const V5: &str = r"
ALTER TABLE devices ADD COLUMN disposition TEXT
    CHECK (disposition IN ('personal', 'visitor', 'removed'));
ALTER TABLE devices ADD COLUMN disposition_at TEXT;
ALTER TABLE devices ADD COLUMN disposition_by TEXT;
";

/// Version 6: console login sessions, kept across restarts (only a hash of each session id).
const V6: &str = r"
CREATE TABLE console_sessions (
    id_sha256   TEXT PRIMARY KEY,
    record      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
";

/// Version 7: a delivery may carry a digest (the message for many alerts of one pass, sent
/// instead of one message each); it hangs on the first of those alerts.
const V7: &str = r"
ALTER TABLE alert_deliveries ADD COLUMN digest TEXT;
";

/// Version 8: the data sets (IEEE registry, EOL dates, rules) each report says its agent used,
/// as the report's `data` JSON list (`[]` for reports of agents that predate it).
const V8: &str = r"
ALTER TABLE reports ADD COLUMN data_json TEXT NOT NULL DEFAULT '[]';
";

/// Version 9: sites (the zone in which an address or a MAC names one device: a hospital of a
/// group). Every device, report and allowlist record belongs to one site; a database from before
/// sites keeps everything at site 1, `default` (its `created_at` is NULL: it was always there).
/// Identity keys are unique per site, and so are 管理番号. An agent token is bound to exactly one
/// site (`token_sites`); an operator token or a console account with no `token_sites` /
/// `account_sites` row sees every site, one with rows sees those sites only.
const V9: &str = r"
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    label       TEXT,
    created_at  TEXT
);
INSERT INTO sites (id, name) VALUES (1, 'default');

ALTER TABLE devices ADD COLUMN site_id INTEGER NOT NULL DEFAULT 1;
DROP INDEX devices_asset_no;
CREATE UNIQUE INDEX devices_asset_no ON devices(site_id, asset_no) WHERE asset_no IS NOT NULL;
ALTER TABLE reports ADD COLUMN site_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE restrictions ADD COLUMN site_id INTEGER NOT NULL DEFAULT 1;
DROP INDEX restrictions_active;
CREATE INDEX restrictions_active ON restrictions(site_id, place) WHERE withdrawn_at IS NULL;

CREATE TABLE device_keys_by_site (
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    kind        TEXT NOT NULL CHECK (kind IN ('mac', 'machine_id')),
    value       TEXT NOT NULL,
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    randomized  INTEGER NOT NULL DEFAULT 0,
    pinned      INTEGER NOT NULL DEFAULT 0,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (site_id, kind, value)
) WITHOUT ROWID;
INSERT INTO device_keys_by_site
    SELECT 1, kind, value, device_id, randomized, pinned, first_seen, last_seen FROM device_keys;
DROP TABLE device_keys;
ALTER TABLE device_keys_by_site RENAME TO device_keys;
CREATE INDEX device_keys_device ON device_keys(device_id);

CREATE TABLE token_sites (
    token_id  INTEGER NOT NULL REFERENCES tokens(id),
    site_id   INTEGER NOT NULL REFERENCES sites(id),
    PRIMARY KEY (token_id, site_id)
) WITHOUT ROWID;
INSERT INTO token_sites SELECT id, 1 FROM tokens WHERE role = 'agent';

CREATE TABLE account_sites (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    PRIMARY KEY (account_id, site_id)
) WITHOUT ROWID;
";

/// Version 10: the remote-maintenance register (checklist 2-②), one row per device: its
/// 保守事業者, whether the vendor maintains it remotely (`yes`, `no`, `unknown`), how, and who at
/// the vendor confirmed it on which day.
const V10: &str = r"
CREATE TABLE remote_maintenance (
    device_id       INTEGER PRIMARY KEY REFERENCES devices(id),
    vendor          TEXT NOT NULL,
    remote          TEXT NOT NULL CHECK (remote IN ('yes', 'no', 'unknown')),
    method          TEXT NOT NULL,
    confirmed_with  TEXT NOT NULL,
    confirmed_on    TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX remote_maintenance_vendor ON remote_maintenance(vendor);
";

/// Version 11: where each device is plugged in (`switch_ports`): its current switch and port,
/// from the switches' forwarding tables in reports; moves are `port_moved` events.
const V11: &str = r"
CREATE TABLE device_ports (
    device_id         INTEGER PRIMARY KEY REFERENCES devices(id),
    switch_address    TEXT NOT NULL,
    switch_name       TEXT,
    switch_device_id  INTEGER REFERENCES devices(id),
    port_name         TEXT NOT NULL,
    port_alias        TEXT,
    vlan              INTEGER,
    seen_at           TEXT NOT NULL,
    report_id         TEXT NOT NULL
);
";

/// The PostgreSQL schema at version 9, the same tables, columns, keys and indexes as the SQLite
/// schema after migrations 1–9 (checked by the `schema` tests of `tests/postgres.rs`). Types:
/// SQLite's INTEGER is BIGINT (booleans as 0/1, as in SQLite), REAL is DOUBLE PRECISION, BLOB
/// is BYTEA; `id` columns are identities. Later versions append to [`POSTGRES_MIGRATIONS`].
const POSTGRES_V9: &str = r"
CREATE TABLE sites (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 2) PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    label       TEXT,
    created_at  TEXT
);
INSERT INTO sites (id, name) VALUES (1, 'default');

CREATE TABLE tokens (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'operator')),
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
);

CREATE TABLE reports (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    report_id      TEXT NOT NULL UNIQUE,
    agent          TEXT NOT NULL,
    agent_version  TEXT NOT NULL,
    machine_id     TEXT,
    token_name     TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    host_count     BIGINT NOT NULL,
    device_count   BIGINT NOT NULL,
    scope_json     TEXT NOT NULL,
    methods_json   TEXT NOT NULL,
    warnings_json  TEXT NOT NULL,
    data_json      TEXT NOT NULL DEFAULT '[]',
    site_id        BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE devices (
    id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    merged_into      BIGINT REFERENCES devices(id),
    ip               TEXT,
    ip_key           BYTEA,
    mac              TEXT,
    mac_randomized   BIGINT NOT NULL DEFAULT 0,
    vendor           TEXT,
    hostname         TEXT,
    hostname_norm    TEXT,
    machine_id       TEXT,
    os_family        TEXT NOT NULL DEFAULT 'unknown',
    os_name          TEXT,
    os_version       TEXT,
    os_confidence    DOUBLE PRECISION NOT NULL DEFAULT 0,
    os_evidence      TEXT NOT NULL DEFAULT '[]',
    os_confirmed_at  TEXT,
    local_json       TEXT,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    last_report_id   TEXT,
    last_agent       TEXT,
    last_match       TEXT NOT NULL,
    presence         TEXT NOT NULL DEFAULT 'present' CHECK (presence IN ('present', 'gone')),
    asset_no         TEXT,
    location         TEXT,
    user_name        TEXT,
    status           TEXT,
    description      TEXT,
    registered_on    TEXT,
    role             TEXT,
    ledger_updated_at TEXT,
    created_at       TEXT NOT NULL,
    maker            TEXT,
    ledger_os        TEXT,
    software         TEXT,
    software_version TEXT,
    ledger_ip        TEXT,
    computer_name    TEXT,
    disposition      TEXT CHECK (disposition IN ('personal', 'visitor', 'removed')),
    disposition_at   TEXT,
    disposition_by   TEXT,
    site_id          BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX devices_asset_no ON devices(site_id, asset_no) WHERE asset_no IS NOT NULL;
CREATE INDEX devices_ip_key ON devices(ip_key);
CREATE INDEX devices_ip ON devices(ip);
CREATE INDEX devices_hostname ON devices(hostname_norm);
CREATE INDEX devices_presence ON devices(presence, last_seen);
CREATE INDEX devices_status ON devices(status);

CREATE TABLE device_keys (
    site_id     BIGINT NOT NULL REFERENCES sites(id),
    kind        TEXT NOT NULL CHECK (kind IN ('mac', 'machine_id')),
    value       TEXT NOT NULL,
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    randomized  BIGINT NOT NULL DEFAULT 0,
    pinned      BIGINT NOT NULL DEFAULT 0,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (site_id, kind, value)
);
CREATE INDEX device_keys_device ON device_keys(device_id);

CREATE TABLE device_ips (
    device_id       BIGINT NOT NULL REFERENCES devices(id),
    ip              TEXT NOT NULL,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    last_report_id  TEXT NOT NULL,
    PRIMARY KEY (device_id, ip)
);

CREATE TABLE device_services (
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    protocol    TEXT NOT NULL,
    port        BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    name        TEXT NOT NULL,
    product     TEXT,
    version     TEXT,
    evidence    TEXT NOT NULL DEFAULT '[]',
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (device_id, protocol, port)
);

CREATE TABLE device_flags (
    device_id  BIGINT NOT NULL REFERENCES devices(id),
    key        TEXT NOT NULL,
    flag       TEXT NOT NULL,
    code       TEXT NOT NULL,
    service    TEXT,
    reason     TEXT NOT NULL,
    evidence   TEXT NOT NULL DEFAULT '[]',
    raised_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX device_flags_flag ON device_flags(flag, device_id);

CREATE TABLE exceptions (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    service     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    approver    TEXT NOT NULL,
    expires     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX exceptions_device ON exceptions(device_id);

CREATE TABLE alerts (
    id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    device_id         BIGINT NOT NULL REFERENCES devices(id),
    flag_key          TEXT NOT NULL,
    flag              TEXT NOT NULL,
    message           TEXT NOT NULL,
    raised_at         TEXT NOT NULL,
    last_notified_at  TEXT NOT NULL,
    acknowledged_at   TEXT,
    acknowledged_by   TEXT,
    closed_at         TEXT
);
CREATE INDEX alerts_open ON alerts(closed_at, device_id);

CREATE TABLE alert_deliveries (
    id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    alert_id         BIGINT NOT NULL REFERENCES alerts(id),
    channel          TEXT NOT NULL,
    reminder         BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    delivered_at     TEXT,
    last_error       TEXT,
    digest           TEXT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE alert_attempts (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES alert_deliveries(id),
    at           TEXT NOT NULL,
    ok           BIGINT NOT NULL,
    error        TEXT
);

CREATE TABLE sightings (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    report_id   TEXT NOT NULL,
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    seen_at     TEXT NOT NULL,
    ip          TEXT NOT NULL,
    mac         TEXT,
    matched_by  TEXT NOT NULL
);
CREATE INDEX sightings_device ON sightings(device_id, id);
CREATE INDEX sightings_report ON sightings(report_id);

CREATE TABLE events (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    device_id  BIGINT NOT NULL REFERENCES devices(id),
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    report_id  TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_device ON events(device_id, id);
CREATE INDEX events_kind ON events(kind, id);

CREATE TABLE restrictions (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    place         TEXT NOT NULL,
    applied_by    TEXT NOT NULL,
    applied_on    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    macs          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    withdrawn_at  TEXT,
    site_id       BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX restrictions_active ON restrictions(site_id, place) WHERE withdrawn_at IS NULL;

CREATE TABLE accounts (
    id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash        TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    disabled_at          TEXT,
    failed_logins        BIGINT NOT NULL DEFAULT 0,
    locked_until         TEXT,
    last_login_at        TEXT,
    password_changed_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_target ON audit_log(target, id);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE console_sessions (
    id_sha256   TEXT PRIMARY KEY,
    record      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);

CREATE TABLE token_sites (
    token_id  BIGINT NOT NULL REFERENCES tokens(id),
    site_id   BIGINT NOT NULL REFERENCES sites(id),
    PRIMARY KEY (token_id, site_id)
);

CREATE TABLE account_sites (
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    site_id     BIGINT NOT NULL REFERENCES sites(id),
    PRIMARY KEY (account_id, site_id)
);
";

/// PostgreSQL migrations after version 9: entry `i` upgrades version `9 + i` to `10 + i`.
const POSTGRES_MIGRATIONS: &[&str] = &[POSTGRES_V10, POSTGRES_V11];

/// Version 10 on PostgreSQL: [`V10`]'s register.
const POSTGRES_V10: &str = r"
CREATE TABLE remote_maintenance (
    device_id       BIGINT PRIMARY KEY REFERENCES devices(id),
    vendor          TEXT NOT NULL,
    remote          TEXT NOT NULL CHECK (remote IN ('yes', 'no', 'unknown')),
    method          TEXT NOT NULL,
    confirmed_with  TEXT NOT NULL,
    confirmed_on    TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX remote_maintenance_vendor ON remote_maintenance(vendor);
";

/// Version 11 on PostgreSQL: [`V11`].
const POSTGRES_V11: &str = r"
CREATE TABLE device_ports (
    device_id         BIGINT PRIMARY KEY REFERENCES devices(id),
    switch_address    TEXT NOT NULL,
    switch_name       TEXT,
    switch_device_id  BIGINT REFERENCES devices(id),
    port_name         TEXT NOT NULL,
    port_alias        TEXT,
    vlan              BIGINT,
    seen_at           TEXT NOT NULL,
    report_id         TEXT NOT NULL
);
";

/// The first version PostgreSQL databases are created at.
const POSTGRES_BASE: i64 = 9;

/// Brings a PostgreSQL database to [`LATEST`]: an empty one gets the whole schema at once, an
/// older one the migrations it lacks, each in one transaction with its version row; one written
/// by a newer build is refused. Collectors starting together wait for each other (an advisory
/// lock), so the schema is created once.
pub(crate) fn migrate_postgres(conn: &crate::db::Conn) -> Result<(), LedgerError> {
    #[allow(clippy::cast_possible_wrap)] // a handful of migrations
    const LATEST_POSTGRES: i64 = POSTGRES_BASE + POSTGRES_MIGRATIONS.len() as i64;
    const _: () = assert!(LATEST_POSTGRES == LATEST, "a migration for one store only");
    let tx = conn.begin(crate::db::WriteLock::Exclusive)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS daicho_schema (version BIGINT NOT NULL)")?;
    let current: Option<i64> = crate::db::OptionalExtension::optional(tx.query_row(
        "SELECT max(version) FROM daicho_schema",
        [],
        |r| r.get(0),
    ))?
    .flatten();
    let current = match current {
        None => {
            tx.execute_batch(POSTGRES_V9)?;
            tx.execute(
                "INSERT INTO daicho_schema (version) VALUES (?1)",
                [POSTGRES_BASE],
            )?;
            tracing::info!(version = POSTGRES_BASE, "PostgreSQL schema created");
            POSTGRES_BASE
        }
        Some(v) => v,
    };
    if current > LATEST {
        return Err(LedgerError::SchemaTooNew {
            found: current,
            supported: LATEST,
        });
    }
    for (i, sql) in POSTGRES_MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current - POSTGRES_BASE).unwrap_or(0))
    {
        let version = POSTGRES_BASE + 1 + i64::try_from(i).unwrap_or(0);
        tx.execute_batch(sql)?;
        tx.execute("UPDATE daicho_schema SET version = ?1", [version])?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    tx.commit()?;
    Ok(())
}

/// Brings the database to [`LATEST`], refusing one written by a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(LedgerError::SchemaTooNew {
            found: current,
            supported: LATEST,
        });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", crate::sql_count(from + 1))?;
        tx.commit()?;
        tracing::info!(version = from + 1, "database schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_database_is_upgraded_in_place_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A database as version 2 left it, with a token in it.
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO tokens (name, role, token_sha256, created_at) VALUES ('a', 'agent', 'x', 't')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
        let tokens: i64 = conn
            .query_row("SELECT COUNT(*) FROM tokens", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tokens, 1);
        // The agent token of before sites belongs to the implicit site.
        let bound: i64 = conn
            .query_row(
                "SELECT site_id FROM token_sites t JOIN tokens k ON k.id = t.token_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(bound, 1);
        conn.execute(
            "INSERT INTO restrictions (place, applied_by, applied_on, macs, recorded_at)
             VALUES ('SW', 'me', '2026-11-22', '[]', 't')",
            [],
        )
        .unwrap();
        // Running it again changes nothing.
        migrate(&mut conn).unwrap();
    }

    #[test]
    fn a_version_3_database_gains_the_console_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in [V1, V2, V3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        migrate(&mut conn).unwrap();
        for table in ["accounts", "audit_log", "settings"] {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
        let bad_role = conn.execute(
            "INSERT INTO accounts (name, role, password_hash, created_at, password_changed_at)
             VALUES ('a', 'root', 'x', 't', 't')",
            [],
        );
        assert!(bad_role.is_err());
    }
}
