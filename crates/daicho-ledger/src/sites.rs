//! Sites: the zone in which an IP address or a MAC names one device (one hospital of a group).
//!
//! Every device, report and allowlist record belongs to one site, and identity matching never
//! looks across sites: the same `192.168.1.10` or the same MAC at two hospitals are two devices
//! unless an operator merges them. A collector that never adds a site keeps everything at the
//! implicit site [`SiteId::DEFAULT`] (`default`) and behaves as before sites existed. Who may see
//! which sites is a [`SiteScope`].

use std::collections::BTreeSet;
use std::fmt;

use crate::db::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// A site's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub i64);

impl SiteId {
    /// The implicit site of a collector without sites (and of everything stored before sites).
    pub const DEFAULT: Self = Self(1);
}

impl Default for SiteId {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The name of the implicit site.
pub const DEFAULT_SITE_NAME: &str = "default";

/// A stored site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Its name: the handle in the CLI, the API's `?site=` and the token's binding.
    pub name: String,
    /// The name printed on its reports (表示名), e.g. the hospital's name.
    pub label: Option<String>,
    /// When it was added (`None` for the implicit site).
    pub created_at: Option<String>,
}

impl Site {
    /// What reports print for it: the label, else the name.
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// Which sites a caller may see: all of them (a group-wide role), or a set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SiteScope {
    /// Every site.
    #[default]
    All,
    /// These sites only (possibly none).
    Only(BTreeSet<SiteId>),
}

impl SiteScope {
    /// The scope of exactly one site.
    pub fn one(site: SiteId) -> Self {
        Self::Only(BTreeSet::from([site]))
    }

    /// The scope a stored binding gives: no rows is every site.
    pub fn from_bindings(sites: &[SiteId]) -> Self {
        if sites.is_empty() {
            Self::All
        } else {
            Self::Only(sites.iter().copied().collect())
        }
    }

    /// Whether `site` is in scope.
    pub fn contains(&self, site: SiteId) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(&site),
        }
    }

    /// Whether this scope is every site.
    pub fn is_all(&self) -> bool {
        matches!(self, Self::All)
    }

    /// SQL true for rows whose `column` is a site in scope (ids are integers, so they are
    /// written into the text; never NULL).
    pub(crate) fn sql(&self, column: &str) -> String {
        match self {
            Self::All => "1 = 1".to_owned(),
            Self::Only(set) if set.is_empty() => "0 = 1".to_owned(),
            Self::Only(set) => {
                let ids: Vec<String> = set.iter().map(ToString::to_string).collect();
                format!("{column} IN ({})", ids.join(", "))
            }
        }
    }

    /// SQL true for rows whose `id_column` names a device of a site in scope (never NULL; no
    /// condition at all for every site). The one way a table hanging off `devices` (flags,
    /// services, events, alerts, exceptions) is narrowed to sites.
    pub(crate) fn devices_sql(&self, id_column: &str) -> String {
        if self.is_all() {
            "1 = 1".to_owned()
        } else {
            format!(
                "{id_column} IN (SELECT id FROM devices WHERE {})",
                self.sql("site_id")
            )
        }
    }
}

/// Checks a site name: 1–40 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or
/// digit (it appears in URLs, file names and shell commands).
fn check_site_name(name: &str) -> Result<(), LedgerError> {
    let ok = (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "サイト名 `{name}` は英小文字・数字・`-`・`_` の 1〜40 文字にしてください / a site name must be 1-40 of a-z, 0-9, - and _, starting with a letter or digit"
        )))
    }
}

/// Checks a site label: at most 100 printable characters.
fn check_site_label(label: &str) -> Result<(), LedgerError> {
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(
            "表示名は 1〜100 文字の印字可能な文字にしてください / a site label must be 1-100 printable characters".to_owned(),
        ));
    }
    Ok(())
}

fn site_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<Site> {
    Ok(Site {
        id: SiteId(r.get(0)?),
        name: r.get(1)?,
        label: r.get(2)?,
        created_at: r.get(3)?,
    })
}

impl Ledger {
    /// Adds the site `name` with an optional label (表示名); refused when the name is taken.
    pub fn add_site(&self, name: &str, label: Option<&str>) -> Result<Site, LedgerError> {
        check_site_name(name)?;
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        if let Some(label) = label {
            check_site_label(label)?;
        }
        let now = to_db(self.now());
        self.write(|conn| {
            let taken: Option<i64> = conn
                .query_row("SELECT id FROM sites WHERE name = ?1", params![name], |r| {
                    r.get(0)
                })
                .optional()?;
            if taken.is_some() {
                return Err(LedgerError::Conflict(format!(
                    "サイト `{name}` は既にあります / site `{name}` already exists"
                )));
            }
            let id: i64 = conn.query_row(
                "INSERT INTO sites (name, label, created_at) VALUES (?1, ?2, ?3) RETURNING id",
                params![name, label, now],
                |r| r.get(0),
            )?;
            Ok(Site {
                id: SiteId(id),
                name: name.to_owned(),
                label: label.map(str::to_owned),
                created_at: Some(now),
            })
        })
    }

