//! How each kind of device and each mark is drawn: one shape per role, the marks around it.

use crate::drawing::{Anchor, Color, Paint, Shape};
use crate::model::Role;

/// Red: unregistered, remote maintenance.
pub const RED: Color = Color(200, 30, 30);
/// Orange: flagged.
pub const ORANGE: Color = Color(220, 120, 0);
/// Purple: remote maintenance.
pub const PURPLE: Color = Color(130, 40, 160);
/// Grey text and frames.
pub const GREY: Color = Color(110, 110, 110);
/// Light grey panel fill.
pub const PANEL: Color = Color(246, 247, 249);

/// A role's outline and fill colours.
pub fn role_colors(role: Role) -> (Color, Color) {
    match role {
        Role::Server => (Color(33, 90, 160), Color(205, 225, 245)),
        Role::Pc => (Color(30, 120, 60), Color(210, 240, 215)),
        Role::Network => (Color(200, 110, 0), Color(255, 230, 195)),
        Role::Medical => (Color(190, 30, 70), Color(252, 215, 225)),
        Role::Printer => (Color(110, 60, 150), Color(230, 215, 245)),
        Role::Unknown => (Color(100, 100, 100), Color(230, 230, 230)),
    }
}

/// The symbol of `role`, centred on `(cx, cy)`, about `s` millimetres across.
pub fn role_symbol(role: Role, cx: f32, cy: f32, s: f32) -> Vec<Shape> {
    let (stroke, fill) = role_colors(role);
    let paint = Paint::filled(fill, stroke, 0.25);
    let h = s / 2.0;
    match role {
        Role::Server => vec![
            Shape::Rect {
                x: cx - h * 0.7,
                y: cy - h,
                w: s * 0.7,
                h: s,
                radius: 0.3,
                paint,
            },
            Shape::Line {
                from: (cx - h * 0.5, cy - h * 0.4),
                to: (cx + h * 0.5, cy - h * 0.4),
                paint: Paint::line(stroke, 0.2),
            },
            Shape::Line {
                from: (cx - h * 0.5, cy + h * 0.1),
                to: (cx + h * 0.5, cy + h * 0.1),
                paint: Paint::line(stroke, 0.2),
            },
        ],
        Role::Pc => vec![
            Shape::Rect {
                x: cx - h,
                y: cy - h * 0.8,
                w: s,
                h: s * 0.65,
                radius: 0.3,
                paint,
            },
            Shape::Line {
                from: (cx - h * 0.5, cy + h * 0.85),
                to: (cx + h * 0.5, cy + h * 0.85),
                paint: Paint::line(stroke, 0.35),
            },
        ],
        Role::Network => vec![Shape::Polygon {
            points: vec![(cx, cy - h), (cx + h, cy), (cx, cy + h), (cx - h, cy)],
            paint,
        }],
        Role::Medical => {
            let a = h * 0.35;
            vec![Shape::Polygon {
                points: vec![
                    (cx - a, cy - h),
                    (cx + a, cy - h),
                    (cx + a, cy - a),
                    (cx + h, cy - a),
                    (cx + h, cy + a),
                    (cx + a, cy + a),
                    (cx + a, cy + h),
                    (cx - a, cy + h),
                    (cx - a, cy + a),
                    (cx - h, cy + a),
                    (cx - h, cy - a),
                    (cx - a, cy - a),
                ],
                paint,
            }]
        }
        Role::Printer => vec![
            Shape::Rect {
                x: cx - h * 0.6,
                y: cy - h,
                w: s * 0.6,
                h,
                radius: 0.0,
                paint: Paint::filled(Color::WHITE, stroke, 0.2),
            },
            Shape::Rect {
                x: cx - h,
                y: cy - h * 0.4,
                w: s,
                h: h * 1.2,
                radius: 0.3,
                paint,
            },
        ],
        Role::Unknown => vec![
            Shape::Circle {
                center: (cx, cy),
                r: h,
                paint,
            },
            Shape::Text {
                x: cx,
                y: cy + h * 0.45,
                size: s * 0.6,
                text: "?".to_owned(),
                anchor: Anchor::Middle,
                color: stroke,
                bold: true,
            },
        ],
    }
}

/// The marks of a device around its symbol at `(cx, cy)` of size `s`: a red ring and 未 for
/// unregistered, an orange ! for flagged, a purple dashed ring and 遠 for remote maintenance.
pub fn marks(
    cx: f32,
    cy: f32,
    s: f32,
    unregistered: bool,
    flagged: bool,
    remote: bool,
) -> Vec<Shape> {
    let mut out = Vec::new();
    let r = s * 0.72;
    if unregistered {
        out.push(Shape::Circle {
            center: (cx, cy),
            r,
            paint: Paint::line(RED, 0.45),
        });
    }
    if remote {
        out.push(Shape::Circle {
            center: (cx, cy),
            r: r + 0.7,
            paint: Paint::line(PURPLE, 0.35).dashed(),
        });
    }
    let badge = |text: &str, dx: f32, dy: f32, color: Color| Shape::Text {
        x: cx + dx,
        y: cy + dy,
        size: s * 0.55,
        text: text.to_owned(),
        anchor: Anchor::Middle,
        color,
        bold: true,
    };
    if unregistered {
        out.push(badge("未", -r, -r * 0.55, RED));
    }
    if flagged {
        out.push(badge("!", r, -r * 0.55, ORANGE));
    }
    if remote {
        out.push(badge("遠", r, r * 1.05, PURPLE));
    }
    out
}
