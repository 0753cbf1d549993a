//! The pipeline as one call: from two decoded photos to a [`Comparison`] and its regions,
//! with per-stage timing, progress and cancellation.
//!
//! A comparison is immutable once made: the photos, the alignment and the working images,
//! with a memo of score maps by tolerance radius. Detection settings, ignore masks and
//! regions belong to whoever reviews them (the session); re-detection is the pure
//! [`Comparison::regions`], so a slider never re-aligns.
use crate::align::{self, AlignSource, Alignment, PointPair, ReferenceLevels};
use crate::diff::{score_map, DiffParams, ScoreMap, EDGE_TOLERANCE};
use crate::error::{EngineError, Result};
use crate::geometry::Homography;
use crate::normalise;
use crate::progress::{Progress, Stage, Timings};
use crate::pyramid::{fit_dims, resize_rgb};
use crate::rect::RectInReference;
use crate::regions::{find_regions, ReferenceSurvey};
use crate::report::Region;
use crate::settings::DetectSettings;
use crate::warp::{reduce_for, reduce_guess, warp_level, Warped};
use image::RgbImage;
use std::sync::{Arc, Mutex};

/// Everything a comparison produced that does not depend on detection settings.
pub struct Comparison {
    /// Shared with the GUI's display pyramids, so 100 MP photos are held once.
    pub reference: Arc<RgbImage>,
    pub suspect: Arc<RgbImage>,
    pub alignment: Alignment,
    /// Reference and photometrically normalised, warped suspect at working resolution.
    pub work_reference: RgbImage,
    pub work_suspect: Warped,
    /// Score maps by tolerance radius (working px), computed once each.
    score_maps: Mutex<Vec<(usize, Arc<ScoreMap>)>>,
    /// Shared with every comparison against the same prepared reference.
    survey: Arc<ReferenceSurvey>,
    pub timings: Timings,
}

/// A comparison and the regions found at the settings it was made with.
pub struct Compared {
    pub comparison: Comparison,
    pub regions: Vec<Region>,
    /// See [`Comparison::regions_and_peaks`].
    pub candidate_peaks: Vec<f32>,
}

impl Comparison {
    /// Reference pixels per working pixel.
    pub fn reference_from_work(&self) -> f64 {
        self.reference.width() as f64 / self.work_reference.width() as f64
    }

    /// The score map at a tolerance radius (working px), computed on first use.
    pub fn score_map(&self, tolerance_px: usize) -> Arc<ScoreMap> {
        let cached = |c: &Vec<(usize, Arc<ScoreMap>)>| {
            c.iter()
                .find(|(t, _)| *t == tolerance_px)
                .map(|(_, m)| m.clone())
        };
        if let Some(m) = self.score_maps.lock().ok().and_then(|c| cached(&c)) {
            return m;
        }
        let map = Arc::new(diff_stage(
            &self.work_reference,
            &self.work_suspect,
            tolerance_px,
        ));
        if let Ok(mut c) = self.score_maps.lock() {
            if let Some(first) = cached(&c) {
                return first;
            }
            c.push((tolerance_px, map.clone()));
        }
        map
    }

    /// The regions at `settings`, ignoring `ignore_masks`: a pure function of its inputs,
    /// milliseconds once the score map for the tolerance exists.
    pub fn regions(
        &self,
        settings: &DetectSettings,
        ignore_masks: &[RectInReference],
    ) -> Vec<Region> {
        self.regions_and_peaks(settings, ignore_masks).0
    }

    /// [`Comparison::regions`], and the peak score (noise sigmas) of every candidate large
    /// enough to be a region, those below the seed threshold too: where the candidates
    /// sit against the thresholds.
    pub fn regions_and_peaks(
        &self,
        settings: &DetectSettings,
        ignore_masks: &[RectInReference],
    ) -> (Vec<Region>, Vec<f32>) {
        find_regions(
            &self.score_map(settings.tolerance_px),
            &self.work_reference,
            &self.survey,
            &self.work_suspect.image,
            settings,
            self.reference_from_work(),
            ignore_masks,
        )
    }

    /// Fills the memo for every tolerance the GUI offers (0-3 px), in the background.
    pub fn precompute_tolerances(&self) {
        for t in 0..=3 {
            self.score_map(t);
        }
    }
}

fn diff_stage(reference: &RgbImage, suspect: &Warped, tolerance_px: usize) -> ScoreMap {
    score_map(
        reference,
        &suspect.image,
        &suspect.valid,
        DiffParams {
            radius: tolerance_px,
            edge_tolerance: EDGE_TOLERANCE,
        },
    )
}

/// The reductions made before alignment: the reference's working copy, and the suspect's
/// reduction for the warp as guessed from the image sizes. Alignment's small levels come
/// from them, so no whole grey copy of either photo is ever made.
pub struct Prepared {
    work_reference: RgbImage,
    suspect_guess: Option<(RgbImage, Homography)>,
}

impl Prepared {
    /// What alignment reads of the two photos these reductions were made from.
    fn align_sources<'a>(
        &'a self,
        reference: &'a RgbImage,
        suspect: &'a RgbImage,
    ) -> (AlignSource<'a>, AlignSource<'a>) {
        rayon::join(
            || AlignSource::rgb(reference, &self.work_reference),
            || suspect_source(suspect, &self.suspect_guess),
        )
    }
}

