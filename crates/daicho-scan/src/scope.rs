//! The scan scope: targets and exclusions as CIDR blocks, single addresses or `A-B` ranges, and
//! the guard against scanning more than intended.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use ipnet::Ipv4Net;

/// The default largest scope scanned without `force`: a /16.
pub const DEFAULT_MAX_HOSTS: u64 = 65_536;

/// Why a scope cannot be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No target was given; daicho never guesses its scope.
    #[error(
        "no target given: daicho never guesses what to scan; name it with --target (CIDR, address or A-B range)"
    )]
    NoTarget,
    /// A target or exclusion could not be read.
    #[error("`{spec}` is not a valid {role}: {reason}")]
    Invalid {
        /// The text as given.
        spec: String,
        /// `target` or `exclusion`.
        role: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The targets hold no address at all.
    #[error("the targets hold no host address")]
    Empty,
    /// Every target address is excluded.
    #[error("every one of the {targets} target addresses is excluded: nothing to scan")]
    AllExcluded {
        /// How many addresses the targets held before exclusion.
        targets: u64,
    },
    /// The scope exceeds the configured maximum and `force` was not given.
    #[error(
        "the scope holds {hosts} addresses, more than the limit of {max}; narrow it, raise --max-hosts, or pass --force"
    )]
    TooLarge {
        /// Addresses in scope after exclusions.
        hosts: u64,
        /// The configured limit.
        max: u64,
    },
}

/// One target or exclusion: an inclusive IPv4 address range, remembered with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// First address.
    pub first: Ipv4Addr,
    /// Last address (inclusive).
    pub last: Ipv4Addr,
    text: String,
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for TargetSpec {
    type Err = String;

    /// Reads `10.0.0.5`, `10.0.0.0/24`, `10.0.0.10-10.0.0.20` or the short `10.0.0.10-20`.
    ///
    /// A CIDR block of /30 or wider leaves out its network and broadcast addresses, which are
    /// not hosts; host bits set in a block (`10.0.0.7/24`) are ignored as other tools do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.is_empty() {
            return Err("it is empty".into());
        }
        if text.contains(':') {
            return Err("IPv6 scopes are not supported; give IPv4 addresses".into());
        }
        let (first, last) = if let Some((addr, len)) = text.split_once('/') {
            let len: u8 = len
                .parse()
                .map_err(|_| format!("prefix length `{len}` is not a number from 0 to 32"))?;
            let addr = parse_v4(addr)?;
            let net = Ipv4Net::new(addr, len)
                .map_err(|_| format!("prefix length {len} is larger than 32"))?;
            let (mut first, mut last) = (u32::from(net.network()), u32::from(net.broadcast()));
            if len <= 30 {
                first += 1;
                last -= 1;
            }
            (first, last)
        } else if let Some((a, b)) = text.split_once('-') {
            let first = parse_v4(a)?;
            let last = if b.trim().contains('.') {
                parse_v4(b)?
            } else {
                let octet: u8 = b
                    .trim()
                    .parse()
                    .map_err(|_| format!("range end `{b}` is neither an address nor 0-255"))?;
                let o = first.octets();
                Ipv4Addr::new(o[0], o[1], o[2], octet)
            };
            let (first, last) = (u32::from(first), u32::from(last));
            if first > last {
                return Err("the range ends before it starts".into());
            }
            (first, last)
        } else {
            let addr = u32::from(parse_v4(text)?);
            (addr, addr)
        };
        Ok(Self {
            first: Ipv4Addr::from(first),
            last: Ipv4Addr::from(last),
            text: text.to_owned(),
        })
    }
}

