//! The pipeline's own logic against an in-process fake network: every host is fingerprinted,
//! results land on the right host, names merge as documented, concurrency is bounded.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use daicho_fingerprint::{Connector, PortSpec};
use daicho_model::{Host, OsGuess};
use tokio::io::AsyncWriteExt;

use super::*;

/// Port 22 of every host answers with an SSH banner naming the host's last octet; everything
/// else is closed. Counts the hosts being fingerprinted at once.
#[derive(Default)]
struct FakeLan {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl Connector for FakeLan {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, addr: SocketAddr, _: Duration) -> io::Result<Self::Stream> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if addr.port() != 22 {
            return Err(io::Error::from(io::ErrorKind::ConnectionRefused));
        }
        let IpAddr::V4(v4) = addr.ip() else {
            unreachable!()
        };
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let banner = format!("SSH-2.0-OpenSSH_9.{}p1 Debian-3\r\n", v4.octets()[3] % 10);
        tokio::spawn(async move {
            let _ = theirs.write_all(banner.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        Ok(ours)
    }

    async fn exchange_udp(
        &self,
        _: SocketAddr,
        _: &[u8],
        _: Duration,
        _: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

fn host(last: u8, hostname: Option<&str>) -> Host {
    Host {
        ip: IpAddr::from([198, 18, 0, last]),
        mac: None,
        vendor: None,
        mac_randomized: false,
        hostname: hostname.map(str::to_owned),
        os: OsGuess::default(),
        services: vec![],
        rtt_ms: None,
        ttl: Some(64),
        discovered_by: vec!["icmp".into()],
        local: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_host_gets_its_own_services_with_bounded_host_concurrency() {
    let lan = Arc::new(FakeLan::default());
    let hosts: Vec<Host> = (10..30).map(|i| host(i, None)).collect();
    let mut settings = FingerprintSettings::new(PortSpec::parse("22,80,443").unwrap());
    settings.host_concurrency = 3;
    settings.per_host_concurrency = 1;
    let mut calls = Vec::new();
    let results = fingerprint_all(Arc::clone(&lan), &hosts, None, &settings, &mut |d| {
        calls.push(d);
    })
    .await;
    assert_eq!(calls, (1..=20).collect::<Vec<_>>());
    assert!(
        lan.peak.load(Ordering::SeqCst) <= 3,
        "peak {}",
        lan.peak.load(Ordering::SeqCst)
    );
    for (h, fp) in hosts.iter().zip(&results) {
        let fp = fp.as_ref().expect("every host fingerprinted");
        assert_eq!(fp.services.len(), 1, "{}: {:?}", h.ip, fp.services);
        let s = &fp.services[0];
        assert_eq!((s.port, s.name.as_str()), (22, "ssh"));
        let IpAddr::V4(v4) = h.ip else { unreachable!() };
        let expected = format!("9.{}p1", v4.octets()[3] % 10);
        assert_eq!(s.version.as_deref(), Some(expected.as_str()), "{}", h.ip);
        assert_eq!(fp.os.family, daicho_model::OsFamily::Linux);
    }
}

#[test]
fn merge_keeps_discovery_name_and_takes_services_and_os() {
    let fp = HostFingerprint {
        services: vec![daicho_model::Service {
            port: 445,
            protocol: daicho_model::Protocol::Tcp,
            name: "smb".into(),
            product: None,
            version: None,
            evidence: vec![],
        }],
        os: OsGuess {
            family: daicho_model::OsFamily::Windows,
            ..OsGuess::default()
        },
        medical: None,
        hostname: Some("RECEPTION-PC".into()),
        observations: daicho_fingerprint::Observations::default(),
    };
    let named = merge(host(15, Some("reception-pc.lan")), Some(fp.clone()));
    assert_eq!(named.hostname.as_deref(), Some("reception-pc.lan"));
    assert_eq!(named.services.len(), 1);
    assert_eq!(named.os.family, daicho_model::OsFamily::Windows);
    let unnamed = merge(host(15, None), Some(fp));
    assert_eq!(unnamed.hostname.as_deref(), Some("RECEPTION-PC"));
    let failed = merge(host(16, Some("x")), None);
    assert!(failed.services.is_empty());
    assert_eq!(failed.hostname.as_deref(), Some("x"));
}

#[tokio::test]
async fn a_kvm_guest_is_not_guessed_a_phone_but_a_private_mac_is() {
    // Both MACs are locally administered; discovery (daicho_oui) called only the second
    // randomized. The OS guess must follow that decision, not the bit.
    let mut kvm = host(40, None);
    kvm.mac = Some("52:54:00:12:34:56".parse().unwrap());
    kvm.vendor = Some("QEMU/KVM virtual machine".into());
    let mut phone = host(41, None);
    phone.mac = Some("da:a1:19:00:00:01".parse().unwrap());
    phone.mac_randomized = true;
    // FakeLan answers on 22 only: probing 80 alone leaves only the TTL and the MAC to speak.
    let settings = FingerprintSettings::new(PortSpec::parse("80").unwrap());
    let lan = Arc::new(FakeLan::default());
    let results = fingerprint_all(lan, &[kvm, phone], None, &settings, &mut |_| {}).await;
    let os = |i: usize| results[i].as_ref().unwrap().os.clone();
    let says_phone = |g: &OsGuess| g.evidence.iter().any(|e| e.contains("phone"));
    assert!(!says_phone(&os(0)), "{:?}", os(0));
    assert_eq!(os(0).family, daicho_model::OsFamily::Linux, "ttl 64 counts");
    assert!(says_phone(&os(1)), "{:?}", os(1));
}
