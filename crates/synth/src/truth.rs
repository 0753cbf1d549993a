//! `truth.json`: what a generated case holds, exactly. The simulator writes it beside the
//! two photos; evaluation and quiz scoring read it.
use crate::variation::VariationLevel;
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::geometry::Homography;
use boarddiff_core::load::{read_text, MAX_TEXT_FILE_BYTES};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::RegionKind;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub(crate) use boarddiff_core::report::SCHEMA;

/// One planted change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthRegion {
    pub kind: RegionKind,
    pub bbox: RectInReference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub(crate) schema: u32,
    pub(crate) suspect_from_reference: Homography,
    pub modifications: Vec<TruthRegion>,
    /// Parts the simulator moved as a second board's placement would: not findings, and
    /// listed so that a false region on one can be recognised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) placement_jitter: Vec<JitteredPart>,
    /// Scale of the reference photo, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub px_per_mm: Option<f64>,
    /// How the suspect's board and photo were made to differ from the reference's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<VariationLevel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct JitteredPart {
    pub(crate) bbox: RectInReference,
    pub(crate) shift_px: [f64; 2],
    pub(crate) rotation_deg: f64,
}

impl Truth {
    pub fn read(path: &Path) -> Result<Truth> {
        let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
        serde_json::from_str(&text).map_err(|e| EngineError::InvalidInput {
            path: path.to_owned(),
            what: "truth file",
            detail: e.to_string(),
        })
    }
}
