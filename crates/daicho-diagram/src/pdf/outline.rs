//! A glyph's outline as a PDF form's content: font units, y up, curves as cubic Béziers.

use std::fmt::Write as _;

use super::f;

/// One glyph's form: its path operators and bounding box (font units).
pub struct GlyphOutline {
    /// The content stream.
    pub ops: String,
    /// `x0 y0 x1 y1`.
    pub bbox: (i32, i32, i32, i32),
}

/// The outline of `id` in `face`, filled; stroked too (by `stroke` units) when `bold`. A glyph
/// with no outline (a space) is an empty form.
pub fn glyph(
    face: &ttf_parser::Face<'_>,
    id: ttf_parser::GlyphId,
    bold: bool,
    stroke: f32,
) -> GlyphOutline {
    let mut path = PathOps::default();
    let rect = face.outline_glyph(id, &mut path);
    let Some(rect) = rect else {
        return GlyphOutline {
            ops: String::new(),
            bbox: (0, 0, 0, 0),
        };
    };
    let grow = if bold { stroke.ceil() as i32 } else { 0 };
    let mut ops = path.ops;
    if bold {
        let _ = write!(ops, "{} w 1 j B", f(stroke));
        ops.insert_str(0, "[] 0 d ");
    } else {
        ops.push('f');
    }
    GlyphOutline {
        ops,
        bbox: (
            i32::from(rect.x_min) - grow,
            i32::from(rect.y_min) - grow,
            i32::from(rect.x_max) + grow,
            i32::from(rect.y_max) + grow,
        ),
    }
}

/// Collects the outline as path operators.
#[derive(Default)]
struct PathOps {
    ops: String,
    at: (f32, f32),
}

impl ttf_parser::OutlineBuilder for PathOps {
    fn move_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.ops, "{} {} m ", f(x), f(y));
        self.at = (x, y);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.ops, "{} {} l ", f(x), f(y));
        self.at = (x, y);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        // The cubic with the same curve: control points two thirds towards the quadratic's.
        let (x0, y0) = self.at;
        let c1 = (x0 + 2.0 / 3.0 * (x1 - x0), y0 + 2.0 / 3.0 * (y1 - y0));
        let c2 = (x + 2.0 / 3.0 * (x1 - x), y + 2.0 / 3.0 * (y1 - y));
        self.curve_to(c1.0, c1.1, c2.0, c2.1, x, y);
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let _ = write!(
            self.ops,
            "{} {} {} {} {} {} c ",
            f(x1),
            f(y1),
            f(x2),
            f(y2),
            f(x),
            f(y)
        );
        self.at = (x, y);
    }

    fn close(&mut self) {
        self.ops.push_str("h ");
    }
}
