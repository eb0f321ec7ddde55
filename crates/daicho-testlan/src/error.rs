//! Errors of the test-LAN helpers.

use std::path::PathBuf;

/// What can go wrong while driving the test LAN.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    /// The LAN needs root (network namespaces, veths, bridges).
    #[error(
        "the test LAN needs root (it creates network namespaces); run the tests as root, e.g. `sudo -E cargo test` (CI runs as root). Effective uid is {euid}"
    )]
    NotRoot {
        /// The effective uid found.
        euid: u32,
    },
    /// An id `lan.sh` would refuse.
    #[error("invalid LAN id {id:?}: use 1 to 6 characters from [a-z0-9]")]
    BadId {
        /// The id given.
        id: String,
    },
    /// The test PostgreSQL server could not be reached or refused a statement.
    #[error("test PostgreSQL: {0}")]
    Postgres(String),
    /// A packet capture could not be started or stopped cleanly.
    #[error("capture: {0}")]
    Capture(String),
    /// A program could not be started at all.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `lan.sh` (or another command) exited unsuccessfully.
    #[error("`{command}` failed ({status}): {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its standard error.
        stderr: String,
    },
    /// A file of the LAN could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The ground-truth file is not what this crate expects.
    #[error("bad ground truth in {path}: {source}")]
    Truth {
        /// The file.
        path: PathBuf,
        /// The parse error (it names the line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A line of the LAN's process list could not be parsed.
    #[error("bad line in {path}: {line:?}")]
    PidsLine {
        /// The file.
        path: PathBuf,
        /// The offending line.
        line: String,
    },
    /// No namespace of that name belongs to this LAN.
    #[error("namespace {ns:?} is not part of LAN {id}")]
    ForeignNamespace {
        /// The namespace asked for.
        ns: String,
        /// The LAN id.
        id: String,
    },
    /// A probe's output could not be understood.
    #[error("probe output not understood ({source}): {output:?}")]
    ProbeOutput {
        /// What the probe printed.
        output: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}
