//! Uploaded ledger files waiting for the operator's decision (the dry run, the column mapping,
//! then apply or abandon): kept in memory, few, small, short-lived, and each visible only to
//! the account that uploaded it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use daicho_ledger::Site;
use daicho_ledger_io::ColumnMapping;

/// At most this many drafts are kept (all accounts together).
pub(crate) const MAX_DRAFTS: usize = 8;

/// The largest file kept, in bytes (10 MiB).
pub(crate) const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// A draft is discarded this long after its upload.
pub(crate) const LIFETIME: Duration = Duration::from_mins(30);

/// One uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    /// Its id in the page's address (random, unguessable).
    pub id: String,
    /// The account that uploaded it.
    pub owner: String,
    /// The site whose devices it is applied to.
    pub site: Site,
    /// The page it was uploaded from (`/import`, with the site chosen there).
    pub back: String,
    /// The file's name as the browser sent it.
    pub file_name: String,
    /// The file.
    pub bytes: Arc<Vec<u8>>,
    /// The column mapping it is read with.
    pub mapping: ColumnMapping,
    uploaded: Instant,
}

/// Why a file was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DraftError {
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("ファイルが大きすぎます（10 MiB まで）。")]
    TooLarge,
    /// [`MAX_DRAFTS`] drafts of other accounts are waiting.
    #[error(
        "ほかの取り込みが {MAX_DRAFTS} 件確認待ちです。しばらく（最長 30 分）待ってからやり直してください。"
    )]
    Full,
}

/// The drafts of one server.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    kept: Mutex<Vec<Draft>>,
}

impl Drafts {
    fn lock(&self) -> MutexGuard<'_, Vec<Draft>> {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.retain(|d| d.uploaded.elapsed() < LIFETIME);
        kept
    }

    /// Keeps a file for `owner` to apply to `site` (uploaded from `back`); returns its id. When
    /// the store is full, the owner's oldest draft makes room; another account's never does.
    pub(crate) fn keep(
        &self,
        owner: &str,
        (site, back): (Site, String),
        file_name: &str,
        bytes: Vec<u8>,
        mapping: ColumnMapping,
    ) -> Result<String, DraftError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(DraftError::TooLarge);
        }
        let mut kept = self.lock();
        if kept.len() >= MAX_DRAFTS {
            let Some(oldest) = kept.iter().position(|d| d.owner == owner) else {
                return Err(DraftError::Full);
            };
            kept.remove(oldest);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        kept.push(Draft {
            id: id.clone(),
            owner: owner.to_owned(),
            site,
            back,
            file_name: file_name.to_owned(),
            bytes: Arc::new(bytes),
            mapping,
            uploaded: Instant::now(),
        });
        Ok(id)
    }

    /// `owner`'s draft `id`, if it is still kept.
    pub(crate) fn get(&self, id: &str, owner: &str) -> Option<Draft> {
        self.lock()
            .iter()
            .find(|d| d.id == id && d.owner == owner)
            .cloned()
    }

    /// Reads `owner`'s draft `id` with `mapping` from now on; false when it is gone.
    pub(crate) fn set_mapping(&self, id: &str, owner: &str, mapping: ColumnMapping) -> bool {
        match self
            .lock()
            .iter_mut()
            .find(|d| d.id == id && d.owner == owner)
        {
            Some(d) => {
                d.mapping = mapping;
                true
            }
            None => false,
        }
    }

    /// Forgets `owner`'s draft `id`.
    pub(crate) fn discard(&self, id: &str, owner: &str) {
        self.lock().retain(|d| !(d.id == id && d.owner == owner));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_default() -> (Site, String) {
        let site = Site {
            id: daicho_ledger::SiteId::DEFAULT,
            name: daicho_ledger::sites::DEFAULT_SITE_NAME.to_owned(),
            label: None,
            created_at: None,
        };
        (site, "/import".to_owned())
    }

    #[test]
    fn drafts_are_private_bounded_and_removable() {
        let drafts = Drafts::default();
        let id = drafts
            .keep(
                "yamada",
                to_default(),
                "a.xlsx",
                vec![1],
                ColumnMapping::new(),
            )
            .unwrap();
        assert!(drafts.get(&id, "yamada").is_some());
        assert!(drafts.get(&id, "sato").is_none());
        for _ in 1..MAX_DRAFTS {
            drafts
                .keep("sato", to_default(), "b.csv", vec![2], ColumnMapping::new())
                .unwrap();
        }
        // Full: sato's oldest makes room for sato, yamada's is kept; yamada cannot push out sato.
        drafts
            .keep("sato", to_default(), "c.csv", vec![3], ColumnMapping::new())
            .unwrap();
        assert!(drafts.get(&id, "yamada").is_some());
        assert_eq!(
            drafts.keep(
                "suzuki",
                to_default(),
                "d.csv",
                vec![4],
                ColumnMapping::new()
            ),
            Err(DraftError::Full)
        );
        drafts.discard(&id, "yamada");
        assert!(drafts.get(&id, "yamada").is_none());
        assert_eq!(
            drafts.keep(
                "x",
                to_default(),
                "big",
                vec![0; MAX_FILE_BYTES + 1],
                ColumnMapping::new()
            ),
            Err(DraftError::TooLarge)
        );
    }
}
