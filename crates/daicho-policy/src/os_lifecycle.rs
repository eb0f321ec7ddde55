//! Which end-of-life release an OS guess is, and what its support looks like.

use chrono::NaiveDate;
use daicho_eol::{Release, SupportStatus, eol_db, product_for_os};
use daicho_model::{OsFamily, OsGuess};

/// The lifecycle facts for one OS guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsLifecycle {
    /// The releases the guess could be (several when a Windows build is shared by editions).
    pub releases: Vec<&'static Release>,
    /// The combined support status on the day asked.
    pub status: SupportStatus,
}

/// Looks up the end-of-life data for `os` on `day`. `None` when the OS or its version is not
/// known well enough to say, or when the editions it could be disagree about support.
pub fn lifecycle(os: &OsGuess, day: NaiveDate) -> Option<OsLifecycle> {
    let releases = candidates(os);
    if releases.is_empty() {
        return None;
    }
    let statuses: Vec<SupportStatus> = releases.iter().map(|r| r.status_on(day)).collect();
    let is_supported = |s: &SupportStatus| matches!(s, SupportStatus::Supported { .. });
    let supported = statuses.iter().filter(|s| is_supported(s)).count();
    // With several candidate editions, claim only what all of them agree on: one supported
    // edition means the device may well be fine, and a false alarm erodes trust in the ledger.
    if supported > 0 && supported < statuses.len() {
        return None;
    }
    let status = statuses
        .iter()
        .find(|s| matches!(s, SupportStatus::ExtendedOnly { .. }))
        .copied()
        .unwrap_or(statuses[0]);
    Some(OsLifecycle { releases, status })
}

/// The releases an OS guess may be.
fn candidates(os: &OsGuess) -> Vec<&'static Release> {
    let db = eol_db();
    let name = os.name.as_deref().unwrap_or("").to_lowercase();
    let version = os.version.as_deref().unwrap_or("").trim();
    let one = |product: &str, v: &str| db.find(product, v).into_iter().collect::<Vec<_>>();

    if name.contains("windows") || os.family == OsFamily::Windows {
        return windows_candidates(&name, version);
    }
    if version.is_empty() {
        return Vec::new();
    }
    if let Some(product) = product_for_os(&name) {
        return one(product, version);
    }
    match os.family {
        OsFamily::Ios => one("ios", version),
        OsFamily::Android => one("android", version),
        OsFamily::Macos => one("macos", version),
        _ => Vec::new(),
    }
}

fn windows_candidates(name: &str, version: &str) -> Vec<&'static Release> {
    let db = eol_db();
    let server = name.contains("server");
    // A product year in the name ("Windows Server 2012 R2") is the release cycle itself.
    if server {
        let year = ["2025", "2022", "2019", "2016", "2012", "2008", "2003"]
            .into_iter()
            .find(|y| name.contains(y));
        if let Some(year) = year {
            let r2 = name.contains(" r2");
            let best = db
                .releases("windows-server")
                .filter(|r| {
                    r.cycle.starts_with(year)
                        && r.cycle.contains("-r2") == r2
                        && !r.cycle.contains("sac")
                })
                .max_by_key(|r| r.cycle.len());
            if let Some(r) = best {
                return vec![r];
            }
        }
    }
    // An NT version (from NTLM or SMB): every release with that build, narrowed by server/client.
    let nt: Vec<u32> = version.split('.').map_while(|p| p.parse().ok()).collect();
    if let [major, minor, build, ..] = nt[..] {
        return db
            .windows_by_build(major as u8, minor as u8, build)
            .into_iter()
            .filter(|r| (r.product == "windows-server") == server)
            // Semi-Annual/Annual Channel servers were Server Core only and rare in hospitals; a
            // build alone must not make every Server 2019 look as ended as 1809 SAC.
            .filter(|r| {
                !(r.cycle.ends_with("-sac") || r.cycle.ends_with("-ac")) || name.contains("annual")
            })
            .filter(|r| r.product != "windows" || edition_matches(name, &r.cycle))
            .collect();
    }
    // Old client names as SMB or IIS banners give them.
    let by_name = [
        ("xp", "5-sp3"),
        ("vista", "6-sp2"),
        ("windows 7", "7-sp1"),
        ("windows 8.1", "8.1"),
        ("windows 8", "8"),
    ];
    by_name
        .iter()
        .find(|(needle, _)| name.contains(needle))
        .and_then(|(_, cycle)| db.releases("windows").find(|r| r.cycle == *cycle))
        .into_iter()
        .collect()
}

