//! The detector's settings: what a user tunes with the sensitivity slider and what an
//! engineer tunes on a dataset. They travel in sessions, reports and golden profiles.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectSettings {
    /// Scales both thresholds down: 2.0 finds fainter changes, 0.5 only strong ones.
    pub sensitivity: f64,
    /// Seed and grow thresholds of the hysteresis, in noise sigmas.
    pub seed_sigma: f64,
    pub grow_sigma: f64,
    /// Smallest region kept, in reference pixels.
    pub min_area_px: u64,
    /// Tolerance radius of the difference, in working pixels.
    pub tolerance_px: usize,
    /// How far (working px) a part may have moved and still count as the same part.
    pub jitter_px: usize,
    /// Working resolution of the difference map, in megapixels. 6 MP was measured: on 30
    /// procedural cases it had fewer false regions (0.50 against 0.87 per pair), but on 50
    /// implant-simulator cases twice as many (3.4 against 1.8), on thin silkscreen lines
    /// resampled at a coarser phase; 5 MP also missed one-letter marking changes.
    pub work_megapixels: f64,
}

impl Default for DetectSettings {
    fn default() -> Self {
        Self {
            sensitivity: 1.0,
            seed_sigma: 20.0,
            grow_sigma: 5.0,
            min_area_px: 60,
            tolerance_px: 1,
            jitter_px: 2,
            work_megapixels: 8.0,
        }
    }
}
