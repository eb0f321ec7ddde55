//! A data bundle round trip through the command line: build and sign, `data import`, `data
//! status` shows the new dates, a device's vendor changes without a new scan; a tampered,
//! unsigned, foreign-key or older bundle is refused with nothing changed; `data rollback`.

#[path = "support/command_line.rs"]
mod command_line;
#[path = "support/console.rs"]
mod console;

use chrono::{NaiveDate, Utc};
use command_line::{run, stderr, stdout};
use daicho_bundle::{DataSet, DataSetName, Manifest, SigningKey, seal};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions};

const REGISTRY: &str = include_str!("../../daicho-oui/data/ieee-prefixes.tsv");
const MEDICAL: &str = include_str!("../../daicho-fingerprint/data/medical-vendors.toml");
/// Intel's MA-L block, as the embedded registry has it.
const INTEL_LINE: &str = "001B21\tIntel Corporate\n";

/// The registry as a bundle would carry it on `date`, without Intel's block when `intel` is
/// false (an older registry, from before the block was assigned).
fn registry(date: &str, intel: bool) -> String {
    let current = daicho_oui::registry_date();
    let text = REGISTRY.replacen(
        &format!("# registry-date: {current}"),
        &format!("# registry-date: {date}"),
        1,
    );
    if intel {
        text
    } else {
        text.replacen(INTEL_LINE, "", 1)
    }
}

fn bundle(key: &SigningKey, serial: u64, date: &str, intel: bool) -> Vec<u8> {
    seal(
        &Manifest {
            serial,
            created_at: Utc::now(),
            datasets: vec![DataSet::new(
                DataSetName::IeeeRegistry,
                NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                "test registry",
                registry(date, intel),
            )],
        },
        key,
    )
}

fn vendor(db: &std::path::Path) -> Option<String> {
    let ledger = Ledger::open(db, LedgerOptions::default()).unwrap();
    let devices = ledger
        .list_devices(&DeviceFilter::default())
        .unwrap()
        .devices;
    assert_eq!(devices.len(), 1);
    devices[0].vendor.clone()
}

/// What the collector's bundle store holds: the current and the previous bundle's bytes.
fn store_files(dir: &std::path::Path) -> [Option<Vec<u8>>; 2] {
    [
        daicho_bundle::Store::new(dir).current_bytes().unwrap(),
        std::fs::read(dir.join("previous.bundle")).ok(),
    ]
}

#[test]
fn a_bundle_changes_vendors_without_a_scan_and_bad_bundles_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let config = dir.path().join("c.toml");
    let key = SigningKey::generate().unwrap();
    std::fs::write(
        &config,
        format!(
            "[storage]\ndatabase = \"{}\"\n[data]\ntrusted_keys = [\"{}\"]\n",
            db.display(),
            key.public().to_hex()
        ),
    )
    .unwrap();
    let data_dir = dir.path().join("data");

    // One device, reported by an agent with its own idea of the vendor.
    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        let r = console::ward_report("t", vec![console::scanned_host(10, "pc-10")]);
        ledger.ingest(&r, None).unwrap();
    }
    assert_eq!(vendor(&db).as_deref(), Some("Intel Corporate"));
    assert!(stdout(&run(&config, &["data", "status"])).contains("bundle: none installed"));

    // An older registry without the block: the vendor follows it, at once, without a scan.
    let older = dir.path().join("older.bundle");
    std::fs::write(&older, bundle(&key, 1, "2026-10-01", false)).unwrap();
    let out = stdout(&run(&config, &["data", "import", older.to_str().unwrap()]));
    assert!(
        out.contains("serial 1 in use") && out.contains("1 devices changed vendor"),
        "{out}"
    );
    assert_eq!(vendor(&db), None);

    let newer = dir.path().join("newer.bundle");
    let newer_bytes = bundle(&key, 2, "2026-12-01", true);
    std::fs::write(&newer, &newer_bytes).unwrap();
    let out = stdout(&run(&config, &["data", "import", newer.to_str().unwrap()]));
    assert!(out.contains("serial 2 in use (was 1"), "{out}");
    assert_eq!(vendor(&db).as_deref(), Some("Intel Corporate"));
    let status = stdout(&run(&config, &["data", "status"]));
    assert!(
        status.contains("2026-12-01") && status.contains("bundle: serial 2"),
        "{status}"
    );

    // Refused, each with its reason, and nothing changes.
    let before = store_files(&data_dir);
    let text = String::from_utf8(newer_bytes.clone()).unwrap();
    let payload = &text[text.find("\n\n").unwrap() + 2..];
    let refusals: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "tampered",
            text.replacen("Intel Corporate", "Intel Corporatf", 1)
                .into_bytes(),
            "does not match",
        ),
        (
            "unsigned",
            format!("daicho-data-bundle 1\n\n{payload}").into_bytes(),
            "not signed",
        ),
        (
            "foreign",
            bundle(&SigningKey::generate().unwrap(), 3, "2026-12-01", true),
            "not trusted",
        ),
        ("older", bundle(&key, 1, "2026-10-01", false), "not newer"),
        ("same", newer_bytes.clone(), "not newer"),
    ];
    for (name, bytes, reason) in refusals {
        let file = dir.path().join(format!("{name}.bundle"));
        std::fs::write(&file, bytes).unwrap();
        let out = run(&config, &["data", "import", file.to_str().unwrap()]);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(stderr(&out).contains(reason), "{name}: {}", stderr(&out));
        assert_eq!(store_files(&data_dir), before, "{name} changed the store");
        assert_eq!(
            vendor(&db).as_deref(),
            Some("Intel Corporate"),
            "{name} changed a vendor"
        );
    }

    // Back one: the older registry again.
    let out = stdout(&run(&config, &["data", "rollback"]));
    assert!(out.contains("serial 1 in use (was 2"), "{out}");
    assert_eq!(vendor(&db), None);

    // A bundle whose medical makers name this device's maker makes it medical, without a scan
    // (a fictitious listing, for the mechanism).
    let medical = MEDICAL.replacen("names = [", "names = [\n  \"intel corporate\",", 1);
    assert_ne!(medical, MEDICAL);
    let file = dir.path().join("medical.bundle");
    let mut manifest = Manifest {
        serial: 3,
        created_at: Utc::now(),
        datasets: vec![DataSet::new(
            DataSetName::MedicalVendors,
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            "test",
            medical,
        )],
    };
    manifest.datasets.push(DataSet::new(
        DataSetName::IeeeRegistry,
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        "test registry",
        registry("2026-12-01", true),
    ));
    std::fs::write(&file, seal(&manifest, &key)).unwrap();
    stdout(&run(&config, &["data", "import", file.to_str().unwrap()]));
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    let device = &ledger
        .list_devices(&DeviceFilter::default())
        .unwrap()
        .devices[0];
    assert_eq!(device.vendor.as_deref(), Some("Intel Corporate"));
    assert_eq!(device.os.family, "medical");
}
