//! The review session (`.boarddiff` file): which two photos, how they were aligned, the
//! detection settings and masks, and every region with the reviewer's verdict and note.
//! The GUI autosaves it; `boarddiff export --session` rebuilds every output from it.
use crate::engine::align::{Alignment, PointPair};
use crate::engine::error::{EngineError, Result};
use crate::engine::eval::iou;
use crate::engine::load::sha256_file;
use crate::engine::regions::DetectSettings;
use crate::engine::report::{write_json, AlignmentReport, ImageInfo, Region, Report, SCHEMA};
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
    /// Ignore rectangles [x, y, w, h] in reference pixels.
    #[serde(default)]
    pub masks: Vec<[u32; 4]>,
    #[serde(default)]
    pub regions: Vec<Region>,
}

impl Session {
    pub fn load(path: &Path) -> Result<Session> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EngineError::NotFound {
                path: path.to_owned(),
            },
            _ => EngineError::Io {
                path: path.to_owned(),
                source: e,
            },
        })?;
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
    pub fn report(&self) -> Report {
        Report {
            schema: SCHEMA,
            reference: self.reference.clone(),
            suspect: self.suspect.clone(),
            alignment: alignment_report(self.alignment.as_ref(), None),
            regions: self.regions.clone(),
            settings: self.settings.clone(),
            ignore_masks: self.masks.clone(),
            timings_s: Vec::new(),
        }
    }

    pub fn reviewed_count(&self) -> usize {
        self.regions
            .iter()
            .filter(|r| r.verdict != crate::engine::report::Verdict::Unreviewed)
            .count()
    }
}

/// The `alignment` block of report.json; `failure` is the refusal reason when there is no
/// alignment.
pub fn alignment_report(alignment: Option<&Alignment>, failure: Option<String>) -> AlignmentReport {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    match alignment {
        Some(a) => {
            let q = &a.quality;
            AlignmentReport {
                status: "ok".into(),
                reason: None,
                homography: Some(a.suspect_from_reference),
                inliers: q.inliers,
                rms_residual_px: round(q.rms_residual_px),
                overlap: round(q.overlap),
                residual_field_max_px: round(q.field_max_px),
                patches_matched: q.patches_matched,
                patches_textured: q.patches_textured,
            }
        }
        None => AlignmentReport {
            status: "failed".into(),
            reason: Some(failure.unwrap_or_else(|| "not aligned".into())),
            homography: None,
            inliers: 0,
            rms_residual_px: 0.0,
            overlap: 0.0,
            residual_field_max_px: 0.0,
            patches_matched: 0,
            patches_textured: 0,
        },
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
            let v = iou(&n.bbox, &o.bbox);
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
    use crate::engine::report::{RegionKind, Verdict};

    #[test]
    fn verdicts_follow_overlapping_regions() {
        let mut a = Region::new(1, [100, 100, 40, 40], RegionKind::Added, 0.9, 1600);
        a.verdict = Verdict::ConfirmedImplant;
        a.note = "extra SOT-23".into();
        let mut b = Region::new(2, [500, 500, 20, 20], RegionKind::Altered, 0.7, 400);
        b.verdict = Verdict::Benign;
        let mut new = vec![
            Region::new(1, [900, 900, 10, 10], RegionKind::Removed, 0.6, 100),
            Region::new(2, [102, 98, 42, 40], RegionKind::Added, 0.9, 1700),
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
        let mut region = Region::new(1, [1, 2, 3, 4], RegionKind::Added, 0.5, 12);
        region.note = "check".into();
        let session = Session {
            schema: SESSION_SCHEMA,
            reference: info.clone(),
            suspect: info,
            alignment: Some(Alignment::identity(10, 10)),
            manual_points: vec![],
            settings: DetectSettings::default(),
            masks: vec![[0, 0, 5, 5]],
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

    #[test]
    fn a_failed_save_keeps_the_previous_file() {
        let dir = std::env::temp_dir().join(format!("bd-session-keep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("r.bin");
        std::fs::write(&img, b"pixels").unwrap();
        let info = image_info(&img, (10, 10)).unwrap();
        let mut session = Session {
            schema: SESSION_SCHEMA,
            reference: info.clone(),
            suspect: info,
            alignment: None,
            manual_points: vec![],
            settings: DetectSettings::default(),
            masks: vec![],
            regions: vec![],
        };
        let path = dir.join("keep.boarddiff");
        session.save(&path).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Block the temporary file: the write fails before anything touches the target.
        let tmp = dir.join(format!(".keep.boarddiff.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        session.masks.push([1, 1, 2, 2]);
        let err = session.save(&path).unwrap_err().to_string();
        assert!(err.contains("keep.boarddiff"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), good);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
