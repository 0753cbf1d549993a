//! How a second physical board of the same model differs from the first, in physical
//! units: every part placed again by the pick-and-place (and moved again by reflow),
//! tall parts leaning into a camera that looks from a slightly different direction, and
//! light from another side moving shading, glints and contact shadows. None of it is a
//! finding; a detector has to stay quiet on it.
use boarddiff_core::rng::Rng;
use serde::{Deserialize, Serialize};

/// How strongly the second board and its photo differ from the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariationLevel {
    /// The same board photographed again: only the camera pose, exposure and noise
    /// change.
    None,
    /// A second board from the same line: placement σ 0.03 mm and 0.4°, the camera
    /// 2-4° off the first viewing direction, the light turned by 30-45°.
    #[default]
    Typical,
    /// A worse line or a careless photo: σ 0.05 mm and 0.6°, 4-5° of tilt, light turned
    /// by 45°.
    Harsh,
}

impl VariationLevel {
    pub const ALL: [VariationLevel; 3] = [Self::None, Self::Typical, Self::Harsh];

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Typical => "typical",
            Self::Harsh => "harsh",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.label() == s.trim())
    }

    pub fn params(self) -> Variation {
        match self {
            Self::None => Variation {
                placement_sigma_mm: 0.0,
                placement_tail_mm: 0.0,
                rotation_sigma_deg: 0.0,
                tilt_deg: (0.0, 0.0),
                light_turn_deg: (0.0, 0.0),
                finish: 0.0,
            },
            Self::Typical => Variation {
                placement_sigma_mm: 0.03,
                placement_tail_mm: 0.1,
                rotation_sigma_deg: 0.4,
                tilt_deg: (3.0, 5.0),
                light_turn_deg: (30.0, 45.0),
                finish: 1.0,
            },
            Self::Harsh => Variation {
                placement_sigma_mm: 0.05,
                placement_tail_mm: 0.15,
                rotation_sigma_deg: 0.6,
                tilt_deg: (5.0, 5.0),
                light_turn_deg: (45.0, 45.0),
                finish: 1.5,
            },
        }
    }
}

/// The physical magnitudes of one [`VariationLevel`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variation {
    /// Part offset from its footprint: Gaussian per axis, mm.
    pub placement_sigma_mm: f64,
    /// The largest offset (a few parts reach it: reflow drags some further), mm.
    pub placement_tail_mm: f64,
    pub rotation_sigma_deg: f64,
    /// How far the second camera's viewing direction is from the first, degrees.
    pub tilt_deg: (f64, f64),
    /// How far the light's direction turned between the two photos, degrees.
    pub light_turn_deg: (f64, f64),
    /// Board-to-board differences of the surface (mask and silkscreen colour, solder
    /// glints), 1 for a typical batch.
    pub finish: f64,
}

impl Variation {
    /// Where this board's pick-and-place put one part relative to its footprint: offset
    /// in mm and rotation in degrees.
    pub fn place(&self, rng: &mut Rng) -> ([f64; 2], f64) {
        let tail = self.placement_tail_mm;
        let mut axis = || {
            let mut v = rng.normal() * self.placement_sigma_mm;
            // Reflow drags about one part in thirty well beyond the Gaussian's reach.
            if rng.chance(0.03) {
                v = v.signum() * rng.range(0.6, 1.0) * tail;
            }
            v.clamp(-tail, tail)
        };
        let offset = [axis(), axis()];
        let rotation = (rng.normal() * self.rotation_sigma_deg).clamp(
            -3.0 * self.rotation_sigma_deg,
            3.0 * self.rotation_sigma_deg,
        );
        (offset, rotation)
    }
}

/// Where one photo was taken from and lit from, as the board renderer needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewpoint {
    /// How far the top of a part 1 mm tall appears from its footprint, in mm on the
    /// board: tan(tilt) along the direction the camera leans.
    pub lean_per_mm: [f64; 2],
    /// The light's direction over the board (radians, image axes) and its elevation.
    pub light_azimuth: f64,
    pub light_elevation: f64,
}

impl Viewpoint {
    /// Straight down, lit from the upper left at 49°: the plain renderer's viewpoint.
    pub fn top_down() -> Self {
        Self {
            lean_per_mm: [0.0, 0.0],
            light_azimuth: (-0.7f64).atan2(-0.5),
            light_elevation: 0.86f64.recip().atan(),
        }
    }

