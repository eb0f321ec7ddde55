//! The scan step of a run, behind a trait: the agent's scheduler does not depend on how the
//! scanner works, and the scanner crate plugs in by implementing [`ScanStep`].

use std::future::Future;

use daicho_model::Host;

use crate::config::ScanSettings;

/// What one scan found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanOutcome {
    /// Live hosts, in address order.
    pub hosts: Vec<Host>,
    /// Discovery methods used (`arp`, `icmp`, …).
    pub methods: Vec<String>,
    /// What limited the scan.
    pub warnings: Vec<String>,
    /// The managed switches read (`[snmp]`).
    pub switches: Vec<daicho_model::SwitchReading>,
}

/// A scan could not be done at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScanStepError(pub String);

/// Scans the configured scope.
pub trait ScanStep: Send + Sync + 'static {
    /// Scans `settings`' targets (minus exclusions) and returns the live hosts. Dropping the
    /// future abandons the scan (on SIGTERM); implementations must tolerate that.
    fn scan(
        &self,
        settings: &ScanSettings,
    ) -> impl Future<Output = Result<ScanOutcome, ScanStepError>> + Send;
}

/// The scanner type of an inventory-only agent: uninhabited, so `Option<NoScanner>` is always
/// `None` and no scan can ever be attempted through it.
#[derive(Debug, Clone, Copy)]
pub enum NoScanner {}

impl ScanStep for NoScanner {
    #[allow(clippy::manual_async_fn)]
    fn scan(
        &self,
        _settings: &ScanSettings,
    ) -> impl Future<Output = Result<ScanOutcome, ScanStepError>> + Send {
        async move { match *self {} }
    }
}
