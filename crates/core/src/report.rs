//! The serde types of what boarddiff writes in `report.json`, and of the ignore-mask file
//! it reads. Field names are a contract with users' scripts; add fields, never rename them.
use crate::align::Alignment;
use crate::geometry::Homography;
use crate::rect::RectInReference;
use crate::settings::DetectSettings;
use serde::{Deserialize, Serialize};

pub const SCHEMA: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    Added,
    Removed,
    Altered,
}

impl RegionKind {
    pub const ALL: [RegionKind; 3] = [RegionKind::Added, RegionKind::Removed, RegionKind::Altered];

    pub fn label(self) -> &'static str {
        match self {
            RegionKind::Added => "added",
            RegionKind::Removed => "removed",
            RegionKind::Altered => "altered",
        }
    }

    /// Box colour in images and the GUI.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            RegionKind::Added => [230, 40, 40],
            RegionKind::Removed => [40, 120, 255],
            RegionKind::Altered => [255, 170, 0],
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == s.trim())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub id: u32,
    pub bbox: RectInReference,
    pub kind: RegionKind,
    pub score: f64,
    pub area_px: u64,
    /// The reviewer's decision; detection leaves it unreviewed.
    #[serde(default)]
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Region {
    pub fn new(id: u32, bbox: RectInReference, kind: RegionKind, score: f64, area_px: u64) -> Self {
        Self {
            id,
            bbox,
            kind,
            score,
            area_px,
            verdict: Verdict::Unreviewed,
            note: String::new(),
        }
    }
}

/// What a reviewer decided about one region.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    #[default]
    Unreviewed,
    Benign,
    Suspicious,
    ConfirmedImplant,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Unreviewed,
        Verdict::Benign,
        Verdict::Suspicious,
        Verdict::ConfirmedImplant,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Unreviewed => "unreviewed",
            Verdict::Benign => "benign",
            Verdict::Suspicious => "suspicious",
            Verdict::ConfirmedImplant => "confirmed implant",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub path: String,
    pub width: u32,
    pub height: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlignmentReport {
    /// "ok" or "failed".
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// suspect_from_reference, row-major 3x3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homography: Option<Homography>,
    pub inliers: usize,
    pub rms_residual_px: f64,
    pub overlap: f64,
    #[serde(default)]
    pub(crate) residual_field_max_px: f64,
    #[serde(default)]
    pub(crate) patches_matched: usize,
    #[serde(default)]
    pub(crate) patches_textured: usize,
}

impl AlignmentReport {
    /// The `alignment` block of report.json; `failure` is the refusal reason when there is
    /// no alignment.
    pub fn new(alignment: Option<&Alignment>, failure: Option<String>) -> Self {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        match alignment {
            Some(a) => {
                let q = &a.quality;
                Self {
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
            None => Self {
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub reference: ImageInfo,
    pub suspect: ImageInfo,
    pub alignment: AlignmentReport,
    pub regions: Vec<Region>,
    #[serde(default)]
    pub settings: DetectSettings,
    #[serde(default)]
    pub ignore_masks: Vec<RectInReference>,
    #[serde(default)]
    pub timings_s: Vec<(String, f64)>,
    /// What a reader of the report must know: an image that changed since review, a
    /// greyscale photo compared against a colour one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The file `--mask` reads: rectangles in reference pixels that the detector must ignore
/// (stickers, serial labels), as `{"rects": [[x, y, w, h], ...]}` or a bare list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct IgnoreMaskFile {
    pub(crate) rects: Vec<RectInReference>,
}

/// Most rectangles a mask file or a session may hold.
pub const MAX_IGNORE_MASKS: usize = 100_000;

/// The ignore masks of a `--mask` file.
pub fn read_ignore_masks(path: &std::path::Path) -> crate::error::Result<Vec<RectInReference>> {
    use crate::error::EngineError;
    let text = crate::load::read_text(path, crate::load::MAX_TEXT_FILE_BYTES)?;
    let invalid = |detail: String| EngineError::InvalidInput {
        path: path.to_owned(),
        what: "ignore mask",
        detail,
    };
    // Parse as the form the file starts with, so the error is about the file's own text.
    let parsed = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<RectInReference>>(&text)
    } else {
        serde_json::from_str::<IgnoreMaskFile>(&text).map(|m| m.rects)
    };
    let rects = parsed.map_err(|e| {
        invalid(format!(
            "{e}; expected {{\"rects\": [[x, y, w, h], ...]}} in reference pixels"
        ))
    })?;
    check_ignore_masks(&rects).map_err(invalid)?;
    Ok(rects)
}

/// Ignore masks from any file: a bounded number of non-empty rectangles.
pub fn check_ignore_masks(rects: &[RectInReference]) -> Result<(), String> {
    if rects.len() > MAX_IGNORE_MASKS {
        return Err(format!(
            "{} rectangles, more than the limit of {MAX_IGNORE_MASKS}",
            rects.len()
        ));
    }
    if let Some(r) = rects.iter().find(|r| r.is_empty()) {
        return Err(format!(
            "rectangle {:?} has zero width or height",
            r.to_array()
        ));
    }
    Ok(())
}
