//! Atomic file writes. Every file boarddiff writes goes to a temporary file created
//! exclusively, under an unpredictable name, in the target's own directory, and is then
//! renamed over the target: a crash leaves the old file or the new one, never half of
//! one, and a link planted where the temporary file will be cannot redirect the write.
use crate::error::{EngineError, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |e: std::io::Error| EngineError::Write {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // The usual mode of a new file (the umask still applies), not tempfile's private 0600:
    // a report is meant to be shared.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    // On failure the temporary file is removed when `persist`'s error drops it.
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Pretty JSON of `value`, written atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| EngineError::Write {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_keeps_the_previous_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keep.json");
        write_atomic(&path, b"old").unwrap();
        // A directory where the target's parent should be: the write fails up front.
        let blocked = dir.path().join("not-a-dir");
        std::fs::write(&blocked, b"file").unwrap();
        assert!(write_atomic(&blocked.join("x.json"), b"new").is_err());
        // Renaming over a non-empty directory fails after the temporary file was written.
        let target_dir = dir.path().join("occupied");
        std::fs::create_dir(&target_dir).unwrap();
        std::fs::write(target_dir.join("inside"), b"x").unwrap();
        let err = write_atomic(&target_dir, b"new").unwrap_err().to_string();
        assert!(err.contains("occupied"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn a_planted_link_at_a_temporary_name_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        // The old scheme's predictable temporary name, planted as a link to the victim.
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            &victim,
            dir.path()
                .join(format!(".report.json.tmp-{}", std::process::id())),
        )
        .unwrap();
        write_atomic(&dir.path().join("report.json"), b"{}").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(
            std::fs::read(dir.path().join("report.json")).unwrap(),
            b"{}"
        );
    }
}
