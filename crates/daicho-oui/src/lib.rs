//! IEEE MAC address registrant ("vendor") lookup.
//!
//! The registry ships inside the binary: `data/ieee-prefixes.tsv`, generated from npm's
//! `oui-data` package (BSD-2-Clause, `data/LICENSE-oui-data.txt`) plus the closed IAB list of
//! Debian's `ieee-data` by `data/generate.py` (see that script for the format and how to
//! regenerate it). It holds the 24-bit MA-L, 28-bit MA-M and 36-bit MA-S/IAB assignments; a
//! lookup returns the registrant of the longest assigned prefix that matches. Its header's date
//! and source are read at run time ([`registry_date`], [`registry_source`]).
//!
//! Virtualisation and container platforms' prefixes (`data/virtual-prefixes.tsv`, see
//! [`virtual_nic`]) name a virtual machine's NIC: [`classify`] reports them as
//! [`Vendor::Virtual`], even where the prefix is locally administered (QEMU/KVM's `52:54:00`).
//! Other locally administered (randomised) addresses have no registrant by definition:
//! [`classify`] reports them as [`Vendor::Randomized`], a category of its own, never as an
//! unknown vendor. [`is_randomized`] is the one rule for "this MAC is randomized".

use std::sync::{OnceLock, PoisonError, RwLock};

use daicho_model::MacAddr;

mod virtual_nic;

pub use virtual_nic::{VirtualNic, virtual_nic, virtual_nics};

/// The generated registry, embedded at build time.
const REGISTRY_TSV: &str = include_str!("../data/ieee-prefixes.tsv");

/// What the registry says about a MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// The registrant of the longest matching IEEE assignment.
    Registered(&'static str),
    /// A virtualisation or container platform's prefix: a virtual machine's NIC, named by the
    /// platform's product (e.g. "QEMU/KVM virtual machine"). Never randomized.
    Virtual(&'static str),
    /// The locally administered bit is set: the address was chosen by the device (MAC
    /// randomisation) or an administrator, so no vendor can be known from it.
    Randomized,
    /// A universally administered address whose prefix is not in the embedded registry
    /// (assigned after the registry date, or never assigned).
    Unknown,
}

impl Vendor {
    /// The registrant's name (the product's, for a virtual NIC), when there is one.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Self::Registered(name) | Self::Virtual(name) => Some(name),
            Self::Randomized | Self::Unknown => None,
        }
    }
}

/// The parsed registry: one sorted table per prefix length, searched longest first.
struct Registry {
    /// The `registry-date:` stamp of the data file.
    date: &'static str,
    /// The `source:` line of the data file.
    source: &'static str,
    /// (prefix length in bits, entries sorted by prefix value).
    tables: Vec<(u32, Vec<(u64, &'static str)>)>,
    /// The first line that is neither blank, a comment nor an assignment (1-based number and
    /// text): skipped, and the reason a bundle's registry is refused.
    first_malformed: Option<(usize, &'static str)>,
}

/// The registry installed from a data bundle ([`install_registry`]), when there is one.
static INSTALLED: RwLock<Option<&'static Registry>> = RwLock::new(None);

/// The registry in use: an installed one, else the embedded one.
fn registry() -> &'static Registry {
    static EMBEDDED: OnceLock<Registry> = OnceLock::new();
    if let Some(installed) = *INSTALLED.read().unwrap_or_else(PoisonError::into_inner) {
        return installed;
    }
    EMBEDDED.get_or_init(|| parse_registry(REGISTRY_TSV))
}

/// Why a registry from a data bundle was refused (the one in use is kept).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A line that is neither a comment nor `PREFIX<TAB>NAME` with a 6, 7 or 9 hex digit prefix.
    #[error("IEEE registry line {line}: `{text}` is not PREFIX<TAB>NAME (6, 7 or 9 hex digits)")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The line, cut to 80 characters.
        text: String,
    },
    /// Fewer assignments than any real registry holds: not the file it claims to be.
    #[error("the IEEE registry holds {0} assignments; a real registry holds tens of thousands")]
    TooSmall(usize),
    /// No `registry-date:` header.
    #[error("the IEEE registry has no `# registry-date:` line")]
    Undated,
}

/// The fewest assignments a registry may hold to be installed (the IEEE's MA-L alone held
/// over 30,000 in 2022).
const MIN_INSTALLED_ENTRIES: usize = 10_000;

