//! Which ports a report's scope covered, so that a port missing from a scan is only called
//! closed when it was actually probed.
//!
//! The scope's `ports` spec is a comma-separated list of ports and `A-B` ranges. A `T:`/`U:`
//! (`tcp:`/`udp:`) prefix switches the protocol for the items after it, as the agent's `--ports`
//! does (the agent writes the expanded form, `T:21-23,80,U:161`); items before any prefix are
//! TCP. `all`, `-` or `*` cover every port of the current protocol. Names (`default`, `top100`)
//! are lists only the agent knows: they cover nothing here, so no port is ever closed on their
//! account. No spec at all means no port scan.

use std::ops::RangeInclusive;

use daicho_model::Protocol;

/// The set of ports a scan probed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortCoverage {
    tcp: Vec<RangeInclusive<u16>>,
    udp: Vec<RangeInclusive<u16>>,
}

impl PortCoverage {
    /// Reads a scope's `ports` field; unknown items cover nothing.
    pub fn from_spec(spec: Option<&str>) -> Self {
        let mut cov = Self::default();
        let Some(spec) = spec else { return cov };
        let mut proto = Protocol::Tcp;
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let lower = item.to_ascii_lowercase();
            let rest = if let Some(r) = lower
                .strip_prefix("u:")
                .or_else(|| lower.strip_prefix("udp:"))
            {
                proto = Protocol::Udp;
                r.trim().to_owned()
            } else if let Some(r) = lower
                .strip_prefix("t:")
                .or_else(|| lower.strip_prefix("tcp:"))
            {
                proto = Protocol::Tcp;
                r.trim().to_owned()
            } else {
                lower.clone()
            };
            let range = match rest.as_str() {
                "all" | "-" | "*" => Some(1..=u16::MAX),
                r => parse_range(r),
            };
            if let Some(range) = range {
                match proto {
                    Protocol::Tcp => cov.tcp.push(range),
                    Protocol::Udp => cov.udp.push(range),
                }
            }
        }
        cov
    }

    /// True when `port`/`protocol` was probed.
    pub fn covers(&self, protocol: Protocol, port: u16) -> bool {
        let ranges = match protocol {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
        };
        ranges.iter().any(|r| r.contains(&port))
    }
}

fn parse_range(s: &str) -> Option<RangeInclusive<u16>> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?);
            (a <= b).then_some(a..=b)
        }
        None => s.parse::<u16>().ok().map(|p| p..=p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ranges_and_protocol_prefixes() {
        let c = PortCoverage::from_spec(Some("22, 80,8000-8010,U:161,T:443"));
        assert!(c.covers(Protocol::Tcp, 22));
        assert!(c.covers(Protocol::Tcp, 8005));
        assert!(c.covers(Protocol::Tcp, 443));
        assert!(!c.covers(Protocol::Tcp, 23));
        assert!(c.covers(Protocol::Udp, 161));
        assert!(!c.covers(Protocol::Udp, 22));
    }

    #[test]
    fn a_prefix_holds_for_the_items_after_it_as_in_the_agent() {
        let c = PortCoverage::from_spec(Some("T:21-23,80,U:53,161"));
        assert!(c.covers(Protocol::Tcp, 22) && c.covers(Protocol::Tcp, 80));
        assert!(c.covers(Protocol::Udp, 53) && c.covers(Protocol::Udp, 161));
        assert!(!c.covers(Protocol::Tcp, 161) && !c.covers(Protocol::Udp, 80));
    }

    #[test]
    fn unknown_names_and_absent_spec_cover_nothing() {
        assert!(!PortCoverage::from_spec(Some("top100")).covers(Protocol::Tcp, 22));
        assert!(!PortCoverage::from_spec(Some("default")).covers(Protocol::Tcp, 23));
        assert!(!PortCoverage::from_spec(None).covers(Protocol::Tcp, 22));
        assert!(!PortCoverage::from_spec(Some("90-80")).covers(Protocol::Tcp, 85));
        assert!(PortCoverage::from_spec(Some("all")).covers(Protocol::Tcp, 65535));
    }
}
