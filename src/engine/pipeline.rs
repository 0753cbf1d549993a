//! One comparison from two decoded photos to regions, with per-stage timing, progress and
//! cancellation. The working-resolution images and the score map are kept so that a
//! re-threshold (GUI sliders) never re-aligns.
use crate::engine::align::{self, AlignProgress, AlignSource, Alignment};
use crate::engine::diff::{score_map, DiffParams, ScoreMap};
use crate::engine::error::{EngineError, Result};
use crate::engine::geometry::Homography;
use crate::engine::load::{load_rgb, LoadedImage};
use crate::engine::photometric;
use crate::engine::pyramid::{fit_dims, resize_rgb};
use crate::engine::regions::{find_regions, DetectSettings};
use crate::engine::report::Region;
use crate::engine::warp::{reduce_for, reduce_guess, warp_level, Warped};
use image::RgbImage;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Decode,
    Pyramid,
    Align,
    Warp,
    Diff,
    Regions,
    Export,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Pyramid => "pyramid",
            Stage::Align => "align",
            Stage::Warp => "warp",
            Stage::Diff => "diff",
            Stage::Regions => "regions",
            Stage::Export => "export",
        }
    }
}

/// Receives progress from worker threads; `cancelled` is polled between stages.
pub trait Progress: Sync {
    fn update(&self, stage: Stage, fraction: f32);
    fn cancelled(&self) -> bool {
        false
    }
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn update(&self, _: Stage, _: f32) {}
}

#[derive(Clone, Debug, Default)]
pub struct Timings(pub Vec<(Stage, f64)>);

impl Timings {
    fn time<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0.push((stage, start.elapsed().as_secs_f64()));
        out
    }

    pub fn total(&self) -> f64 {
        self.0.iter().map(|t| t.1).sum()
    }

    pub fn as_pairs(&self) -> Vec<(String, f64)> {
        self.0
            .iter()
            .map(|(s, t)| (s.label().to_string(), (t * 1000.0).round() / 1000.0))
            .collect()
    }
}

/// Everything a comparison produced. Images are kept for export and the GUI.
pub struct Comparison {
    /// Shared with the GUI's display pyramids, so 100 MP photos are held once.
    pub reference: Arc<RgbImage>,
    pub suspect: Arc<RgbImage>,
    pub alignment: Alignment,
    /// Reference and photometrically normalised, warped suspect at working resolution.
    pub work_reference: RgbImage,
    pub work_suspect: Warped,
    pub score: Arc<ScoreMap>,
    /// Score maps for other tolerance radii, computed on demand (or ahead of time by
    /// [`Self::precompute_tolerances`]) so a tolerance slider only re-thresholds.
    pub score_cache: Mutex<Vec<(usize, Arc<ScoreMap>)>>,
    pub regions: Vec<Region>,
    pub settings: DetectSettings,
    pub ignore: Vec<[u32; 4]>,
    pub timings: Timings,
}

impl Comparison {
    /// Reference pixels per working pixel.
    pub fn reference_from_work(&self) -> f64 {
        self.reference.width() as f64 / self.work_reference.width() as f64
    }

    /// Re-runs only thresholding and region extraction (milliseconds, no re-alignment).
    /// A changed tolerance recomputes the score map from the cached working images.
    pub fn redetect(&mut self, settings: DetectSettings, ignore: Vec<[u32; 4]>) {
        let (score, regions) = self.detect(&settings, &ignore);
        if let Some(score) = score {
            self.score = score;
        }
        self.regions = regions;
        self.settings = settings;
        self.ignore = ignore;
    }

    /// What [`Self::redetect`] would produce, without changing `self`: the new score map
    /// when the tolerance changed, and the regions.
    pub fn detect(
        &self,
        settings: &DetectSettings,
        ignore: &[[u32; 4]],
    ) -> (Option<Arc<ScoreMap>>, Vec<Region>) {
        let score = (settings.tolerance_px != self.settings.tolerance_px)
            .then(|| self.score_for_tolerance(settings.tolerance_px));
        let regions = find_regions(
            score.as_ref().unwrap_or(&self.score),
            &self.work_reference,
            &self.work_suspect.image,
            settings,
            self.reference_from_work(),
            ignore,
        );
        (score, regions)
    }

