//! One run's output folder. A run is written into a fresh staging folder beside `--out`
//! and swapped in whole when it is complete, so `--out` always holds one complete run, the
//! previous one or the new one, never a mix; a lock beside it refuses a second run on the
//! same folder while one is writing.
use crate::error::{EngineError, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A folder boarddiff may replace holds one of these; anything else is the user's own
/// folder, which a run must never delete.
const RUN_MARKERS: [&str; 3] = ["report.json", "report.html", "summary.json"];

pub struct RunFolder {
    out: PathBuf,
    staging: Option<tempfile::TempDir>,
    // Held until the run is swapped in; the OS releases it if the process dies.
    _lock: File,
}

impl RunFolder {
    /// Claims `out` for one run, before any work starts: refuses an `out` that is a file,
    /// a folder of the user's own, one another run is writing, one that holds any of
    /// `inputs`, or one whose parent cannot be written.
    pub fn begin(out: &Path, inputs: &[&Path]) -> Result<RunFolder> {
        let refuse = |detail: String| EngineError::Write {
            path: out.to_owned(),
            detail,
        };
        let io = |e: std::io::Error| refuse(e.to_string());
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != "." && n != "..")
            .ok_or_else(|| refuse("name the output folder itself, not . or ..".into()))?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io)?;
        if out.exists() && !out.is_dir() {
            return Err(refuse("exists and is not a folder".into()));
        }
        if let Some(input) = inputs.iter().find(|i| lies_inside(i, out)) {
            return Err(refuse(format!(
                "the input {} lies inside it, and a run replaces the whole folder; \
                 choose another output folder",
                input.display()
            )));
        }
        if out.is_dir() && !is_run_folder(out).map_err(io)? {
            return Err(refuse(
                "the folder holds files that boarddiff did not write (no report.json); \
                 a run replaces the whole folder, so choose a new or empty one"
                    .into(),
            ));
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(parent.join(format!(".{name}.lock")))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(refuse(
                    "another boarddiff run is writing this folder; wait for it to finish".into(),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Under the lock, staging folders left by a run that was killed are litter.
        remove_litter(parent, &name);
        let prefix = staging_prefix(&name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        // Becomes `out`: the usual mode of a new folder (the umask applies), not 0700.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let staging = builder.tempdir_in(parent).map_err(io)?;
        Ok(RunFolder {
            out: out.to_owned(),
            staging: Some(staging),
            _lock: lock,
        })
    }

    /// The folder a run picked in a dialog should go to: `picked` itself when it is new,
    /// empty or an earlier run, otherwise a folder `name` inside it (numbered when taken),
    /// so that choosing the desktop never means replacing it.
    pub fn target_in(picked: &Path, name: &str) -> PathBuf {
        let usable = |p: &Path| !p.exists() || (p.is_dir() && is_run_folder(p).unwrap_or(false));
        if usable(picked) {
            return picked.to_owned();
        }
        (1..1000)
            .map(|i| match i {
                1 => picked.join(name),
                _ => picked.join(format!("{name}-{i}")),
            })
            .find(|p| usable(p))
            .unwrap_or_else(|| picked.join(name))
    }

    /// Where the run writes its files until [`RunFolder::commit`].
    pub fn path(&self) -> &Path {
        match &self.staging {
            Some(s) => s.path(),
            None => &self.out,
        }
    }

    /// Where a file the user asked for at `path` goes: inside the staging folder when
    /// `path` lies in `--out` (so it is swapped in with the run), None when it lies
    /// elsewhere and is written once the run is in place.
    pub fn staged_path(&self, path: &Path) -> Option<PathBuf> {
        let staging = self.staging.as_ref()?;
        if !lies_inside(path, &self.out) {
            return None;
        }
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        let relative = absolute(path);
        let relative = relative.strip_prefix(absolute(&self.out)).ok()?;
        Some(staging.path().join(relative))
    }

    /// Swaps the complete run in for the previous one.
    pub fn commit(mut self) -> Result<()> {
        let err = |e: std::io::Error| EngineError::Write {
            path: self.out.clone(),
            detail: e.to_string(),
        };
        let Some(staging) = self.staging.take() else {
            return Ok(());
        };
        let staging = staging.keep();
        let result = swap_in(&staging, &self.out);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result.map_err(err)
    }
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.staging-")
}

fn is_run_folder(dir: &Path) -> std::io::Result<bool> {
    let mut entries = std::fs::read_dir(dir)?;
    if entries.next().is_none() {
        return Ok(true);
    }
    Ok(RUN_MARKERS.iter().any(|m| dir.join(m).is_file()))
}

fn lies_inside(input: &Path, out: &Path) -> bool {
    let (Ok(input), Ok(out)) = (std::path::absolute(input), std::path::absolute(out)) else {
        return false;
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    canonical(&input).starts_with(canonical(&out)) || input.starts_with(&out)
}

fn remove_litter(parent: &Path, name: &str) {
    let prefix = staging_prefix(name);
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Puts `staging` at `out`. Where the OS can exchange two names in one step, `out` is
/// never missing; elsewhere the previous run is moved aside first, so a crash between
/// the two renames leaves it in a staging folder, not mixed with the new one.
fn swap_in(staging: &Path, out: &Path) -> std::io::Result<()> {
    if !out.exists() {
        return std::fs::rename(staging, out);
    }
    #[cfg(target_os = "linux")]
    if exchange(staging, out).is_ok() {
        // `staging` now holds the previous run.
        return std::fs::remove_dir_all(staging);
    }
    let aside = staging.with_extension("previous");
    std::fs::rename(out, &aside)?;
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&aside, out);
        return Err(e);
    }
    std::fs::remove_dir_all(&aside)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_rerun_replaces_the_whole_folder_and_a_dropped_run_changes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let run = RunFolder::begin(&out, &[]).unwrap();
        std::fs::create_dir(run.path().join("regions")).unwrap();
        std::fs::write(run.path().join("regions/001.png"), b"old crop").unwrap();
        std::fs::write(run.path().join("report.json"), b"old").unwrap();
        run.commit().unwrap();
        // A second run that is abandoned half way leaves the first one whole.
        let run = RunFolder::begin(&out, &[]).unwrap();
        std::fs::write(run.path().join("annotated.png"), b"half").unwrap();
        drop(run);
        assert_eq!(names(&out), ["regions", "report.json"]);
        // A complete second run replaces the first: no stale crop survives.
        let run = RunFolder::begin(&out, &[]).unwrap();
        std::fs::write(run.path().join("report.json"), b"new").unwrap();
        run.commit().unwrap();
        assert_eq!(names(&out), ["report.json"]);
        assert_eq!(std::fs::read(out.join("report.json")).unwrap(), b"new");
        assert_eq!(names(root.path()), [".out.lock", "out"]);
    }

    #[test]
    fn refuses_a_second_run_a_users_folder_inputs_inside_and_a_file() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let first = RunFolder::begin(&out, &[]).unwrap();
        let err = RunFolder::begin(&out, &[]).err().unwrap().to_string();
        assert!(err.contains("another boarddiff run"), "{err}");
        drop(first);

        let mine = root.path().join("photos");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("holiday.jpg"), b"x").unwrap();
        let err = RunFolder::begin(&mine, &[]).err().unwrap().to_string();
        assert!(err.contains("did not write"), "{err}");
        assert!(mine.join("holiday.jpg").exists());

        std::fs::create_dir(&out).unwrap();
        let input = out.join("reference.jpg");
        std::fs::write(&input, b"x").unwrap();
        let err = RunFolder::begin(&out, &[&input]).err().unwrap().to_string();
        assert!(err.contains("lies inside"), "{err}");

        let file = root.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = RunFolder::begin(&file, &[]).err().unwrap().to_string();
        assert!(err.contains("not a folder"), "{err}");
    }

    #[test]
    fn a_picked_folder_of_the_users_own_gets_a_folder_inside() {
        let root = tempfile::tempdir().unwrap();
        let desktop = root.path().join("Desktop");
        std::fs::create_dir(&desktop).unwrap();
        assert_eq!(RunFolder::target_in(&desktop, "boarddiff-x"), desktop);
        std::fs::write(desktop.join("todo.txt"), b"x").unwrap();
        let inside = RunFolder::target_in(&desktop, "boarddiff-x");
        assert_eq!(inside, desktop.join("boarddiff-x"));
        std::fs::create_dir(&inside).unwrap();
        std::fs::write(inside.join("mine.txt"), b"x").unwrap();
        assert_eq!(
            RunFolder::target_in(&desktop, "boarddiff-x"),
            desktop.join("boarddiff-x-2")
        );
    }

    #[test]
    fn litter_of_a_killed_run_is_cleared_by_the_next() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let litter = root.path().join(".out.staging-dead1");
        std::fs::create_dir(&litter).unwrap();
        std::fs::write(litter.join("report.json"), b"half").unwrap();
        let run = RunFolder::begin(&out, &[]).unwrap();
        assert!(!litter.exists());
        run.commit().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn an_unwritable_parent_is_refused_before_any_work() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let locked = root.path().join("ro");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = locked.join("probe");
        // Root ignores permissions; the check only means something for other users.
        if std::fs::write(&probe, b"x").is_ok() {
            return;
        }
        assert!(RunFolder::begin(&locked.join("out"), &[]).is_err());
    }
}
