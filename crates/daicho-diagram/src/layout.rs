//! Where everything goes: a [`Network`] laid out on a page as a [`Drawing`], deterministically
//! (the same network gives the same drawing, byte for byte once rendered).
//!
//! From the top: the vendors who reach in from outside, the routers, then one panel per
//! subnet (its switches with their ports, then its devices grouped by 設置場所). A group of more
//! than [`COLLAPSE_OVER`] devices shows its marked devices (unregistered, flagged, remotely
//! maintained) one by one and the rest as a count per role, so a network of hundreds of devices
//! stays readable. Lines: router to subnet (dashed when only inferred), switch uplinks, vendor to
//! device (purple, dashed). What does not fit the page is scaled down as a whole. The legend and
//! the title block (facility, date, counts) sit at the bottom.

mod frame;
pub mod symbols;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::drawing::{Anchor, Color, Drawing, Layer, Paint, Paper, Shape};
use crate::model::{Device, DeviceRef, LinkEvidence, Network, Role};
use crate::text::{LABEL_MAX_CHARS, fit, label};
use symbols::{GREY, PANEL, PURPLE, marks, role_colors, role_symbol};

/// A location group of more devices than this is collapsed to counts per role (its marked
/// devices still drawn one by one).
pub const COLLAPSE_OVER: usize = 8;

/// The most marked devices a collapsed group draws one by one; the rest are counted.
pub const MARKED_SHOWN_MAX: usize = 16;

/// Page margin, millimetres.
const MARGIN: f32 = 8.0;
/// Height of the bottom band (legend, title block).
const FOOT: f32 = 34.0;
/// Gap between panels.
const GAP: f32 = 6.0;
/// Padding inside a panel.
const PAD: f32 = 2.5;
/// One device item's height.
const ITEM_H: f32 = 7.5;
/// One device item's least width.
const ITEM_W: f32 = 34.0;
/// A count chip's height.
const CHIP_H: f32 = 5.0;
/// The most ports a switch box lists; the rest are counted.
const PORTS_SHOWN_MAX: usize = 8;
/// One device symbol's size.
const SYMBOL: f32 = 4.2;
/// Body text size.
const FONT: f32 = 2.3;
/// Small text size.
const SMALL: f32 = 1.9;
/// A box of the top bands (vendors, routers).
const NODE_W: f32 = 44.0;
const NODE_H: f32 = 10.0;
/// Text colour.
const INK: Color = Color(30, 30, 30);
/// A panel's frame.
const FRAME: Color = Color(150, 155, 165);

/// Lays `network` out on `paper`: of the ways tried (one to six columns of panels, groups
/// collapsed above [`COLLAPSE_OVER`], then above 4, then all), the first collapse level
/// whose best column count draws at [`READABLE_SCALE`] or more, else the largest scale found
/// (the most columns among equals).
pub fn layout(network: &Network, paper: Paper) -> Drawing {
    let (page_w, page_h) = paper.size_mm();
    let width = page_w - 2.0 * MARGIN;
    let room = page_h - 2.0 * MARGIN - FOOT;
    let groups = subnet_groups(network).len().max(1);
    let mut best: Option<(f32, Canvas)> = None;
    'levels: for collapse_over in [COLLAPSE_OVER, 4, 0] {
        for columns in 1..=groups.min(6) {
            let (canvas, height) = place(network, width, columns, collapse_over);
            let scale = (room / height.max(1.0)).min(1.0);
            // Ties go to more columns: panels side by side, each linked straight from above.
            if best.as_ref().is_none_or(|(s, _)| scale >= *s - 1e-4) {
                best = Some((scale, canvas));
            }
        }
        if best.as_ref().is_some_and(|(s, _)| *s >= READABLE_SCALE) {
            break 'levels;
        }
    }
    let (scale, canvas) = best.unwrap_or_default();
    let mut shapes = canvas.back;
    shapes.extend(canvas.lines);
    shapes.extend(canvas.front);
    let title = format!("ネットワーク構成図 {}", label(&network.facility, 40));
    Drawing {
        paper,
        title: title.trim().to_owned(),
        layers: vec![
            Layer {
                scale,
                offset: (MARGIN, MARGIN),
                shapes,
            },
            Layer {
                scale: 1.0,
                offset: (0.0, 0.0),
                shapes: frame::frame(network, paper, MARGIN, FOOT),
            },
        ],
    }
}