    /// The score map at a tolerance radius (working px), cached.
    pub fn score_for_tolerance(&self, tolerance_px: usize) -> Arc<ScoreMap> {
        if tolerance_px == self.settings.tolerance_px {
            return self.score.clone();
        }
        let cached = |c: &Vec<(usize, Arc<ScoreMap>)>| {
            c.iter()
                .find(|(t, _)| *t == tolerance_px)
                .map(|(_, m)| m.clone())
        };
        if let Some(m) = self.score_cache.lock().ok().and_then(|c| cached(&c)) {
            return m;
        }
        let settings = DetectSettings {
            tolerance_px,
            ..self.settings.clone()
        };
        let map = Arc::new(diff_stage(
            &self.work_reference,
            &self.work_suspect,
            &settings,
        ));
        if let Ok(mut c) = self.score_cache.lock() {
            if cached(&c).is_none() {
                c.push((tolerance_px, map.clone()));
            }
        }
        map
    }

    /// Fills the cache for every tolerance the GUI offers (0-3 px), in the background.
    pub fn precompute_tolerances(&self) {
        for t in 0..=3 {
            self.score_for_tolerance(t);
        }
    }
}

pub fn load_pair(reference: &Path, suspect: &Path) -> Result<(LoadedImage, LoadedImage)> {
    let (r, s) = rayon::join(|| load_rgb(reference), || load_rgb(suspect));
    Ok((r?, s?))
}

fn diff_stage(reference: &RgbImage, suspect: &Warped, settings: &DetectSettings) -> ScoreMap {
    score_map(
        reference,
        &suspect.image,
        &suspect.valid,
        DiffParams {
            radius: settings.tolerance_px,
            edge_tolerance: crate::engine::diff::EDGE_TOLERANCE,
        },
    )
}

/// The suspect warped into the working frame of `work_reference` and lit like it.
///
/// Learning the light correction on a small warp of a reduced suspect (to apply it row by
/// row during the full warp) was tried: it saved ~30 ms at 24 MP but tripled false
/// regions on implant cases, so the correction is learned from the warped working image.
///
/// `guessed` is the suspect's reduction made before the alignment was known
/// ([`Prepared`]); it is used when it serves this alignment.
pub fn warp_normalised(
    suspect: &RgbImage,
    alignment: &Alignment,
    reference_dims: (u32, u32),
    work_reference: &RgbImage,
    guessed: Option<(RgbImage, Homography)>,
) -> Warped {
    let work_dims = work_reference.dimensions();
    let (level, level_from_suspect) =
        reduce_for(suspect, alignment, reference_dims, work_dims, guessed);
    let mut warped = warp_level(
        &level,
        &level_from_suspect,
        alignment,
        reference_dims,
        work_dims,
    );
    drop(level);
    photometric::normalise(work_reference, &mut warped.image, &warped.valid);
    warped
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
    pub fn align_sources<'a>(
        &'a self,
        reference: &'a RgbImage,
        suspect: &'a RgbImage,
    ) -> (AlignSource<'a>, AlignSource<'a>) {
        rayon::join(
            || AlignSource::rgb(reference, &self.work_reference),
            || match &self.suspect_guess {
                Some((level, _)) => AlignSource::rgb(suspect, level),
                None => AlignSource::rgb(suspect, suspect),
            },
        )
    }
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
        || {
            if work_dims == reference_dims {
                reference.clone()
            } else {
                resize_rgb(reference, work_dims.0, work_dims.1).0
            }
        },
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

/// Aligns two decoded photos from their [`Prepared`] reductions.
pub fn align_prepared(
    reference: &RgbImage,
    suspect: &RgbImage,
    prepared: &Prepared,
    progress: &dyn Progress,
) -> Result<Alignment> {
    let (reference_source, suspect_source) = prepared.align_sources(reference, suspect);
    let report = |f: f32| progress.update(Stage::Align, f);
    let cancelled = || progress.cancelled();
    align::align(
        &reference_source,
        &suspect_source,
        &AlignProgress {
            report: &report,
            cancelled: &cancelled,
        },
    )
}

/// Aligns and compares two decoded photos. Alignment failures come back as
/// [`EngineError::AlignmentRefused`].
pub fn compare(
    reference: RgbImage,
    suspect: RgbImage,
    settings: DetectSettings,
    ignore: Vec<[u32; 4]>,
    progress: &dyn Progress,
) -> Result<Comparison> {
    let mut timings = Timings::default();
    compare_timed(
        reference,
        suspect,
        None,
        settings,
        ignore,
        progress,
        &mut timings,
    )
}

