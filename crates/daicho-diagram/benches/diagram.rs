//! The diagram of a 500-device hospital network: layout + SVG time, PDF time, file sizes.
//!
//! `cargo bench -p daicho-diagram` (prints the figures; `DIAGRAM_BENCH_OUT=DIR` keeps the files).
//! The network: 6 subnets, 2 routers, 4 switches with ports and an uplink, devices in 10 places,
//! about one in ten unregistered or flagged, 3 remote-maintenance paths.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use daicho_diagram::{
    Device, DeviceRef, JapaneseFont, Link, LinkEvidence, Network, Paper, RemotePath, Role, Router,
    Subnet, Switch, SwitchPort, layout, render_pdf, render_svg,
};

const DEVICES: usize = 500;
const RUNS: u32 = 5;

fn main() {
    let network = hospital(DEVICES);
    let start = Instant::now();
    let font = match JapaneseFont::system() {
        Ok(font) => font,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let font_time = start.elapsed();
    println!(
        "network diagram, {} devices, {} subnets, {} switches; font {} found and read in {:.0} ms (once per process)",
        network.devices.len(),
        network.subnets.len(),
        network.switches.len(),
        font.path().display(),
        font_time.as_secs_f64() * 1e3
    );
    for paper in [Paper::A3, Paper::A4] {
        let mut svg = String::new();
        let start = Instant::now();
        for _ in 0..RUNS {
            svg = render_svg(&layout(&network, paper));
        }
        let svg_time = start.elapsed() / RUNS;
        let drawing = layout(&network, paper);
        let mut pdf = Vec::new();
        let start = Instant::now();
        for _ in 0..RUNS {
            pdf = render_pdf(&drawing, font);
        }
        let pdf_time = start.elapsed() / RUNS;
        println!(
            "{}: layout+SVG {:>7.2} ms, {:>7} bytes | PDF (from the drawing) {:>7.2} ms, {:>7} bytes",
            paper.name(),
            svg_time.as_secs_f64() * 1e3,
            svg.len(),
            pdf_time.as_secs_f64() * 1e3,
            pdf.len()
        );
        if let Some(dir) = std::env::var_os("DIAGRAM_BENCH_OUT") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("output directory");
            let name = format!("diagram-{DEVICES}-{}", paper.name());
            std::fs::write(dir.join(format!("{name}.svg")), &svg).expect("write svg");
            std::fs::write(dir.join(format!("{name}.pdf")), &pdf).expect("write pdf");
        }
    }
}

/// A hospital of `n` devices, made up deterministically.
fn hospital(n: usize) -> Network {
    let places = [
        "1F 受付",
        "1F 外来",
        "2F 病棟",
        "2F ナースステーション",
        "3F 手術室",
        "B1 サーバ室",
        "B1 放射線科",
        "3F 検査室",
        "4F 医局",
        "",
    ];
    let subnets: Vec<Subnet> = (0..6u8)
        .map(|i| Subnet {
            net: format!("10.{i}.0.0/23").parse().unwrap(),
            source: "スキャン範囲".to_owned(),
        })
        .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut devices = Vec::with_capacity(n);
    for i in 0..n {
        let r = next();
        let subnet = (i % 6) as u8;
        let role = match r % 20 {
            0..=1 => Role::Server,
            2..=11 => Role::Pc,
            12 => Role::Network,
            13..=15 => Role::Medical,
            16..=17 => Role::Printer,
            _ => Role::Unknown,
        };
        let host = (i / 6 + 10) as u16;
        devices.push(Device {
            id: DeviceRef(i64::try_from(i).expect("few devices") + 1),
            name: format!("{}-{i:03}", role_prefix(role)),
            ip: Some(IpAddr::V4(Ipv4Addr::new(
                10,
                subnet,
                (host >> 8) as u8,
                host as u8,
            ))),
            role,
            location: places[(r >> 8) as usize % places.len()].to_owned(),
            unregistered: (r >> 16) % 12 == 0,
            flags: if (r >> 24) % 15 == 0 {
                vec!["EOL OS".to_owned()]
            } else {
                Vec::new()
            },
            remote_maintenance: false,
        });
    }
    let mut remote_paths = Vec::new();
    for (k, (vendor, method)) in [("A社", "SSL-VPN"), ("B社", "TeamViewer"), ("", "RDP")]
        .iter()
        .enumerate()
    {
        let d = &mut devices[k * 37 + 5];
        d.remote_maintenance = true;
        remote_paths.push(RemotePath {
            vendor: (*vendor).to_owned(),
            method: (*method).to_owned(),
            device: d.id,
            confirmed: !vendor.is_empty(),
        });
    }
    let switches: Vec<Switch> = (0..4)
        .map(|s| {
            let sw = devices
                .iter()
                .position(|d| d.role == Role::Network && d.ip.is_some_and(|ip| in_subnet(ip, s)))
                .unwrap_or(s as usize);
            let members: Vec<DeviceRef> = devices
                .iter()
                .filter(|d| d.ip.is_some_and(|ip| in_subnet(ip, s)))
                .map(|d| d.id)
                .collect();
            let mut ports: Vec<SwitchPort> = members
                .chunks(members.len().div_ceil(20).max(1))
                .enumerate()
                .map(|(p, ds)| SwitchPort {
                    name: (p + 1).to_string(),
                    uplink_to: None,
                    devices: ds.to_vec(),
                })
                .collect();
            if s > 0 {
                ports.push(SwitchPort {
                    name: "24".to_owned(),
                    uplink_to: Some(devices[0].id),
                    devices: Vec::new(),
                });
            }
            Switch {
                device: devices[sw].id,
                name: format!("sw-{s}"),
                ports,
            }
        })
        .collect();
    let routers = vec![
        Router {
            device: Some(devices[0].id),
            name: "core-rtr".to_owned(),
        },
        Router {
            device: None,
            name: "未確認のルータ".to_owned(),
        },
    ];
    let links = subnets
        .iter()
        .enumerate()
        .map(|(i, s)| Link {
            router: usize::from(i >= 4),
            subnet: s.net,
            evidence: if i >= 4 {
                LinkEvidence::Routed
            } else {
                LinkEvidence::Address
            },
        })
        .collect();
    Network {
        facility: "医療法人 ベンチ記念病院".to_owned(),
        date: "2026/12/07".to_owned(),
        subnets,
        routers,
        links,
        switches,
        devices,
        remote_paths,
    }
}

fn in_subnet(ip: IpAddr, s: u8) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[1] == s)
}

fn role_prefix(role: Role) -> &'static str {
    match role {
        Role::Server => "srv",
        Role::Pc => "pc",
        Role::Network => "sw",
        Role::Medical => "mod",
        Role::Printer => "prn",
        Role::Unknown => "dev",
    }
}
