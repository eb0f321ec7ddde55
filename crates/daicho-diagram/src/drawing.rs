//! The drawing both outputs render: shapes in millimetres on a page, top-left origin, y down.

/// A paper size, landscape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// A3 landscape (420 × 297 mm).
    #[default]
    A3,
    /// A4 landscape (297 × 210 mm).
    A4,
}

impl Paper {
    /// Width and height in millimetres, landscape.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Self::A3 => (420.0, 297.0),
            Self::A4 => (297.0, 210.0),
        }
    }

    /// Its name (`A3`).
    pub fn name(self) -> &'static str {
        match self {
            Self::A3 => "A3",
            Self::A4 => "A4",
        }
    }
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    /// Black.
    pub const BLACK: Self = Self(0, 0, 0);
    /// White.
    pub const WHITE: Self = Self(255, 255, 255);
}

/// How a shape's outline and inside are painted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paint {
    /// Outline colour; `None` for no outline.
    pub stroke: Option<Color>,
    /// Outline width in millimetres.
    pub width: f32,
    /// Inside colour; `None` for none.
    pub fill: Option<Color>,
    /// A dashed outline.
    pub dashed: bool,
}

impl Paint {
    /// An outline only.
    pub fn line(color: Color, width: f32) -> Self {
        Self {
            stroke: Some(color),
            width,
            fill: None,
            dashed: false,
        }
    }

    /// Filled and outlined.
    pub fn filled(fill: Color, stroke: Color, width: f32) -> Self {
        Self {
            stroke: Some(stroke),
            width,
            fill: Some(fill),
            dashed: false,
        }
    }

    /// The same, dashed.
    #[must_use]
    pub fn dashed(self) -> Self {
        Self {
            dashed: true,
            ..self
        }
    }
}

/// Where a text's x coordinate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// At its start.
    Start,
    /// At its middle.
    Middle,
}

/// One shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A rectangle, corners rounded by `radius`.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Corner radius.
        radius: f32,
        /// Paint.
        paint: Paint,
    },
    /// A straight line.
    Line {
        /// Start.
        from: (f32, f32),
        /// End.
        to: (f32, f32),
        /// Paint (stroke only).
        paint: Paint,
    },
    /// A closed polygon.
    Polygon {
        /// Corners.
        points: Vec<(f32, f32)>,
        /// Paint.
        paint: Paint,
    },
    /// A circle.
    Circle {
        /// Centre.
        center: (f32, f32),
        /// Radius.
        r: f32,
        /// Paint.
        paint: Paint,
    },
    /// One line of text, already bounded ([`crate::text::Label`]).
    Text {
        /// Anchor point x.
        x: f32,
        /// Baseline y.
        y: f32,
        /// Font size in millimetres.
        size: f32,
        /// What it says.
        text: String,
        /// Where x is.
        anchor: Anchor,
        /// Colour.
        color: Color,
        /// Bold (drawn heavier where the font has no bold face).
        bold: bool,
    },
}

/// Shapes under one transform: `page = content × scale + offset`.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Scale factor.
    pub scale: f32,
    /// Offset on the page, millimetres.
    pub offset: (f32, f32),
    /// The shapes.
    pub shapes: Vec<Shape>,
}

/// A page: its size and its layers, drawn in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// The paper.
    pub paper: Paper,
    /// The document's title (for the SVG `<title>` and the PDF's Title).
    pub title: String,
    /// The layers.
    pub layers: Vec<Layer>,
}
