//! The diagram through its model: switches and ports, remote-maintenance paths, links,
//! grouping and collapsing, escaping and bounds, SVG and PDF.

use std::net::IpAddr;

use daicho_diagram::drawing::{Color, Shape};
use daicho_diagram::layout::symbols::PURPLE;
use daicho_diagram::{
    Device, DeviceRef, Drawing, JapaneseFont, Link, LinkEvidence, Network, Paper, RemotePath, Role,
    Router, Subnet, Switch, SwitchPort, layout, render_pdf, render_svg,
};

fn device(id: i64, name: &str, ip: &str, role: Role, location: &str) -> Device {
    Device {
        id: DeviceRef(id),
        name: name.to_owned(),
        ip: Some(ip.parse::<IpAddr>().unwrap()),
        role,
        location: location.to_owned(),
        unregistered: false,
        flags: Vec::new(),
        remote_maintenance: false,
    }
}

/// Two subnets joined by a router, two switches (sw-2f uplinked to sw-core), a vendor's VPN
/// path to the PACS server.
fn clinic() -> Network {
    let mut devices = vec![
        device(1, "rtx1210", "192.168.1.1", Role::Network, "B1 サーバ室"),
        device(2, "sw-core", "192.168.1.2", Role::Network, "B1 サーバ室"),
        device(3, "sw-2f", "192.168.1.3", Role::Network, "2F 詰所"),
        device(4, "pacs-01", "192.168.1.10", Role::Server, "B1 サーバ室"),
        device(5, "pc-01", "192.168.1.21", Role::Pc, "2F 詰所"),
        device(6, "pc-02", "192.168.1.22", Role::Pc, "2F 詰所"),
        device(7, "ct-01", "192.168.2.30", Role::Medical, "1F 放射線科"),
        device(8, "prn-01", "192.168.1.40", Role::Printer, "2F 詰所"),
    ];
    devices[3].remote_maintenance = true;
    devices[5].unregistered = true;
    devices[6].flags = vec!["EOL OS".to_owned()];
    Network {
        facility: "テスト診療所".to_owned(),
        date: "2026/12/07".to_owned(),
        subnets: vec![
            Subnet {
                net: "192.168.1.0/24".parse().unwrap(),
                source: "スキャン範囲".to_owned(),
            },
            Subnet {
                net: "192.168.2.0/24".parse().unwrap(),
                source: "スキャン範囲".to_owned(),
            },
        ],
        routers: vec![Router {
            device: Some(DeviceRef(1)),
            name: "rtx1210".to_owned(),
        }],
        links: vec![
            Link {
                router: 0,
                subnet: "192.168.1.0/24".parse().unwrap(),
                evidence: LinkEvidence::Address,
            },
            Link {
                router: 0,
                subnet: "192.168.2.0/24".parse().unwrap(),
                evidence: LinkEvidence::Routed,
            },
        ],
        switches: vec![
            Switch {
                device: DeviceRef(2),
                name: "sw-core".to_owned(),
                ports: vec![SwitchPort {
                    name: "1".to_owned(),
                    uplink_to: None,
                    devices: vec![DeviceRef(4)],
                }],
            },
            Switch {
                device: DeviceRef(3),
                name: "sw-2f".to_owned(),
                ports: vec![
                    SwitchPort {
                        name: "14".to_owned(),
                        uplink_to: None,
                        devices: vec![DeviceRef(5), DeviceRef(6)],
                    },
                    SwitchPort {
                        name: "24".to_owned(),
                        uplink_to: Some(DeviceRef(2)),
                        devices: Vec::new(),
                    },
                ],
            },
        ],
        devices,
        remote_paths: vec![RemotePath {
            vendor: "A社".to_owned(),
            method: "SSL-VPN".to_owned(),
            device: DeviceRef(4),
            confirmed: true,
        }],
    }
}

fn shapes(drawing: &Drawing) -> impl Iterator<Item = &Shape> {
    drawing.layers.iter().flat_map(|l| l.shapes.iter())
}