/// The scale at which the smallest text is still read on paper without effort.
pub const READABLE_SCALE: f32 = 0.7;

/// The content in `columns` columns of panels across `width`, location groups of more than
/// `collapse_over` devices collapsed; returns it and its height.
fn place(network: &Network, width: f32, columns: usize, collapse_over: usize) -> (Canvas, f32) {
    let mut canvas = Canvas {
        collapse_over,
        ..Canvas::default()
    };
    let mut y = 0.0;
    let vendors = vendor_nodes(network);
    let vendor_boxes = node_row(&mut canvas, &vendors, width, y, PURPLE, true);
    if !vendors.is_empty() {
        y += NODE_H + GAP * 2.0;
    }
    let router_names: Vec<String> = network
        .routers
        .iter()
        .map(|r| label(&r.name, LABEL_MAX_CHARS))
        .collect();
    let router_boxes = node_row(
        &mut canvas,
        &router_names,
        width,
        y,
        role_colors(Role::Network).0,
        false,
    );
    if !router_names.is_empty() {
        y += NODE_H + GAP * 2.0;
    }
    let groups = subnet_groups(network);
    let panel_w = (width - GAP * (columns as f32 - 1.0)) / columns as f32;
    let mut panel_tops: BTreeMap<Option<IpNet>, (f32, f32)> = BTreeMap::new();
    for row in groups.chunks(columns) {
        let mut row_h: f32 = 0.0;
        let mut panels = Vec::new();
        for (i, group) in row.iter().enumerate() {
            let x = i as f32 * (panel_w + GAP);
            let mut panel = Canvas {
                collapse_over,
                ..Canvas::default()
            };
            let h = draw_panel(&mut panel, network, group, x, y, panel_w);
            row_h = row_h.max(h);
            panel_tops.insert(group.net, (x + panel_w / 2.0, y));
            panels.push((x, panel));
        }
        for (x, panel) in panels {
            canvas.back.push(Shape::Rect {
                x,
                y,
                w: panel_w,
                h: row_h,
                radius: 1.5,
                paint: Paint::filled(PANEL, FRAME, 0.3),
            });
            canvas.absorb(panel);
        }
        y += row_h + GAP;
    }
    for link in &network.links {
        let (Some(&(rx, ry)), Some(&(px, py))) = (
            router_boxes.get(link.router),
            panel_tops.get(&Some(link.subnet)),
        ) else {
            continue;
        };
        let paint = Paint::line(role_colors(Role::Network).0, 0.5);
        canvas.lines.push(Shape::Line {
            from: (rx, ry + NODE_H),
            to: (px, py),
            paint: if link.evidence == LinkEvidence::Routed {
                paint.dashed()
            } else {
                paint
            },
        });
    }
    for path in &network.remote_paths {
        let key = vendor_key(&path.vendor, &path.method);
        let Some(i) = vendors.iter().position(|v| *v == key) else {
            continue;
        };
        let Some(&(dx, dy)) = canvas.device_at.get(&path.device) else {
            continue;
        };
        let (vx, vy) = vendor_boxes[i];
        canvas.lines.push(Shape::Line {
            from: (vx, vy + NODE_H),
            to: (dx, dy),
            paint: Paint::line(PURPLE, if path.confirmed { 0.45 } else { 0.3 }).dashed(),
        });
    }
    (canvas, y)
}

/// Shapes in three depths (panels, lines, the rest) and where each device was drawn.
#[derive(Debug, Default)]
struct Canvas {
    /// Groups of more devices are collapsed.
    collapse_over: usize,
    back: Vec<Shape>,
    lines: Vec<Shape>,
    front: Vec<Shape>,
    device_at: BTreeMap<DeviceRef, (f32, f32)>,
    switch_at: BTreeMap<DeviceRef, (f32, f32)>,
}

impl Canvas {
    fn absorb(&mut self, other: Self) {
        self.back.extend(other.back);
        self.lines.extend(other.lines);
        self.front.extend(other.front);
        self.device_at.extend(other.device_at);
        self.switch_at.extend(other.switch_at);
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: String, color: Color, bold: bool) {
        self.front.push(Shape::Text {
            x,
            y,
            size,
            text,
            anchor: Anchor::Start,
            color,
            bold,
        });
    }
}

