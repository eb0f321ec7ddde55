//! Test support for daicho: the test LAN of network namespaces (`tests/lan/lan.sh`) driven from
//! Rust tests.
//!
//! [`TestLan::up`] builds a LAN and returns a guard that tears it down when dropped;
//! [`TestLan::truth`] is its ground truth (`/run/daicho-lan/ID/truth.json`) as typed structs;
//! [`TestLan::command_in`] runs a program inside one of its namespaces (normally the scanner);
//! [`TestLan::capture`] records what reaches a namespace, without losing the end ([`capture`]).
//! Every LAN lives in namespaces named `dl-ID-*`, so tests using distinct ids
//! ([`unique_id`]) run in parallel. The LAN needs root.
//!
//! [`postgres::TestDatabase`] is a fresh database per test on the test PostgreSQL server
//! (`scripts/postgres.sh`, started on first use; root, like the LAN).
//!
//! ```no_run
//! use daicho_testlan::{Segment, TestLan, unique_id};
//!
//! let lan = TestLan::up(&unique_id('a'), None)?; // Some(230) for a full /24
//! let first = lan.truth().hosts_on(Segment::Lan).next().expect("a host");
//! let out = lan.exec_in_scanner(&["ping", "-c", "1", &first.ip.to_string()])?;
//! assert!(out.status.success());
//! // The agent runs the same way: lan.command_in(lan.scanner_ns(), agent_exe)?.args([...]).
//! # Ok::<(), daicho_testlan::LanError>(())
//! ```

pub mod capture;
mod error;
mod lan;
mod netns;
pub mod postgres;
pub mod probe;
mod truth;

pub use capture::Capture;
pub use error::LanError;
pub use lan::{RecordedProcess, TestLan, lan_script, repo_root, unique_id};
pub use netns::{namespaces_with_prefix, processes_in_namespaces, require_root};
pub use truth::{
    Protocol, Role, Router, Scanner, Segment, Truth, TruthHost, TruthService, TruthSwitch,
};
