//! Alignment: coarse features and RANSAC on a small pyramid level, NCC refinement at a mid
//! level and at full resolution, then an optional smooth residual field. Also decides when
//! two photos are not the same board and refuses to diff them.
pub(crate) mod fast;
pub(crate) mod features;
pub(crate) mod field;
pub(crate) mod ransac;
pub(crate) mod refine;
pub(crate) mod source;

use crate::error::{EngineError, Result};
use crate::geometry::Homography;
use crate::progress::{Progress, Stage};
use crate::sample::Luma;
use field::ResidualField;
use refine::{PatchMatch, RefineParams};
use serde::{Deserialize, Serialize};
pub(crate) use source::AlignSource;
pub(crate) use source::ReferenceLevels;

/// The mapping from reference pixels to suspect pixels, with how well it was established.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Alignment {
    pub suspect_from_reference: Homography,
    pub(crate) field: Option<ResidualField>,
    pub quality: AlignQuality,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AlignQuality {
    /// Feature matches consistent with the coarse homography.
    pub inliers: usize,
    pub(crate) putative_matches: usize,
    /// Full-resolution patches that matched, and how many textured patches were tried.
    pub patches_matched: usize,
    pub patches_textured: usize,
    /// RMS distance between refined patch positions and the final mapping, full-res px.
    pub rms_residual_px: f64,
    /// Fraction of the reference that maps inside the suspect.
    pub overlap: f64,
    pub(crate) field_max_px: f64,
    /// Patch residuals with their positions, for a picture of where alignment is weak.
    #[serde(default)]
    pub residuals: Vec<([f32; 2], f32)>,
}

impl Alignment {
    pub fn identity(width: u32, height: u32) -> Self {
        Self {
            suspect_from_reference: Homography::identity(),
            field: None,
            quality: AlignQuality {
                overlap: overlap_fraction(
                    &Homography::identity(),
                    (width, height),
                    (width, height),
                ),
                ..Default::default()
            },
        }
    }

    /// Whether this mapping can be used between photos of these sizes: finite, not
    /// singular, never folding the reference through infinity, at a plausible scale, and
    /// mapping a useful share of the reference into the suspect. A session file or a
    /// manual fit can carry anything, and a degenerate mapping would otherwise compare
    /// one grey smear and call it "ok".
    pub fn check(&self, reference: (u32, u32), suspect: (u32, u32)) -> Result<(), String> {
        let h = &self.suspect_from_reference;
        if !h.is_finite() {
            return Err("the homography holds a value that is not a finite number".into());
        }
        let singular = || Err("the homography is singular (it maps the board onto a line)".into());
        let det = h.0.determinant();
        if !det.is_finite() {
            return Err("the homography overflows (its entries are too large)".into());
        }
        let m22 = h.0[(2, 2)];
        if det == 0.0 || m22 == 0.0 {
            return singular();
        }
        let normalized = (h.0 / m22).determinant();
        if !normalized.is_finite() || normalized.abs() < 1e-9 {
            return singular();
        }
        let (w, ht) = (reference.0 as f64 - 1.0, reference.1 as f64 - 1.0);
        let m = &h.0;
        for p in [
            [0.0, 0.0],
            [w, 0.0],
            [0.0, ht],
            [w, ht],
            [w / 2.0, ht / 2.0],
        ] {
            let denominator = m[(2, 0)] * p[0] + m[(2, 1)] * p[1] + m[(2, 2)];
            let q = h.apply(p);
            if !(denominator.is_finite() && q[0].is_finite() && q[1].is_finite()) {
                return Err("the homography overflows on the reference's corners".into());
            }
            if denominator * m[(2, 2)].signum() <= 0.0 || m[(2, 2)] == 0.0 {
                return Err("the homography folds the reference through infinity".into());
            }
        }
        let scale = h.local_scale([w / 2.0, ht / 2.0]);
        if !(MIN_MAPPED_SCALE..=1.0 / MIN_MAPPED_SCALE).contains(&scale) {
            return Err(format!(
                "the homography scales the reference by {scale:.3}, outside {MIN_MAPPED_SCALE}-{}",
                1.0 / MIN_MAPPED_SCALE
            ));
        }
        let overlap = overlap_fraction(h, reference, suspect);
        if overlap < MIN_CHECKED_OVERLAP {
            return Err(format!(
                "the homography maps only {:.1}% of the reference into the suspect",
                overlap * 100.0
            ));
        }
        if let Some(field) = &self.field {
            field.check()?;
        }
        Ok(())
    }

