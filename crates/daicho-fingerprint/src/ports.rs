//! The default port lists for hospital networks and the `--ports` specification parser.

use std::collections::BTreeSet;

/// TCP ports scanned when the operator gives no `--ports`: the usual top ports plus what
/// hospital networks run (DICOM, HL7, ORCA, remote-support tools, databases, printers).
pub const DEFAULT_TCP_PORTS: &[u16] = &[
    // File transfer, remote shells, mail, name service.
    20, 21, 22, 23, 25, 53, 69, 79, 80, 81, 88, 106, 110, 111, 113, 119, 135, 139, 143, 179, 199,
    389, 427, 443, 444, 445, 465, 513, 514, 515, 548, 554, 587, 631, 636, 646, 873, 990, 993, 995,
    // DICOM (104, 11112, 4242 Orthanc, 2762 DICOM over TLS) and HL7 MLLP.
    104, 2575, 2762, 4242, 11112, // Windows and directory services.
    1025, 1026, 1027, 1028, 1029, 1110, 1433, 1434, 1521, 1720, 1723, 1755, 1900, 2000, 2001, 2049,
    2103, 2121, 2717, 3000, 3128, 3268, 3269, 3306, 3389, 3690, 3986, 4000, 4443, 4899, 5000, 5001,
    5003, 5009, 5050, 5051, 5060, 5101, 5190, 5357, 5432, 5631, 5666, 5800, 5900, 5901, 5938, 5985,
    5986, 6000, 6001, 6379, 6646, 7070, 7443, 8000, 8008, 8009, 8080, 8081, 8082, 8443, 8888, 9000,
    9090, 9100, 9101, 9102, 9103, 9104, 9105, 9106, 9107, 9200, 9443, 9999, 10000, 10443, 27017,
    32768, 49152, 49153, 49154, 49155, 49156, 49157, // Apple lockdownd: iPhones and iPads.
    62078,
];

/// UDP ports probed by default: only those with a safe, read-only query.
pub const DEFAULT_UDP_PORTS: &[u16] = &[53, 137, 161];

/// Ports that receive a TCP connect and nothing else: raw printing (9100–9107), LPD and IPP.
/// Data sent to a print port can come out as paper.
pub fn is_connect_only_port(port: u16) -> bool {
    matches!(port, 9100..=9107 | 515 | 631)
}

/// Ports whose presence marks a host as medical (DICOM and HL7 MLLP).
pub fn is_medical_port(port: u16) -> bool {
    matches!(port, 104 | 2575 | 2762 | 4242 | 11112)
}

/// The ports to scan, split by transport, each list sorted and free of duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSpec {
    /// TCP ports.
    pub tcp: Vec<u16>,
    /// UDP ports.
    pub udp: Vec<u16>,
}

/// Why a port specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortSpecError {
    /// The specification was empty.
    #[error("the port specification is empty")]
    Empty,
    /// An item was not a number, a range or `default`.
    #[error("`{0}` is not a port, a range A-B or `default`")]
    BadItem(String),
    /// Port 0 or a number above 65535.
    #[error("`{0}` is outside 1-65535")]
    OutOfRange(String),
    /// A range whose start exceeds its end.
    #[error("range `{0}` runs backwards")]
    Backwards(String),
    /// A transport prefix other than `T:` or `U:`.
    #[error("`{0}` is not a transport prefix (use T: or U:)")]
    BadPrefix(String),
}

impl PortSpec {
    /// The default lists.
    pub fn default_lists() -> Self {
        let mut spec = Self {
            tcp: DEFAULT_TCP_PORTS.to_vec(),
            udp: DEFAULT_UDP_PORTS.to_vec(),
        };
        spec.normalise();
        spec
    }