/// Replaces the registry in use, for the rest of the process, by `text` (the format of
/// `data/ieee-prefixes.tsv`, from a data bundle), after a strict check: every line well formed,
/// dated, and of a real registry's size. An installed registry stays in memory until the
/// process ends (installs are rare: at start-up and per `data import`).
pub fn install_registry(text: String) -> Result<(), RegistryError> {
    let text: &'static str = Box::leak(text.into_boxed_str());
    let parsed = parse_registry(text);
    if let Some((line, text)) = parsed.first_malformed {
        return Err(RegistryError::Malformed {
            line,
            text: text.chars().take(80).collect(),
        });
    }
    if parsed.date == "unknown" {
        return Err(RegistryError::Undated);
    }
    let entries = parsed.tables.iter().map(|(_, t)| t.len()).sum::<usize>();
    if entries < MIN_INSTALLED_ENTRIES {
        return Err(RegistryError::TooSmall(entries));
    }
    *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(Box::leak(Box::new(parsed)));
    Ok(())
}

/// Parses the TSV format written by `data/generate.py`. The embedded data is checked by the
/// tests, so a malformed line there is a build defect: it is skipped (and noted in
/// `first_malformed`) rather than aborting a scan.
fn parse_registry(text: &'static str) -> Registry {
    let mut date = "unknown";
    let mut source = "unknown";
    let mut first_malformed = None;
    let mut tables: Vec<(u32, Vec<(u64, &'static str)>)> =
        vec![(36, vec![]), (28, vec![]), (24, vec![])];
    for (i, line) in text.lines().enumerate() {
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim();
            if let Some(stamp) = comment.strip_prefix("registry-date:") {
                date = stamp.trim();
            } else if let Some(from) = comment.strip_prefix("source:") {
                source = from.trim();
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        match assignment(line) {
            Some((bits, value, name)) => {
                if let Some((_, table)) = tables.iter_mut().find(|(b, _)| *b == bits) {
                    table.push((value, name));
                }
            }
            None => {
                first_malformed.get_or_insert((i + 1, line));
            }
        }
    }
    for (_, table) in &mut tables {
        table.sort_unstable_by_key(|(value, _)| *value);
    }
    Registry {
        date,
        source,
        tables,
        first_malformed,
    }
}

/// One assignment line, `PREFIX<TAB>NAME` with a 6, 7 or 9 hex digit prefix and a name: its
/// prefix length in bits, prefix value and registrant.
fn assignment(line: &'static str) -> Option<(u32, u64, &'static str)> {
    let (prefix, name) = line.split_once('\t')?;
    if !matches!(prefix.len(), 6 | 7 | 9)
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
        || name.trim().is_empty()
    {
        return None;
    }
    let value = u64::from_str_radix(prefix, 16).ok()?;
    Some(((prefix.len() * 4) as u32, value, name))
}

/// The registrant of the longest IEEE assignment covering `mac`, ignoring the
/// locally-administered bit. Most callers want [`classify`] instead.
pub fn lookup(mac: MacAddr) -> Option<&'static str> {
    let value = mac.to_u64();
    registry().tables.iter().find_map(|(bits, table)| {
        let key = value >> (48 - bits);
        table
            .binary_search_by_key(&key, |(prefix, _)| *prefix)
            .ok()
            .map(|i| table[i].1)
    })
}

/// Classifies `mac`: a virtual machine's NIC (a known platform prefix, checked first because
/// some are locally administered), randomised (any other locally administered address),
/// registered to a vendor, or unknown.
pub fn classify(mac: MacAddr) -> Vendor {
    if let Some(nic) = virtual_nic(mac) {
        return Vendor::Virtual(nic.product);
    }
    if mac.is_locally_administered() {
        return Vendor::Randomized;
    }
    lookup(mac).map_or(Vendor::Unknown, Vendor::Registered)
}

/// True when `mac` is randomized: locally administered and not a virtualisation platform's
/// prefix. The one rule behind `mac_randomized` and the `randomized_mac` flag.
pub fn is_randomized(mac: MacAddr) -> bool {
    classify(mac) == Vendor::Randomized
}

/// The date of the IEEE registry in use (`YYYY-MM-DD`): the embedded one's, or an installed
/// bundle's.
pub fn registry_date() -> &'static str {
    registry().date
}

/// Where the registry in use was generated from (package, version, licence), as its header
/// states.
pub fn registry_source() -> &'static str {
    registry().source
}

