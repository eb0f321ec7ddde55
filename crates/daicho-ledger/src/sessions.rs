//! Console login sessions, so that a restart of the collector does not log everyone out. The
//! session layer (tower-sessions in the collector) owns the record's contents; the ledger keeps
//! it as text under a SHA-256 of the session id (the database never holds a usable cookie) until
//! it expires.

use crate::db::{OptionalExtension, params};

use crate::tokens::token_hash;
use crate::{Ledger, LedgerError};

impl Ledger {
    /// The record of session `id`, unless it expired before `now` (Unix seconds).
    pub fn session_record(&self, id: &str, now: i64) -> Result<Option<String>, LedgerError> {
        let key = token_hash(id);
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT record FROM console_sessions WHERE id_sha256 = ?1 AND expires_at > ?2",
                )?
                .query_row(params![key, now], |r| r.get(0))
                .optional()?)
        })
    }

    /// Stores session `id`'s record until `expires_at` (Unix seconds); `false` when `only_new`
    /// and the id is taken.
    pub fn store_session(
        &self,
        id: &str,
        record: &str,
        expires_at: i64,
        only_new: bool,
    ) -> Result<bool, LedgerError> {
        let key = token_hash(id);
        self.write_quiet(|conn| {
            let sql = if only_new {
                "INSERT INTO console_sessions (id_sha256, record, expires_at)
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"
            } else {
                "INSERT INTO console_sessions (id_sha256, record, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id_sha256) DO UPDATE SET record = ?2, expires_at = ?3"
            };
            Ok(conn.execute(sql, params![key, record, expires_at])? == 1)
        })
    }

    /// Forgets session `id` (logout).
    pub fn delete_session(&self, id: &str) -> Result<(), LedgerError> {
        let key = token_hash(id);
        self.write_quiet(|conn| {
            conn.execute(
                "DELETE FROM console_sessions WHERE id_sha256 = ?1",
                params![key],
            )?;
            Ok(())
        })
    }

    /// Deletes every session expired at `now` (Unix seconds); returns how many.
    pub fn purge_sessions(&self, now: i64) -> Result<usize, LedgerError> {
        self.write_quiet(|conn| {
            Ok(conn.execute(
                "DELETE FROM console_sessions WHERE expires_at <= ?1",
                params![now],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Ledger, LedgerOptions};

    #[test]
    fn a_session_is_kept_hashed_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("s.db"), LedgerOptions::default()).unwrap();
        let generation = ledger.generation();
        assert!(ledger.store_session("abc", "{\"a\":1}", 100, true).unwrap());
        assert_eq!(
            ledger.generation(),
            generation,
            "a session write changes no ledger data"
        );
        ledger
            .set_setting("x", "y", "test", chrono::Utc::now())
            .unwrap();
        assert!(
            ledger.generation() > generation,
            "a ledger write is counted"
        );
        assert!(
            !ledger.store_session("abc", "{}", 100, true).unwrap(),
            "taken"
        );
        assert_eq!(
            ledger.session_record("abc", 99).unwrap().as_deref(),
            Some("{\"a\":1}")
        );
        assert!(
            ledger
                .store_session("abc", "{\"a\":2}", 200, false)
                .unwrap()
        );
        assert_eq!(
            ledger.session_record("abc", 150).unwrap().as_deref(),
            Some("{\"a\":2}")
        );
        assert_eq!(ledger.session_record("abc", 200).unwrap(), None, "expired");
        let stored: String = rusqlite::Connection::open(dir.path().join("s.db"))
            .unwrap()
            .query_row("SELECT id_sha256 FROM console_sessions", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, "abc");
        ledger.store_session("old", "{}", 10, true).unwrap();
        assert_eq!(ledger.purge_sessions(150).unwrap(), 1);
        ledger.delete_session("abc").unwrap();
        assert_eq!(ledger.session_record("abc", 0).unwrap(), None);
    }
}
