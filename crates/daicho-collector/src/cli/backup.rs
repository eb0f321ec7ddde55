//! `backup --output FILE` and `restore --input FILE [--force]`.

use std::io::Write as _;
use std::path::Path;

use daicho_ledger::backup::backup_file;
use daicho_ledger::restore_database;

use super::CliError;
use crate::config::Config;

/// Copies the configured database to `output` with SQLite's online backup (consistent while
/// the server serves and ingests) and checks the copy before saying so.
pub(super) fn backup(config: &Config, output: &Path) -> Result<(), CliError> {
    if config.storage.url.is_some() {
        return Err(CliError::Usage(
            "the ledger is on PostgreSQL (storage.url): back it up with pg_dump or replication"
                .into(),
        ));
    }
    let database = &config.storage.database;
    if !database.is_file() {
        return Err(CliError::Usage(format!(
            "no database at {} (storage.database); nothing to back up",
            database.display()
        )));
    }
    let b = backup_file(database, output)?;
    writeln!(
        std::io::stdout().lock(),
        "backed up {} to {} ({} bytes, schema version {}, integrity_check ok) in {} ms",
        database.display(),
        b.path.display(),
        b.bytes,
        b.schema_version,
        b.elapsed.as_millis()
    )?;
    Ok(())
}

/// Replaces the configured database with the backup `input` (checked first), refusing while
/// anything has the database open, and without `--force` when a database is there.
pub(super) fn restore(config: &Config, input: &Path, force: bool) -> Result<(), CliError> {
    if config.storage.url.is_some() {
        return Err(CliError::Usage(
            "the ledger is on PostgreSQL (storage.url): restore it with PostgreSQL's tools (pg_restore)"
                .into(),
        ));
    }
    let database = &config.storage.database;
    // Checked before anything else, so a bad backup is named even without --force.
    daicho_ledger::backup::check_backup(input)?;
    if database.exists() && !force {
        return Err(CliError::Usage(format!(
            "{} exists; add --force to replace it (it is kept as {}.before-restore-<time>)",
            database.display(),
            database.display()
        )));
    }
    let r = restore_database(input, database)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "restored {} from {} (schema version {})",
        r.database.display(),
        input.display(),
        r.schema_version
    )?;
    if let Some(previous) = &r.previous {
        writeln!(
            out,
            "the database it replaced is kept as {}",
            previous.display()
        )?;
    }
    writeln!(
        out,
        "start the collector again (systemctl start daicho-collector)"
    )?;
    Ok(())
}
