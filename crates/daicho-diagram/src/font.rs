//! The Japanese font the PDF draws its text with, found among the fonts installed on the
//! machine (never downloaded): Noto Sans CJK JP from Debian's `fonts-noto-cjk` first, then
//! other Japanese Gothic faces.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where fonts are looked for, in order.
pub const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The font files taken, best first: Noto Sans CJK (Debian `fonts-noto-cjk`), Noto Sans JP,
/// IPAex/IPA Gothic (`fonts-ipaexfont-gothic`, `fonts-ipafont-gothic`), Takao, VL Gothic.
pub const FONT_FILES: &[&str] = &[
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKjp-Regular.otf",
    "NotoSansJP-Regular.otf",
    "ipaexg.ttf",
    "ipag.ttf",
    "TakaoPGothic.ttf",
    "VL-PGothic-Regular.ttf",
];

/// The Debian package to install when no font is found.
pub const FONT_PACKAGE: &str = "fonts-noto-cjk";

/// Why no font could be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// None of [`FONT_FILES`] is installed.
    #[error(
        "no Japanese font found (looked for {files} under {dirs}): install the Debian package {FONT_PACKAGE}"
    )]
    NotFound {
        /// The file names looked for.
        files: String,
        /// The directories searched.
        dirs: String,
    },
    /// The file could not be read.
    #[error("cannot read the font {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a font with Japanese glyphs.
    #[error("the font {path} has no usable Japanese face")]
    NoJapaneseFace {
        /// The file.
        path: PathBuf,
    },
}

/// A Japanese font file in memory and the face of it used.
#[derive(Debug)]
pub struct JapaneseFont {
    data: Vec<u8>,
    index: u32,
    path: PathBuf,
}

impl JapaneseFont {
    /// The machine's Japanese font, read once per process (a failure is not kept, so a font
    /// installed later is found).
    pub fn system() -> Result<&'static Self, FontError> {
        static FONT: OnceLock<JapaneseFont> = OnceLock::new();
        if let Some(font) = FONT.get() {
            return Ok(font);
        }
        let dirs: Vec<&Path> = FONT_DIRS.iter().map(Path::new).collect();
        let font = Self::find(&dirs)?;
        Ok(FONT.get_or_init(|| font))
    }

    /// The best of [`FONT_FILES`] found under `dirs` (searched a few levels deep).
    pub fn find(dirs: &[&Path]) -> Result<Self, FontError> {
        let mut found: Vec<(usize, PathBuf)> = Vec::new();
        for dir in dirs {
            collect(dir, 0, &mut found);
        }
        found.sort();
        for (_, path) in found {
            match Self::load(&path) {
                Ok(font) => return Ok(font),
                Err(FontError::NoJapaneseFace { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Err(FontError::NotFound {
            files: FONT_FILES.join(", "),
            dirs: dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Reads `path`, taking its Japanese face (in a collection, the one whose family name
    /// says JP; any face that has kana and kanji).
    pub fn load(path: &Path) -> Result<Self, FontError> {
        let data = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_owned(),
            source,
        })?;
        let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut best = None;
        for index in 0..faces {
            let Ok(face) = ttf_parser::Face::parse(&data, index) else {
                continue;
            };
            if !"ネットワーク構成図"
                .chars()
                .all(|c| face.glyph_index(c).is_some())
            {
                continue;
            }
            let jp = face.names().into_iter().any(|n| {
                n.name_id == ttf_parser::name_id::FAMILY
                    && n.to_string().is_some_and(|s| s.contains("JP"))
            });
            if jp {
                best = Some(index);
                break;
            }
            best.get_or_insert(index);
        }
        match best {
            Some(index) => Ok(Self {
                data,
                index,
                path: path.to_owned(),
            }),
            None => Err(FontError::NoJapaneseFace {
                path: path.to_owned(),
            }),
        }
    }

    /// The face.
    pub fn face(&self) -> ttf_parser::Face<'_> {
        // Parsed once in `load`; the bytes have not changed since.
        ttf_parser::Face::parse(&self.data, self.index).expect("face parsed when loaded")
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Adds the files under `dir` named in [`FONT_FILES`], with their rank.
fn collect(dir: &Path, depth: usize, found: &mut Vec<(usize, PathBuf)>) {
    if depth > 5 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect(&path, depth + 1, found);
        } else if let Some(rank) = entry
            .file_name()
            .to_str()
            .and_then(|name| FONT_FILES.iter().position(|f| *f == name))
        {
            found.push((rank, path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_font_names_the_package_to_install() {
        let empty = tempdir();
        let err = JapaneseFont::find(&[empty.as_path()]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("fonts-noto-cjk"), "{text}");
        assert!(text.contains(&empty.display().to_string()), "{text}");
        std::fs::remove_dir_all(&empty).unwrap();
    }

    #[test]
    fn a_file_with_a_font_name_that_is_no_font_is_skipped() {
        let dir = tempdir();
        std::fs::write(dir.join("ipaexg.ttf"), b"not a font").unwrap();
        assert!(matches!(
            JapaneseFont::find(&[dir.as_path()]),
            Err(FontError::NotFound { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "daicho-diagram-font-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