/// As [`compare`] with a known alignment (pre-registered data, manual alignment): skips
/// the alignment stage.
pub fn compare_with_alignment(
    reference: RgbImage,
    suspect: RgbImage,
    alignment: Alignment,
    settings: DetectSettings,
    ignore: Vec<[u32; 4]>,
    progress: &dyn Progress,
) -> Result<Comparison> {
    let mut timings = Timings::default();
    run(
        reference,
        suspect,
        Start::Aligned(alignment),
        settings,
        ignore,
        progress,
        &mut timings,
    )
}

/// As [`compare_with_alignment`] for an alignment from [`align_prepared`] on the same
/// [`Prepared`] reductions, which are then not made again.
pub fn compare_prepared(
    reference: RgbImage,
    suspect: RgbImage,
    prepared: Prepared,
    alignment: Alignment,
    settings: DetectSettings,
    ignore: Vec<[u32; 4]>,
    progress: &dyn Progress,
) -> Result<Comparison> {
    let mut timings = Timings::default();
    run(
        reference,
        suspect,
        Start::Prepared(prepared, alignment),
        settings,
        ignore,
        progress,
        &mut timings,
    )
}

/// As [`compare`], appending stage times to `timings` (which may already hold decode);
/// with `alignment` given, as [`compare_with_alignment`].
pub fn compare_timed(
    reference: RgbImage,
    suspect: RgbImage,
    alignment: Option<Alignment>,
    settings: DetectSettings,
    ignore: Vec<[u32; 4]>,
    progress: &dyn Progress,
    timings: &mut Timings,
) -> Result<Comparison> {
    run(
        reference,
        suspect,
        alignment.map_or(Start::Fresh, Start::Aligned),
        settings,
        ignore,
        progress,
        timings,
    )
}

/// How far a comparison has got before [`run`]: alignment needs the reductions, so there is
/// no alignment to come without them.
enum Start {
    Fresh,
    Aligned(Alignment),
    Prepared(Prepared, Alignment),
}

fn run(
    reference: RgbImage,
    suspect: RgbImage,
    start: Start,
    settings: DetectSettings,
    ignore: Vec<[u32; 4]>,
    progress: &dyn Progress,
    timings: &mut Timings,
) -> Result<Comparison> {
    let check = || {
        if progress.cancelled() {
            Err(EngineError::Cancelled)
        } else {
            Ok(())
        }
    };
    progress.update(Stage::Pyramid, 0.0);
    let mut prepare_timed = |for_alignment: bool| {
        timings.time(Stage::Pyramid, || {
            prepare(&reference, &suspect, &settings, for_alignment)
        })
    };
    let (prepared, alignment) = match start {
        Start::Prepared(prepared, alignment) => (prepared, alignment),
        Start::Aligned(alignment) => (prepare_timed(false), alignment),
        Start::Fresh => {
            let prepared = prepare_timed(true);
            check()?;
            let alignment = timings.time(Stage::Align, || {
                align_prepared(&reference, &suspect, &prepared, progress)
            })?;
            (prepared, alignment)
        }
    };
    let reference_dims = reference.dimensions();
    let Prepared {
        work_reference,
        suspect_guess,
    } = prepared;
    check()?;
    progress.update(Stage::Warp, 0.0);
    let work_suspect = timings.time(Stage::Warp, || {
        warp_normalised(
            &suspect,
            &alignment,
            reference_dims,
            &work_reference,
            suspect_guess,
        )
    });
    check()?;
    progress.update(Stage::Diff, 0.0);
    let score = timings.time(Stage::Diff, || {
        diff_stage(&work_reference, &work_suspect, &settings)
    });
    check()?;
    progress.update(Stage::Regions, 0.0);
    let reference_from_work = reference.width() as f64 / work_reference.width() as f64;
    let regions = timings.time(Stage::Regions, || {
        find_regions(
            &score,
            &work_reference,
            &work_suspect.image,
            &settings,
            reference_from_work,
            &ignore,
        )
    });
    Ok(Comparison {
        reference: Arc::new(reference),
        suspect: Arc::new(suspect),
        alignment,
        work_reference,
        work_suspect,
        score: Arc::new(score),
        score_cache: Mutex::new(Vec::new()),
        regions,
        settings,
        ignore,
        timings: std::mem::take(timings),
    })
}
