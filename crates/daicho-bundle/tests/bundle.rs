//! Bundles round trip (seal, open, install, rollback), and every bad bundle is refused with
//! nothing changed: not a bundle, unsigned, another key, tampered, inconsistent, not newer.

use std::os::unix::fs::PermissionsExt as _;

use chrono::{NaiveDate, TimeZone as _, Utc};
use daicho_bundle::{
    BundleError, DataSet, DataSetName, InstallError, Manifest, SigningKey, Store, open, seal,
};

fn manifest(serial: u64, vendor: &str) -> Manifest {
    Manifest {
        serial,
        created_at: Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap(),
        datasets: vec![
            DataSet::new(
                DataSetName::IeeeRegistry,
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                "npm oui-data",
                format!("# registry-date: 2026-11-30\n525400\t{vendor}\n"),
            ),
            DataSet::new(
                DataSetName::Eol,
                NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                "endoflife.date",
                "snapshot\t2026-11-01\n".into(),
            ),
        ],
    }
}

#[test]
fn a_sealed_bundle_opens_with_its_key_only() {
    let key = SigningKey::generate().unwrap();
    let other = SigningKey::generate().unwrap();
    let bytes = seal(&manifest(1, "QEMU"), &key);
    assert_eq!(open(&bytes, &[key.public()]).unwrap(), manifest(1, "QEMU"));
    // Another key: named, with the trusted ones.
    let e = open(&bytes, &[other.public()]).unwrap_err();
    assert!(matches!(e, BundleError::UnknownKey { .. }), "{e}");
    assert!(e.to_string().contains(&key.public().id()), "{e}");
}

#[test]
fn unsigned_tampered_corrupt_and_foreign_files_are_refused() {
    let key = SigningKey::generate().unwrap();
    let trusted = [key.public()];
    let bytes = seal(&manifest(1, "QEMU"), &key);
    let text = String::from_utf8(bytes.clone()).unwrap();

    assert!(matches!(
        open(b"PK\x03\x04", &trusted),
        Err(BundleError::NotABundle)
    ));
    assert!(matches!(open(b"", &trusted), Err(BundleError::NotABundle)));

    let payload = &text[text.find("\n\n").unwrap() + 2..];
    let unsigned = format!("daicho-data-bundle 1\n\n{payload}");
    assert!(matches!(
        open(unsigned.as_bytes(), &trusted),
        Err(BundleError::Unsigned)
    ));

    // One character of the content changed after signing.
    let tampered = text.replace("QEMU", "QEMV");
    assert!(matches!(
        open(tampered.as_bytes(), &trusted),
        Err(BundleError::BadSignature)
    ));
    let mut cut = bytes.clone();
    cut.truncate(bytes.len() - 10);
    assert!(matches!(
        open(&cut, &trusted),
        Err(BundleError::BadSignature)
    ));

    // Signed, but a data set's digest is not its content's (a broken build): refused.
    let mut broken = manifest(1, "QEMU");
    broken.datasets[0].content.push_str("000000\tX\n");
    assert!(matches!(
        open(&seal(&broken, &key), &trusted),
        Err(BundleError::Corrupt(_))
    ));
    let mut twice = manifest(1, "QEMU");
    twice.datasets.push(twice.datasets[0].clone());
    assert!(matches!(
        open(&seal(&twice, &key), &trusted),
        Err(BundleError::Corrupt(_))
    ));
}

#[test]
fn install_keeps_the_previous_refuses_downgrades_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("data"));
    let key = SigningKey::generate().unwrap();
    let trusted = [key.public()];
    assert_eq!(store.current(&trusted).unwrap(), None);

    let first = store
        .install(&seal(&manifest(2, "QEMU"), &key), &trusted)
        .unwrap();
    assert_eq!(first.replaced, None);
    let second = store
        .install(&seal(&manifest(3, "QEMU virtual NIC"), &key), &trusted)
        .unwrap();
    assert_eq!(second.replaced, Some(2));
    assert_eq!(store.current(&trusted).unwrap().unwrap().serial, 3);
    assert_eq!(store.previous(&trusted).unwrap().unwrap().serial, 2);

    let files = |store_dir: &std::path::Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(store_dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = files(&dir.path().join("data"));
    for serial in [1, 3] {
        let e = store
            .install(&seal(&manifest(serial, "old"), &key), &trusted)
            .unwrap_err();
        assert!(
            matches!(e, InstallError::NotNewer { installed: 3, offered } if offered == serial),
            "{e}"
        );
    }
    let stranger = SigningKey::generate().unwrap();
    assert!(
        store
            .install(&seal(&manifest(9, "x"), &stranger), &trusted)
            .is_err()
    );
    assert!(store.install(b"garbage", &trusted).is_err());
    assert_eq!(
        files(&dir.path().join("data")),
        before,
        "a refused bundle changed nothing"
    );
    assert_eq!(
        before.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["current.bundle", "previous.bundle"]
    );

    let back = store.rollback(&trusted).unwrap();
    assert_eq!(back.serial, 2);
    assert_eq!(store.current(&trusted).unwrap().unwrap().serial, 2);
    assert_eq!(store.previous(&trusted).unwrap().unwrap().serial, 3);
    let empty = Store::new(dir.path().join("none"));
    assert!(matches!(
        empty.rollback(&trusted),
        Err(InstallError::NoPrevious)
    ));
}

#[test]
fn the_publisher_tool_makes_a_key_builds_and_verifies_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_daicho-bundle");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["keygen", "--out", "publisher.key"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let public = stdout.split_whitespace().nth(2).unwrap().to_owned();
    let mode = std::fs::metadata(dir.path().join("publisher.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        !run(&["keygen", "--out", "publisher.key"]).status.success(),
        "never overwrites a key"
    );

    std::fs::write(dir.path().join("oui.tsv"), "525400\tQEMU virtual NIC\n").unwrap();
    let out = run(&[
        "build",
        "--key",
        "publisher.key",
        "--serial",
        "7",
        "--out",
        "data.bundle",
        "ieee-registry=oui.tsv@2026-11-30@npm oui-data",
    ]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["verify", "data.bundle", "--trust", &public]);
    assert!(out.status.success(), "{out:?}");
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing.contains("serial 7")
            && listing.contains("ieee-registry")
            && listing.contains("2026-11-30"),
        "{listing}"
    );
    // Without the key trusted: refused, naming the key.
    let out = run(&["verify", "data.bundle"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not trusted"));
    let out = run(&[
        "build",
        "--key",
        "publisher.key",
        "--serial",
        "8",
        "--out",
        "x.bundle",
        "registry=oui.tsv@2026-11-30",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not one of"));
}
