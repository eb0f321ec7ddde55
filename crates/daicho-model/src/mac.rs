//! A 48-bit IEEE MAC address with the contract's text form (`aa:bb:cc:dd:ee:ff`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 48-bit MAC address. Displays and serialises as lower-case `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a MAC address (expected six hex octets such as aa:bb:cc:dd:ee:ff)")]
pub struct ParseMacError(pub String);

impl MacAddr {
    /// The all-zero address, which ARP uses for "unknown".
    pub const ZERO: Self = Self([0; 6]);
    /// The Ethernet broadcast address.
    pub const BROADCAST: Self = Self([0xff; 6]);

    /// The raw octets.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// True when the locally-administered bit is set: the address was not assigned by a vendor.
    /// Phones and laptops set it when they randomise their MAC per network.
    pub fn is_locally_administered(self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// True for group (multicast or broadcast) addresses, which never identify one device.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// The address as a 48-bit integer, handy for prefix lookups.
    pub fn to_u64(self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddr {
    type Err = ParseMacError;

    /// Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, Cisco's `aabb.ccdd.eeff` and bare
    /// `aabbccddeeff`, the forms operators paste from switch and Windows output.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseMacError(s.to_owned());
        let trimmed = s.trim();
        let hex: String = match trimmed.len() {
            17 => {
                let sep = trimmed.as_bytes()[2];
                if sep != b':' && sep != b'-' {
                    return Err(err());
                }
                let parts: Vec<&str> = trimmed.split(sep as char).collect();
                if parts.len() != 6 || parts.iter().any(|p| p.len() != 2) {
                    return Err(err());
                }
                parts.concat()
            }
            14 => {
                let parts: Vec<&str> = trimmed.split('.').collect();
                if parts.len() != 3 || parts.iter().any(|p| p.len() != 4) {
                    return Err(err());
                }
                parts.concat()
            }
            12 => trimmed.to_owned(),
            _ => return Err(err()),
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let mut octets = [0u8; 6];
        for (i, octet) in octets.iter_mut().enumerate() {
            *octet = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).map_err(|_| err())?;
        }
        Ok(Self(octets))
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MacAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms_to_one_canonical_text() {
        for form in [
            "AA:BB:CC:00:11:22",
            "aa-bb-cc-00-11-22",
            "aabb.cc00.1122",
            "AABBCC001122",
        ] {
            let mac: MacAddr = form.parse().unwrap();
            assert_eq!(mac.to_string(), "aa:bb:cc:00:11:22", "{form}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_mac() {
        for bad in [
            "",
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:gg",
            "aa:bb-cc:dd:ee:ff",
            "aabb.ccdd.eef",
            "a:bb:cc:dd:ee:fff",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn locally_administered_bit() {
        assert!(
            "da:a1:19:00:00:01"
                .parse::<MacAddr>()
                .unwrap()
                .is_locally_administered()
        );
        assert!(
            !"00:1b:21:00:00:01"
                .parse::<MacAddr>()
                .unwrap()
                .is_locally_administered()
        );
        assert!(MacAddr::BROADCAST.is_multicast());
    }
}
