//! `daicho-bundle`: the data publisher's tool — make a signing key, build and sign a bundle
//! from data files, check a bundle. Installing is the collector's (`daicho-collector data
//! import`).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use daicho_bundle::{DataSet, DataSetName, Manifest, PublicKey, SigningKey, keys, open, seal};

#[derive(Parser)]
#[command(
    name = "daicho-bundle",
    version,
    about = "Build and sign daicho data bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new signing key (hex PKCS#8, mode 0600) and print its public key.
    Keygen {
        /// Where to write the key; refused if it exists.
        #[arg(long)]
        out: PathBuf,
    },
    /// Build a bundle from data files and sign it.
    Build {
        /// The signing key file.
        #[arg(long)]
        key: PathBuf,
        /// The bundle's serial: higher than every bundle signed before.
        #[arg(long)]
        serial: u64,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
        /// A data set as NAME=FILE@DATE[@SOURCE], e.g.
        /// `ieee-registry=crates/daicho-oui/data/ieee-prefixes.tsv@2026-11-30@npm oui-data`.
        #[arg(required = true)]
        datasets: Vec<String>,
    },
    /// Check a bundle's signature and content, and list what it holds.
    Verify {
        /// The bundle.
        bundle: PathBuf,
        /// Also trust this public key (64 hex digits), besides the built-in one.
        #[arg(long = "trust")]
        trust: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("daicho-bundle: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Keygen { out } => {
            let key = SigningKey::generate().map_err(|e| e.to_string())?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&out)
                .map_err(|e| format!("{}: {e}", out.display()))?;
            writeln!(file, "{}", key.to_hex()).map_err(|e| format!("{}: {e}", out.display()))?;
            say(&[format!(
                "public key {} (id {})",
                key.public().to_hex(),
                key.public().id()
            )])
        }
        Command::Build {
            key,
            serial,
            out,
            datasets,
        } => {
            let text =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let key = SigningKey::from_hex(&text).map_err(|e| e.to_string())?;
            let datasets = datasets
                .iter()
                .map(|spec| dataset(spec))
                .collect::<Result<Vec<_>, _>>()?;
            let manifest = Manifest {
                serial,
                created_at: Utc::now(),
                datasets,
            };
            let bytes = seal(&manifest, &key);
            // Checked as an installer will check it, before it leaves.
            open(&bytes, &[key.public()]).map_err(|e| e.to_string())?;
            std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
            say(&[format!(
                "{}: serial {serial}, {} data sets, signed by key {}",
                out.display(),
                manifest.datasets.len(),
                key.public().id()
            )])
        }
        Command::Verify { bundle, trust } => {
            let bytes = std::fs::read(&bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
            let mut trusted = keys::TRUSTED.to_vec();
            for t in &trust {
                trusted.push(
                    PublicKey::from_hex(t)
                        .ok_or_else(|| format!("--trust `{t}` is not 64 hex digits"))?,
                );
            }
            let manifest = open(&bytes, &trusted).map_err(|e| e.to_string())?;
            let mut lines = vec![format!(
                "serial {} built {}",
                manifest.serial,
                manifest.created_at.to_rfc3339()
            )];
            lines.extend(manifest.datasets.iter().map(|d| {
                format!(
                    "  {:<16} {}  {} bytes  {}",
                    d.name.as_str(),
                    d.date,
                    d.content.len(),
                    d.source
                )
            }));
            say(&lines)
        }
    }
}

/// Prints `lines`; a closed pipe (`| head`) is not an error.
fn say(lines: &[String]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        match writeln!(out, "{line}") {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(format!("writing to stdout: {e}")),
        }
    }
    Ok(())
}

/// A data set from `NAME=FILE@DATE[@SOURCE]`.
fn dataset(spec: &str) -> Result<DataSet, String> {
    let bad = || format!("data set `{spec}` is not NAME=FILE@DATE[@SOURCE]");
    let (name, rest) = spec.split_once('=').ok_or_else(bad)?;
    let mut parts = rest.splitn(3, '@');
    let (file, date) = (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
    let source = parts.next().unwrap_or_default();
    let name: DataSetName = name.parse()?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| format!("data set `{spec}`: `{date}` is not a date YYYY-MM-DD"))?;
    let content = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    Ok(DataSet::new(name, date, source, content))
}