/// What alignment reads of the suspect: its levels come from the guessed reduction when
/// there is one.
fn suspect_source<'a>(
    suspect: &'a RgbImage,
    guess: &Option<(RgbImage, Homography)>,
) -> AlignSource<'a> {
    match guess {
        Some((level, _)) => AlignSource::rgb(suspect, level),
        None => AlignSource::rgb(suspect, suspect),
    }
}

/// The reference reduced to the working size of `settings` (itself when it is no larger).
fn work_copy(reference: &RgbImage, settings: &DetectSettings) -> RgbImage {
    let work_pixels = (settings.work_megapixels * 1e6) as u64;
    let work_dims = fit_dims(reference.dimensions(), work_pixels);
    if work_dims == reference.dimensions() {
        reference.clone()
    } else {
        resize_rgb(reference, work_dims.0, work_dims.1).0
    }
}

fn check_settings(settings: &DetectSettings) -> Result<()> {
    settings
        .check()
        .map_err(|detail| EngineError::InvalidSettings { detail })
}

/// Makes the [`Prepared`] reductions; `for_alignment` false skips the suspect's guess,
/// which only pays off when alignment uses it.
pub fn prepare(
    reference: &RgbImage,
    suspect: &RgbImage,
    settings: &DetectSettings,
    for_alignment: bool,
) -> Prepared {
    let work_pixels = (settings.work_megapixels * 1e6) as u64;
    let reference_dims = reference.dimensions();
    let work_dims = fit_dims(reference_dims, work_pixels);
    let (work_reference, suspect_guess) = rayon::join(
        || work_copy(reference, settings),
        || {
            for_alignment
                .then(|| reduce_guess(suspect, reference_dims, work_dims))
                .flatten()
        },
    );
    Prepared {
        work_reference,
        suspect_guess,
    }
}

/// Aligns two decoded photos automatically from their [`Prepared`] reductions. A pair
/// that is not of the same board comes back as [`EngineError::AlignmentRefused`].
pub fn align_prepared(
    reference: &RgbImage,
    suspect: &RgbImage,
    prepared: &Prepared,
    progress: &dyn Progress,
) -> Result<Alignment> {
    let (reference_source, suspect_source) = prepared.align_sources(reference, suspect);
    align::align(&reference_source, &suspect_source, progress)
}

/// Aligns two decoded photos from hand-picked corresponding points, refined where the
/// photos agree ([`align::from_points`]).
pub fn align_from_points(
    reference: &RgbImage,
    suspect: &RgbImage,
    prepared: &Prepared,
    points: &[PointPair],
    progress: &dyn Progress,
) -> Result<Alignment> {
    let (reference_source, suspect_source) = prepared.align_sources(reference, suspect);
    align::from_points(&reference_source, &suspect_source, points, progress)
}

/// How far a comparison has got before [`compare`]: alignment needs the reductions, so
/// there is no alignment to come without them.
pub enum Start {
    /// Align automatically.
    Fresh,
    /// A known alignment (a session, pre-registered data, a manual alignment).
    Aligned(Alignment),
    /// An alignment from [`align_prepared`] or [`align_from_points`] on these reductions,
    /// which are then not made again.
    Prepared(Prepared, Alignment),
}

/// Aligns (unless `start` brings an alignment), warps, normalises, scores and finds
/// regions at `settings`.
pub fn compare(
    reference: RgbImage,
    suspect: RgbImage,
    start: Start,
    settings: &DetectSettings,
    ignore_masks: &[RectInReference],
    progress: &dyn Progress,
) -> Result<Compared> {
    check_settings(settings)?;
    if let Start::Aligned(a) | Start::Prepared(_, a) = &start {
        a.check(reference.dimensions(), suspect.dimensions())
            .map_err(|reason| EngineError::AlignmentRefused { reason })?;
    }
    let mut timings = Timings::default();
    progress.update(Stage::Pyramid, 0.0);
    let mut prepare_timed = |for_alignment: bool| {
        timings.time(Stage::Pyramid, || {
            prepare(&reference, &suspect, settings, for_alignment)
        })
    };
    let (prepared, alignment) = match start {
        Start::Prepared(prepared, alignment) => (prepared, alignment),
        Start::Aligned(alignment) => (prepare_timed(false), alignment),
        Start::Fresh => {
            let prepared = prepare_timed(true);
            progress.check()?;
            let alignment = timings.time(Stage::Align, || {
                align_prepared(&reference, &suspect, &prepared, progress)
            })?;
            (prepared, alignment)
        }
    };
    let Prepared {
        work_reference,
        suspect_guess,
    } = prepared;
    // What detection needs of the reference alone: a batch makes it once.
    let survey = Arc::new(timings.time(Stage::Pyramid, || ReferenceSurvey::of(&work_reference)));
    finish(
        ReferenceSide {
            rgb: Arc::new(reference),
            work: work_reference,
            survey,
        },
        (suspect, suspect_guess),
        alignment,
        settings,
        ignore_masks,
        progress,
        timings,
    )
}

