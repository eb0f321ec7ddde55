//! A PostgreSQL database of its own for each test, on the test server that
//! `scripts/postgres.sh` runs on 127.0.0.1 (started on first use: Debian's server, a cluster
//! owned by the `postgres` user; needs root). Dropped with its connections when the test ends.

use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, NoTls};

use crate::LanError;
use crate::lan::repo_root;

/// The test server's URL (its `postgres` database), the server started when it is not running.
pub fn server_url() -> Result<String, LanError> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| {
        let script = repo_root().join("scripts/postgres.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} start failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    })
    .clone()
    .map_err(LanError::Postgres)
}

/// A fresh, empty database on the test server; dropped (with any connection still open to it)
/// when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    server: String,
}

impl TestDatabase {
    /// Creates a database with a unique name.
    pub fn create() -> Result<Self, LanError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let server = server_url()?;
        let name = format!(
            "daicho_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin(&server)?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| LanError::Postgres(e.to_string()))?;
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => format!("{server}/{name}"),
        };
        Ok(Self { name, url, server })
    }

    /// Its URL (`postgresql://postgres@127.0.0.1:PORT/NAME`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = admin(&self.server) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn admin(server: &str) -> Result<Client, LanError> {
    Client::connect(server, NoTls).map_err(|e| LanError::Postgres(e.to_string()))
}
