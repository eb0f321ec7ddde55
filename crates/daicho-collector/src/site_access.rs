//! Who may see which site: the one rule for the API, the console and the command line.
//!
//! A caller (an operator token, a console account, the CLI) carries a [`SiteScope`]. A request
//! may name a site (`?site=`, `--site`); naming one outside the caller's scope is refused with
//! [`LedgerError::Forbidden`] (403), an unknown name with [`LedgerError::Invalid`] (400). A
//! device, alert, exception or allowlist record is reached only through its site.

use daicho_ledger::{Ledger, LedgerError, Site, SiteId, SiteScope};

/// The refusal for a site outside the caller's scope.
fn forbidden(site: &str) -> LedgerError {
    LedgerError::Forbidden(format!(
        "サイト `{site}` を見る権限がありません / you may not see site `{site}`"
    ))
}

/// The site a request names (`None` when it names none, or a blank), which must be in
/// `caller`.
fn named_site(
    ledger: &Ledger,
    caller: &SiteScope,
    site: Option<&str>,
) -> Result<Option<Site>, LedgerError> {
    let Some(name) = site.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let site = ledger.site_named(name)?;
    if caller.contains(site.id) {
        Ok(Some(site))
    } else {
        Err(forbidden(name))
    }
}

/// The sites a request covers: the site it names (which must be in `caller`), else every
/// site of `caller`.
pub fn requested_scope(
    ledger: &Ledger,
    caller: &SiteScope,
    site: Option<&str>,
) -> Result<SiteScope, LedgerError> {
    Ok(named_site(ledger, caller, site)?.map_or_else(|| caller.clone(), |s| SiteScope::one(s.id)))
}

/// The one site a per-site report (checklist, ledger export, allowlist) is for: the site named,
/// else the caller's only site, else the only site there is. With several to choose from and
/// none named, [`LedgerError::Invalid`] lists them.
pub fn report_site(
    ledger: &Ledger,
    caller: &SiteScope,
    site: Option<&str>,
) -> Result<Site, LedgerError> {
    if let Some(site) = named_site(ledger, caller, site)? {
        return Ok(site);
    }
    let visible = visible_sites(ledger, caller)?;
    match visible.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(LedgerError::Forbidden(
            "見られるサイトがありません / you may see no site".to_owned(),
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            Err(LedgerError::Invalid(format!(
                "サイトを指定してください（{}） / name the site (--site or ?site=): {}",
                names.join(", "),
                names.join(", ")
            )))
        }
    }
}

/// The sites `caller` may see, the implicit one first.
pub fn visible_sites(ledger: &Ledger, caller: &SiteScope) -> Result<Vec<Site>, LedgerError> {
    Ok(ledger
        .sites()?
        .into_iter()
        .filter(|s| caller.contains(s.id))
        .collect())
}

/// Checks that `caller` may see device `id` (its site in scope); returns that site.
pub fn check_device(ledger: &Ledger, caller: &SiteScope, id: i64) -> Result<SiteId, LedgerError> {
    let site = ledger.device_site(id)?;
    check_site(ledger, caller, site)?;
    Ok(site)
}

/// Checks that `caller` may see site `site`.
pub fn check_site(ledger: &Ledger, caller: &SiteScope, site: SiteId) -> Result<(), LedgerError> {
    if caller.contains(site) {
        Ok(())
    } else {
        Err(forbidden(&ledger.site(site)?.name))
    }
}

/// Checks that `caller` may hand out a binding to `sites` (a token's or an account's): each
/// site must be in scope, and no sites (every site) only a caller of every site may give.
pub fn check_binding(
    ledger: &Ledger,
    caller: &SiteScope,
    sites: &[SiteId],
) -> Result<(), LedgerError> {
    if sites.is_empty() && !caller.is_all() {
        return Err(LedgerError::Forbidden(
            "すべてのサイトを対象にできるのはグループ全体の管理者だけです / only a group-wide caller may grant every site".to_owned(),
        ));
    }
    sites
        .iter()
        .try_for_each(|site| check_site(ledger, caller, *site))
}

/// Whether `caller` sees everything a binding to `sites` gives (none: every site), i.e. whether
/// a token or account so bound is one `caller` may see and manage.
pub fn covers(caller: &SiteScope, sites: &[SiteId]) -> bool {
    if sites.is_empty() {
        caller.is_all()
    } else {
        sites.iter().all(|s| caller.contains(*s))
    }
}

/// Site names given as a comma-separated list (`--sites east,west`) resolved to ids; an empty
/// list is none (every site, for an operator).
pub fn site_ids(ledger: &Ledger, names: &[String]) -> Result<Vec<SiteId>, LedgerError> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| ledger.site_named(n).map(|s| s.id))
        .collect()
}