/// Whether a client release row (`10-21h2-e-lts`, `11-24h2-w`, `10-22h2`) can be the edition a
/// lower-case product name states, as a PC's own inventory gives it (`windows 10 enterprise ltsc
/// 2021`): LTSC/LTSB only long-term rows (IoT only IoT's), Enterprise/Education only `-e` rows,
/// Home/Pro only `-w` rows. A name that states no edition, and a row for every edition, match.
fn edition_matches(name: &str, cycle: &str) -> bool {
    let row = if cycle.ends_with("-iot-lts") {
        "iot-lts"
    } else if cycle.ends_with("-e-lts") {
        "lts"
    } else if cycle.ends_with("-e") {
        "enterprise"
    } else if cycle.ends_with("-w") {
        "home-pro"
    } else {
        return true;
    };
    let stated = if name.contains("ltsc") || name.contains("ltsb") {
        if name.contains("iot") {
            "iot-lts"
        } else {
            "lts"
        }
    } else if name.contains("enterprise") || name.contains("education") {
        "enterprise"
    } else if name.contains("home") || name.contains(" pro") {
        "home-pro"
    } else {
        return true;
    };
    row == stated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: OsFamily, name: &str, version: &str) -> OsGuess {
        OsGuess {
            family,
            name: Some(name.into()),
            version: (!version.is_empty()).then(|| version.into()),
            confidence: 0.9,
            evidence: vec![],
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn fortios_6_0_4_has_no_support() {
        let l = lifecycle(&os(OsFamily::Network, "FortiOS", "6.0.4"), day()).unwrap();
        assert!(matches!(l.status, SupportStatus::Unsupported { .. }));
    }

    #[test]
    fn windows_server_by_name_and_by_build() {
        let l = lifecycle(&os(OsFamily::Windows, "Windows Server 2012 R2", ""), day()).unwrap();
        assert_eq!(l.releases[0].cycle, "2012-r2");
        assert!(matches!(l.status, SupportStatus::Unsupported { .. }));
        let l = lifecycle(
            &os(OsFamily::Windows, "Windows Server", "10.0.17763"),
            day(),
        )
        .unwrap();
        assert_eq!(l.releases[0].cycle, "2019");
        assert!(matches!(l.status, SupportStatus::Supported { .. }));
    }

    #[test]
    fn windows_10_22h2_is_paid_extended_support_only() {
        let l = lifecycle(&os(OsFamily::Windows, "Windows 10", "10.0.19045"), day()).unwrap();
        assert!(
            matches!(l.status, SupportStatus::ExtendedOnly { .. }),
            "{l:?}"
        );
    }

    #[test]
    fn ambiguous_editions_claim_nothing() {
        // 10.0.17763 client: 1809 Home/Pro ended, but LTSC 2019 runs to 2029.
        assert_eq!(
            lifecycle(&os(OsFamily::Windows, "Windows", "10.0.17763"), day()),
            None
        );
    }

    #[test]
    fn an_edition_in_the_name_picks_its_rows() {
        // 10.0.17763 is 1809 Home/Pro (ended), 1809 Enterprise (ended) and LTSC 2019 (to 2029).
        let ltsc = lifecycle(
            &os(
                OsFamily::Windows,
                "Windows 10 Enterprise LTSC 2019",
                "10.0.17763.7792",
            ),
            day(),
        )
        .unwrap();
        assert_eq!(ltsc.releases.len(), 1);
        assert_eq!(ltsc.releases[0].cycle, "10-1809-e-lts");
        assert!(matches!(ltsc.status, SupportStatus::Supported { .. }));
        let pro = lifecycle(
            &os(OsFamily::Windows, "Windows 10 Pro", "10.0.17763.7792"),
            day(),
        )
        .unwrap();
        assert_eq!(pro.releases[0].cycle, "10-1809-w");
        assert!(matches!(pro.status, SupportStatus::Unsupported { .. }));
        // 22H2 is one row for every edition.
        let w10 = lifecycle(
            &os(OsFamily::Windows, "Windows 10 Pro", "10.0.19045.4894"),
            day(),
        )
        .unwrap();
        assert_eq!(w10.releases[0].cycle, "10-22h2");
        assert!(matches!(w10.status, SupportStatus::ExtendedOnly { .. }));
        // Windows 11 23H2: Enterprise supported until 2026-11-10, Home/Pro ended 2025-11-11.
        let day_before = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let ent = lifecycle(
            &os(
                OsFamily::Windows,
                "Windows 11 Enterprise",
                "10.0.22631.5909",
            ),
            day_before,
        )
        .unwrap();
        assert!(matches!(ent.status, SupportStatus::Supported { .. }));
        let home = lifecycle(
            &os(OsFamily::Windows, "Windows 11 Home", "10.0.22631.5909"),
            day_before,
        )
        .unwrap();
        assert!(matches!(home.status, SupportStatus::Unsupported { .. }));
    }

    #[test]
    fn old_windows_by_name() {
        let l = lifecycle(
            &os(
                OsFamily::Windows,
                "Windows 7 Professional 7601 Service Pack 1",
                "",
            ),
            day(),
        )
        .unwrap();
        assert_eq!(l.releases[0].cycle, "7-sp1");
        assert!(matches!(l.status, SupportStatus::Unsupported { .. }));
    }

    #[test]
    fn linux_distributions() {
        assert!(matches!(
            lifecycle(&os(OsFamily::Linux, "Ubuntu", "16.04"), day())
                .unwrap()
                .status,
            SupportStatus::ExtendedOnly { .. } | SupportStatus::Unsupported { .. }
        ));
        assert!(matches!(
            lifecycle(&os(OsFamily::Linux, "Ubuntu", "24.04"), day())
                .unwrap()
                .status,
            SupportStatus::Supported { .. }
        ));
        assert!(matches!(
            lifecycle(&os(OsFamily::Linux, "CentOS", "7"), day())
                .unwrap()
                .status,
            SupportStatus::Unsupported { .. }
        ));
        assert_eq!(
            lifecycle(&os(OsFamily::Linux, "Linux", "5.10"), day()),
            None
        );
        assert_eq!(lifecycle(&os(OsFamily::Linux, "Debian", ""), day()), None);
    }
}
