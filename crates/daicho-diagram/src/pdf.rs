//! The drawing as a one-page PDF, written directly: shapes as PDF paths, text as the outlines of
//! the machine's Japanese font ([`JapaneseFont`]), each glyph once as a form XObject that every
//! use draws, so the file holds only the glyphs used and shows the same in every viewer (no
//! font embedding or substitution involved). Streams are deflated.

mod outline;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use crate::drawing::{Anchor, Color, Drawing, Paint, Shape};
use crate::font::JapaneseFont;

/// Points per millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;
/// Faux bold: the outline stroke width as a share of the em (the Noto CJK collection Debian
/// ships in one weight per file; a stroked outline reads as bold).
const BOLD_STROKE_EM: f32 = 0.035;
/// Bézier handle length for a quarter circle.
const KAPPA: f32 = 0.552_284_8;

/// `drawing` as a PDF document, its text drawn with `font`.
pub fn render_pdf(drawing: &Drawing, font: &JapaneseFont) -> Vec<u8> {
    let face = font.face();
    let mut glyphs = Glyphs {
        face: &face,
        used: BTreeSet::new(),
        order: Vec::new(),
    };
    let (w, h) = drawing.paper.size_mm();
    let mut content = String::with_capacity(256 * 1024);
    // Millimetres, origin top left, y down, as the drawing is.
    let _ = writeln!(
        content,
        "{} 0 0 {} 0 {} cm 1 J 1 j",
        f(PT_PER_MM),
        f(-PT_PER_MM),
        f(h * PT_PER_MM)
    );
    for layer in &drawing.layers {
        let _ = writeln!(
            content,
            "q {} 0 0 {} {} {} cm",
            f(layer.scale),
            f(layer.scale),
            f(layer.offset.0),
            f(layer.offset.1)
        );
        for shape in &layer.shapes {
            shape_pdf(&mut content, shape, &mut glyphs);
        }
        content.push_str("Q\n");
    }
    let mut doc = Document::default();
    let catalog = doc.reserve();
    let pages = doc.reserve();
    let page = doc.reserve();
    let contents = doc.stream("", content.as_bytes());
    let mut xobjects = String::new();
    for (key, glyph) in glyphs.order.iter().zip(glyphs.outlines()) {
        let id = doc.stream(
            &format!(
                "/Type /XObject /Subtype /Form /BBox [{} {} {} {}]",
                glyph.bbox.0, glyph.bbox.1, glyph.bbox.2, glyph.bbox.3
            ),
            glyph.ops.as_bytes(),
        );
        let _ = write!(xobjects, "/{} {id} 0 R ", key.name());
    }
    doc.set(catalog, format!("<< /Type /Catalog /Pages {pages} 0 R >>"));
    doc.set(
        pages,
        format!("<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>"),
    );
    doc.set(
        page,
        format!(
            "<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {} {}] /Contents {contents} 0 R \
             /Resources << /XObject << {xobjects}>> >> >>",
            f(w * PT_PER_MM),
            f(h * PT_PER_MM)
        ),
    );
    let info = doc.add(format!(
        "<< /Title {} /Producer (daicho) >>",
        utf16_string(&drawing.title)
    ));
    doc.finish(catalog, info)
}

/// A glyph as drawn: its id and whether faux bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct GlyphKey {
    id: u16,
    bold: bool,
}

impl GlyphKey {
    fn name(self) -> String {
        format!("G{}{}", self.id, if self.bold { "b" } else { "" })
    }
}

/// The glyphs used so far, in order of first use.
struct Glyphs<'a> {
    face: &'a ttf_parser::Face<'a>,
    used: BTreeSet<GlyphKey>,
    order: Vec<GlyphKey>,
}

impl Glyphs<'_> {
    fn use_glyph(&mut self, key: GlyphKey) {
        if self.used.insert(key) {
            self.order.push(key);
        }
    }

    /// The outline of each used glyph, in order.
    fn outlines(&self) -> Vec<outline::GlyphOutline> {
        let stroke = f32::from(self.face.units_per_em()) * BOLD_STROKE_EM;
        self.order
            .iter()
            .map(|k| outline::glyph(self.face, ttf_parser::GlyphId(k.id), k.bold, stroke))
            .collect()
    }
}

