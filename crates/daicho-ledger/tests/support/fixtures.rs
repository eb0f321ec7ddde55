//! What the ledger's tests build: a ledger in a temporary directory, agents' scan reports and
//! the hosts in them.

#![allow(dead_code)] // each test file uses part of it

use chrono::{DateTime, Duration, Utc};
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};

/// A ledger, the temporary directory that holds its SQLite database (`ledger.db`) and, on
/// PostgreSQL, its test database (dropped after the ledger).
pub struct TempLedger {
    pub dir: tempfile::TempDir,
    pub ledger: Ledger,
    pub database: Option<daicho_testlan::postgres::TestDatabase>,
}

/// A fresh ledger with default options on the store the run tests: PostgreSQL when
/// `DAICHO_LEDGER_STORE=postgres` (a database of its own on the test server, see
/// `scripts/test.sh`), else SQLite in a new temporary directory.
pub fn temp_ledger() -> TempLedger {
    if std::env::var("DAICHO_LEDGER_STORE").as_deref() == Ok("postgres") {
        let database = daicho_testlan::postgres::TestDatabase::create().unwrap();
        let ledger = Ledger::open_postgres(database.url(), LedgerOptions::default()).unwrap();
        return TempLedger {
            dir: tempfile::tempdir().unwrap(),
            ledger,
            database: Some(database),
        };
    }
    temp_sqlite_ledger()
}

/// A fresh SQLite ledger in a new temporary directory, whatever the store the run tests (for
/// tests of the database file itself).
pub fn temp_sqlite_ledger() -> TempLedger {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("ledger.db"), LedgerOptions::default()).unwrap();
    TempLedger {
        dir,
        ledger,
        database: None,
    }
}

/// A report from agent `agent` (version `test`) of `hosts`, scanned over 198.18.0.0/24 (and
/// `ports`, when given) from `at` for 30 seconds.
pub fn scan_report(
    agent: &str,
    at: DateTime<Utc>,
    ports: Option<&str>,
    hosts: Vec<Host>,
) -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: agent.into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec![],
            ports: ports.map(str::to_owned),
        },
        at,
    );
    r.finished_at = at + Duration::seconds(30);
    r.hosts = hosts;
    r
}

/// A host found by ARP, no services, no OS guess. A globally unique `mac` has the vendor
/// `Example Corp`; a locally administered one none, and is marked randomized.
pub fn arp_host(ip: &str, mac: Option<&str>, hostname: Option<&str>) -> Host {
    let mac: Option<MacAddr> = mac.map(|m| m.parse().unwrap());
    Host {
        ip: ip.parse().unwrap(),
        mac,
        vendor: mac
            .filter(|m| !m.is_locally_administered())
            .map(|_| "Example Corp".to_owned()),
        mac_randomized: mac.is_some_and(MacAddr::is_locally_administered),
        hostname: hostname.map(str::to_owned),
        os: OsGuess::default(),
        services: vec![],
        rtt_ms: None,
        ttl: None,
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

/// A host found by ARP with `mac` from the vendor `Example Corp`, whatever the MAC's bits say
/// (never marked randomized).
pub fn arp_host_of_example_corp(ip: &str, mac: &str, hostname: Option<&str>) -> Host {
    Host {
        vendor: Some("Example Corp".into()),
        mac_randomized: false,
        ..arp_host(ip, Some(mac), hostname)
    }
}
