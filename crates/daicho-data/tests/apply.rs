//! A bundle's rule sets are put into use like its registry: a medical maker added by a bundle
//! puts that maker's devices in safe mode; a set that does not parse is refused by name and
//! what was in use stays.

use chrono::{NaiveDate, Utc};
use daicho_bundle::{DataSet, DataSetName, Manifest};
use daicho_fingerprint::os::OsTables;

const MEDICAL: &str = include_str!("../../daicho-fingerprint/data/medical-vendors.toml");
const SERVICE_RULES: &str = include_str!("../../daicho-fingerprint/data/service-rules.toml");

fn manifest(serial: u64, sets: Vec<(DataSetName, String)>) -> Manifest {
    Manifest {
        serial,
        created_at: Utc::now(),
        datasets: sets
            .into_iter()
            .map(|(name, content)| {
                DataSet::new(
                    name,
                    NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
                    "test",
                    content,
                )
            })
            .collect(),
    }
}

#[test]
fn a_bundles_medical_makers_and_rules_are_used_and_a_broken_set_refused() {
    // A (fictitious) maker that the shipped list does not name.
    let maker = "KAMOGAWA IRYOKIKI CO., LTD.";
    assert!(!OsTables::in_use().is_medical_vendor(maker));
    let more = MEDICAL.replacen("names = [", "names = [\n    \"Kamogawa Iryokiki\",", 1);
    assert_ne!(more, MEDICAL, "the list's layout changed: adjust the test");

    let broken = manifest(1, vec![(DataSetName::ServiceRules, "rule = 3".into())]);
    let e = daicho_data::apply(&broken).unwrap_err();
    assert_eq!(e.name, DataSetName::ServiceRules);
    assert_eq!(daicho_data::applied_serial(), None);

    let applied = daicho_data::apply(&manifest(
        2,
        vec![
            (DataSetName::MedicalVendors, more),
            (DataSetName::ServiceRules, SERVICE_RULES.to_owned()),
        ],
    ))
    .unwrap();
    assert_eq!(
        applied,
        [DataSetName::MedicalVendors, DataSetName::ServiceRules]
    );
    assert!(OsTables::in_use().is_medical_vendor(maker));
    assert!(
        OsTables::in_use().is_medical_vendor("FUJIFILM Corporation"),
        "the rest stays"
    );
    assert_eq!(daicho_data::applied_serial(), Some(2));
    let status = daicho_data::in_use();
    let medical = status.iter().find(|s| s.name == "medical-vendors").unwrap();
    assert_eq!(medical.date, NaiveDate::from_ymd_opt(2027, 1, 15));
}
