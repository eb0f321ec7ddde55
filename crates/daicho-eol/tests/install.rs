//! EOL dates and the known-exploited list from a data bundle replace the shipped ones for the
//! process; a list or table that does not parse is refused and the one in use kept.

const EOL: &str = include_str!("../data/eol.tsv");
const EXPLOITED: &str = include_str!("../data/known-exploited.tsv");

#[test]
fn an_installed_eol_table_is_used_and_a_broken_one_refused() {
    let shipped = daicho_eol::snapshot_date();
    assert!(daicho_eol::install_eol("snapshot\tnot-a-date\n".into()).is_err());
    assert_eq!(daicho_eol::snapshot_date(), shipped);

    let newer = EOL.replacen(&format!("snapshot\t{shipped}"), "snapshot\t2027-02-01", 1);
    daicho_eol::install_eol(newer).unwrap();
    assert_eq!(daicho_eol::snapshot_date().to_string(), "2027-02-01");
}

#[test]
fn an_installed_known_exploited_list_is_used_and_an_undated_one_refused() {
    let hit = || daicho_eol::exploited::known_exploited("fortios", "6.0.4").len();
    assert!(hit() > 0, "the shipped list flags FortiOS 6.0.4");
    let header: String = EXPLOITED
        .lines()
        .take_while(|l| l.starts_with('#') || l.starts_with("product\t"))
        .map(|l| format!("{l}\n"))
        .fold(String::new(), |acc, l| acc + &l);
    let undated = header.replace("# date:", "# reviewed:");
    assert!(daicho_eol::exploited::install_known_exploited(undated).is_err());
    assert!(hit() > 0);

    // A (fictitious) later list that withdrew every FortiOS row: the collector follows it.
    let withdrawn = header.replacen("# date: ", "# date: 2027-02-01 was ", 1);
    daicho_eol::exploited::install_known_exploited(withdrawn).unwrap();
    assert_eq!(hit(), 0);
    assert_eq!(
        daicho_eol::exploited::list_date()
            .map(|d| d.to_string())
            .as_deref(),
        Some("2027-02-01")
    );
}