/// How many assignments the registry in use holds.
pub fn registry_len() -> usize {
    registry().tables.iter().map(|(_, t)| t.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> MacAddr {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_registry_is_complete_and_dated() {
        // Every data line must parse: count them independently of the parser.
        let lines = REGISTRY_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        assert_eq!(registry_len(), lines);
        assert!(
            registry_len() > 40_000,
            "registry too small: {}",
            registry_len()
        );
        // The registry is the generator's output: dated, sourced, newer than Debian's 2022 one.
        let date = registry_date();
        assert!(
            date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
            "registry-date {date:?}"
        );
        assert!(date > "2022-08-27", "registry-date {date}");
        assert!(
            registry_source().starts_with("npm oui-data "),
            "{}",
            registry_source()
        );
        assert!(registry_source().contains("BSD-2-Clause"));
        let stated: usize = REGISTRY_TSV
            .lines()
            .find_map(|l| l.strip_prefix("# entries: "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("an entries line");
        assert_eq!(registry_len(), stated);
        for (bits, table) in &registry().tables {
            assert!(!table.is_empty(), "no {bits}-bit assignments");
        }
    }

    #[test]
    fn blocks_assigned_after_2022_resolve() {
        // Absent from Debian's ieee-data of 2022-08-27, present in oui-data 2.1.9: a medical
        // maker's MA-L (Mindray, patient monitors), a Japanese router maker's MA-L, Proxmox's
        // MA-L (2023), a Japanese medical maker's MA-M and a Japanese clinical-analyser
        // maker's MA-S.
        for (m, vendor) in [
            ("38:0b:26:12:34:56", "Mindray Co., Ltd."),
            ("f4:d5:80:01:02:03", "YAMAHA CORPORATION"),
            ("1c:7c:98:00:00:01", "NEC Platforms, Ltd."),
            ("54:08:3b:40:00:01", "Toray Medical Company Limited"),
            ("8c:1f:64:cb:70:01", "ARKRAY,Inc.Kyoto Laboratory"),
        ] {
            assert_eq!(classify(mac(m)), Vendor::Registered(vendor), "{m}");
        }
        assert_eq!(
            lookup(mac("bc:24:11:00:00:01")),
            Some("Proxmox Server Solutions GmbH")
        );
    }

    #[test]
    fn iab_blocks_are_kept() {
        // oui-data carries no IAB rows; the closed IAB registry comes from Debian's ieee-data.
        assert_eq!(
            lookup(mac("00:50:c2:b7:30:01")),
            Some("ARKRAY, Inc. Kyoto Laboratory")
        );
        assert_eq!(lookup(mac("40:d8:55:0f:f0:01")), Some("YUYAMA MFG Co.,Ltd"));
    }

    #[test]
    fn ma_l_lookup() {
        assert_eq!(lookup(mac("00:00:00:12:34:56")), Some("XEROX CORPORATION"));
        assert_eq!(
            classify(mac("00:d0:ef:01:02:03")),
            Vendor::Registered("IGT")
        );
    }

    #[test]
    fn longest_prefix_wins() {
        // 70:B3:D5 is an MA-L held by the IEEE registration authority and sub-assigned as MA-S.
        let block = lookup(mac("70:b3:d5:00:00:00"));
        let small = lookup(mac("70:b3:d5:f2:f0:01"));
        assert_eq!(small, Some("TELEPLATFORMS"));
        assert_ne!(block, small);
        // A 28-bit MA-M beats its covering 24-bit block.
        assert_eq!(lookup(mac("20:85:93:b0:00:01")), Some("IOG Products LLC"));
    }

    #[test]
    fn randomized_is_its_own_category() {
        // 02:00:00 would be "unknown" if looked up; the local bit must win.
        assert_eq!(classify(mac("02:00:00:11:22:33")), Vendor::Randomized);
        assert_eq!(classify(mac("da:a1:19:00:00:01")), Vendor::Randomized);
        assert_eq!(Vendor::Randomized.name(), None);
    }

    #[test]
    fn unassigned_prefix_is_unknown() {
        // Search for an unassigned universal prefix rather than hard-code one.
        let free = (0u64..0x00ff_ffff)
            .map(|p| p << 24)
            .map(|v| {
                let b = v.to_be_bytes();
                MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]])
            })
            .find(|m| !m.is_locally_administered() && !m.is_multicast() && lookup(*m).is_none())
            .expect("some prefix is unassigned");
        assert_eq!(classify(free), Vendor::Unknown);
    }
}