fn shape_pdf(out: &mut String, shape: &Shape, glyphs: &mut Glyphs<'_>) {
    match shape {
        Shape::Rect {
            x,
            y,
            w,
            h,
            radius,
            paint,
        } => {
            paint_state(out, paint);
            if *radius <= 0.0 {
                let _ = write!(out, "{} {} {} {} re ", f(*x), f(*y), f(*w), f(*h));
            } else {
                rounded_rect(out, *x, *y, *w, *h, radius.min(w / 2.0).min(h / 2.0));
            }
            paint_op(out, paint);
        }
        Shape::Line { from, to, paint } => {
            paint_state(out, paint);
            let _ = writeln!(
                out,
                "{} {} m {} {} l S",
                f(from.0),
                f(from.1),
                f(to.0),
                f(to.1)
            );
        }
        Shape::Polygon { points, paint } => {
            paint_state(out, paint);
            for (i, (x, y)) in points.iter().enumerate() {
                let op = if i == 0 { "m" } else { "l" };
                let _ = write!(out, "{} {} {op} ", f(*x), f(*y));
            }
            out.push_str("h ");
            paint_op(out, paint);
        }
        Shape::Circle { center, r, paint } => {
            paint_state(out, paint);
            circle(out, center.0, center.1, *r);
            paint_op(out, paint);
        }
        Shape::Text {
            x,
            y,
            size,
            text,
            anchor,
            color,
            bold,
        } => text_pdf(out, glyphs, (*x, *y), *size, text, *anchor, *color, *bold),
    }
}

/// One line of text: each glyph's form at its pen position, scaled from font units.
#[allow(clippy::too_many_arguments)]
fn text_pdf(
    out: &mut String,
    glyphs: &mut Glyphs<'_>,
    at: (f32, f32),
    size: f32,
    text: &str,
    anchor: Anchor,
    color: Color,
    bold: bool,
) {
    let face = glyphs.face;
    let scale = size / f32::from(face.units_per_em());
    let fallback = face.glyph_index('?');
    let placed: Vec<(u16, f32)> = text
        .chars()
        .filter_map(|c| face.glyph_index(c).or(fallback))
        .map(|g| {
            (
                g.0,
                f32::from(face.glyph_hor_advance(g).unwrap_or(0)) * scale,
            )
        })
        .collect();
    let width: f32 = placed.iter().map(|(_, a)| a).sum();
    let mut pen = match anchor {
        Anchor::Start => at.0,
        Anchor::Middle => at.0 - width / 2.0,
    };
    let _ = writeln!(out, "q {c} rg {c} RG", c = rgb(color));
    for (id, advance) in placed {
        let key = GlyphKey { id, bold };
        glyphs.use_glyph(key);
        // Font units are y up: flip back.
        let _ = writeln!(
            out,
            "q {s} 0 0 {n} {} {} cm /{} Do Q",
            f(pen),
            f(at.1),
            key.name(),
            s = f(scale),
            n = f(-scale)
        );
        pen += advance;
    }
    out.push_str("Q\n");
}

fn paint_state(out: &mut String, paint: &Paint) {
    if let Some(c) = paint.fill {
        let _ = write!(out, "{} rg ", rgb(c));
    }
    if let Some(c) = paint.stroke {
        let _ = write!(out, "{} RG {} w ", rgb(c), f(paint.width));
        if paint.dashed {
            let _ = write!(
                out,
                "[{} {}] 0 d ",
                f(paint.width * 4.0 + 0.6),
                f(paint.width * 3.0 + 0.4)
            );
        } else {
            out.push_str("[] 0 d ");
        }
    }
}

fn paint_op(out: &mut String, paint: &Paint) {
    out.push_str(match (paint.fill.is_some(), paint.stroke.is_some()) {
        (true, true) => "B\n",
        (true, false) => "f\n",
        (false, true) => "S\n",
        (false, false) => "n\n",
    });
}