    #[inline]
    pub fn map(&self, pos_in_reference: [f64; 2]) -> [f64; 2] {
        map_with(
            &self.suspect_from_reference,
            self.field.as_ref(),
            pos_in_reference,
        )
    }
}

/// A suspect photo at a tenth of the reference's scale, or ten times it, is still a
/// photo of the board; beyond that a mapping is a mistake.
const MIN_MAPPED_SCALE: f64 = 0.1;
/// Share of the reference a checked mapping must put inside the suspect. Lower than
/// automatic alignment demands, since a reviewer may align a close-up by hand.
const MIN_CHECKED_OVERLAP: f64 = 0.05;
const MIN_INLIERS: usize = 20;
const MIN_PATCH_AGREEMENT: f64 = 0.3;
const MIN_OVERLAP: f64 = 0.25;
/// Size of the level features are matched on, and of the level refinement starts on.
const COARSE_PIXELS: u64 = 800_000;
const MID_PIXELS: u64 = 3_000_000;
const COARSE_DETECT: features::DetectParams = features::DetectParams {
    levels: 6,
    max_keypoints: 3000,
};

pub(crate) fn align(
    reference: &AlignSource,
    suspect: &AlignSource,
    progress: &dyn Progress,
) -> Result<Alignment> {
    let refuse = |reason: String| EngineError::AlignmentRefused { reason };

    // Fixtures, scanners and pre-registered datasets give pairs that are already aligned
    // to a few pixels; there a direct refinement beats feature matching, which repeated
    // pads and binarised images can fool.
    if reference.dimensions() == suspect.dimensions() {
        let _t = crate::trace::span("align.near_identity");
        if let Some(a) = try_near_identity(reference.full, suspect.full, 4) {
            progress.update(Stage::Align, 1.0);
            return Ok(a);
        }
    }
    let t = crate::trace::span("align.coarse");
    let ((ref_c, c_from_ref), (sus_c, c_from_sus)) = rayon::join(
        || reference.level(COARSE_PIXELS),
        || suspect.level(COARSE_PIXELS),
    );
    let t2 = crate::trace::span("align.coarse.detect");
    let (kp_ref, kp_sus) = rayon::join(
        || reference.coarse_keypoints(&ref_c),
        || suspect.coarse_keypoints(&sus_c),
    );
    progress.update(Stage::Align, 0.25);
    progress.check()?;
    if kp_ref.len() < 50 {
        return Err(refuse(
            "the reference image has almost no detail (blank or out of focus?)".into(),
        ));
    }
    if kp_sus.len() < 50 {
        return Err(refuse(
            "the suspect image has almost no detail (blank or out of focus?)".into(),
        ));
    }
    drop(t2);
    let t2 = crate::trace::span("align.coarse.match");
    let matches = features::match_descriptors(&kp_ref, &kp_sus, 0.85, 90);
    let src: Vec<[f64; 2]> = matches.iter().map(|m| kp_ref[m.0].pos).collect();
    let dst: Vec<[f64; 2]> = matches.iter().map(|m| kp_sus[m.1].pos).collect();
    drop(t2);
    let t2 = crate::trace::span("align.coarse.ransac");
    let coarse = ransac::ransac_homography(&src, &dst, 3.0, 0x5EED);
    drop(t2);
    let coarse = coarse
        .filter(|r| r.inliers.len() >= MIN_INLIERS)
        .ok_or_else(|| {
            refuse(format!(
                "no consistent geometric match between the photos ({} candidate feature matches): \
                 they do not look like the same board",
                matches.len()
            ))
        })?;
    drop(t);
    let inliers = coarse.inliers.len();
    let c_to_full_sus = c_from_sus.inverse().expect("scale transforms invert");
    let model = c_from_ref.then(&coarse.model).then(&c_to_full_sus);
    progress.update(Stage::Align, 0.45);
    progress.check()?;

    let overlap = overlap_fraction(&model, reference.dimensions(), suspect.dimensions());
    if overlap < MIN_OVERLAP {
        return Err(refuse(format!(
            "the photos overlap by only {:.0}% of the reference (need {:.0}%)",
            overlap * 100.0,
            MIN_OVERLAP * 100.0
        )));
    }

    refine_from(
        reference,
        suspect,
        model,
        inliers,
        matches.len(),
        overlap,
        progress,
    )
}