    /// Every site, the implicit one first.
    pub fn sites(&self) -> Result<Vec<Site>, LedgerError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT id, name, label, created_at FROM sites ORDER BY id")?;
            let rows = stmt.query_map([], site_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The site named `name`; an unknown name is [`LedgerError::Invalid`] naming the sites
    /// there are.
    pub fn site_named(&self, name: &str) -> Result<Site, LedgerError> {
        let sites = self.sites()?;
        if let Some(site) = sites.iter().find(|s| s.name == name) {
            return Ok(site.clone());
        }
        let known: Vec<&str> = sites.iter().map(|s| s.name.as_str()).collect();
        Err(LedgerError::Invalid(format!(
            "サイト `{name}` はありません（あるサイト: {}） / no site named `{name}`",
            known.join(", ")
        )))
    }

    /// The site with id `id`.
    pub fn site(&self, id: SiteId) -> Result<Site, LedgerError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT id, name, label, created_at FROM sites WHERE id = ?1",
                params![id.0],
                site_from_row,
            )
            .optional()?
            .ok_or_else(|| LedgerError::Invalid(format!("no site with id {id}")))
        })
    }

    /// The site device `id` belongs to.
    pub fn device_site(&self, id: i64) -> Result<SiteId, LedgerError> {
        self.read(|conn| device_site(conn, id))
    }
}

/// The site of device `id` ([`LedgerError::NoSuchDevice`] when there is none).
pub(crate) fn device_site(conn: &crate::db::Conn, id: i64) -> Result<SiteId, LedgerError> {
    conn.query_row(
        "SELECT site_id FROM devices WHERE id = ?1",
        params![id],
        |r| r.get(0).map(SiteId),
    )
    .optional()?
    .ok_or(LedgerError::NoSuchDevice(id))
}

/// The sites bound to rows of `table` (`token_sites` or `account_sites`) whose `column` is `id`.
pub(crate) fn bound_sites(
    conn: &crate::db::Conn,
    table: &str,
    column: &str,
    id: i64,
) -> Result<Vec<SiteId>, LedgerError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT site_id FROM {table} WHERE {column} = ?1 ORDER BY site_id"
    ))?;
    let rows = stmt.query_map(params![id], |r| r.get(0).map(SiteId))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Replaces the sites bound to `id` in `table` by `sites`.
pub(crate) fn bind_sites(
    conn: &crate::db::Conn,
    table: &str,
    column: &str,
    id: i64,
    sites: &[SiteId],
) -> Result<(), LedgerError> {
    conn.execute(
        &format!("DELETE FROM {table} WHERE {column} = ?1"),
        params![id],
    )?;
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO {table} ({column}, site_id) VALUES (?1, ?2)"
    ))?;
    for site in sites {
        insert.execute(params![id, site.0])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger =
            Ledger::open(&dir.path().join("l.db"), crate::LedgerOptions::default()).unwrap();
        (dir, ledger)
    }

    #[test]
    fn a_new_ledger_has_the_implicit_site_and_sites_are_added_once() {
        let (_dir, ledger) = ledger();
        let sites = ledger.sites().unwrap();
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].id, SiteId::DEFAULT);
        assert_eq!(sites[0].name, DEFAULT_SITE_NAME);
        let east = ledger.add_site("east-1", Some("東病院")).unwrap();
        assert_eq!(east.display_name(), "東病院");
        assert_eq!(ledger.site_named("east-1").unwrap(), east);
        assert!(matches!(
            ledger.add_site("east-1", None),
            Err(LedgerError::Conflict(_))
        ));
        for bad in ["", "East", "a b", "-x", "東", &"x".repeat(41)] {
            assert!(ledger.add_site(bad, None).is_err(), "{bad:?}");
        }
        assert!(ledger.add_site("west", Some("a\u{7}b")).is_err());
        let err = ledger.site_named("north").unwrap_err().to_string();
        assert!(err.contains("default, east-1"), "{err}");
    }

    #[test]
    fn scopes_contain_and_filter() {
        let a = SiteId(1);
        let b = SiteId(2);
        assert!(SiteScope::All.contains(b));
        assert!(!SiteScope::one(a).contains(b));
        assert_eq!(SiteScope::from_bindings(&[]), SiteScope::All);
        let ab = SiteScope::from_bindings(&[a, b]);
        assert!(ab.contains(a) && ab.contains(b) && !ab.contains(SiteId(3)));
        assert_eq!(ab.sql("d.site_id"), "d.site_id IN (1, 2)");
        assert_eq!(
            ab.devices_sql("device_id"),
            "device_id IN (SELECT id FROM devices WHERE site_id IN (1, 2))"
        );
        assert_eq!(SiteScope::All.devices_sql("device_id"), "1 = 1");
        assert_eq!(SiteScope::Only(BTreeSet::new()).sql("x"), "0 = 1");
        assert_eq!(SiteScope::All.sql("x"), "1 = 1");
    }
}