#[allow(clippy::many_single_char_names)] // the geometry's own names
fn rounded_rect(out: &mut String, x: f32, y: f32, w: f32, h: f32, r: f32) {
    let k = r * (1.0 - KAPPA);
    let (x1, y1) = (x + w, y + h);
    let _ = write!(
        out,
        "{} {} m {} {} l {} {} {} {} {} {} c {} {} l {} {} {} {} {} {} c {} {} l {} {} {} {} {} {} c {} {} l {} {} {} {} {} {} c h ",
        f(x + r),
        f(y),
        f(x1 - r),
        f(y),
        f(x1 - k),
        f(y),
        f(x1),
        f(y + k),
        f(x1),
        f(y + r),
        f(x1),
        f(y1 - r),
        f(x1),
        f(y1 - k),
        f(x1 - k),
        f(y1),
        f(x1 - r),
        f(y1),
        f(x + r),
        f(y1),
        f(x + k),
        f(y1),
        f(x),
        f(y1 - k),
        f(x),
        f(y1 - r),
        f(x),
        f(y + r),
        f(x),
        f(y + k),
        f(x + k),
        f(y),
        f(x + r),
        f(y),
    );
}

fn circle(out: &mut String, cx: f32, cy: f32, r: f32) {
    let k = r * KAPPA;
    let _ = write!(
        out,
        "{} {} m {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c h ",
        f(cx + r),
        f(cy),
        f(cx + r),
        f(cy + k),
        f(cx + k),
        f(cy + r),
        f(cx),
        f(cy + r),
        f(cx - k),
        f(cy + r),
        f(cx - r),
        f(cy + k),
        f(cx - r),
        f(cy),
        f(cx - r),
        f(cy - k),
        f(cx - k),
        f(cy - r),
        f(cx),
        f(cy - r),
        f(cx + k),
        f(cy - r),
        f(cx + r),
        f(cy - k),
        f(cx + r),
        f(cy),
    );
}

fn rgb(c: Color) -> String {
    format!(
        "{} {} {}",
        f(f32::from(c.0) / 255.0),
        f(f32::from(c.1) / 255.0),
        f(f32::from(c.2) / 255.0)
    )
}

/// A number for a content stream: at most four decimals, no trailing zeros.
fn f(v: f32) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// A PDF text string holding any Unicode: UTF-16BE with its byte-order mark, as hex.
fn utf16_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// The objects of a PDF file, numbered from 1.
#[derive(Default)]
struct Document {
    objects: Vec<Vec<u8>>,
}

impl Document {
    fn reserve(&mut self) -> usize {
        self.objects.push(Vec::new());
        self.objects.len()
    }

    fn set(&mut self, id: usize, dict: String) {
        self.objects[id - 1] = dict.into_bytes();
    }

    fn add(&mut self, dict: String) -> usize {
        let id = self.reserve();
        self.set(id, dict);
        id
    }

    /// A deflated stream with `dict` entries besides its length and filter.
    fn stream(&mut self, dict: &str, data: &[u8]) -> usize {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(data);
        let packed = z.finish().unwrap_or_default();
        let mut obj = format!(
            "<< {dict} /Length {} /Filter /FlateDecode >>\nstream\n",
            packed.len()
        )
        .into_bytes();
        obj.extend_from_slice(&packed);
        obj.extend_from_slice(b"\nendstream");
        let id = self.reserve();
        self.objects[id - 1] = obj;
        id
    }

    fn finish(self, root: usize, info: usize) -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (i, obj) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(obj);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.objects.len() + 1);
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            self.objects.len() + 1
        );
        out.extend_from_slice(table.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings_are_pdf_syntax() {
        assert_eq!(f(2.0), "2");
        assert_eq!(f(0.12345), "0.1235");
        assert_eq!(f(-0.00001), "0");
        assert_eq!(utf16_string("構A"), "<FEFF69CB0041>");
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let mut doc = Document::default();
        let a = doc.add("<< /A 1 >>".to_owned());
        let b = doc.add("<< /B 2 >>".to_owned());
        let pdf = doc.finish(a, b);
        let text = String::from_utf8_lossy(&pdf);
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref\n0 3\n"));
        let table = String::from_utf8_lossy(&pdf[xref_at..]);
        for (i, line) in table.lines().skip(3).take(2).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
    }
}
