//! The golden profile (`.golden` file): one known-good board as every later inspection
//! uses it — the reference photo and its hash, the ignore masks drawn on it (the serial
//! sticker), the detection settings and the board's scale. The app saves it; `batch` and
//! `gui --profile` load it, so masks drawn once apply to every board.
use crate::json_file::{load_checked, resolve_beside};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::{check_image_size, LoadedImage};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{check_ignore_masks, ImageInfo};
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::write::write_json;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const PROFILE_SCHEMA: u32 = 1;
pub const PROFILE_EXTENSION: &str = "golden";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenProfile {
    pub schema: u32,
    /// The reference photo: path (relative paths are relative to the profile file), size
    /// and the SHA-256 of its bytes, which must still match when the profile is used.
    pub reference: ImageInfo,
    /// Detection settings, including the board's scale (`px_per_mm`) when known.
    pub settings: DetectSettings,
    /// Areas never inspected, in reference pixels.
    #[serde(default)]
    pub ignore_masks: Vec<RectInReference>,
}

impl GoldenProfile {
    pub fn new(
        reference: ImageInfo,
        settings: DetectSettings,
        ignore_masks: Vec<RectInReference>,
    ) -> Self {
        Self {
            schema: PROFILE_SCHEMA,
            reference,
            settings,
            ignore_masks,
        }
    }

    /// Reads and checks a profile; its reference path comes back resolved.
    pub fn load(path: &Path) -> Result<GoldenProfile> {
        let mut profile: GoldenProfile =
            load_checked(path, "golden profile", GoldenProfile::check)?;
        resolve_beside(path, &mut profile.reference.path);
        Ok(profile)
    }

    /// Every field within its limits: the one check between a profile file and the engine.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.schema != PROFILE_SCHEMA {
            return Err(format!(
                "schema {} is not supported (this build reads schema {PROFILE_SCHEMA})",
                self.schema
            ));
        }
        let r = &self.reference;
        check_image_size(r.width, r.height).map_err(|e| format!("reference: {e}"))?;
        let hash_ok = r.sha256.as_ref().is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if !hash_ok {
            return Err("reference.sha256 must be the 64 hex digits of the photo's SHA-256".into());
        }
        if r.path.trim().is_empty() {
            return Err("reference.path is empty".into());
        }
        self.settings.check()?;
        check_ignore_masks(&self.ignore_masks).map_err(|e| format!("ignore_masks: {e}"))?;
        for (i, m) in self.ignore_masks.iter().enumerate() {
            if m.x1() > r.width || m.y1() > r.height {
                return Err(format!(
                    "ignore mask {} {:?} lies outside the {}x{} reference",
                    i + 1,
                    m.to_array(),
                    r.width,
                    r.height
                ));
            }
        }
        Ok(())
    }

    /// Atomic: a failed write leaves the previous profile untouched.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// A profile's reference, decoded from `path`, must be the photo whose SHA-256 it recorded.
pub fn check_reference_hash(path: &Path, expected: &str, reference: &LoadedImage) -> Result<()> {
    if reference.sha256 == expected {
        return Ok(());
    }
    Err(reference_changed(path, expected, &reference.sha256))
}

pub(crate) fn reference_changed(path: &Path, expected: &str, now: &str) -> EngineError {
    EngineError::InvalidInput {
        path: path.to_owned(),
        what: "golden profile's reference",
        detail: format!(
            "the photo changed since the profile was saved (SHA-256 {now} now, {expected} \
             then); save the profile again from the app"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> GoldenProfile {
        GoldenProfile::new(
            ImageInfo {
                path: "good.jpg".into(),
                width: 800,
                height: 600,
                sha256: Some("ab".repeat(32)),
            },
            DetectSettings::default(),
            vec![RectInReference::new(10, 10, 50, 20).unwrap()],
        )
    }

    #[test]
    fn a_saved_profile_loads_with_its_path_resolved_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.golden");
        profile().save(&path).unwrap();
        let loaded = GoldenProfile::load(&path).unwrap();
        assert_eq!(loaded.ignore_masks, profile().ignore_masks);
        assert_eq!(
            std::path::PathBuf::from(&loaded.reference.path),
            dir.path().join("good.jpg")
        );
    }

    #[test]
    fn damaged_profiles_are_refused_with_the_reason() {
        let mut bad_hash = profile();
        bad_hash.reference.sha256 = Some("xyz".into());
        assert!(bad_hash.check().unwrap_err().contains("sha256"));
        let mut off_image = profile();
        off_image.ignore_masks = vec![RectInReference::new(790, 0, 50, 50).unwrap()];
        assert!(off_image.check().unwrap_err().contains("outside"));
        let mut settings = profile();
        settings.settings.sensitivity = f64::NAN;
        assert!(settings.check().is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.golden");
        std::fs::write(&path, &serde_json::to_vec(&profile()).unwrap()[..40]).unwrap();
        let e = GoldenProfile::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("cut.golden") && e.contains("golden profile"),
            "{e}"
        );
    }
}