fn texts_of(drawing: &Drawing) -> Vec<&str> {
    shapes(drawing)
        .filter_map(|s| match s {
            Shape::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn stroked_lines(drawing: &Drawing, color: Color, dashed: bool) -> usize {
    drawing.layers[0]
        .shapes
        .iter()
        .filter(|s| matches!(s, Shape::Line { paint, .. } if paint.stroke == Some(color) && paint.dashed == dashed))
        .count()
}

#[test]
fn switches_show_their_ports_devices_and_uplinks() {
    let drawing = layout(&clinic(), Paper::A3);
    let texts = texts_of(&drawing);
    assert!(texts.contains(&"スイッチ sw-2f"), "{texts:?}");
    assert!(texts.contains(&"ポート 14: pc-01、pc-02"), "{texts:?}");
    assert!(
        texts.contains(&"ポート 24 ⇧ sw-core（アップリンク）"),
        "{texts:?}"
    );
    assert!(texts.contains(&"ポート 1: pacs-01"), "{texts:?}");
    // The uplink between the two switch boxes of the same panel is a line of its own.
    let network = daicho_diagram::layout::symbols::role_colors(Role::Network).0;
    let mut no_uplink = clinic();
    no_uplink.switches[1].ports.pop();
    assert_eq!(
        stroked_lines(&drawing, network, false),
        stroked_lines(&layout(&no_uplink, Paper::A3), network, false) + 1
    );
}

#[test]
fn remote_paths_are_drawn_from_the_vendor_to_the_device() {
    let drawing = layout(&clinic(), Paper::A3);
    let texts = texts_of(&drawing);
    assert!(texts.contains(&"A社（SSL-VPN）"), "{texts:?}");
    assert_eq!(stroked_lines(&drawing, PURPLE, true), 1);
    // It ends at pacs-01's symbol, which carries the 遠 mark.
    let Some(Shape::Line { to, .. }) = drawing.layers[0]
        .shapes
        .iter()
        .find(|s| matches!(s, Shape::Line { paint, .. } if paint.stroke == Some(PURPLE)))
    else {
        panic!("no vendor line");
    };
    let mark_near = shapes(&drawing).any(|s| matches!(s, Shape::Text { text, x, y, .. } if text == "遠" && (x - to.0).abs() < 5.0 && (y - to.1).abs() < 5.0));
    assert!(mark_near);
    let mut without = clinic();
    without.remote_paths.clear();
    assert_eq!(stroked_lines(&layout(&without, Paper::A3), PURPLE, true), 0);
}

#[test]
fn routed_links_are_dashed_and_address_links_solid() {
    let drawing = layout(&clinic(), Paper::A3);
    let network = daicho_diagram::layout::symbols::role_colors(Role::Network).0;
    assert_eq!(stroked_lines(&drawing, network, true), 1);
    // One solid router link (the uplink is the other solid line).
    assert_eq!(stroked_lines(&drawing, network, false), 2);
}

#[test]
fn devices_group_by_subnet_then_location() {
    let mut network = clinic();
    network
        .devices
        .push(device(9, "far-01", "10.9.9.9", Role::Unknown, ""));
    let drawing = layout(&network, Paper::A3);
    let texts = texts_of(&drawing);
    for expected in [
        "192.168.1.0/24",
        "192.168.2.0/24",
        "サブネット不明",
        "2F 詰所（4 台）",
        "B1 サーバ室（3 台）",
        "1F 放射線科（1 台）",
        "設置場所 未登録（1 台）",
    ] {
        assert!(texts.contains(&expected), "{expected} not in {texts:?}");
    }
}

/// A location of `n` devices, every seventh unregistered, every eleventh flagged.
fn crowded(n: i64) -> Network {
    let mut network = clinic();
    network.devices = (0..n)
        .map(|i| {
            let mut d = device(
                100 + i,
                &format!("ward-pc-{i:03}"),
                &format!("192.168.{}.{}", 1 + i / 250, 1 + i % 250),
                if i % 3 == 0 { Role::Medical } else { Role::Pc },
                "3F 病棟",
            );
            d.unregistered = i % 7 == 0;
            if i % 11 == 0 {
                d.flags.push("EOL OS".to_owned());
            }
            d
        })
        .collect();
    network.switches.clear();
    network.remote_paths.clear();
    network
}

#[test]
fn a_large_group_is_collapsed_but_marked_devices_stay_visible() {
    let network = crowded(30);
    let drawing = layout(&network, Paper::A4);
    let texts = texts_of(&drawing);
    for d in &network.devices {
        let drawn = texts.contains(&d.name.as_str());
        assert_eq!(drawn, d.is_marked(), "{}", d.name);
    }
    // The rest are counted per role: every device is accounted for.
    let counted: usize = texts
        .iter()
        .filter_map(|t| t.strip_prefix('×'))
        .map(|t| t.trim_end_matches("（要確認）").parse::<usize>().unwrap())
        .sum();
    let marked = network.devices.iter().filter(|d| d.is_marked()).count();
    assert_eq!(counted + marked, network.devices.len());
    // A small group is drawn one by one.
    let small = crowded(5);
    let small_drawing = layout(&small, Paper::A4);
    let texts = texts_of(&small_drawing);
    assert!(
        small
            .devices
            .iter()
            .all(|d| texts.contains(&d.name.as_str()))
    );
}

#[test]
fn over_the_marked_limit_the_remotely_maintained_devices_are_still_drawn() {
    // 200 devices: 48 marked, more than a group draws one by one; the last two are reached
    // by vendors and must be drawn for their paths to end at them.
    let mut network = crowded(200);
    let last: Vec<usize> = (0..network.devices.len())
        .filter(|&i| network.devices[i].is_marked())
        .rev()
        .take(2)
        .collect();
    for &i in &last {
        network.devices[i].remote_maintenance = true;
    }
    let texts = texts_of(&layout(&network, Paper::A3)).join("\n");
    for &i in &last {
        let name = &network.devices[i].name;
        assert!(texts.contains(name.as_str()), "{name} not drawn");
    }
}

#[test]
fn five_hundred_devices_fit_one_page_readably() {
    let network = crowded(500);
    for paper in [Paper::A3, Paper::A4] {
        let drawing = layout(&network, paper);
        let scale = drawing.layers[0].scale;
        assert!(scale >= 0.5, "{} scale {scale}", paper.name());
        let (_, h) = paper.size_mm();
        let bottom = drawing.layers[0]
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { y, h, .. } => Some(y + h),
                _ => None,
            })
            .fold(0.0_f32, f32::max);
        assert!(bottom * scale + 8.0 <= h, "content runs off the page");
    }
}

#[test]
fn the_same_network_gives_the_same_svg() {
    assert_eq!(
        render_svg(&layout(&clinic(), Paper::A3)),
        render_svg(&layout(&clinic(), Paper::A3))
    );
}

#[test]
fn svg_escapes_device_text_and_bounds_labels() {
    let mut network = clinic();
    network.devices[4].name = "<script>alert(1)</script>&\u{202e}gnp.exe".to_owned();
    network.devices[5].name = "長".repeat(200);
    network.facility = "病院\"'<>".to_owned();
    let svg = render_svg(&layout(&network, Paper::A4));
    assert!(!svg.contains("<script"), "markup passed through");
    assert!(svg.contains("&lt;script&gt;"), "{svg}");
    assert!(!svg.contains('\u{202e}'));
    assert!(!svg.contains(&"長".repeat(29)));
    assert!(svg.contains(&format!("{}…", "長".repeat(5))));
    assert!(svg.contains("病院&quot;&#39;&lt;&gt;"));
    assert!(svg.contains("width=\"297mm\" height=\"210mm\""));
    assert!(svg.contains("テスト診療所") || svg.contains("病院"));
    assert!(svg.contains("作成日：2026/12/07"));
}

#[test]
fn the_title_block_names_the_facility_and_date() {
    let texts_a3 = texts_of(&layout(&clinic(), Paper::A3)).join("\n");
    assert!(texts_a3.contains("医療機関名：テスト診療所"), "{texts_a3}");
    assert!(texts_a3.contains("作成日：2026/12/07"));
    assert!(texts_a3.contains("BCP 1-1 ・ A3"));
    assert!(texts_a3.contains("機器 8 台（未登録 1・要対応 1・遠隔保守 1）"));
}

#[test]
fn pdf_is_one_page_of_the_paper_with_each_glyph_once() {
    let font = JapaneseFont::system().expect("a Japanese font (fonts-noto-cjk)");
    let drawing = layout(&clinic(), Paper::A4);
    let pdf = render_pdf(&drawing, font);
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF-1.7"));
    assert!(text.trim_end().ends_with("%%EOF"));
    assert_eq!(text.matches("/Type /Page ").count(), 1);
    assert!(
        text.contains("/MediaBox [0 0 841.8898 595.2756]"),
        "A4 landscape"
    );
    // 構 drawn in the title block: its glyph is one form, used by name.
    let face = font.face();
    let id = face.glyph_index('構').unwrap().0;
    assert_eq!(text.matches(&format!("/G{id}b ")).count(), 1);
    assert_eq!(pdf, render_pdf(&drawing, font), "deterministic");
}
