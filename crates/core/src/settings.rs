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
    /// Smallest region kept, in reference pixels; None follows the image: the area of
    /// the smallest part worth planting at the board's scale.
    pub min_area_px: Option<u64>,
    /// Tolerance radius of the difference, in working pixels.
    pub tolerance_px: usize,
    /// How far (working px) a part may have moved and still count as the same part.
    pub jitter_px: usize,
    /// Working resolution of the difference map, in megapixels. 6 MP was measured: on 30
    /// procedural cases it had fewer false regions (0.50 against 0.87 per pair), but on 50
    /// implant-simulator cases twice as many (3.4 against 1.8), on thin silkscreen lines
    /// resampled at a coarser phase; 5 MP also missed one-letter marking changes.
    pub work_megapixels: f64,
    /// Scale of the reference photo, when the user knows it; otherwise
    /// [`DetectSettings::px_per_mm_of`] guesses it from the photo's width.
    pub px_per_mm: Option<f64>,
    /// Width in mm the reference photo spans, the other way to give the scale.
    pub board_width_mm: Option<f64>,
}

/// The smallest finding, in mm² of board: half an 0402 passive's top (1 x 0.5 mm).
const MIN_FINDING_MM2: f64 = 0.25;
/// Below this many pixels a region is noise, whatever the scale.
const MIN_FINDING_PX: u64 = 10;

/// A board seen whole fills most of the frame; 250 mm is between a mini-ITX and an ATX
/// board's width.
const ASSUMED_FRAME_WIDTH_MM: f64 = 250.0;

/// A scale the user gave, if it is one.
fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite() && *v > 0.0)
}

/// The limits of every setting, whether it comes from a flag, a session or a profile.
pub const SENSITIVITY_RANGE: (f64, f64) = (0.05, 20.0);
pub const SIGMA_RANGE: (f64, f64) = (0.5, 1000.0);
/// Tolerance and jitter radii are searched per pixel; beyond 8 the search is slow and
/// forgives moves that are changes.
pub const MAX_RADIUS_PX: usize = 8;
pub const MAX_MIN_AREA_PX: u64 = 100_000_000;
pub const WORK_MEGAPIXELS_RANGE: (f64, f64) = (0.25, 64.0);
/// A phone photo of a whole board is 10-70 px/mm; a 100 MP photo of a 10 mm part ~800.
pub const PX_PER_MM_RANGE: (f64, f64) = (1.0, 1000.0);
pub const BOARD_WIDTH_MM_RANGE: (f64, f64) = (5.0, 2000.0);

/// `value` as a finite number within `range`, or a message naming `name`.
pub fn check_range(name: &str, value: f64, (low, high): (f64, f64)) -> Result<f64, String> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{name} must be a number from {low} to {high}, got {value}"
        ))
    }
}

impl DetectSettings {
    /// Every setting within its limits; the one check for flags, sessions and profiles.
    pub fn check(&self) -> Result<(), String> {
        check_range("sensitivity", self.sensitivity, SENSITIVITY_RANGE)?;
        check_range("seed-sigma", self.seed_sigma, SIGMA_RANGE)?;
        check_range("grow-sigma", self.grow_sigma, SIGMA_RANGE)?;
        if self.grow_sigma > self.seed_sigma {
            return Err(format!(
                "grow-sigma ({}) must not exceed seed-sigma ({})",
                self.grow_sigma, self.seed_sigma
            ));
        }
        if self.tolerance_px > MAX_RADIUS_PX || self.jitter_px > MAX_RADIUS_PX {
            return Err(format!(
                "tolerance-px and jitter-px are at most {MAX_RADIUS_PX} working pixels, got {} and {}",
                self.tolerance_px, self.jitter_px
            ));
        }
        if let Some(a) = self.min_area_px {
            if !(1..=MAX_MIN_AREA_PX).contains(&a) {
                return Err(format!(
                    "min-area-px must be from 1 to {MAX_MIN_AREA_PX}, got {a}"
                ));
            }
        }
        check_range(
            "work-megapixels",
            self.work_megapixels,
            WORK_MEGAPIXELS_RANGE,
        )?;
        if let Some(v) = self.px_per_mm {
            check_range("px-per-mm", v, PX_PER_MM_RANGE)?;
        }
        if let Some(v) = self.board_width_mm {
            check_range("board-width-mm", v, BOARD_WIDTH_MM_RANGE)?;
        }
        Ok(())
    }

    /// Reference pixels per mm: the user's figure, or a guess from the reference's width.
    pub fn px_per_mm_of(&self, reference_width: f64) -> f64 {
        usable(self.px_per_mm).unwrap_or_else(|| {
            reference_width / usable(self.board_width_mm).unwrap_or(ASSUMED_FRAME_WIDTH_MM)
        })
    }

    /// How far [`DetectSettings::px_per_mm_of`] may be below the truth: 1 when the user
    /// gave the scale; 4 when it is guessed, because a photo may show a quarter of a
    /// board's width as well as all of it.
    pub fn scale_uncertainty(&self) -> f64 {
        if usable(self.px_per_mm).is_some() || usable(self.board_width_mm).is_some() {
            1.0
        } else {
            4.0
        }
    }

    /// Smallest region kept, in reference pixels: the user's figure, or
    /// [`MIN_FINDING_MM2`] at the board's scale.
    pub fn min_area_px_of(&self, reference_width: f64) -> u64 {
        self.min_area_px.unwrap_or_else(|| {
            let ppm = self.px_per_mm_of(reference_width);
            ((MIN_FINDING_MM2 * ppm * ppm).round() as u64).max(MIN_FINDING_PX)
        })
    }
}

impl Default for DetectSettings {
    fn default() -> Self {
        Self {
            sensitivity: 1.0,
            seed_sigma: 20.0,
            grow_sigma: 5.0,
            min_area_px: None,
            tolerance_px: 1,
            jitter_px: 2,
            work_megapixels: 8.0,
            px_per_mm: None,
            board_width_mm: None,
        }
    }
}