    /// Parses `22,80,1000-2000`, `default`, or `T:22,80,U:161` (a `T:`/`U:` prefix switches the
    /// transport for the items after it; unprefixed items are TCP). `default` may be combined
    /// with other items, e.g. `default,8081`. A bare `default` (before any prefix) selects both
    /// the TCP and the UDP lists; `T:default` and `U:default` one of them.
    pub fn parse(spec: &str) -> Result<Self, PortSpecError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(PortSpecError::Empty);
        }
        let mut tcp = BTreeSet::new();
        let mut udp = BTreeSet::new();
        let mut to_udp = false;
        let mut prefixed = false;
        for raw in spec.split(',') {
            let mut item = raw.trim();
            if let Some((prefix, rest)) = item.split_once(':') {
                match prefix.trim() {
                    "T" | "t" => to_udp = false,
                    "U" | "u" => to_udp = true,
                    other => return Err(PortSpecError::BadPrefix(other.to_owned())),
                }
                item = rest.trim();
                prefixed = true;
            }
            if item.is_empty() {
                return Err(PortSpecError::BadItem(raw.trim().to_owned()));
            }
            let set = if to_udp { &mut udp } else { &mut tcp };
            if item.eq_ignore_ascii_case("default") {
                if to_udp {
                    udp.extend(DEFAULT_UDP_PORTS);
                } else {
                    set.extend(DEFAULT_TCP_PORTS);
                    // A bare `default` means both hospital lists; `T:default` only TCP.
                    if !prefixed {
                        udp.extend(DEFAULT_UDP_PORTS);
                    }
                }
                continue;
            }
            let (lo, hi) = if let Some((a, b)) = item.split_once('-') {
                (parse_port(a, item)?, parse_port(b, item)?)
            } else {
                let p = parse_port(item, item)?;
                (p, p)
            };
            if lo > hi {
                return Err(PortSpecError::Backwards(item.to_owned()));
            }
            set.extend(lo..=hi);
        }
        if tcp.is_empty() && udp.is_empty() {
            return Err(PortSpecError::Empty);
        }
        Ok(Self {
            tcp: tcp.into_iter().collect(),
            udp: udp.into_iter().collect(),
        })
    }

    fn normalise(&mut self) {
        self.tcp.sort_unstable();
        self.tcp.dedup();
        self.udp.sort_unstable();
        self.udp.dedup();
    }
}

/// The canonical text of a spec: every port listed, runs folded into ranges, TCP after `T:` and
/// UDP after `U:` (`T:20-23,25,U:53,161`). Reports carry this in `scope.ports`, so the collector
/// knows exactly which ports were probed without knowing the agent's default lists.
impl std::fmt::Display for PortSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sep = "";
        for (prefix, ports) in [("T:", &self.tcp), ("U:", &self.udp)] {
            let mut prefix = prefix;
            let mut rest = ports.as_slice();
            while let Some(&start) = rest.first() {
                // The run of consecutive ports from `start`.
                let run = rest
                    .iter()
                    .zip(start..=u16::MAX)
                    .take_while(|&(&p, expected)| p == expected)
                    .count();
                let end = rest[run - 1];
                rest = &rest[run..];
                if start == end {
                    write!(f, "{sep}{prefix}{start}")?;
                } else {
                    write!(f, "{sep}{prefix}{start}-{end}")?;
                }
                (sep, prefix) = (",", "");
            }
        }
        Ok(())
    }
}