/// One vendor box's text: `vendor（method）`.
fn vendor_key(vendor: &str, method: &str) -> String {
    let vendor = if vendor.trim().is_empty() {
        "保守事業者 未確認"
    } else {
        vendor
    };
    label(&format!("{vendor}（{method}）"), LABEL_MAX_CHARS)
}

/// The vendor boxes, one per vendor and method, in order.
fn vendor_nodes(network: &Network) -> Vec<String> {
    let mut keys: Vec<String> = network
        .remote_paths
        .iter()
        .map(|p| vendor_key(&p.vendor, &p.method))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A row of boxes across `width` at `y`; returns each box's top centre.
fn node_row(
    canvas: &mut Canvas,
    names: &[String],
    width: f32,
    y: f32,
    color: Color,
    outside: bool,
) -> Vec<(f32, f32)> {
    let n = names.len();
    if n == 0 {
        return Vec::new();
    }
    let node_w = NODE_W.min((width - GAP * (n as f32 - 1.0)) / n as f32);
    let total = n as f32 * node_w + (n as f32 - 1.0) * GAP;
    let start = (width - total) / 2.0;
    let mut out = Vec::with_capacity(n);
    for (i, name) in names.iter().enumerate() {
        let x = start + i as f32 * (node_w + GAP);
        let paint = Paint::filled(Color::WHITE, color, 0.5);
        canvas.front.push(Shape::Rect {
            x,
            y,
            w: node_w,
            h: NODE_H,
            radius: if outside { 4.0 } else { 1.0 },
            paint: if outside { paint.dashed() } else { paint },
        });
        let kind = if outside { "外部" } else { "ルータ" };
        canvas.text(x + 1.5, y + 3.5, SMALL, kind.to_owned(), color, true);
        canvas.text(
            x + 1.5,
            y + 7.5,
            FONT,
            fit(name, (node_w - 3.0) / FONT),
            INK,
            false,
        );
        out.push((x + node_w / 2.0, y));
    }
    out
}

/// One subnet's devices (or the devices in no known subnet, `net: None`).
#[derive(Debug)]
struct SubnetGroup<'a> {
    net: Option<IpNet>,
    source: String,
    devices: Vec<&'a Device>,
}

/// The devices by subnet (the longest known prefix holding the address), subnets in address
/// order, the devices of no known subnet last.
fn subnet_groups(network: &Network) -> Vec<SubnetGroup<'_>> {
    let mut subnets: Vec<&crate::model::Subnet> = network.subnets.iter().collect();
    subnets.sort_by_key(|s| s.net);
    subnets.dedup_by_key(|s| s.net);
    let mut groups: Vec<SubnetGroup<'_>> = subnets
        .iter()
        .map(|s| SubnetGroup {
            net: Some(s.net),
            source: s.source.clone(),
            devices: Vec::new(),
        })
        .collect();
    let mut rest = Vec::new();
    for device in &network.devices {
        match device.ip.and_then(|ip| home(&subnets, ip)) {
            Some(i) => groups[i].devices.push(device),
            None => rest.push(device),
        }
    }
    if !rest.is_empty() {
        groups.push(SubnetGroup {
            net: None,
            source: String::new(),
            devices: rest,
        });
    }
    groups
}

