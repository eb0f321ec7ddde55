use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn scope(targets: &[&str], exclude: &[&str]) -> Result<Scope, ScopeError> {
    Scope::parse(targets, exclude, DEFAULT_MAX_HOSTS, false)
}

#[test]
fn cidr_leaves_out_network_and_broadcast() {
    let s = scope(&["198.18.0.0/24"], &[]).unwrap();
    assert_eq!(s.len(), 254);
    let all: Vec<_> = s.addresses().collect();
    assert_eq!(all.first(), Some(&ip("198.18.0.1")));
    assert_eq!(all.last(), Some(&ip("198.18.0.254")));
    // /31 and /32 are all hosts.
    assert_eq!(scope(&["10.0.0.0/31"], &[]).unwrap().len(), 2);
    assert_eq!(scope(&["10.0.0.9/32"], &[]).unwrap().len(), 1);
}

#[test]
fn host_bits_in_a_block_are_ignored() {
    let s = scope(&["198.18.0.77/30"], &[]).unwrap();
    let all: Vec<_> = s.addresses().collect();
    assert_eq!(all, vec![ip("198.18.0.77"), ip("198.18.0.78")]);
}

#[test]
fn ranges_single_addresses_and_lists() {
    let s = scope(&["10.0.0.10-10.0.0.12", "10.0.0.20-21,10.0.0.30"], &[]).unwrap();
    let all: Vec<_> = s.addresses().map(|a| a.octets()[3]).collect();
    assert_eq!(all, vec![10, 11, 12, 20, 21, 30]);
}

#[test]
fn overlapping_targets_count_once() {
    let s = scope(&["10.0.0.0/24", "10.0.0.5", "10.0.0.100-10.0.1.5"], &[]).unwrap();
    assert_eq!(s.len(), s.addresses().count() as u64);
    // The range adds 10.0.0.255 and 10.0.1.0-5 beyond the block.
    assert_eq!(s.len(), 254 + 1 + 6);
}

#[test]
fn exclusions_are_removed_and_known() {
    let s = scope(
        &["198.18.0.0/24"],
        &["198.18.0.10", "198.18.0.100-198.18.0.199"],
    )
    .unwrap();
    assert_eq!(s.len(), 254 - 1 - 100);
    assert!(s.is_excluded(ip("198.18.0.10")));
    assert!(!s.allows(ip("198.18.0.10")));
    assert!(s.allows(ip("198.18.0.11")));
    assert!(!s.allows(ip("198.18.1.11")), "outside the targets");
    assert!(s.addresses().all(|a| !s.is_excluded(a)));
    assert_eq!(s.len(), s.addresses().count() as u64);
}

#[test]
fn refuses_bad_input() {
    assert_eq!(scope(&[], &[]), Err(ScopeError::NoTarget));
    for bad in [
        "198.18.0.0/33",
        "198.18.0.0/x",
        "198.18.0",
        "300.1.1.1",
        "10.0.0.9-10.0.0.1",
        "10.0.0.1-300",
        "fe80::1",
        "",
        "host.example",
    ] {
        match scope(&[bad], &[]) {
            Err(ScopeError::Invalid { role: "target", .. }) => {}
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    assert!(matches!(
        scope(&["10.0.0.1"], &["10.0.0/24"]),
        Err(ScopeError::Invalid {
            role: "exclusion",
            ..
        })
    ));
}

#[test]
fn refuses_all_excluded() {
    assert_eq!(
        scope(&["10.0.0.0/30"], &["10.0.0.0/24"]),
        Err(ScopeError::AllExcluded { targets: 2 })
    );
}

#[test]
fn size_guard_and_force() {
    assert_eq!(
        Scope::parse(&["10.0.0.0/16"], &[], 1000, false),
        Err(ScopeError::TooLarge {
            hosts: 65_534,
            max: 1000
        })
    );
    // Exclusions count before the guard.
    assert!(Scope::parse(&["10.0.0.0/22"], &["10.0.0.0/23"], 600, false).is_ok());
    assert_eq!(
        Scope::parse(&["10.0.0.0/16"], &[], 1000, true)
            .unwrap()
            .len(),
        65_534
    );
}

#[test]
fn keeps_the_text_for_the_report() {
    let s = scope(&["198.18.0.0/24"], &["198.18.0.10"]).unwrap();
    let m = s.to_model();
    assert_eq!(m.targets, vec!["198.18.0.0/24"]);
    assert_eq!(m.exclude, vec!["198.18.0.10"]);
}
