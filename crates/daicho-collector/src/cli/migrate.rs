//! `migrate --from FILE --to URL [--site NAME]`: a clinic's SQLite ledger copied into a hospital
//! group's PostgreSQL ledger as one site, with its history.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use daicho_ledger::{Ledger, LedgerOptions, SiteScope};
use daicho_ledger_io::text::terminal_text;

use super::CliError;

/// Runs `migrate`: `site` names the target site (created when missing; the implicit site when
/// not given).
pub(super) fn run(
    from: &Path,
    to: &str,
    site: Option<&str>,
    options: LedgerOptions,
) -> Result<(), CliError> {
    if !from.is_file() {
        return Err(CliError::Usage(format!(
            "no ledger at {} (--from names the clinic's SQLite database file)",
            from.display()
        )));
    }
    if !(to.starts_with("postgresql://") || to.starts_with("postgres://")) {
        return Err(CliError::Usage(
            "--to must be a PostgreSQL URL (postgresql://user:password@host:port/db)".into(),
        ));
    }
    let started = Instant::now();
    let source = Ledger::open(from, options)?;
    let target = Ledger::open_postgres(to, options)?;
    let site = site.unwrap_or(daicho_ledger::sites::DEFAULT_SITE_NAME);
    let outcome = target.migrate_from(&source, site)?;
    let mut out = std::io::stdout().lock();
    let devices = target
        .device_counts(&SiteScope::one(target.site_named(&outcome.site)?.id))?
        .total;
    writeln!(
        out,
        "migrated {} into site `{}` ({devices} devices) in {} ms:",
        from.display(),
        terminal_text(&outcome.site),
        started.elapsed().as_millis()
    )?;
    for (table, rows) in &outcome.rows {
        writeln!(out, "  {table:<18} {rows:>8}")?;
    }
    writeln!(
        out,
        "console accounts were not copied: add them in the group's console (管理), limited to the site"
    )?;
    Ok(())
}
