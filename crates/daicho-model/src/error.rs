//! Errors raised while reading wire data.

/// Why a document could not be read as a daicho report or message.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The input is not JSON at all (or is truncated).
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// The document carries a schema version this build does not understand.
    #[error(
        "field `schema`: version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedSchema {
        /// The version found in the document.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// A field is missing, has the wrong type, or holds a value that is not allowed.
    #[error("field `{path}`: {message}")]
    Field {
        /// Path to the offending field, e.g. `hosts[2].mac`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ModelError {
    /// The path of the field at fault, when the error concerns one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Syntax(_) => None,
            Self::UnsupportedSchema { .. } => Some("schema"),
            Self::Field { path, .. } => Some(path),
        }
    }
}