    /// A first photo: nearly top-down, light from a random side.
    pub fn first(rng: &mut Rng) -> Self {
        let tilt = rng.range(0.0, 0.5).to_radians().tan();
        let dir = rng.range(0.0, std::f64::consts::TAU);
        Self {
            lean_per_mm: [tilt * dir.cos(), tilt * dir.sin()],
            light_azimuth: rng.range(0.0, std::f64::consts::TAU),
            light_elevation: rng.range(40.0, 60.0).to_radians(),
        }
    }

    /// A second photo under `variation`: the camera leans by the variation's tilt in a
    /// random direction, and the light turns one way or the other.
    pub fn second(&self, variation: &Variation, rng: &mut Rng) -> Self {
        let (lo, hi) = variation.tilt_deg;
        let tilt = rng.range(lo, hi.max(lo)).to_radians().tan();
        let dir = rng.range(0.0, std::f64::consts::TAU);
        let (lo, hi) = variation.light_turn_deg;
        let turn =
            rng.range(lo, hi.max(lo)).to_radians() * if rng.chance(0.5) { 1.0 } else { -1.0 };
        let elevation = if variation.finish > 0.0 {
            self.light_elevation + rng.range(-5.0, 5.0).to_radians()
        } else {
            self.light_elevation
        };
        Self {
            lean_per_mm: if lo > 0.0 {
                [tilt * dir.cos(), tilt * dir.sin()]
            } else {
                self.lean_per_mm
            },
            light_azimuth: self.light_azimuth + turn,
            light_elevation: elevation,
        }
    }

    /// Unit vector towards the light, in image axes.
    pub fn towards_light(&self) -> [f64; 2] {
        [self.light_azimuth.cos(), self.light_azimuth.sin()]
    }

    /// How far a contact shadow reaches per mm of part height, in mm.
    pub fn shadow_per_mm(&self) -> f64 {
        1.0 / self.light_elevation.tan()
    }
}

/// What differs on the surface of one board: the solder mask and silkscreen batch, and
/// the glints of its solder joints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finish {
    pub mask_gain: [f64; 3],
    pub silk_gain: [f64; 3],
    pub glint_seed: u64,
}

impl Finish {
    pub fn plain(glint_seed: u64) -> Self {
        Self {
            mask_gain: [1.0; 3],
            silk_gain: [1.0; 3],
            glint_seed,
        }
    }

    /// A board of another batch: colours a few percent off.
    pub fn batch(variation: &Variation, rng: &mut Rng, glint_seed: u64) -> Self {
        let k = variation.finish;
        let mut gain = |spread: f64| [0; 3].map(|_| 1.0 + k * rng.range(-spread, spread));
        Self {
            mask_gain: gain(0.03),
            silk_gain: gain(0.015),
            glint_seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_follows_the_physical_magnitudes() {
        let v = VariationLevel::Typical.params();
        let mut rng = Rng::new(3);
        let draws: Vec<([f64; 2], f64)> = (0..20_000).map(|_| v.place(&mut rng)).collect();
        let xs: Vec<f64> = draws.iter().map(|d| d.0[0]).collect();
        let sd = (xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((0.028..0.040).contains(&sd), "offset sd {sd}");
        assert!(xs.iter().all(|x| x.abs() <= 0.1 + 1e-12));
        assert!(
            xs.iter().filter(|x| x.abs() > 0.06).count() > 200,
            "no tail"
        );
        let rs: Vec<f64> = draws.iter().map(|d| d.1).collect();
        let rsd = (rs.iter().map(|r| r * r).sum::<f64>() / rs.len() as f64).sqrt();
        assert!((0.37..0.43).contains(&rsd), "rotation sd {rsd}");
        assert_eq!(
            VariationLevel::None.params().place(&mut rng),
            ([0.0, 0.0], 0.0)
        );
    }

    #[test]
    fn the_second_photo_leans_and_the_light_turns() {
        let mut rng = Rng::new(5);
        let first = Viewpoint::first(&mut rng);
        for _ in 0..50 {
            let v = VariationLevel::Typical.params();
            let second = first.second(&v, &mut rng);
            let tilt = second.lean_per_mm[0]
                .hypot(second.lean_per_mm[1])
                .atan()
                .to_degrees();
            assert!((3.0..=5.0).contains(&tilt), "tilt {tilt}");
            let turn = (second.light_azimuth - first.light_azimuth)
                .abs()
                .to_degrees();
            assert!((30.0..=45.0).contains(&turn), "turn {turn}");
        }
        let same = first.second(&VariationLevel::None.params(), &mut rng);
        assert_eq!(same.lean_per_mm, first.lean_per_mm);
        assert_eq!(same.light_azimuth, first.light_azimuth);
    }
}