fn parse_port(text: &str, item: &str) -> Result<u16, PortSpecError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortSpecError::BadItem(item.to_owned()));
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(PortSpecError::OutOfRange(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_folds_runs_and_parses_back_to_the_same_spec() {
        let spec = PortSpec::parse("80,22,21,23,U:161,53,T:443,65535").unwrap();
        assert_eq!(spec.to_string(), "T:21-23,80,443,65535,U:53,161");
        assert_eq!(PortSpec::parse(&spec.to_string()).unwrap(), spec);
        let udp_only = PortSpec::parse("U:161").unwrap();
        assert_eq!(udp_only.to_string(), "U:161");
        let defaults = PortSpec::default_lists();
        assert_eq!(PortSpec::parse(&defaults.to_string()).unwrap(), defaults);
        assert!(defaults.to_string().starts_with("T:20-23,25,53,"));
    }

    #[test]
    fn default_list_has_the_hospital_ports() {
        let spec = PortSpec::parse("default").unwrap();
        for p in [
            104, 11112, 4242, 2762, 2575, 8000, 3389, 445, 139, 5985, 5986, 5900, 5938, 7070, 1433,
            1521, 3306, 5432, 9100, 515, 631, 22, 80, 443,
        ] {
            assert!(spec.tcp.contains(&p), "{p} missing");
        }
        assert_eq!(
            spec.udp,
            vec![53, 137, 161],
            "plain `default` is both lists"
        );
        assert!(PortSpec::parse("T:default").unwrap().udp.is_empty());
        assert_eq!(
            PortSpec::parse("default,8081").unwrap().udp,
            vec![53, 137, 161]
        );
        assert!(spec.tcp.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        assert_eq!(PortSpec::default_lists().udp, vec![53, 137, 161]);
    }

    #[test]
    fn parses_lists_ranges_and_prefixes() {
        let spec = PortSpec::parse("22, 80,1000-1003,80").unwrap();
        assert_eq!(spec.tcp, vec![22, 80, 1000, 1001, 1002, 1003]);
        let spec = PortSpec::parse("T:22,443,U:161,162,T:80").unwrap();
        assert_eq!(spec.tcp, vec![22, 80, 443]);
        assert_eq!(spec.udp, vec![161, 162]);
        let spec = PortSpec::parse("U:default").unwrap();
        assert_eq!(spec.udp, vec![53, 137, 161]);
        assert!(spec.tcp.is_empty());
        let spec = PortSpec::parse("default,65535").unwrap();
        assert!(spec.tcp.contains(&65535) && spec.tcp.contains(&104));
    }

    #[test]
    fn refuses_bad_specs() {
        assert_eq!(PortSpec::parse(" "), Err(PortSpecError::Empty));
        assert!(matches!(
            PortSpec::parse("0"),
            Err(PortSpecError::OutOfRange(_))
        ));
        assert!(matches!(
            PortSpec::parse("65536"),
            Err(PortSpecError::OutOfRange(_))
        ));
        assert!(matches!(
            PortSpec::parse("ssh"),
            Err(PortSpecError::BadItem(_))
        ));
        assert!(matches!(
            PortSpec::parse("22,,80"),
            Err(PortSpecError::BadItem(_))
        ));
        assert!(matches!(
            PortSpec::parse("-5"),
            Err(PortSpecError::BadItem(_))
        ));
        assert!(matches!(
            PortSpec::parse("90-80"),
            Err(PortSpecError::Backwards(_))
        ));
        assert!(matches!(
            PortSpec::parse("X:80"),
            Err(PortSpecError::BadPrefix(_))
        ));
        assert!(matches!(
            PortSpec::parse("+22"),
            Err(PortSpecError::BadItem(_))
        ));
    }

    #[test]
    fn connect_only_and_medical_ports() {
        assert!((9100..=9107).all(is_connect_only_port));
        assert!(is_connect_only_port(515) && is_connect_only_port(631));
        assert!(!is_connect_only_port(9108) && !is_connect_only_port(80));
        assert!(is_medical_port(104) && is_medical_port(2575) && !is_medical_port(22));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,64}") {
            let _ = PortSpec::parse(&s);
        }

        #[test]
        fn ranges_round_trip(a in 1u16..=65535, len in 0u16..200) {
            let b = a.saturating_add(len);
            let spec = PortSpec::parse(&format!("{a}-{b}")).unwrap();
            proptest::prop_assert_eq!(spec.tcp.len(), usize::from(b - a) + 1);
        }
    }
}
