//! Writing a command's file: to `--output FILE` atomically, or to stdout when allowed.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use super::CliError;

/// Writes `bytes` to `path` (via a temporary file in the same directory and a rename, so a
/// reader never sees half a file), or to stdout when `path` is `None` or `-`. Binary output is
/// refused on a terminal.
pub(super) fn write_output(
    path: Option<&Path>,
    bytes: &[u8],
    binary: bool,
) -> Result<(), CliError> {
    if let Some(path) = path.filter(|p| p.as_os_str() != "-") {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let io = |source: std::io::Error| CliError::File {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    } else {
        let mut out = std::io::stdout().lock();
        if binary && out.is_terminal() {
            return Err(CliError::Usage(
                "refusing to write a binary file to the terminal; use --output FILE".into(),
            ));
        }
        out.write_all(bytes)?;
        out.flush()?;
        Ok(())
    }
}

/// Reads an input file, naming it in the error.
pub(super) fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::File {
        path: path.display().to_string(),
        source,
    })
}
