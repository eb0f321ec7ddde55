//! The page's frame: its border, the legend and the title block (facility, date, counts).

use crate::drawing::{Anchor, Color, Paint, Paper, Shape};
use crate::model::{Network, Role};
use crate::text::{TITLE_MAX_CHARS, fit, label};

use super::symbols::{GREY, PURPLE, marks, role_colors, role_symbol};

const INK: Color = Color(30, 30, 30);

/// The border, legend and title block of a `paper` page with `margin` and a bottom band of
/// height `foot`.
pub fn frame(network: &Network, paper: Paper, margin: f32, foot: f32) -> Vec<Shape> {
    let (w, h) = paper.size_mm();
    let mut out = vec![Shape::Rect {
        x: margin / 2.0,
        y: margin / 2.0,
        w: w - margin,
        h: h - margin,
        radius: 0.0,
        paint: Paint::line(GREY, 0.3),
    }];
    let top = h - margin - foot + 3.0;
    let text = |x: f32, y: f32, size: f32, t: String, bold: bool| Shape::Text {
        x,
        y,
        size,
        text: t,
        anchor: Anchor::Start,
        color: INK,
        bold,
    };
    // Legend: the roles in one row, the marks and lines in the next.
    out.push(text(margin, top + 3.0, 2.6, "凡例".to_owned(), true));
    let mut x = margin;
    for role in Role::ALL {
        out.extend(role_symbol(role, x + 2.5, top + 8.0, 4.2));
        out.push(text(
            x + 6.0,
            top + 8.8,
            2.3,
            role.label().to_owned(),
            false,
        ));
        x += 8.0 + crate::text::width_em(role.label()) * 2.3;
    }
    let y2 = top + 15.5;
    let mut x = margin;
    for (i, name) in [
        "未登録（台帳にない）",
        "要対応フラグあり",
        "遠隔保守あり・候補",
    ]
    .iter()
    .enumerate()
    {
        out.extend(role_symbol(Role::Unknown, x + 2.5, y2, 4.2));
        out.extend(marks(x + 2.5, y2, 4.2, i == 0, i == 1, i == 2));
        out.push(text(x + 7.0, y2 + 0.8, 2.3, (*name).to_owned(), false));
        x += 10.0 + crate::text::width_em(name) * 2.3;
    }
    let y3 = top + 23.0;
    let net = role_colors(Role::Network).0;
    let lines = [
        (
            Paint::line(net, 0.5),
            "ルータ—サブネット（アドレスあり・経路・LLDP）",
        ),
        (Paint::line(net, 0.5).dashed(), "ルータ越しに応答（推定）"),
        (Paint::line(PURPLE, 0.45).dashed(), "遠隔保守の経路"),
    ];
    let mut x = margin;
    for (paint, name) in lines {
        out.push(Shape::Line {
            from: (x, y3 - 0.8),
            to: (x + 8.0, y3 - 0.8),
            paint,
        });
        out.push(text(x + 10.0, y3, 2.3, name.to_owned(), false));
        x += 14.0 + crate::text::width_em(name) * 2.3;
    }
    out.push(text(
        margin,
        top + 28.0,
        1.9,
        "台数の多い設置場所は、未登録・要対応・遠隔保守の機器のみ個別に描き、他は種別ごとの台数で示す。"
            .to_owned(),
        false,
    ));
    // Title block.
    let bw = 112.0;
    let bx = w - margin - bw;
    let by = top - 1.0;
    let bh = foot - 4.0;
    out.push(Shape::Rect {
        x: bx,
        y: by,
        w: bw,
        h: bh,
        radius: 0.0,
        paint: Paint::line(INK, 0.4),
    });
    out.push(Shape::Line {
        from: (bx, by + 9.0),
        to: (bx + bw, by + 9.0),
        paint: Paint::line(INK, 0.25),
    });
    out.push(text(
        bx + 3.0,
        by + 6.5,
        4.2,
        "ネットワーク構成図".to_owned(),
        true,
    ));
    out.push(text(
        bx + 76.0,
        by + 6.0,
        2.2,
        format!("BCP 1-1 ・ {}", paper.name()),
        false,
    ));
    let facility = label(&network.facility, TITLE_MAX_CHARS);
    let facility = if facility.is_empty() {
        "（医療機関名 未設定）".to_owned()
    } else {
        facility
    };
    out.push(text(
        bx + 3.0,
        by + 14.5,
        3.2,
        fit(&format!("医療機関名：{facility}"), (bw - 6.0) / 3.2),
        true,
    ));
    out.push(text(
        bx + 3.0,
        by + 20.0,
        2.6,
        format!("作成日：{}", label(&network.date, 20)),
        false,
    ));
    let unregistered = network.devices.iter().filter(|d| d.unregistered).count();
    let flagged = network
        .devices
        .iter()
        .filter(|d| !d.flags.is_empty())
        .count();
    let remote = network
        .devices
        .iter()
        .filter(|d| d.remote_maintenance)
        .count();
    out.push(text(
        bx + 3.0,
        by + 25.5,
        2.3,
        format!(
            "機器 {} 台（未登録 {unregistered}・要対応 {flagged}・遠隔保守 {remote}）／サブネット {}／ルータ {}",
            network.devices.len(),
            network.subnets.len(),
            network.routers.len()
        ),
        false,
    ));
    out
}