/// Sub-pixel refinement from a model that is already right to a few pixels: mid level,
/// full resolution, then the bounded residual field. Shared by automatic and manual
/// alignment.
fn refine_from(
    reference: &AlignSource,
    suspect: &AlignSource,
    mut model: Homography,
    inliers: usize,
    putative_matches: usize,
    overlap: f64,
    progress: &dyn Progress,
) -> Result<Alignment> {
    let refuse = |reason: String| EngineError::AlignmentRefused { reason };
    // Mid level: absorbs the coarse error (several full-res px) with a cheap wide search.
    let t = crate::trace::span("align.mid");
    let (w, h) = reference.dimensions();
    if u64::from(w) * u64::from(h) > 2 * MID_PIXELS {
        let ((ref_m, m_from_ref), (sus_m, m_from_sus)) =
            rayon::join(|| reference.level(MID_PIXELS), || suspect.level(MID_PIXELS));
        let ref_from_m = m_from_ref.inverse().expect("scale transforms invert");
        let sus_from_m = m_from_sus.inverse().expect("scale transforms invert");
        let mid_model = ref_from_m.then(&model).then(&m_from_sus);
        let mid_params = RefineParams {
            patch: 32,
            radius: 5,
            grid: (14, 10),
            min_ncc: 0.6,
            min_isotropy: 0.0,
            affine: false,
        };
        if let Some(r) = refine::refine(&*ref_m, &*sus_m, mid_model, &mid_params) {
            model = m_from_ref.then(&r.suspect_from_reference).then(&sus_from_m);
        }
    }
    drop(t);
    progress.update(Stage::Align, 0.7);
    progress.check()?;

    let full_params = RefineParams {
        patch: 48,
        radius: 4,
        grid: (26, 20),
        min_ncc: 0.6,
        min_isotropy: 0.0,
        affine: false,
    };
    let t = crate::trace::span("align.full");
    let fine = refine::refine(reference.full, suspect.full, model, &full_params).ok_or_else(|| {
        refuse("too few areas of the two photos agree after coarse alignment: they do not look like the same board".into())
    })?;
    drop(t);
    let agreement = fine.matches.len() as f64 / fine.textured.max(1) as f64;
    if agreement < MIN_PATCH_AGREEMENT || fine.matches.len() < 12 {
        return Err(refuse(format!(
            "only {:.0}% of textured areas match after alignment ({} of {}): the photos do not show the same board",
            agreement * 100.0,
            fine.matches.len(),
            fine.textured
        )));
    }
    model = fine.suspect_from_reference;
    let (rms, field) = residual_field(reference.dimensions(), &fine, &model);
    progress.update(Stage::Align, 1.0);
    let residuals = residual_map(&fine.matches, &model, field.as_ref());
    Ok(Alignment {
        suspect_from_reference: model,
        quality: AlignQuality {
            inliers,
            putative_matches,
            patches_matched: fine.matches.len(),
            patches_textured: fine.textured,
            rms_residual_px: rms,
            overlap,
            field_max_px: field.as_ref().map_or(0.0, |f| f.max_offset()),
            residuals,
        },
        field,
    })
}

/// Alignment from hand-picked corresponding points (at least four). The points give a
/// homography good to a few pixels; the same refinement as automatic alignment then makes
/// it sub-pixel where the photos agree. When refinement cannot confirm it, the manual
/// homography is used as is, with the point residuals as its quality.
pub(crate) fn from_points(
    reference: &AlignSource,
    suspect: &AlignSource,
    points: &[PointPair],
    progress: &dyn Progress,
) -> Result<Alignment> {
    let model = points_homography(points).ok_or_else(|| EngineError::AlignmentRefused {
        reason: format!(
            "{} point pair(s) do not determine a homography: pick at least 4, spread out, no three on a line",
            points.len()
        ),
    })?;
    let overlap = overlap_fraction(&model, reference.dimensions(), suspect.dimensions());
    if overlap < MIN_OVERLAP {
        return Err(EngineError::AlignmentRefused {
            reason: format!(
                "with these points the photos overlap by only {:.0}% of the reference",
                overlap * 100.0
            ),
        });
    }
    match refine_from(
        reference,
        suspect,
        model,
        points.len(),
        points.len(),
        overlap,
        progress,
    ) {
        Err(EngineError::Cancelled) => Err(EngineError::Cancelled),
        Ok(a) => Ok(a),
        Err(_) => {
            let res = point_residuals(&model, points);
            let rms = (res.iter().map(|e| e * e).sum::<f64>() / res.len() as f64).sqrt();
            Ok(Alignment {
                suspect_from_reference: model,
                field: None,
                quality: AlignQuality {
                    inliers: points.len(),
                    putative_matches: points.len(),
                    rms_residual_px: rms,
                    overlap,
                    residuals: points
                        .iter()
                        .zip(&res)
                        .map(|(p, e)| {
                            (
                                [p.in_reference[0] as f32, p.in_reference[1] as f32],
                                *e as f32,
                            )
                        })
                        .collect(),
                    ..Default::default()
                },
            })
        }
    }
}

