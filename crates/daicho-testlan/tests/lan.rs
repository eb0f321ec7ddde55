//! The test LAN itself, tested from its scanner namespace: every service answers as the
//! ground truth says, nothing outside the namespaces is reachable, and teardown leaves no
//! namespace or process behind. Needs root (CI runs as root); each test uses its own LAN id.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use daicho_testlan::probe::{ProbeRequest, ProbeResult};
use daicho_testlan::{
    Protocol, RecordedProcess, Role, Segment, TestLan, TruthHost, TruthService, lan_script,
    namespaces_with_prefix, require_root, unique_id,
};

const PROBE: &str = env!("CARGO_BIN_EXE_lan-probe");

fn need_root() {
    if let Err(err) = require_root() {
        panic!("{err}");
    }
}

fn probe(lan: &TestLan, req: &ProbeRequest) -> ProbeResult {
    lan.probe_tcp(Path::new(PROBE), lan.scanner_ns(), req)
        .unwrap_or_else(|e| panic!("probe {}:{} failed to run: {e}", req.ip, req.port))
}

fn stdout_of(lan: &TestLan, ns: &str, cmd: &[&str]) -> (bool, String, String) {
    let out = lan
        .exec_in(ns, cmd)
        .unwrap_or_else(|e| panic!("{cmd:?} in {ns}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Interface names of the root namespace.
fn root_links() -> BTreeSet<String> {
    let out = Command::new("ip")
        .args(["-o", "link", "show"])
        .output()
        .expect("ip link");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_owned())
        .collect()
}

/// What a probe's result must satisfy.
type Expectation = Box<dyn Fn(&ProbeResult) -> bool>;

/// Checks one service from the scanner namespace; `Err` says what was wrong.
fn check_service(lan: &TestLan, host: &TruthHost, svc: &TruthService) -> Result<String, String> {
    let ip = host.ip;
    let version = svc.version.clone().unwrap_or_default();
    if svc.protocol == Protocol::Udp {
        return match svc.name.as_str() {
            "snmp" => {
                let (ok, out, err) = stdout_of(
                    lan,
                    lan.scanner_ns(),
                    &[
                        "snmpget",
                        "-v2c",
                        "-c",
                        "public",
                        "-r",
                        "2",
                        "-t",
                        "2",
                        &format!("{ip}:{}", svc.port),
                        "1.3.6.1.2.1.1.1.0",
                        "1.3.6.1.2.1.1.5.0",
                    ],
                );
                // lan.sh keeps the sysDescr each agent was configured with.
                let descr_file = lan
                    .truth()
                    .run_dir
                    .join("hosts")
                    .join(&host.name)
                    .join("snmp-sysdescr");
                let descr = std::fs::read_to_string(&descr_file)
                    .map_err(|e| format!("{}: {e}", descr_file.display()))?;
                if ok && out.contains(&format!("\"{}\"", host.name)) && out.contains(descr.trim()) {
                    Ok(out.lines().next().unwrap_or_default().to_owned())
                } else {
                    Err(format!("snmpget: ok={ok} out={out:?} err={err:?}"))
                }
            }
            "dns" => {
                // The scanner's resolver points at the LAN's DNS (via /etc/netns); a reverse
                // lookup of the DNS host itself must give its name.
                let want = host.hostname.clone().ok_or("dns host without a hostname")?;
                let (ok, out, err) =
                    stdout_of(lan, lan.scanner_ns(), &["getent", "hosts", &ip.to_string()]);
                if ok && out.split_whitespace().nth(1) == Some(want.as_str()) {
                    Ok(out.trim().to_owned())
                } else {
                    Err(format!("reverse lookup of {ip}: ok={ok} {out:?} {err:?}"))
                }
            }
            "hostile" => {
                // A misbehaving agent: it must answer a datagram with something.
                let script = format!(
                    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
                     s.settimeout(3); s.sendto(b'0', ('{ip}', {})); print(len(s.recv(65536)))",
                    svc.port
                );
                let (ok, out, err) = stdout_of(lan, lan.scanner_ns(), &["python3", "-c", &script]);
                if ok && out.trim().parse::<usize>().is_ok_and(|n| n > 0) {
                    Ok(format!("{} bytes of nonsense", out.trim()))
                } else {
                    Err(format!("hostile UDP responder: ok={ok} {out:?} {err:?}"))
                }
            }
            other => Err(format!("no check for UDP service {other}")),
        };
    }
    let replayed = lan
        .truth()
        .run_dir
        .join("hosts")
        .join(&host.name)
        .join(format!("http-reply-{}", svc.port));
    let (req, expect): (ProbeRequest, Expectation) = match svc.name.as_str() {
        "ssh" => {
            let want = format!(
                "SSH-2.0-{}_{version}",
                svc.product.clone().unwrap_or_default()
            );
            (
                ProbeRequest::banner(ip, svc.port, b"\n"),
                Box::new(move |r| r.text().starts_with(&want)),
            )
        }
        "ftp" => {
            let want = format!("(vsFTPd {version})");
            (
                ProbeRequest::banner(ip, svc.port, b"\r\n"),
                Box::new(move |r| r.text().starts_with("220 ") && r.text().contains(&want)),
            )
        }
        "http" if replayed.is_file() => {
            // A recorded reply (lan.sh's replay responder): exactly those bytes.
            let want =
                std::fs::read(&replayed).map_err(|e| format!("{}: {e}", replayed.display()))?;
            let mut req = ProbeRequest::banner(ip, svc.port, b"\r\n\r\n");
            req.send = Some(format!("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", host.name).into_bytes());
            (req, Box::new(move |r| r.received() == want))
        }
        "http" => {
            let mut req = ProbeRequest::banner(ip, svc.port, b"</html>");
            req.send = Some(format!("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", host.name).into_bytes());
            let server = format!(
                "Server: {}/{version}\r\n",
                svc.product.clone().unwrap_or_default()
            );
            let title = format!("<title>{}</title>", host.name);
            (
                req,
                Box::new(move |r| {
                    let t = r.text();
                    t.starts_with("HTTP/1.1 200 OK\r\n")
                        && t.contains(&server)
                        && t.contains(&title)
                }),
            )
        }
        "telnet" => (
            ProbeRequest::banner(ip, svc.port, b"login: "),
            Box::new(|r| {
                let b = r.received();
                // Option negotiation first (IAC WILL/DO ...), then the prompt.
                b.first() == Some(&0xff)
                    && b.get(1).is_some_and(|c| (0xfb..=0xfe).contains(c))
                    && r.text().ends_with("login: ")
            }),
        ),
        "vnc" => (
            ProbeRequest::banner(ip, svc.port, b"\n"),
            Box::new(|r| r.received() == b"RFB 003.008\n"),
        ),
        "hl7-mllp" => {
            // Accepts and stays silent: the read must time out with nothing received.
            let mut req = ProbeRequest::banner(ip, svc.port, b"\x1c\r");
            req.timeout = std::time::Duration::from_millis(800);
            (
                req,
                Box::new(|r| r.read_timed_out && r.received().is_empty() && !r.eof),
            )
        }
        "dicom" => {
            // A TCP connect, then a real DICOM Verification (C-ECHO) with dcmtk's echoscu:
            // no data the SCP could act on.
            let (ok, out, err) = stdout_of(
                lan,
                lan.scanner_ns(),
                &[
                    "echoscu",
                    "-to",
                    "5",
                    "-aec",
                    "ANY-SCP",
                    &ip.to_string(),
                    &svc.port.to_string(),
                ],
            );
            if !ok {
                return Err(format!("echoscu failed: {out} {err}"));
            }
            (
                ProbeRequest::connect(ip, svc.port),
                Box::new(|r| r.connected),
            )
        }
        // A kind this test does not know yet: at least the port must accept.
        _ => (
            ProbeRequest::connect(ip, svc.port),
            Box::new(|r| r.connected),
        ),
    };
    let result = probe(lan, &req);
    if result.connected && expect(&result) {
        Ok(result.text().lines().next().unwrap_or_default().to_owned())
    } else {
        Err(format!(
            "unexpected answer: {result:?} text={:?}",
            result.text()
        ))
    }
}

/// Pings every host from the scanner in parallel; returns ip -> TTL seen.
fn ping_all(lan: &TestLan) -> BTreeMap<Ipv4Addr, Option<u8>> {
    let ips: Vec<Ipv4Addr> = lan.truth().hosts.iter().map(|h| h.ip).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = ips
            .chunks(16)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|ip| {
                            let (_, out, _) = stdout_of(
                                lan,
                                lan.scanner_ns(),
                                &[
                                    "ping",
                                    "-n",
                                    "-c",
                                    "2",
                                    "-i",
                                    "0.2",
                                    "-W",
                                    "1",
                                    &ip.to_string(),
                                ],
                            );
                            let ttl = out
                                .split_whitespace()
                                .find_map(|w| w.strip_prefix("ttl="))
                                .and_then(|t| t.parse().ok());
                            (*ip, ttl)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("ping thread"))
            .collect()
    })
}

