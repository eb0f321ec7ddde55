//! Dotted version numbers as appliance vendors write them (`6.0.4`, `7.2.10`, `10.0.17763`).

use std::cmp::Ordering;

/// A version split into numeric components; trailing text such as build tags is ignored.
#[derive(Debug, Clone)]
pub struct DottedVersion(Vec<u64>);

impl DottedVersion {
    /// Parses the leading `N(.N)*` of `text`; `None` when it does not start with a digit.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = Vec::new();
        for piece in text.split('.') {
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != piece.len() {
                break; // `4build123`: the number ends where the letters start
            }
        }
        (!parts.is_empty()).then_some(Self(parts))
    }

    /// The numeric components.
    pub fn parts(&self) -> &[u64] {
        &self.0
    }
}

impl PartialEq for DottedVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for DottedVersion {}

impl PartialOrd for DottedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DottedVersion {
    /// Missing components count as zero, so `6.0` equals `6.0.0`.
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// True when `version` belongs to release cycle `cycle`: equal to it, or extending it by a
/// further component (`6.0.4` is in cycle `6.0`; `22.04.3` in `22.04`; `6.04` is not in `6.0`).
pub fn in_cycle(version: &str, cycle: &str) -> bool {
    let version = version.trim();
    version == cycle
        || version
            .strip_prefix(cycle)
            .is_some_and(|rest| rest.starts_with(['.', '-', ' ', '(']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> DottedVersion {
        DottedVersion::parse(s).unwrap()
    }

    #[test]
    fn orders_numerically_not_lexically() {
        assert!(v("6.0.10") > v("6.0.4"));
        assert!(v("5.4.12") < v("5.6.3"));
        assert_eq!(v("6.0"), v("6.0.0"));
        assert_eq!(v("v7.2.4,build1396"), v("7.2.4"));
        assert_eq!(v("6.0.4build0231").parts(), &[6, 0, 4]);
        assert!(DottedVersion::parse("build").is_none());
    }

    #[test]
    fn cycle_membership() {
        assert!(in_cycle("6.0.4", "6.0"));
        assert!(in_cycle("22.04", "22.04"));
        assert!(in_cycle("22.04.3", "22.04"));
        assert!(!in_cycle("6.04", "6.0"));
        assert!(!in_cycle("16.04", "6.0"));
        assert!(!in_cycle("12", "1"));
    }
}