/// One hand-picked correspondence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointPair {
    pub in_reference: [f64; 2],
    pub in_suspect: [f64; 2],
}

/// Least-squares homography through the picked points, None below four or when degenerate.
pub fn points_homography(points: &[PointPair]) -> Option<Homography> {
    let src: Vec<[f64; 2]> = points.iter().map(|p| p.in_reference).collect();
    let dst: Vec<[f64; 2]> = points.iter().map(|p| p.in_suspect).collect();
    crate::geometry::fit_homography(&src, &dst, None)
}

/// Distance in suspect px between each picked suspect point and where the model puts it.
pub fn point_residuals(model: &Homography, points: &[PointPair]) -> Vec<f64> {
    points
        .iter()
        .map(|p| {
            let q = model.apply(p.in_reference);
            (q[0] - p.in_suspect[0]).hypot(q[1] - p.in_suspect[1])
        })
        .collect()
}

/// Alignment of a pair known to be registered (scanner fixtures, registered datasets):
/// the near-identity refinement where the photos have enough structure to confirm it,
/// otherwise the identity as promised.
pub fn registered<R: Luma, S: Luma>(reference: &R, suspect: &S) -> Alignment {
    // Scanner fixtures can be off by several pixels: a wide search is slow, so it is only
    // the second attempt.
    let (w, h) = reference.dimensions();
    let identity = Alignment::identity(w, h);
    let Some(refined) = try_near_identity(reference, suspect, 4)
        .or_else(|| try_near_identity(reference, suspect, 12))
    else {
        return identity;
    };
    // A correction under a quarter pixel is within what the matching can tell, and
    // resampling by it only blurs the suspect's noise, which lowers the noise estimate
    // and with it every threshold.
    let corners = [
        [0.0, 0.0],
        [w as f64, 0.0],
        [0.0, h as f64],
        [w as f64, h as f64],
    ];
    let largest = largest_shift(|p| refined.map(p), &corners).max(refined.quality.field_max_px);
    if largest < 0.25 {
        identity
    } else {
        refined
    }
}

