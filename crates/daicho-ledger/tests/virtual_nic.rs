//! A virtual machine's NIC under a locally administered platform prefix (QEMU/KVM's 52:54:00)
//! is not a randomized MAC at the collector either: no `randomized_mac` flag, and no merging
//! with phones by host name or IP lease — whatever an older agent said about it.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::{DeviceFilter, DeviceSummary, Ledger};
use fixtures::{arp_host, scan_report, temp_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap()
}

fn at_ip(ledger: &Ledger, ip: &str) -> Vec<DeviceSummary> {
    ledger
        .list_devices(&DeviceFilter {
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
        .into_iter()
        .filter(|d| d.ip.as_deref() == Some(ip))
        .collect()
}

#[test]
fn a_kvm_guest_is_not_flagged_randomized_even_from_an_old_agent() {
    let f = temp_ledger();
    // arp_host marks every locally administered MAC randomized, as agents before the
    // virtual-prefix table did.
    let mut guest = arp_host("198.18.0.60", Some("52:54:00:12:34:56"), Some("ehr-db"));
    assert!(guest.mac_randomized);
    guest.vendor = Some("QEMU/KVM virtual machine".into());
    let phone = arp_host("198.18.0.61", Some("da:a1:19:00:00:01"), None);
    f.ledger
        .ingest(&scan_report("a", t0(), None, vec![guest, phone]), None)
        .unwrap();
    let guest = &at_ip(&f.ledger, "198.18.0.60")[0];
    assert!(!guest.mac_randomized);
    assert!(
        !guest.flags.contains(&"randomized_mac".to_owned()),
        "{:?}",
        guest.flags
    );
    let phone = &at_ip(&f.ledger, "198.18.0.61")[0];
    assert!(phone.mac_randomized);
    assert!(phone.flags.contains(&"randomized_mac".to_owned()));
}

#[test]
fn a_new_kvm_guest_on_a_phones_old_lease_is_a_new_device() {
    let f = temp_ledger();
    f.ledger
        .ingest(
            &scan_report(
                "a",
                t0(),
                None,
                vec![arp_host("198.18.0.70", Some("da:a1:19:00:00:07"), None)],
            ),
            None,
        )
        .unwrap();
    // An hour later the phone is gone and a VM holds its lease: the lease rule is for rotated
    // phone MACs, so the VM must not inherit the phone's device.
    f.ledger
        .ingest(
            &scan_report(
                "a",
                t0() + Duration::hours(1),
                None,
                vec![arp_host("198.18.0.70", Some("52:54:00:ab:cd:ef"), None)],
            ),
            None,
        )
        .unwrap();
    let all = f
        .ledger
        .list_devices(&DeviceFilter {
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices;
    assert_eq!(all.len(), 2, "{all:?}");
}
