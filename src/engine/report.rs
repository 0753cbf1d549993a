//! The serde types of what boarddiff writes: `report.json` and a case's `truth.json`.
//! Field names are a contract with users' scripts; add fields, never rename them.
use crate::engine::geometry::Homography;
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
    /// [x, y, w, h] in reference pixels.
    pub bbox: [u32; 4],
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
    pub fn new(id: u32, bbox: [u32; 4], kind: RegionKind, score: f64, area_px: u64) -> Self {
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
    pub residual_field_max_px: f64,
    #[serde(default)]
    pub patches_matched: usize,
    #[serde(default)]
    pub patches_textured: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub reference: ImageInfo,
    pub suspect: ImageInfo,
    pub alignment: AlignmentReport,
    pub regions: Vec<Region>,
    #[serde(default)]
    pub settings: crate::engine::regions::DetectSettings,
    #[serde(default)]
    pub ignore_masks: Vec<[u32; 4]>,
    #[serde(default)]
    pub timings_s: Vec<(String, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthRegion {
    pub kind: RegionKind,
    /// [x, y, w, h] in reference pixels.
    pub bbox: [u32; 4],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub schema: u32,
    pub suspect_from_reference: Homography,
    pub modifications: Vec<TruthRegion>,
    /// Parts the simulator nudged as a second board's placement would: not findings, and
    /// listed so that a false region on one can be recognised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_jitter: Vec<JitteredPart>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JitteredPart {
    /// [x, y, w, h] in reference pixels.
    pub bbox: [u32; 4],
    pub shift_px: [f64; 2],
    pub rotation_deg: f64,
}

/// Rectangles in reference pixels that the detector must ignore (stickers, serial labels).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IgnoreMask {
    /// Each [x, y, w, h] in reference pixels.
    pub rects: Vec<[u32; 4]>,
}

pub fn parse_mask(path: &std::path::Path) -> crate::engine::error::Result<IgnoreMask> {
    use crate::engine::error::EngineError;
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::NotFound {
            path: path.to_owned(),
        },
        _ => EngineError::Io {
            path: path.to_owned(),
            source: e,
        },
    })?;
    // Accept either {"rects": [[x,y,w,h], ...]} or a bare list of rectangles.
    let mask = serde_json::from_str::<IgnoreMask>(&text)
        .or_else(|_| serde_json::from_str::<Vec<[u32; 4]>>(&text).map(|rects| IgnoreMask { rects }))
        .map_err(|e| EngineError::InvalidInput {
            path: path.to_owned(),
            what: "ignore mask",
            detail: format!("{e}; expected {{\"rects\": [[x, y, w, h], ...]}} in reference pixels"),
        })?;
    if let Some(r) = mask.rects.iter().find(|r| r[2] == 0 || r[3] == 0) {
        return Err(EngineError::InvalidInput {
            path: path.to_owned(),
            what: "ignore mask",
            detail: format!("rectangle {r:?} has zero width or height"),
        });
    }
    Ok(mask)
}

/// Writes `bytes` to `path` atomically: a crash leaves either the old file or the new one.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> crate::engine::error::Result<()> {
    use crate::engine::error::EngineError;
    use std::io::Write;
    let err = |e: std::io::Error| EngineError::Write {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

pub fn write_json<T: Serialize>(
    path: &std::path::Path,
    value: &T,
) -> crate::engine::error::Result<()> {
    let text = serde_json::to_string_pretty(value).expect("report types serialise");
    write_atomic(path, text.as_bytes())
}