/// Refinement from the identity with a search of `radius` px.
fn try_near_identity<R: Luma, S: Luma>(
    reference: &R,
    suspect: &S,
    radius: usize,
) -> Option<Alignment> {
    let (w, h) = reference.dimensions();
    // Dense on small images: registered scans of bare boards are mostly flat copper and
    // straight traces, so few patches pin down both directions.
    let grid = (
        (w / 32).clamp(6, 26) as usize,
        (h / 32).clamp(6, 20) as usize,
    );
    let params = RefineParams {
        patch: 32,
        radius,
        grid,
        min_ncc: 0.7,
        min_isotropy: 0.05,
        affine: true,
    };
    let fine = refine::refine(reference, suspect, Homography::identity(), &params)?;
    let agreement = fine.matches.len() as f64 / fine.textured.max(1) as f64;
    let model = fine.suspect_from_reference;
    // Measured at the corners of the matched area: a board that fills a third of the scan
    // says nothing about the blank rest, where any extrapolated shift is harmless.
    let (x0, y0, x1, y1) = fine.matches.iter().fold(
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
        |(x0, y0, x1, y1), m| {
            let [x, y] = m.pos_in_reference;
            (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
        },
    );
    let corner_shift = largest_shift(
        |p| model.apply(p),
        &[[x0, y0], [x1, y0], [x0, y1], [x1, y1]],
    );
    // Binarised scans locate edges to a pixel or two at best and differ by local
    // stretch; a pair that is not registered matches far fewer patches than this.
    if agreement < 0.5
        || fine.matches.len() < 12
        || fine.rms_px > 2.0
        || corner_shift > 1.5 * radius as f64
    {
        return None;
    }
    let (rms, field) = residual_field((w, h), &fine, &model);
    let residuals = residual_map(&fine.matches, &model, field.as_ref());
    Some(Alignment {
        suspect_from_reference: model,
        quality: AlignQuality {
            inliers: fine.matches.len(),
            putative_matches: fine.matches.len(),
            patches_matched: fine.matches.len(),
            patches_textured: fine.textured,
            rms_residual_px: rms,
            overlap: overlap_fraction(&model, (w, h), suspect.dimensions()),
            field_max_px: field.as_ref().map_or(0.0, |f| f.max_offset()),
            residuals,
        },
        field,
    })
}

/// The largest distance any of `points` moves under `map`.
fn largest_shift(map: impl Fn([f64; 2]) -> [f64; 2], points: &[[f64; 2]]) -> f64 {
    points
        .iter()
        .map(|p| {
            let q = map(*p);
            (q[0] - p[0]).hypot(q[1] - p[1])
        })
        .fold(0.0, f64::max)
}

/// The bounded residual field, when it explains the patch residuals clearly better than
/// the homography alone; with the RMS that results.
fn residual_field(
    (w, h): (u32, u32),
    fine: &refine::RefineOutcome,
    model: &Homography,
) -> (f64, Option<ResidualField>) {
    let rms = fine.rms_px;
    if rms > 0.25 {
        if let Some(f) = ResidualField::fit(w, h, &fine.matches, model) {
            let rms_with = rms_with_field(&fine.matches, model, &f);
            if rms_with < 0.8 * rms {
                return (rms_with, Some(f));
            }
        }
    }
    (rms, None)
}

/// Each matched patch's position and its distance from the final mapping, for a picture
/// of where alignment is weak.
fn residual_map(
    matches: &[PatchMatch],
    model: &Homography,
    field: Option<&ResidualField>,
) -> Vec<([f32; 2], f32)> {
    matches
        .iter()
        .map(|m| {
            let p = map_with(model, field, m.pos_in_reference);
            let e = (p[0] - m.pos_in_suspect[0]).hypot(p[1] - m.pos_in_suspect[1]);
            (
                [m.pos_in_reference[0] as f32, m.pos_in_reference[1] as f32],
                e as f32,
            )
        })
        .collect()
}

fn map_with(model: &Homography, field: Option<&ResidualField>, p: [f64; 2]) -> [f64; 2] {
    let q = model.apply(p);
    match field {
        Some(f) => {
            let o = f.offset_at(p);
            [q[0] + o[0], q[1] + o[1]]
        }
        None => q,
    }
}

/// RMS over the matches that the robust fit would keep (residual below 2 px).
fn rms_with_field(matches: &[PatchMatch], model: &Homography, field: &ResidualField) -> f64 {
    let errs: Vec<f64> = matches
        .iter()
        .map(|m| {
            let p = map_with(model, Some(field), m.pos_in_reference);
            (p[0] - m.pos_in_suspect[0]).hypot(p[1] - m.pos_in_suspect[1])
        })
        .filter(|e| *e < 2.0)
        .collect();
    (errs.iter().map(|e| e * e).sum::<f64>() / errs.len().max(1) as f64).sqrt()
}

/// Fraction of reference pixels (sampled on a grid) whose mapped position lies inside the suspect.
pub(crate) fn overlap_fraction(
    suspect_from_reference: &Homography,
    reference: (u32, u32),
    suspect: (u32, u32),
) -> f64 {
    let n = 64;
    let mut inside = 0;
    for j in 0..n {
        for i in 0..n {
            let p = [
                (i as f64 + 0.5) / n as f64 * reference.0 as f64,
                (j as f64 + 0.5) / n as f64 * reference.1 as f64,
            ];
            let q = suspect_from_reference.apply(p);
            if q[0] >= 0.0
                && q[1] >= 0.0
                && q[0] <= suspect.0 as f64 - 1.0
                && q[1] <= suspect.1 as f64 - 1.0
            {
                inside += 1;
            }
        }
    }
    inside as f64 / (n * n) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GrayImage;

    /// A two-tone "scan": pads and traces on a 640 px square, shifted by (dx, dy).
    fn scan(dx: i64, dy: i64) -> GrayImage {
        GrayImage::from_fn(640, 640, |x, y| {
            let (x, y) = (x as i64 - dx, y as i64 - dy);
            let cell = (x.div_euclid(40), y.div_euclid(40));
            let h = (cell.0 * 7919 + cell.1 * 104729).rem_euclid(97);
            let (u, v) = (x.rem_euclid(40), y.rem_euclid(40));
            let pad = h % 3 == 0 && (8..8 + h % 20).contains(&u) && (6..30).contains(&v);
            let trace = h % 4 == 1 && (18..24).contains(&v);
            image::Luma([if pad || trace { 0 } else { 255 }])
        })
    }

    #[test]
    fn registered_pairs_refine_several_pixels_of_offset() {
        let (reference, suspect) = (scan(0, 0), scan(7, -5));
        let a = registered(&reference, &suspect);
        let q = a.map([320.0, 320.0]);
        assert!(
            (q[0] - 327.0).abs() < 0.5 && (q[1] - 315.0).abs() < 0.5,
            "mapped the centre to {q:?}"
        );
    }
}
