//! The JSON files boarddiff reads back (sessions, golden profiles, batch summaries): read
//! with a size cap, parsed, and checked in one place, errors naming the file.
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::{read_text, MAX_TEXT_FILE_BYTES};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Reads `path` as a `T` that `check` accepts; `what` names the kind of file in errors.
pub(crate) fn load_checked<T: DeserializeOwned>(
    path: &Path,
    what: &'static str,
    check: impl FnOnce(&T) -> std::result::Result<(), String>,
) -> Result<T> {
    let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
    let invalid = |detail: String| EngineError::InvalidInput {
        path: path.to_owned(),
        what,
        detail,
    };
    let value: T = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    check(&value).map_err(invalid)?;
    Ok(value)
}

/// A path a file holds, resolved against the file's folder when relative, so that the
/// file and what it names can move together.
pub(crate) fn resolve_beside(file: &Path, named: &mut String) {
    let p = PathBuf::from(&*named);
    if p.is_relative() {
        let base = file.parent().unwrap_or(Path::new("."));
        *named = base.join(p).display().to_string();
    }
}
