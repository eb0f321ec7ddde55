//! Version numbers as appliance vendors write them: `6.0.4` (FortiOS), `10.2.9-h1` (PAN-OS
//! hotfix), `13.1-49.15` (NetScaler release-build), `22.7R2.4` (Ivanti), `9.12(4)` (Cisco ASA),
//! `7.0.1-5035` (SonicOS), `10.0.17763` (Windows).

use std::cmp::Ordering;

/// A version split into its numeric components, in order; trailing text such as build tags is
/// ignored.
#[derive(Debug, Clone)]
pub struct DottedVersion(Vec<u64>);

/// True for the separators vendors put between numbers of one version: `.`, `-` (NetScaler
/// build, SonicOS build), `(` `)` (Cisco interim), `R` (Ivanti release) and `h` (PAN-OS hotfix).
fn is_separator(c: char) -> bool {
    matches!(c, '.' | '-' | '(' | ')' | 'R' | 'h')
}

impl DottedVersion {
    /// Parses the leading version of `text`: numbers joined by separators. It stops at the first
    /// character that is neither, or at a separator run not followed by a digit (`6.0.4build0231`
    /// is 6.0.4, `v7.2.4,build1396` is 7.2.4, `5.9.2.14-12o` is 5.9.2.14.12); `None` when it does
    /// not start with a digit.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = Vec::new();
        let mut rest = text;
        loop {
            let digits_len = rest.chars().take_while(char::is_ascii_digit).count();
            if digits_len == 0 {
                break;
            }
            parts.push(rest[..digits_len].parse().ok()?);
            rest = &rest[digits_len..];
            let sep_len = rest.chars().take_while(|c| is_separator(*c)).count();
            let after = &rest[sep_len..];
            if sep_len == 0 || sep_len > 2 || !after.starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
            rest = after;
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
    /// Missing components count as zero, so `6.0` equals `6.0.0` and `10.2.9` is below
    /// `10.2.9-h1`.
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
    fn vendor_notations_split_into_numbers() {
        assert_eq!(v("10.2.9-h1").parts(), &[10, 2, 9, 1]);
        assert!(v("10.2.9") < v("10.2.9-h1"));
        assert!(v("10.2.8-h3") < v("10.2.9"));
        assert_eq!(v("13.1-49.15").parts(), &[13, 1, 49, 15]);
        assert!(v("13.1-49.13") < v("13.1-49.15"));
        assert_eq!(v("22.7R2.4").parts(), &[22, 7, 2, 4]);
        assert!(v("22.7R2") < v("22.7R2.5"));
        assert_eq!(v("9.12(4)").parts(), &[9, 12, 4]);
        assert_eq!(v("9.16(3)19").parts(), &[9, 16, 3, 19]);
        assert_eq!(v("5.9.2.14-12o").parts(), &[5, 9, 2, 14, 12]);
        assert_eq!(v("7.0.1-5035").parts(), &[7, 0, 1, 5035]);
        // A word after a separator ends the version.
        assert_eq!(v("1.2.3-ubuntu").parts(), &[1, 2, 3]);
        assert_eq!(v("14.01.42 (Fri Jan 13 2023)").parts(), &[14, 1, 42]);
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

    #[test]
    fn odd_text_never_panics() {
        for s in [
            "",
            "-",
            "1-",
            "1--2",
            "1..2",
            "R1",
            "1R",
            "99999999999999999999999",
            "1.\u{3042}",
            "1(",
            "1)h2",
        ] {
            let _ = DottedVersion::parse(s);
        }
        assert!(DottedVersion::parse("99999999999999999999999").is_none());
        assert_eq!(v("1--2").parts(), &[1, 2]);
    }
}
