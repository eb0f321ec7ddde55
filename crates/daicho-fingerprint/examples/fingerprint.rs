//! Fingerprints the given addresses with the real TCP/UDP connector and prints JSON.
//!
//! Only for hosts the project creates itself (test LAN namespaces), e.g.:
//! `ip netns exec dl-ID-scan target/debug/examples/fingerprint --ports default --snmp public 198.18.0.10`

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use daicho_fingerprint::{FingerprintOptions, HostInput, PortSpec, TcpConnector, fingerprint_host};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut spec = PortSpec::default_lists();
    let mut options = FingerprintOptions::default();
    let mut hosts: Vec<IpAddr> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--ports" => {
                let s = args.next().expect("--ports needs a spec");
                spec = PortSpec::parse(&s).unwrap_or_else(|e| panic!("--ports: {e}"));
            }
            "--snmp" => options
                .snmp_communities
                .push(args.next().expect("--snmp needs a community")),
            "--probe-medical" => options.probe_medical = true,
            other => hosts.push(other.parse().unwrap_or_else(|e| panic!("`{other}`: {e}"))),
        }
    }
    let udp = spec.udp.clone();
    let connector = Arc::new(TcpConnector);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for ip in hosts {
        let (connector, options, tcp, udp) = (
            Arc::clone(&connector),
            options.clone(),
            spec.tcp.clone(),
            udp.clone(),
        );
        tasks.spawn(async move {
            let r = fingerprint_host(connector, HostInput::new(ip), &tcp, &udp, &options).await;
            (ip, r)
        });
    }
    let mut out = Vec::new();
    while let Some(Ok((ip, r))) = tasks.join_next().await {
        out.push(serde_json::json!({
            "ip": ip,
            "hostname": r.hostname,
            "medical": r.medical,
            "os": r.os,
            "services": r.services,
        }));
    }
    out.sort_by_key(|v| v["ip"].as_str().map(str::to_owned));
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    eprintln!(
        "fingerprinted {} host(s) in {:.2}s",
        out.len(),
        start.elapsed().as_secs_f64()
    );
}
