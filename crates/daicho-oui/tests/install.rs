//! A registry from a data bundle replaces the embedded one for the process, after a strict
//! check; a malformed, undated or tiny one is refused and the one in use kept.

use daicho_model::MacAddr;

const EMBEDDED: &str = include_str!("../data/ieee-prefixes.tsv");

fn mac(s: &str) -> MacAddr {
    s.parse().unwrap()
}

#[test]
fn an_installed_registry_is_used_and_a_bad_one_refused() {
    let xerox = mac("00:00:00:12:34:56");
    assert_eq!(daicho_oui::lookup(xerox), Some("XEROX CORPORATION"));
    let embedded_date = daicho_oui::registry_date().to_owned();

    // Refused: nothing changes.
    let malformed = format!("{EMBEDDED}\nZZZZZZ\tNot hex\n");
    let e = daicho_oui::install_registry(malformed).unwrap_err();
    assert!(e.to_string().contains("ZZZZZZ"), "{e}");
    let tiny = "# registry-date: 2027-01-01\n000000\tX\n".to_owned();
    assert!(matches!(
        daicho_oui::install_registry(tiny),
        Err(daicho_oui::RegistryError::TooSmall(1))
    ));
    let undated = EMBEDDED
        .lines()
        .filter(|l| !l.contains("registry-date"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(matches!(
        daicho_oui::install_registry(undated),
        Err(daicho_oui::RegistryError::Undated)
    ));
    assert_eq!(daicho_oui::lookup(xerox), Some("XEROX CORPORATION"));
    assert_eq!(daicho_oui::registry_date(), embedded_date);

    // A newer registry in which the block changed hands.
    let newer = EMBEDDED
        .replacen(
            &format!("# registry-date: {embedded_date}"),
            "# registry-date: 2027-01-15",
            1,
        )
        .replacen(
            "000000\tXEROX CORPORATION",
            "000000\tXEROX HOLDINGS CORPORATION",
            1,
        );
    daicho_oui::install_registry(newer).unwrap();
    assert_eq!(
        daicho_oui::lookup(xerox),
        Some("XEROX HOLDINGS CORPORATION")
    );
    assert_eq!(daicho_oui::registry_date(), "2027-01-15");
    assert_eq!(
        daicho_oui::classify(xerox),
        daicho_oui::Vendor::Registered("XEROX HOLDINGS CORPORATION")
    );
}
