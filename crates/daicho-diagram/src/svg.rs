//! The drawing as SVG: one self-contained document in millimetres, text in a Japanese
//! sans-serif face, every text XML-escaped ([`xml_text`]).

use std::fmt::Write as _;

use daicho_model::display_text::markup_text;

use crate::drawing::{Anchor, Color, Drawing, Paint, Shape};

/// The font families asked for, Japanese faces first.
pub const FONT_FAMILY: &str = "'Noto Sans CJK JP', 'Noto Sans JP', 'IPAexGothic', 'Hiragino Sans', 'Yu Gothic', 'Meiryo', sans-serif";

/// `drawing` as an SVG document.
pub fn render_svg(drawing: &Drawing) -> String {
    let (w, h) = drawing.paper.size_mm();
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT_FAMILY}\">\n\
         <title>{}</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n",
        xml_text(&drawing.title)
    );
    for layer in &drawing.layers {
        let _ = writeln!(
            out,
            "<g transform=\"translate({} {}) scale({})\">",
            num(layer.offset.0),
            num(layer.offset.1),
            num(layer.scale)
        );
        for shape in &layer.shapes {
            shape_svg(&mut out, shape);
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// `text` safe inside an XML text node or attribute: the characters XML 1.0 forbids (C0
/// controls, U+FFFE/FFFF) dropped, tab and newlines as spaces, then `daicho-model`'s markup
/// neutraliser (`& < > " '` as references). Labels were already made one-line and bounded by
/// [`crate::text::label`].
pub fn xml_text(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect();
    markup_text(&allowed)
}

fn shape_svg(out: &mut String, shape: &Shape) {
    match shape {
        Shape::Rect {
            x,
            y,
            w,
            h,
            radius,
            paint,
        } => {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
                num(*x),
                num(*y),
                num(*w),
                num(*h)
            );
            if *radius > 0.0 {
                let _ = write!(out, " rx=\"{}\"", num(*radius));
            }
            paint_svg(out, paint);
        }
        Shape::Line { from, to, paint } => {
            let _ = write!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"",
                num(from.0),
                num(from.1),
                num(to.0),
                num(to.1)
            );
            paint_svg(out, paint);
        }
        Shape::Polygon { points, paint } => {
            out.push_str("<polygon points=\"");
            for (i, (x, y)) in points.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{},{}", num(*x), num(*y));
            }
            out.push('"');
            paint_svg(out, paint);
        }
        Shape::Circle { center, r, paint } => {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"",
                num(center.0),
                num(center.1),
                num(*r)
            );
            paint_svg(out, paint);
        }
        Shape::Text {
            x,
            y,
            size,
            text,
            anchor,
            color,
            bold,
        } => {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"{}{}>{}</text>",
                num(*x),
                num(*y),
                num(*size),
                hex(*color),
                if *anchor == Anchor::Middle {
                    " text-anchor=\"middle\""
                } else {
                    ""
                },
                if *bold { " font-weight=\"bold\"" } else { "" },
                xml_text(text)
            );
        }
    }
}

fn paint_svg(out: &mut String, paint: &Paint) {
    match paint.fill {
        Some(c) => {
            let _ = write!(out, " fill=\"{}\"", hex(c));
        }
        None => out.push_str(" fill=\"none\""),
    }
    if let Some(c) = paint.stroke {
        let _ = write!(
            out,
            " stroke=\"{}\" stroke-width=\"{}\"",
            hex(c),
            num(paint.width)
        );
        if paint.dashed {
            let _ = write!(
                out,
                " stroke-dasharray=\"{} {}\"",
                num(paint.width * 4.0 + 0.6),
                num(paint.width * 3.0 + 0.4)
            );
        }
    }
    out.push_str("/>\n");
}

fn hex(c: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A coordinate with at most two decimals, no trailing zeros (smaller files, same drawing).
fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            xml_text("<script>&\"'\u{0}\u{7}\u{FFFF}診療"),
            "&lt;script&gt;&amp;&quot;&#39;診療"
        );
    }

    proptest::proptest! {
        /// Whatever a device calls itself, the text stays text: no markup character is left
        /// bare, every `&` starts one of the five references, no character XML forbids.
        #[test]
        fn xml_text_leaves_no_markup(text in ".{0,64}") {
            let out = xml_text(&text);
            proptest::prop_assert!(!out.contains(['<', '>', '"', '\'']));
            for (i, _) in out.match_indices('&') {
                let rest = &out[i..];
                proptest::prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| rest.starts_with(e))
                );
            }
            let forbidden = out
                .chars()
                .any(|c| (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}');
            proptest::prop_assert!(!forbidden);
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.25");
        assert_eq!(num(-0.001), "0");
    }
}
