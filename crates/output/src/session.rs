//! The review session (`.boarddiff` file): which two photos, how they were aligned, the
//! detection settings and masks, and every region with the reviewer's verdict and note.
//! The GUI autosaves it; `boarddiff export --session` rebuilds every output from it.
use crate::json_file::{load_checked, resolve_beside};
use boarddiff_core::align::{Alignment, PointPair};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::check_image_size;
use boarddiff_core::load::LoadedImage;
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{
    check_ignore_masks, AlignmentReport, ImageInfo, Region, Report, Verdict, SCHEMA,
};
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
    /// Carried into every report of the session (an image that changed since review).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Most regions a session may hold; a detector run gives a few dozen.
pub const MAX_REGIONS: usize = 100_000;
const MAX_NOTE_CHARS: usize = 20_000;
const MAX_MANUAL_POINTS: usize = 1_000;

impl Session {
    pub fn load(path: &Path) -> Result<Session> {
        let mut session: Session = load_checked(path, "session file", Session::check)?;
        // Relative image paths are relative to the session file, so a case folder can move.
        for info in [&mut session.reference, &mut session.suspect] {
            resolve_beside(path, &mut info.path);
        }
        Ok(session)
    }

    /// Every number and list in the session within its limits, and consistent with the
    /// image sizes it states: the one check between a session file and the engine.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.schema != SESSION_SCHEMA {
            return Err(format!(
                "schema {} is not supported (this build reads schema {SESSION_SCHEMA})",
                self.schema
            ));
        }
        for (role, info) in [("reference", &self.reference), ("suspect", &self.suspect)] {
            check_image_size(info.width, info.height).map_err(|e| format!("{role}: {e}"))?;
        }
        let reference_size = (self.reference.width, self.reference.height);
        let suspect_size = (self.suspect.width, self.suspect.height);
        self.settings.check()?;
        if let Some(a) = &self.alignment {
            a.check(reference_size, suspect_size)
                .map_err(|e| format!("alignment: {e}"))?;
        }
        if self.manual_points.len() > MAX_MANUAL_POINTS
            || self.manual_points.iter().any(|p| {
                !p.in_reference
                    .iter()
                    .chain(&p.in_suspect)
                    .all(|v| v.is_finite())
            })
        {
            return Err(format!(
                "manual_points: at most {MAX_MANUAL_POINTS} pairs of finite coordinates"
            ));
        }
        check_ignore_masks(&self.ignore_masks).map_err(|e| format!("ignore_masks: {e}"))?;
        if self.regions.len() > MAX_REGIONS {
            return Err(format!(
                "{} regions, more than the limit of {MAX_REGIONS}",
                self.regions.len()
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for r in &self.regions {
            if !ids.insert(r.id) {
                return Err(format!("region id {} appears more than once", r.id));
            }
            let b = r.bbox;
            if b.is_empty() || b.x1() > self.reference.width || b.y1() > self.reference.height {
                return Err(format!(
                    "region {} box {:?} is empty or lies outside the {}x{} reference",
                    r.id,
                    b.to_array(),
                    self.reference.width,
                    self.reference.height
                ));
            }
            if !r.score.is_finite() || r.note.chars().count() > MAX_NOTE_CHARS {
                return Err(format!(
                    "region {} has a score that is not a number or a note over {MAX_NOTE_CHARS} characters",
                    r.id
                ));
            }
        }
        Ok(())
    }

    /// The session of a finished compare: its images, alignment, settings and regions.
    pub fn of_report(report: &Report, alignment: Option<Alignment>) -> Session {
        Session {
            schema: SESSION_SCHEMA,
            reference: report.reference.clone(),
            suspect: report.suspect.clone(),
            alignment,
            manual_points: Vec::new(),
            settings: report.settings.clone(),
            ignore_masks: report.ignore_masks.clone(),
            regions: report.regions.clone(),
            warnings: report.warnings.clone(),
        }
    }

    /// Holds the session against the photos now on disk, decoded: their sizes must be the
    /// ones reviewed. A changed hash is refused unless `allow_changed`; then the session
    /// states the new hash and carries a warning that the review was of other bytes.
    pub fn check_images(
        &mut self,
        reference: &LoadedImage,
        suspect: &LoadedImage,
        allow_changed: bool,
    ) -> Result<()> {
        for (role, info, image) in [
            ("reference", &mut self.reference, reference),
            ("suspect", &mut self.suspect, suspect),
        ] {
            let path = PathBuf::from(&info.path);
            let (w, h) = image.rgb.dimensions();
            if (w, h) != (info.width, info.height) {
                return Err(EngineError::InvalidInput {
                    path,
                    what: "session image",
                    detail: format!(
                        "the {role} is {w}x{h} now but the session was reviewed on {}x{}; \
                         its regions would not fit",
                        info.width, info.height
                    ),
                });
            }
            if info.sha256.as_deref() == Some(image.sha256.as_str()) {
                continue;
            }
            let was = info.sha256.clone().unwrap_or_else(|| "not recorded".into());
            if !allow_changed {
                return Err(EngineError::InvalidInput {
                    path,
                    what: "session image",
                    detail: format!(
                        "the {role} changed since the session was saved (SHA-256 {} now, {was} \
                         then); review it again, or pass --allow-changed-images to export \
                         the old review against the new file with a warning",
                        image.sha256
                    ),
                });
            }
            self.warnings.push(format!(
                "The {role} image {} is not the file that was reviewed: its SHA-256 is {} now, \
                 {was} when the session was saved.",
                info.path, image.sha256
            ));
            info.sha256 = Some(image.sha256.clone());
        }
        Ok(())
    }

    /// The session file's text.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|e| EngineError::Write {
            path: PathBuf::from(&self.suspect.path),
            detail: e.to_string(),
        })
    }

    /// Atomic: a failed write leaves the previous session file untouched.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
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
            warnings: self.warnings.clone(),
        }
    }

    pub fn reviewed_count(&self) -> usize {
        self.regions
            .iter()
            .filter(|r| r.verdict != Verdict::Unreviewed)
            .count()
    }
}

