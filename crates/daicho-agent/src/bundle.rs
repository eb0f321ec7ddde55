//! The agent's data bundle: fetched from its collector when a report's answer names a newer
//! one, verified here (the collector is not trusted for it: only the publisher's signature
//! is), kept in `data/` of the spool directory, and put into use so that vendor names,
//! randomized MACs and medical-maker safe mode follow the same registry as the collector.

use daicho_bundle::{PublicKey, Store};

use crate::config::DataSettings;

/// The agent's bundle store and the keys it trusts.
#[derive(Debug, Clone)]
pub struct AgentBundles {
    store: Store,
    trusted: Vec<PublicKey>,
}

impl AgentBundles {
    /// The store of `settings`.
    pub fn new(settings: &DataSettings) -> Self {
        Self {
            store: Store::new(settings.dir.clone()),
            trusted: settings.trusted_keys.clone(),
        }
    }

    /// Puts the installed bundle into use (at start-up); its serial, or `None` (compiled-in
    /// data, or an installed bundle that no longer verifies, which is logged).
    pub fn use_installed(&self) -> Option<u64> {
        match self.store.current(&self.trusted) {
            Ok(Some(manifest)) => match daicho_data::apply(&manifest) {
                Ok(_) => Some(manifest.serial),
                Err(e) => {
                    tracing::error!(error = %e, "the installed data bundle is not used");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "the installed data bundle is not used");
                None
            }
        }
    }

    /// Whether a bundle with serial `offered` is newer than the one in use.
    pub fn wants(&self, offered: u64) -> bool {
        daicho_data::applied_serial().is_none_or(|serial| offered > serial)
    }

    /// Verifies `bytes`, applies them in this process (a set that does not parse stops it
    /// before anything is installed) and installs them; returns the serial now in use.
    pub fn install(&self, bytes: &[u8]) -> Result<u64, String> {
        let manifest = daicho_bundle::open(bytes, &self.trusted).map_err(|e| e.to_string())?;
        daicho_data::apply(&manifest).map_err(|e| e.to_string())?;
        let installed = self
            .store
            .install(bytes, &self.trusted)
            .map_err(|e| e.to_string())?;
        Ok(installed.manifest.serial)
    }
}
