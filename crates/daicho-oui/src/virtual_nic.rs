//! Virtualisation and container platforms' MAC prefixes (`data/virtual-prefixes.tsv`): a MAC
//! under one of them belongs to a virtual machine's (or container's) NIC.

use std::sync::OnceLock;

use daicho_model::MacAddr;

/// The table, embedded at build time.
const VIRTUAL_TSV: &str = include_str!("../data/virtual-prefixes.tsv");

/// One platform prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualNic {
    /// The prefix's value (its top `bits` bits of the MAC).
    pub prefix: u64,
    /// The prefix length in bits (16 to 36).
    pub bits: u32,
    /// What a MAC under it is, e.g. "QEMU/KVM virtual machine".
    pub product: &'static str,
    /// The IEEE registrant of the prefix, or `None` for a locally administered prefix.
    pub registrant: Option<&'static str>,
    /// The platform documentation that says it uses the prefix.
    pub source: &'static str,
}

impl VirtualNic {
    /// True when `mac` lies under this prefix.
    pub fn covers(&self, mac: MacAddr) -> bool {
        mac.to_u64() >> (48 - self.bits) == self.prefix
    }
}

/// Every platform prefix, longest first (so the first that covers a MAC is the most specific).
pub fn virtual_nics() -> &'static [VirtualNic] {
    static TABLE: OnceLock<Vec<VirtualNic>> = OnceLock::new();
    TABLE.get_or_init(|| parse(VIRTUAL_TSV))
}

/// The platform prefix covering `mac`, if any.
pub fn virtual_nic(mac: MacAddr) -> Option<&'static VirtualNic> {
    virtual_nics().iter().find(|nic| nic.covers(mac))
}

/// Parses the table: `#` comments, a header line, then `prefix, product, registrant, source`.
/// The data is embedded and checked by the tests, so a malformed line is a build defect; it is
/// skipped rather than aborting a scan.
fn parse(text: &'static str) -> Vec<VirtualNic> {
    let mut out: Vec<VirtualNic> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("prefix\t") && !l.trim().is_empty())
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (prefix, product, registrant, source) =
                (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
            let value = u64::from_str_radix(prefix, 16).ok()?;
            let bits = u32::try_from(prefix.len() * 4).ok()?;
            (16..=36).contains(&bits).then_some(VirtualNic {
                prefix: value,
                bits,
                product,
                registrant: (registrant != "local").then_some(registrant),
                source,
            })
        })
        .collect();
    out.sort_by_key(|nic| std::cmp::Reverse(nic.bits));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Vendor, classify, is_randomized, lookup};

    fn mac(s: &str) -> MacAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_line_parses_and_is_sourced() {
        let lines = VIRTUAL_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("prefix\t") && !l.is_empty())
            .count();
        assert_eq!(virtual_nics().len(), lines);
        for nic in virtual_nics() {
            assert!(!nic.product.is_empty(), "{nic:?}");
            assert!(nic.source.len() > 20, "unsourced: {nic:?}");
        }
    }

    #[test]
    fn registrants_match_the_registry_and_local_prefixes_are_local() {
        // The table's claim about each prefix is checked against the IEEE registry it ships with:
        // a universally administered prefix must be registered to the platform's maker, a
        // "local" one must have the locally administered bit.
        for nic in virtual_nics() {
            let first = nic.prefix << (48 - nic.bits);
            let b = first.to_be_bytes();
            let at = MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]]);
            match nic.registrant {
                Some(registrant) => {
                    assert!(!at.is_locally_administered(), "{nic:?}");
                    assert_eq!(lookup(at), Some(registrant), "{nic:?}");
                }
                None => assert!(at.is_locally_administered(), "{nic:?}"),
            }
        }
    }

    #[test]
    fn kvm_is_a_virtual_machine_not_randomized() {
        let kvm = mac("52:54:00:12:34:56");
        assert!(kvm.is_locally_administered());
        assert_eq!(classify(kvm), Vendor::Virtual("QEMU/KVM virtual machine"));
        assert!(!is_randomized(kvm));
        assert_eq!(classify(kvm).name(), Some("QEMU/KVM virtual machine"));
    }

    #[test]
    fn each_platform_is_named() {
        for (m, product) in [
            ("00:16:3e:01:02:03", "Xen virtual machine"),
            ("08:00:27:aa:bb:cc", "VirtualBox virtual machine"),
            ("0a:00:27:00:00:00", "VirtualBox host-only adapter"),
            ("02:42:ac:11:00:02", "Docker container"),
            ("00:15:5d:01:02:03", "Hyper-V virtual machine"),
            ("00:50:56:3f:ff:ff", "VMware virtual machine"),
            ("00:0c:29:12:34:56", "VMware virtual machine"),
            ("bc:24:11:ab:cd:ef", "Proxmox VE virtual machine"),
            ("00:1c:42:00:00:08", "Parallels virtual machine"),
        ] {
            assert_eq!(classify(mac(m)), Vendor::Virtual(product), "{m}");
            assert!(!is_randomized(mac(m)), "{m}");
        }
    }

    #[test]
    fn a_neighbouring_local_prefix_is_still_randomized() {
        // Only the platforms' own prefixes are exempt: 52:54:01 and 02:43 are a phone's.
        for m in [
            "52:54:01:12:34:56",
            "02:43:ac:11:00:02",
            "0a:00:28:00:00:00",
        ] {
            assert_eq!(classify(mac(m)), Vendor::Randomized, "{m}");
            assert!(is_randomized(mac(m)), "{m}");
        }
    }
}
