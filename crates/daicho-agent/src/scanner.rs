//! The scan step of `run`: the full inventory scan (daicho-pipeline: discovery, then ports,
//! services and OS) over the configured scope.

use std::future::Future;

use daicho_fingerprint::PortSpec;
use daicho_pipeline::{FingerprintSettings, InventoryConfig, SwitchSettings};
use daicho_scan::{RateLimits, ScanConfig, local_agent_info};

use crate::config::ScanSettings;
use crate::scan_step::{ScanOutcome, ScanStep, ScanStepError};

/// Scans the configured LAN scope with daicho-scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanScanner;

/// The scanner's configuration for `settings`, with the documented defaults for what is unset.
pub fn scan_config(settings: &ScanSettings) -> ScanConfig {
    let mut config = ScanConfig::new(
        local_agent_info(env!("CARGO_PKG_VERSION")),
        settings.targets.clone(),
    );
    config.exclude.clone_from(&settings.exclude);
    if let Some(max) = settings.max_hosts {
        config.max_hosts = u64::from(max);
    }
    let defaults = RateLimits::default();
    config.limits = RateLimits {
        global_pps: settings.rate.map_or(defaults.global_pps, f64::from),
        per_host_pps: settings
            .per_host_rate
            .map_or(defaults.per_host_pps, f64::from),
    };
    config.interface.clone_from(&settings.interface);
    config
}

/// The whole scan for `settings`: discovery as [`scan_config`], then fingerprinting unless
/// `no_fingerprint`. The port specification was checked when the configuration was loaded.
pub fn inventory_config(settings: &ScanSettings) -> Result<InventoryConfig, String> {
    let fingerprint = if settings.no_fingerprint {
        None
    } else {
        let text = settings
            .ports
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let ports = PortSpec::parse(&text).map_err(|e| format!("scan.ports: {e}"))?;
        let mut f = FingerprintSettings::new(ports);
        f.snmp_communities.clone_from(&settings.snmp_communities);
        f.probe_medical = settings.probe_medical;
        f.medical_hosts.clone_from(&settings.medical_hosts);
        Some(f)
    };
    let mut scan = scan_config(settings);
    if fingerprint.is_none() {
        scan.discovery_only();
    }
    let switches = settings
        .switches
        .as_ref()
        .map(|s| SwitchSettings::new(s.community.expose().to_owned(), s.switches.clone()));
    Ok(InventoryConfig {
        scan,
        fingerprint,
        switches,
    })
}

impl ScanStep for LanScanner {
    #[allow(clippy::manual_async_fn)] // the trait names the future's bounds
    fn scan(
        &self,
        settings: &ScanSettings,
    ) -> impl Future<Output = Result<ScanOutcome, ScanStepError>> + Send {
        let config = inventory_config(settings);
        async move {
            let config = config.map_err(ScanStepError)?;
            // The scanner blocks (raw sockets, pacing); it runs on the blocking pool.
            let outcome = tokio::task::spawn_blocking(move || {
                daicho_pipeline::inventory_scan(&config, &mut |_| {})
            })
            .await
            .map_err(|e| ScanStepError(format!("the scan task failed: {e}")))?
            .map_err(|e| ScanStepError(e.to_string()))?;
            Ok(ScanOutcome {
                hosts: outcome.report.hosts,
                methods: outcome.report.methods,
                warnings: outcome.report.warnings,
                switches: outcome.report.switches,
            })
        }
    }
}