#[test]
fn services_answer_from_the_scanner_and_nothing_leaks_out() {
    need_root();
    let links_before = root_links();
    let started = Instant::now();
    let lan = TestLan::up(&unique_id('s'), None).expect("bring the LAN up");
    eprintln!("LAN {} up in {:?}", lan.id(), started.elapsed());
    let truth = lan.truth().clone();

    // The host table's kinds are all there, on both segments.
    let names: BTreeSet<&str> = truth.services().map(|(_, s)| s.name.as_str()).collect();
    for want in [
        "ssh", "http", "ftp", "snmp", "dicom", "telnet", "vnc", "hl7-mllp", "dns", "smb", "rdp",
        "https", "hostile",
    ] {
        assert!(
            names.contains(want),
            "no {want} service in the truth: {names:?}"
        );
    }
    assert!(
        truth
            .hosts_on(Segment::Routed)
            .any(|h| !h.services.is_empty())
    );
    assert!(
        truth
            .hosts
            .iter()
            .any(|h| h.mac_randomized && h.vendor.is_none())
    );

    // Nothing was added to the root namespace.
    let new_links: Vec<_> = root_links().difference(&links_before).cloned().collect();
    assert!(
        new_links.is_empty(),
        "new links in the root namespace: {new_links:?}"
    );

    // Every host answers ICMP with its configured TTL (one less behind the router).
    let ttls = ping_all(&lan);
    for host in &truth.hosts {
        let hops = u8::from(host.segment == Segment::Routed && host.role != Role::Router);
        assert_eq!(
            ttls[&host.ip],
            Some(host.ttl - hops),
            "ping TTL of {} ({})",
            host.name,
            host.ip
        );
    }
    // And the scanner learnt each LAN host's MAC as the truth says.
    let (_, neigh, _) = stdout_of(
        &lan,
        lan.scanner_ns(),
        &["ip", "-4", "neigh", "show", "dev", "eth0"],
    );
    for host in truth.hosts_on(Segment::Lan) {
        let line = neigh
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&host.ip.to_string()))
            .unwrap_or_else(|| {
                panic!("{} not in the scanner's neighbour table:\n{neigh}", host.ip)
            });
        assert!(
            line.contains(&host.mac),
            "{}: {line} vs {}",
            host.name,
            host.mac
        );
    }

    // Reverse DNS inside the LAN gives each named host its name, and nothing for the others.
    assert!(truth.dns_server.is_some(), "the LAN serves no DNS");
    for host in &truth.hosts {
        let (ok, out, _) = stdout_of(
            &lan,
            lan.scanner_ns(),
            &["getent", "hosts", &host.ip.to_string()],
        );
        match &host.hostname {
            Some(name) => assert!(
                ok && out.split_whitespace().nth(1) == Some(name.as_str()),
                "PTR of {}: {out:?}, want {name}",
                host.ip
            ),
            None => assert!(!ok, "PTR of {} should not exist: {out:?}", host.ip),
        }
    }

    // Every service answers as the truth says.
    let mut failures = Vec::new();
    let mut checked = 0;
    for (host, svc) in truth.services() {
        match check_service(&lan, host, svc) {
            Ok(seen) => {
                checked += 1;
                eprintln!(
                    "ok   {} {}/{} {}: {seen:?}",
                    host.name, svc.port, svc.name, host.ip
                );
            }
            Err(why) => failures.push(format!(
                "{} {} {}/{}: {why}",
                host.name, host.ip, svc.port, svc.name
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "services not answering:\n{}",
        failures.join("\n")
    );
    assert!(checked >= 15, "only {checked} services checked");

    // Nothing outside is reachable: no route at all, so a connect fails at once with ENETUNREACH.
    let (_, routes, _) = stdout_of(
        &lan,
        lan.scanner_ns(),
        &["ip", "-4", "route", "show", "table", "all"],
    );
    let main_routes: Vec<&str> = routes
        .lines()
        .filter(|l| {
            !l.starts_with("local ") && !l.starts_with("broadcast ") && !l.contains("table local")
        })
        .collect();
    assert_eq!(
        main_routes.len(),
        2,
        "scanner routes must be the LAN and the routed segment only:\n{routes}"
    );
    assert!(
        main_routes
            .iter()
            .any(|r| r.starts_with("198.18.0.0/24 dev eth0")),
        "{routes}"
    );
    assert!(
        main_routes
            .iter()
            .any(|r| r.starts_with("198.18.1.0/24 via 198.18.0.254 dev eth0")),
        "{routes}"
    );
    for outside in [
        "192.0.2.1",
        "8.8.8.8",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "198.18.2.1",
        "198.19.0.1",
    ] {
        let (ok, out, err) = stdout_of(&lan, lan.scanner_ns(), &["ip", "route", "get", outside]);
        assert!(
            !ok && err.contains("unreachable"),
            "route to {outside} from the scanner: {out}{err}"
        );
        let result = probe(&lan, &ProbeRequest::connect(outside.parse().unwrap(), 80));
        assert!(!result.connected, "{outside}: {result:?}");
        assert_eq!(
            result.os_error,
            Some(101),
            "{outside}: expected ENETUNREACH, got {result:?}"
        );
        assert!(
            result.elapsed_ms < 500,
            "{outside}: connect took {} ms",
            result.elapsed_ms
        );
    }
    // No namespace of the LAN has a default route (the router included).
    for ns in lan.namespaces().expect("namespaces") {
        let (_, out, _) = stdout_of(&lan, &ns, &["ip", "-4", "route", "show", "default"]);
        assert!(out.trim().is_empty(), "default route in {ns}: {out}");
    }
    let (_, links, _) = stdout_of(&lan, lan.scanner_ns(), &["ip", "-o", "link", "show"]);
    assert_eq!(
        links.lines().count(),
        2,
        "scanner must have only lo and eth0:\n{links}"
    );

    // Teardown leaves no namespace and no process behind.
    let id = lan.id().to_owned();
    let procs = lan.recorded_processes().expect("recorded processes");
    let running = lan.running_processes().expect("processes in the LAN");
    assert!(
        procs.len() >= 15 && procs.iter().all(RecordedProcess::is_running),
        "{procs:?}"
    );
    for p in &procs {
        assert!(
            running
                .iter()
                .any(|r| r.pid == p.pid && r.start_time == p.start_time && r.ns == p.ns),
            "{p:?} is not inside the LAN: {running:?}"
        );
    }
    let run_dir = lan.run_dir().to_path_buf();
    let started = Instant::now();
    lan.down().expect("tear the LAN down");
    eprintln!("LAN {id} down in {:?}", started.elapsed());
    assert_eq!(
        namespaces_with_prefix(&format!("dl-{id}-")).unwrap(),
        Vec::<String>::new()
    );
    let left: Vec<_> = running.iter().filter(|p| p.is_running()).collect();
    assert!(left.is_empty(), "processes left running: {left:?}");
    assert!(!run_dir.exists(), "{} still exists", run_dir.display());
    let new_links: Vec<_> = root_links().difference(&links_before).cloned().collect();
    assert!(
        new_links.is_empty(),
        "links left in the root namespace: {new_links:?}"
    );
}

#[test]
fn up_twice_with_one_id_rebuilds_and_drop_cleans_up() {
    need_root();
    let id = unique_id('t');
    let first = TestLan::up(&id, None).expect("first up");
    let first_procs = first.recorded_processes().expect("pids");
    let first_all = first.running_processes().expect("processes");
    assert!(!first_procs.is_empty());

    // Same id again: the leftovers of the first are torn down, a fresh LAN comes up.
    let second = TestLan::up(&id, None).expect("second up with the same id");
    let stale: Vec<_> = first_procs.iter().filter(|p| p.is_running()).collect();
    assert!(
        stale.is_empty(),
        "processes of the first bring-up survived: {stale:?}"
    );
    assert!(first_all.iter().all(|p| !p.is_running()), "{first_all:?}");
    let ssh = second
        .truth()
        .services()
        .find(|(_, s)| s.name == "ssh")
        .map(|(h, s)| (h.ip, s.port))
        .expect("an ssh host");
    let banner = probe(&second, &ProbeRequest::banner(ssh.0, ssh.1, b"\n"));
    assert!(banner.text().starts_with("SSH-2.0-"), "{banner:?}");

    let second_procs = second.recorded_processes().expect("pids");
    let second_all = second.running_processes().expect("processes");
    drop(second);
    assert_eq!(
        namespaces_with_prefix(&format!("dl-{id}-")).unwrap(),
        Vec::<String>::new()
    );
    assert!(second_procs.iter().all(|p| !p.is_running()));
    assert!(second_all.iter().all(|p| !p.is_running()), "{second_all:?}");
    // Tearing down a LAN that is already gone is fine.
    first.down().expect("down of an absent LAN succeeds");
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    need_root();
    // An id no other test uses, so a refused `up` could never touch someone else's LAN.
    let bad = unique_id('x');
    let run = |args: &[&str]| {
        let out = Command::new("bash")
            .arg(lan_script())
            .args(args)
            .output()
            .expect("run lan.sh");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cases: [(&[&str], &str); 7] = [
        (&["up"], "--id ID is required"),
        (&["up", "--id", "Bad"], "invalid --id"),
        (&["up", "--id", "toolong"], "invalid --id"),
        (&["up", "--id", &bad, "--hosts", "500"], "at most 244"),
        (&["up", "--id", &bad, "--hosts", "3"], "fewer than"),
        (&["up", "--id", &bad, "--hosts", "many"], "must be a number"),
        (&["launch", "--id", &bad], "unknown command"),
    ];
    for (args, want) in cases {
        let (code, err) = run(args);
        assert_ne!(code, Some(0), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(
        namespaces_with_prefix(&format!("dl-{bad}-")).unwrap(),
        Vec::<String>::new()
    );
    let id = unique_id('b');
    let (code, out) = {
        let out = Command::new("bash")
            .arg(lan_script())
            .args(["status", "--id", &id])
            .output()
            .expect("status");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(code, Some(3), "status of an absent LAN: {out}");
    assert!(out.contains("down"), "{out}");
    let err = TestLan::up("No!", None).unwrap_err();
    assert!(err.to_string().contains("invalid LAN id"), "{err}");
}

#[test]
fn a_full_slash24_comes_up_and_every_host_answers_arp() {
    need_root();
    let started = Instant::now();
    let lan = TestLan::up(&unique_id('f'), Some(230)).expect("230-host LAN up");
    eprintln!("230-host LAN {} up in {:?}", lan.id(), started.elapsed());
    let truth = lan.truth();
    let lan_hosts: BTreeMap<Ipv4Addr, &TruthHost> =
        truth.hosts_on(Segment::Lan).map(|h| (h.ip, h)).collect();
    // 230 hosts plus the router's LAN interface.
    assert_eq!(lan_hosts.len(), 231);
    let vendors: BTreeSet<&str> = lan_hosts
        .values()
        .filter_map(|h| h.vendor.as_deref())
        .collect();
    assert!(
        vendors.len() >= 20,
        "only {} vendors: {vendors:?}",
        vendors.len()
    );
    assert!(lan_hosts.values().filter(|h| h.mac_randomized).count() >= 10);

    let (ok, out, err) = stdout_of(
        &lan,
        lan.scanner_ns(),
        &[
            "arp-scan",
            "-I",
            "eth0",
            "-q",
            "-x",
            "--retry",
            "3",
            "198.18.0.0/24",
        ],
    );
    assert!(ok, "arp-scan failed: {err}");
    let mut seen = BTreeMap::new();
    for line in out.lines() {
        let mut f = line.split_whitespace();
        if let (Some(ip), Some(mac)) = (f.next(), f.next())
            && let Ok(ip) = ip.parse::<Ipv4Addr>()
        {
            seen.insert(ip, mac.to_owned());
        }
    }
    let missing: Vec<_> = lan_hosts
        .keys()
        .filter(|ip| !seen.contains_key(ip))
        .collect();
    assert!(missing.is_empty(), "hosts not answering ARP: {missing:?}");
    for (ip, mac) in &seen {
        let host = lan_hosts
            .get(ip)
            .unwrap_or_else(|| panic!("{ip} answered but is not in the truth"));
        assert_eq!(mac, &host.mac, "{}", host.name);
    }
    let started = Instant::now();
    let id = lan.id().to_owned();
    lan.down().expect("down");
    eprintln!("230-host LAN {id} down in {:?}", started.elapsed());
    assert_eq!(
        namespaces_with_prefix(&format!("dl-{id}-")).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn a_capture_keeps_the_last_packet_and_not_its_marker() {
    need_root();
    let lan = TestLan::up(&unique_id('c'), None).expect("LAN up");
    let dir = tempfile_dir();
    let router = lan.truth().router.ns.clone();
    let host = lan
        .truth()
        .hosts_on(Segment::Lan)
        .find(|h| h.ns != router)
        .expect("a LAN host")
        .clone();
    let ip = host.ip.to_string();
    for round in 0..3 {
        // One capture on the host (filtered), one on the scanner (outbound only, unfiltered).
        let on_host = lan
            .capture(
                &host.ns,
                &dir.join(format!("host-{round}.pcap")),
                &[],
                Some("icmp"),
            )
            .unwrap();
        let on_scanner = lan
            .capture(
                lan.scanner_ns(),
                &dir.join(format!("scanner-{round}.pcap")),
                &["-Q", "out"],
                None,
            )
            .unwrap();
        // The ping is the last thing before the stop: exactly what a lost tail would drop.
        let (ok, out, _) = stdout_of(&lan, lan.scanner_ns(), &["ping", "-c", "1", "-W", "2", &ip]);
        assert!(ok, "{out}");
        for (capture, expect) in [
            (on_host, "ICMP echo request"),
            (on_scanner, "ICMP echo request"),
        ] {
            let file = capture.stop(&lan).unwrap();
            let text = daicho_testlan::capture::read(&file, "", &[]).unwrap();
            assert!(text.contains(expect), "{}: {text}", file.display());
            assert!(
                !text.contains(".9:") && !text.contains(".9 >"),
                "the marker was left in {}: {text}",
                file.display()
            );
        }
    }
    for ns in ["dl-elsewhere-x", router.as_str()] {
        let err = lan.capture(ns, &dir.join("x.pcap"), &[], None).unwrap_err();
        assert!(err.to_string().contains(ns), "{err}");
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("daicho-capture-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