/// A reference prepared once for a batch of suspects: decoded, reduced to working size,
/// with alignment's levels and keypoints made. Each suspect then costs only its own work.
pub struct PreparedReference {
    pub rgb: Arc<RgbImage>,
    work_reference: RgbImage,
    levels: ReferenceLevels,
    survey: Arc<ReferenceSurvey>,
    work_megapixels: f64,
}

impl PreparedReference {
    pub fn new(reference: RgbImage, settings: &DetectSettings) -> Self {
        let work_reference = work_copy(&reference, settings);
        let levels = ReferenceLevels::new(&reference, &work_reference);
        Self {
            rgb: Arc::new(reference),
            survey: Arc::new(ReferenceSurvey::of(&work_reference)),
            work_reference,
            levels,
            work_megapixels: settings.work_megapixels,
        }
    }
}

/// [`compare`] against a [`PreparedReference`], aligning automatically: the same result
/// as `compare(reference, suspect, Start::Fresh, ..)`, without redoing the reference's share.
pub fn compare_to_prepared(
    reference: &PreparedReference,
    suspect: RgbImage,
    settings: &DetectSettings,
    ignore_masks: &[RectInReference],
    progress: &dyn Progress,
) -> Result<Compared> {
    check_settings(settings)?;
    if settings.work_megapixels != reference.work_megapixels {
        return Err(EngineError::InvalidSettings {
            detail: format!(
                "the reference was prepared at {} working megapixels, not {}",
                reference.work_megapixels, settings.work_megapixels
            ),
        });
    }
    let mut timings = Timings::default();
    let reference_dims = reference.rgb.dimensions();
    let work_dims = reference.work_reference.dimensions();
    progress.update(Stage::Pyramid, 0.0);
    let suspect_guess = timings.time(Stage::Pyramid, || {
        reduce_guess(&suspect, reference_dims, work_dims)
    });
    progress.check()?;
    let alignment = timings.time(Stage::Align, || {
        let reference_source = AlignSource::kept(&reference.rgb, &reference.levels);
        align::align(
            &reference_source,
            &suspect_source(&suspect, &suspect_guess),
            progress,
        )
    })?;
    finish(
        ReferenceSide {
            rgb: reference.rgb.clone(),
            work: reference.work_reference.clone(),
            survey: reference.survey.clone(),
        },
        (suspect, suspect_guess),
        alignment,
        settings,
        ignore_masks,
        progress,
        timings,
    )
}

/// The reference as a comparison holds it: the photo, its working copy and its survey.
struct ReferenceSide {
    rgb: Arc<RgbImage>,
    work: RgbImage,
    survey: Arc<ReferenceSurvey>,
}

/// Warps, normalises, scores and finds regions once the alignment is known.
fn finish(
    ReferenceSide {
        rgb: reference,
        work: work_reference,
        survey,
    }: ReferenceSide,
    (suspect, suspect_guess): (RgbImage, Option<(RgbImage, Homography)>),
    alignment: Alignment,
    settings: &DetectSettings,
    ignore_masks: &[RectInReference],
    progress: &dyn Progress,
    mut timings: Timings,
) -> Result<Compared> {
    let reference_dims = reference.dimensions();
    let work_dims = work_reference.dimensions();
    progress.check()?;
    progress.update(Stage::Warp, 0.0);
    let mut work_suspect = timings.time(Stage::Warp, || {
        let (level, level_from_suspect) = reduce_for(
            &suspect,
            &alignment,
            reference_dims,
            work_dims,
            suspect_guess,
        );
        warp_level(
            &level,
            &level_from_suspect,
            &alignment,
            reference_dims,
            work_dims,
        )
    });
    progress.check()?;
    // Learning the light correction on a small warp of a reduced suspect (to apply it row
    // by row during the full warp) was tried: it saved ~30 ms at 24 MP but tripled false
    // regions on implant cases, so it is learned from the warped working image.
    progress.update(Stage::Normalise, 0.0);
    timings.time(Stage::Normalise, || {
        normalise::normalise(
            &work_reference,
            &mut work_suspect.image,
            &work_suspect.valid,
        )
    });
    progress.check()?;
    progress.update(Stage::Diff, 0.0);
    let score = timings.time(Stage::Diff, || {
        diff_stage(&work_reference, &work_suspect, settings.tolerance_px)
    });
    progress.check()?;
    progress.update(Stage::Regions, 0.0);
    let reference_from_work = reference.width() as f64 / work_reference.width() as f64;
    let (regions, candidate_peaks) = timings.time(Stage::Regions, || {
        find_regions(
            &score,
            &work_reference,
            &survey,
            &work_suspect.image,
            settings,
            reference_from_work,
            ignore_masks,
        )
    });
    Ok(Compared {
        comparison: Comparison {
            reference,
            suspect: Arc::new(suspect),
            alignment,
            work_reference,
            work_suspect,
            score_maps: Mutex::new(vec![(settings.tolerance_px, Arc::new(score))]),
            survey,
            timings,
        },
        regions,
        candidate_peaks,
    })
}
