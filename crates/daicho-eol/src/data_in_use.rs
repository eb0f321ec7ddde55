//! A data set compiled into the binary that a data bundle may replace for the rest of the
//! process: the one shape of the EOL dates, the known-exploited list and the Windows updates.

use std::sync::{OnceLock, PoisonError, RwLock};

use crate::{DataError, stated_date};

/// A data set in use: the shipped text (parsed on first use) or an installed bundle's.
pub(crate) struct DataInUse<T: 'static> {
    shipped_text: &'static str,
    shipped: OnceLock<T>,
    /// Installed data stays in memory until the process ends (installs are rare).
    installed: RwLock<Option<&'static (T, &'static str)>>,
}

impl<T: Send + Sync> DataInUse<T> {
    /// The set shipped as `shipped_text`.
    pub(crate) const fn new(shipped_text: &'static str) -> Self {
        Self {
            shipped_text,
            shipped: OnceLock::new(),
            installed: RwLock::new(None),
        }
    }

    fn installed(&self) -> Option<&'static (T, &'static str)> {
        *self
            .installed
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The text in use: the installed bundle's, else the shipped one.
    pub(crate) fn text(&self) -> &'static str {
        self.installed().map_or(self.shipped_text, |(_, text)| text)
    }

    /// The data in use; the shipped text is parsed by `parse` once, on first use.
    pub(crate) fn get(&'static self, parse: impl FnOnce(&'static str) -> T) -> &'static T {
        match self.installed() {
            Some((data, _)) => data,
            None => self.shipped.get_or_init(|| parse(self.shipped_text)),
        }
    }

    /// Puts `data`, read from `text`, in use for the rest of the process.
    pub(crate) fn install(&self, data: T, text: String) {
        let text: &'static str = Box::leak(text.into_boxed_str());
        let installed: &'static (T, &'static str) = Box::leak(Box::new((data, text)));
        *self
            .installed
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(installed);
    }

    /// Parses `text` (a bundle's, named `file` in errors) and puts it in use; refused, the set
    /// in use kept, when it does not parse or states no `# date:` line.
    pub(crate) fn install_dated(
        &self,
        text: String,
        file: &'static str,
        parse: impl FnOnce(&str, &'static str) -> Result<T, DataError>,
    ) -> Result<(), DataError> {
        let data = parse(&text, file)?;
        if stated_date(&text).is_none() {
            return Err(DataError::Malformed {
                file,
                line: 1,
                message: "no `# date: YYYY-MM-DD` line".into(),
            });
        }
        self.install(data, text);
        Ok(())
    }
}
