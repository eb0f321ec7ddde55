//! Where console sessions are kept: the ledger's database (`Ledger::store_session` …), so a
//! restart or an upgrade of the collector keeps everyone logged in until their session ends.

use std::sync::Arc;

use async_trait::async_trait;
use daicho_ledger::{Ledger, LedgerError};
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// tower-sessions' store over the ledger.
#[derive(Clone)]
pub(crate) struct LedgerSessionStore {
    ledger: Arc<Ledger>,
}

impl std::fmt::Debug for LedgerSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerSessionStore").finish_non_exhaustive()
    }
}

impl LedgerSessionStore {
    /// A store writing to `ledger`.
    pub(crate) fn new(ledger: Arc<Ledger>) -> Self {
        Self { ledger }
    }

    /// Runs blocking ledger work off the async threads.
    async fn on_ledger<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Ledger) -> std::result::Result<T, LedgerError> + Send + 'static,
    ) -> Result<T> {
        let ledger = Arc::clone(&self.ledger);
        tokio::task::spawn_blocking(move || work(&ledger))
            .await
            .map_err(|e| Error::Backend(e.to_string()))?
            .map_err(|e| Error::Backend(e.to_string()))
    }

    async fn put(&self, record: &Record, only_new: bool) -> Result<bool> {
        let text = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let id = record.id.to_string();
        let expires = record.expiry_date.unix_timestamp();
        self.on_ledger(move |l| l.store_session(&id, &text, expires, only_new))
            .await
    }
}

#[async_trait]
impl SessionStore for LedgerSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh random id; on the (astronomically unlikely) collision, another.
        while !self.put(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.put(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let id = id.to_string();
        let text = self
            .on_ledger(move |l| l.session_record(&id, l.now().timestamp()))
            .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let id = id.to_string();
        self.on_ledger(move |l| l.delete_session(&id)).await
    }
}
