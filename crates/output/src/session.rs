//! The review session (`.boarddiff` file): which two photos, how they were aligned, the
//! detection settings and masks, and every region with the reviewer's verdict and note.
//! The GUI autosaves it; `boarddiff export --session` rebuilds every output from it.
use boarddiff_core::align::{Alignment, PointPair};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::{read_text, sha256_file, MAX_TEXT_FILE_BYTES};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{AlignmentReport, ImageInfo, Region, Report, Verdict, SCHEMA};
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::write::write_json;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const SESSION_SCHEMA: u32 = 1;
pub const SESSION_EXTENSION: &str = "boarddiff";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub schema: u32,
    pub reference: ImageInfo,
    pub suspect: ImageInfo,
    /// `suspect_from_reference` and its quality; None when alignment failed.
    pub alignment: Option<Alignment>,
    /// Points a reviewer picked for manual alignment (empty for automatic alignment).
    #[serde(default)]
    pub manual_points: Vec<PointPair>,
    #[serde(default)]
    pub settings: DetectSettings,
    /// Areas the detector ignores, in reference pixels (`masks` in sessions of version
    /// 0.1, read under either name).
    #[serde(default, alias = "masks")]
    pub ignore_masks: Vec<RectInReference>,
    #[serde(default)]
    pub regions: Vec<Region>,
}

impl Session {
    pub fn load(path: &Path) -> Result<Session> {
        let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
        let invalid = |detail: String| EngineError::InvalidInput {
            path: path.to_owned(),
            what: "session file",
            detail,
        };
        let mut session: Session =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        if session.schema != SESSION_SCHEMA {
            return Err(invalid(format!(
                "schema {} is not supported (this build reads schema {SESSION_SCHEMA})",
                session.schema
            )));
        }
        // Relative image paths are relative to the session file, so a case folder can move.
        let base = path.parent().unwrap_or(Path::new("."));
        for info in [&mut session.reference, &mut session.suspect] {
            let p = PathBuf::from(&info.path);
            if p.is_relative() {
                info.path = base.join(p).display().to_string();
            }
        }
        Ok(session)
    }

    /// Atomic: a failed write leaves the previous session file untouched.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }

    /// Warnings for images that are missing or whose content changed since the session
    /// was saved.
    pub fn changed_images(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (role, info) in [("reference", &self.reference), ("suspect", &self.suspect)] {
            let path = Path::new(&info.path);
            match (sha256_file(path), &info.sha256) {
                (Err(e), _) => out.push(format!("{role} image: {e}")),
                (Ok(now), Some(then)) if &now != then => out.push(format!(
                    "{role} image {} changed on disk since the session was saved (SHA-256 differs)",
                    info.path
                )),
                _ => {}
            }
        }
        out
    }

    /// The session as report.json (regions carry their verdicts and notes).
    pub(crate) fn report(&self) -> Report {
        Report {
            schema: SCHEMA,
            reference: self.reference.clone(),
            suspect: self.suspect.clone(),
            alignment: AlignmentReport::new(self.alignment.as_ref(), None),
            regions: self.regions.clone(),
            settings: self.settings.clone(),
            ignore_masks: self.ignore_masks.clone(),
            timings_s: Vec::new(),
        }
    }

    pub fn reviewed_count(&self) -> usize {
        self.regions
            .iter()
            .filter(|r| r.verdict != Verdict::Unreviewed)
            .count()
    }
}

pub fn image_info(path: &Path, (width, height): (u32, u32)) -> Result<ImageInfo> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    Ok(ImageInfo {
        path: absolute.display().to_string(),
        width,
        height,
        sha256: Some(sha256_file(path)?),
    })
}

/// After a re-threshold, each new region that overlaps an old one (IoU >= 0.3, best match
/// first) takes over its verdict and note, so review work survives slider changes.
pub fn carry_verdicts(old: &[Region], new: &mut [Region]) {
    let mut taken = vec![false; old.len()];
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, n) in new.iter().enumerate() {
        for (j, o) in old.iter().enumerate() {
            let v = n.bbox.iou(&o.bbox);
            if v >= 0.3 {
                pairs.push((v, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut done = vec![false; new.len()];
    for (_, i, j) in pairs {
        if done[i] || taken[j] {
            continue;
        }
        done[i] = true;
        taken[j] = true;
        new[i].verdict = old[j].verdict;
        new[i].note = old[j].note.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boarddiff_core::report::RegionKind;

    fn r(a: [u32; 4]) -> RectInReference {
        a.try_into().unwrap()
    }

    #[test]
    fn verdicts_follow_overlapping_regions() {
        let mut a = Region::new(1, r([100, 100, 40, 40]), RegionKind::Added, 0.9, 1600);
        a.verdict = Verdict::ConfirmedImplant;
        a.note = "extra SOT-23".into();
        let mut b = Region::new(2, r([500, 500, 20, 20]), RegionKind::Altered, 0.7, 400);
        b.verdict = Verdict::Benign;
        let mut new = vec![
            Region::new(1, r([900, 900, 10, 10]), RegionKind::Removed, 0.6, 100),
            Region::new(2, r([102, 98, 42, 40]), RegionKind::Added, 0.9, 1700),
        ];
        carry_verdicts(&[a, b], &mut new);
        assert_eq!(new[0].verdict, Verdict::Unreviewed);
        assert_eq!(new[1].verdict, Verdict::ConfirmedImplant);
        assert_eq!(new[1].note, "extra SOT-23");
    }

    #[test]
    fn session_round_trips_and_rejects_garbage() {
        let dir = std::env::temp_dir().join(format!("bd-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("r.bin");
        std::fs::write(&img, b"pixels").unwrap();
        let info = image_info(&img, (10, 10)).unwrap();
        let mut region = Region::new(1, r([1, 2, 3, 4]), RegionKind::Added, 0.5, 12);
        region.note = "check".into();
        let session = Session {
            schema: SESSION_SCHEMA,
            reference: info.clone(),
            suspect: info,
            alignment: Some(Alignment::identity(10, 10)),
            manual_points: vec![],
            settings: DetectSettings::default(),
            ignore_masks: vec![r([0, 0, 5, 5])],
            regions: vec![region],
        };
        let path = dir.join("s.boarddiff");
        session.save(&path).unwrap();
        let back = Session::load(&path).unwrap();
        assert_eq!(back, session);
        assert!(back.changed_images().is_empty());
        std::fs::write(&img, b"other pixels").unwrap();
        assert_eq!(back.changed_images().len(), 2);
        std::fs::write(&path, b"{ not json").unwrap();
        let err = Session::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("s.boarddiff") && err.contains("session"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