/// The index of the longest prefix of `subnets` holding `ip`.
fn home(subnets: &[&crate::model::Subnet], ip: IpAddr) -> Option<usize> {
    subnets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.net.contains(&ip))
        .max_by_key(|(i, s)| (s.net.prefix_len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
}

/// Draws one subnet panel at `(x, y)`; returns its height.
fn draw_panel(
    canvas: &mut Canvas,
    network: &Network,
    group: &SubnetGroup<'_>,
    x: f32,
    y: f32,
    w: f32,
) -> f32 {
    let inner = w - 2.0 * PAD;
    let mut cy = y + PAD + 3.2;
    let head = match group.net {
        Some(net) => net.to_string(),
        None => "サブネット不明".to_owned(),
    };
    canvas.text(x + PAD, cy, 3.0, head, INK, true);
    cy += 3.0;
    let count = format!("{} 台  {}", group.devices.len(), label(&group.source, 20));
    canvas.text(x + PAD, cy, SMALL, count, GREY, false);
    cy += 2.5;
    cy = draw_switches(canvas, network, group, x + PAD, cy, inner);
    let mut by_location: BTreeMap<(bool, String), Vec<&Device>> = BTreeMap::new();
    for d in &group.devices {
        let place = label(&d.location, LABEL_MAX_CHARS);
        by_location
            .entry((place.is_empty(), place))
            .or_default()
            .push(d);
    }
    for ((_, place), mut devices) in by_location {
        devices.sort_by(|a, b| (a.ip, &a.name, a.id).cmp(&(b.ip, &b.name, b.id)));
        cy += 2.0;
        let place = if place.is_empty() {
            "設置場所 未登録".to_owned()
        } else {
            place
        };
        let head = format!("{place}（{} 台）", devices.len());
        canvas.text(x + PAD, cy + 2.4, FONT, fit(&head, inner / FONT), INK, true);
        canvas.lines.push(Shape::Line {
            from: (x + PAD, cy + 3.4),
            to: (x + w - PAD, cy + 3.4),
            paint: Paint::line(FRAME, 0.2),
        });
        cy += 4.0;
        cy = draw_location(canvas, &devices, x + PAD, cy, inner);
    }
    cy - y + PAD
}

/// Draws the switches standing in this subnet, each with its ports; returns the next y.
fn draw_switches(
    canvas: &mut Canvas,
    network: &Network,
    group: &SubnetGroup<'_>,
    x: f32,
    mut y: f32,
    w: f32,
) -> f32 {
    let names: BTreeMap<DeviceRef, &str> = network
        .devices
        .iter()
        .map(|d| (d.id, d.name.as_str()))
        .collect();
    for switch in &network.switches {
        if !group.devices.iter().any(|d| d.id == switch.device) {
            continue;
        }
        y += 1.5;
        let top = y;
        let color = role_colors(Role::Network).0;
        y += 3.2;
        let head = format!("スイッチ {}", label(&switch.name, LABEL_MAX_CHARS));
        canvas.text(x + 1.5, y, FONT, fit(&head, (w - 3.0) / FONT), color, true);
        let (listed, rest) = switch
            .ports
            .split_at(switch.ports.len().min(PORTS_SHOWN_MAX));
        for port in listed {
            y += 2.8;
            let text = if let Some(up) = port.uplink_to {
                let to = names.get(&up).copied().unwrap_or("?");
                format!("ポート {} ⇧ {}（アップリンク）", port.name, label(to, 20))
            } else {
                let shown: Vec<String> = port
                    .devices
                    .iter()
                    .take(2)
                    .map(|d| label(names.get(d).copied().unwrap_or("?"), 14))
                    .collect();
                let more = port.devices.len().saturating_sub(2);
                let more = if more > 0 {
                    format!(" 他{more}台")
                } else {
                    String::new()
                };
                format!("ポート {}: {}{more}", port.name, shown.join("、"))
            };
            canvas.text(
                x + 2.5,
                y,
                SMALL,
                fit(&label(&text, 60), (w - 4.0) / SMALL),
                INK,
                false,
            );
        }
        if !rest.is_empty() {
            y += 2.8;
            let devices: usize = rest.iter().map(|p| p.devices.len()).sum();
            let text = format!("他 {} ポート（{devices} 台）", rest.len());
            canvas.text(x + 2.5, y, SMALL, text, GREY, false);
        }
        y += 1.5;
        canvas.back.push(Shape::Rect {
            x,
            y: top,
            w,
            h: y - top,
            radius: 0.8,
            paint: Paint::filled(Color::WHITE, color, 0.35),
        });
        canvas.switch_at.insert(switch.device, (x + w / 2.0, top));
    }
    // Uplinks between two switches drawn in this panel: a line from the lower to the upper.
    for switch in &network.switches {
        for port in &switch.ports {
            let Some(up) = port.uplink_to else { continue };
            if let (Some(&a), Some(&b)) = (
                canvas.switch_at.get(&switch.device),
                canvas.switch_at.get(&up),
            ) {
                canvas.lines.push(Shape::Line {
                    from: (x + w - 2.0, a.1 + 1.0),
                    to: (x + w - 2.0, b.1 + 1.0),
                    paint: Paint::line(role_colors(Role::Network).0, 0.6),
                });
            }
        }
    }
    y
}

/// Draws one location group's devices, as many to a row as fit; returns the next y.
fn draw_location(canvas: &mut Canvas, devices: &[&Device], x: f32, y: f32, w: f32) -> f32 {
    let (shown, counted): (Vec<&Device>, Vec<&Device>) = if devices.len() > canvas.collapse_over {
        let (marked, plain): (Vec<&Device>, Vec<&Device>) =
            devices.iter().partition(|d| d.is_marked());
        let mut shown = marked;
        let mut counted = plain;
        // A remotely maintained device is drawn before other marked ones: its path ends at it.
        shown.sort_by_key(|d| !d.remote_maintenance);
        if shown.len() > MARKED_SHOWN_MAX {
            counted.extend(shown.split_off(MARKED_SHOWN_MAX));
        }
        (shown, counted)
    } else {
        (devices.to_vec(), Vec::new())
    };
    let per_row = ((w / ITEM_W) as usize).max(1);
    let col_w = w / per_row as f32;
    let mut cells = 0usize;
    let mut cell = || {
        let at = (
            x + (cells % per_row) as f32 * col_w,
            y + (cells / per_row) as f32 * ITEM_H,
        );
        cells += 1;
        at
    };
    for d in &shown {
        let (cx, cy) = cell();
        draw_device(canvas, d, cx, cy, col_w);
    }
    let mut y = y + cells.div_ceil(per_row) as f32 * ITEM_H;
    // The counted devices: one chip per role (symbol and ×count), flowing across the row.
    let mut counts: BTreeMap<(Role, bool), usize> = BTreeMap::new();
    for d in &counted {
        *counts.entry((d.role, d.is_marked())).or_default() += 1;
    }
    let mut cx = x;
    if !counts.is_empty() {
        y += 0.5;
    }
    for (i, ((role, marked), n)) in counts.into_iter().enumerate() {
        let text = if marked {
            format!("×{n}（要確認）")
        } else {
            format!("×{n}")
        };
        let chip_w = SYMBOL + 2.0 + crate::text::width_em(&text) * FONT + 2.0;
        if i > 0 && cx + chip_w > x + w {
            cx = x;
            y += CHIP_H;
        }
        let mid = (cx + SYMBOL / 2.0 + 0.5, y + CHIP_H / 2.0);
        canvas
            .front
            .extend(role_symbol(role, mid.0, mid.1, SYMBOL * 0.85));
        canvas.text(cx + SYMBOL + 1.5, mid.1 + 0.8, FONT, text, INK, true);
        cx += chip_w;
    }
    if cx > x {
        y += CHIP_H;
    }
    y
}

/// Draws one device in a cell at `(x, y)` of width `w`: its symbol and marks, name and address.
fn draw_device(canvas: &mut Canvas, d: &Device, x: f32, y: f32, w: f32) {
    let mid = (x + SYMBOL / 2.0 + 0.8, y + ITEM_H / 2.0);
    canvas
        .front
        .extend(role_symbol(d.role, mid.0, mid.1, SYMBOL));
    canvas.front.extend(marks(
        mid.0,
        mid.1,
        SYMBOL,
        d.unregistered,
        !d.flags.is_empty(),
        d.remote_maintenance,
    ));
    canvas.device_at.insert(d.id, mid);
    let tx = x + SYMBOL + 2.6;
    let room = w - SYMBOL - 3.0;
    let name = label(&d.name, LABEL_MAX_CHARS);
    let name = if name.is_empty() {
        "（名前なし）".to_owned()
    } else {
        name
    };
    canvas.text(tx, y + 3.2, FONT, fit(&name, room / FONT), INK, false);
    let mut second = d.ip.map(|ip| ip.to_string()).unwrap_or_default();
    if let Some(flag) = d.flags.first() {
        second = format!("{second} {}", label(flag, 12));
    }
    canvas.text(
        tx,
        y + 5.8,
        SMALL,
        fit(second.trim(), room / SMALL),
        GREY,
        false,
    );
}