/// What a report says of a photo: its path, its size and the hash of the bytes that were
/// decoded.
pub fn image_info(path: &Path, image: &LoadedImage) -> ImageInfo {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    ImageInfo {
        path: absolute.display().to_string(),
        width: image.rgb.width(),
        height: image.rgb.height(),
        sha256: Some(image.sha256.clone()),
    }
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
    fn session_round_trips_and_holds_its_images_to_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("r.png");
        let write_png = |shade: u8| {
            image::RgbImage::from_pixel(80, 70, image::Rgb([shade, 90, 40]))
                .save(&img)
                .unwrap()
        };
        write_png(10);
        let loaded = boarddiff_core::load::load_rgb(&img).unwrap();
        let info = image_info(&img, &loaded);
        let mut region = Region::new(1, r([1, 2, 3, 4]), RegionKind::Added, 0.5, 12);
        region.note = "check".into();
        let session = Session {
            schema: SESSION_SCHEMA,
            reference: info.clone(),
            suspect: info,
            alignment: Some(Alignment::identity(80, 70)),
            manual_points: vec![],
            settings: DetectSettings::default(),
            ignore_masks: vec![r([0, 0, 5, 5])],
            regions: vec![region],
            warnings: vec![],
        };
        let path = dir.path().join("s.boarddiff");
        session.save(&path).unwrap();
        let mut back = Session::load(&path).unwrap();
        assert_eq!(back, session);
        back.check_images(&loaded, &loaded, false).unwrap();
        assert!(back.warnings.is_empty());

        write_png(200);
        let changed = boarddiff_core::load::load_rgb(&img).unwrap();
        let err = back.check_images(&changed, &changed, false).unwrap_err();
        assert!(err.to_string().contains("changed since"), "{err}");
        back.check_images(&changed, &changed, true).unwrap();
        assert_eq!(
            back.reference.sha256.as_deref(),
            Some(changed.sha256.as_str())
        );
        assert_eq!(back.warnings.len(), 2);
        assert!(back.report().warnings[0].contains("not the file that was reviewed"));

        std::fs::write(&path, b"{ not json").unwrap();
        let err = Session::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("s.boarddiff") && err.contains("session"),
            "{err}"
        );
    }
}