fn parse_v4(s: &str) -> Result<Ipv4Addr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{}` is not an IPv4 address", s.trim()))
}

/// Inclusive ranges of u32 addresses, sorted and merged.
fn merge(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if u64::from(a) <= u64::from(last.1) + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn ranges_contain(ranges: &[(u32, u32)], ip: u32) -> bool {
    // Ranges are sorted and disjoint: the candidate is the last one starting at or before `ip`.
    let idx = ranges.partition_point(|(a, _)| *a <= ip);
    idx > 0 && ranges[idx - 1].1 >= ip
}

/// A checked scan scope: what may receive packets and what never may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    targets: Vec<TargetSpec>,
    exclusions: Vec<TargetSpec>,
    target_ranges: Vec<(u32, u32)>,
    excluded_ranges: Vec<(u32, u32)>,
    len: u64,
}

impl Scope {
    /// Builds a scope from target and exclusion texts, refusing an absent, empty, fully excluded
    /// or (unless `force`) larger-than-`max_hosts` scope.
    pub fn parse<S: AsRef<str>>(
        targets: &[S],
        exclusions: &[S],
        max_hosts: u64,
        force: bool,
    ) -> Result<Self, ScopeError> {
        if targets.is_empty() {
            return Err(ScopeError::NoTarget);
        }
        let read = |specs: &[S], role: &'static str| -> Result<Vec<TargetSpec>, ScopeError> {
            specs
                .iter()
                .flat_map(|s| s.as_ref().split(','))
                .map(|s| {
                    s.parse::<TargetSpec>()
                        .map_err(|reason| ScopeError::Invalid {
                            spec: s.trim().to_owned(),
                            role,
                            reason,
                        })
                })
                .collect()
        };
        let targets = read(targets, "target")?;
        let exclusions = read(exclusions, "exclusion")?;
        let target_ranges = merge(
            targets
                .iter()
                .map(|t| (u32::from(t.first), u32::from(t.last)))
                .collect(),
        );
        let excluded_ranges = merge(
            exclusions
                .iter()
                .map(|t| (u32::from(t.first), u32::from(t.last)))
                .collect(),
        );
        let total: u64 = target_ranges
            .iter()
            .map(|(a, b)| u64::from(b - a) + 1)
            .sum();
        if total == 0 {
            return Err(ScopeError::Empty);
        }
        let mut len = total;
        for &(ea, eb) in &excluded_ranges {
            for &(ta, tb) in &target_ranges {
                let (a, b) = (ea.max(ta), eb.min(tb));
                if a <= b {
                    len -= u64::from(b - a) + 1;
                }
            }
        }
        if len == 0 {
            return Err(ScopeError::AllExcluded { targets: total });
        }
        if len > max_hosts && !force {
            return Err(ScopeError::TooLarge {
                hosts: len,
                max: max_hosts,
            });
        }
        Ok(Self {
            targets,
            exclusions,
            target_ranges,
            excluded_ranges,
            len,
        })
    }

    /// Number of addresses that may be probed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Never true: an empty scope is refused when it is built.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when `ip` is excluded: it must never receive a packet.
    pub fn is_excluded(&self, ip: Ipv4Addr) -> bool {
        ranges_contain(&self.excluded_ranges, u32::from(ip))
    }

    /// True when `ip` may receive probes: it is a target and not excluded.
    pub fn allows(&self, ip: Ipv4Addr) -> bool {
        let ip = u32::from(ip);
        ranges_contain(&self.target_ranges, ip) && !ranges_contain(&self.excluded_ranges, ip)
    }

    /// Every address that may be probed, in ascending order.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.target_ranges
            .iter()
            .flat_map(|&(a, b)| a..=b)
            .filter(|ip| !ranges_contain(&self.excluded_ranges, *ip))
            .map(Ipv4Addr::from)
    }

    /// The targets as given.
    pub fn targets(&self) -> &[TargetSpec] {
        &self.targets
    }

    /// The exclusions as given.
    pub fn exclusions(&self) -> &[TargetSpec] {
        &self.exclusions
    }

    /// The scope in the report's form.
    pub fn to_model(&self) -> daicho_model::Scope {
        daicho_model::Scope {
            targets: self.targets.iter().map(ToString::to_string).collect(),
            exclude: self.exclusions.iter().map(ToString::to_string).collect(),
            ports: None,
        }
    }
}

#[cfg(test)]
mod tests;
