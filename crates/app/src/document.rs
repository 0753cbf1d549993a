//! What is open: the comparison (immutable once made), the session being reviewed (which
//! owns settings, ignore masks, regions, verdicts and notes), and the display pyramids.
//! Built on the worker thread, handed to the UI whole.
use crate::tiles::Pyramid;
use boarddiff_core::compare::Comparison;
use boarddiff_core::rect::Rect;
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::warp::warp_rect;
use boarddiff_output::crops::heat_image;
use boarddiff_output::session::Session;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Document {
    pub cmp: Arc<Comparison>,
    pub session: Session,
    /// Where the session was explicitly saved or opened from; autosave writes there.
    pub(crate) session_path: Option<PathBuf>,
    pub(crate) images: DisplayImages,
    /// Peak scores (noise sigmas) of the candidates at the session's settings, for the
    /// detection panel's histogram.
    pub(crate) candidate_peaks: Vec<f32>,
}

/// Everything the viewer draws, each as a tiled pyramid in its own coordinate space.
pub(crate) struct DisplayImages {
    pub(crate) reference: Arc<Pyramid>,
    /// The suspect resampled into the reference frame at full resolution.
    pub(crate) warped: Arc<Pyramid>,
    /// The suspect as photographed (suspect pixel coordinates).
    pub(crate) raw_suspect: Arc<Pyramid>,
    /// The score map at the session's settings in colour, at working resolution.
    pub(crate) heat: Arc<Pyramid>,
}

/// The score map in colour, as a pyramid in reference pixels. Full brightness is twice
/// the seed threshold at the current sensitivity.
pub(crate) fn heat_pyramid(cmp: &Comparison, settings: &DetectSettings) -> Pyramid {
    let full_scale = (2.0 * settings.seed_sigma / settings.sensitivity) as f32;
    let score = cmp.score_map(settings.tolerance_px);
    Pyramid::build(
        Arc::new(heat_image(&score, full_scale)),
        cmp.reference_from_work(),
    )
}

impl DisplayImages {
    pub(crate) fn build(cmp: &Comparison, settings: &DetectSettings) -> Self {
        let (w, h) = cmp.reference.dimensions();
        let ((reference, warped), (raw_suspect, heat)) = rayon::join(
            || {
                rayon::join(
                    || Pyramid::build(cmp.reference.clone(), 1.0),
                    || {
                        let whole = Rect::from_corners(0, 0, w, h);
                        let warped = warp_rect(&cmp.suspect, &cmp.alignment, whole).image;
                        Pyramid::build(Arc::new(warped), 1.0)
                    },
                )
            },
            || {
                rayon::join(
                    || Pyramid::build(cmp.suspect.clone(), 1.0),
                    || heat_pyramid(cmp, settings),
                )
            },
        );
        Self {
            reference: Arc::new(reference),
            warped: Arc::new(warped),
            raw_suspect: Arc::new(raw_suspect),
            heat: Arc::new(heat),
        }
    }
}

/// Two photos that decoded but did not align: kept for manual alignment.
pub(crate) struct Unaligned {
    pub(crate) reference_path: PathBuf,
    pub(crate) suspect_path: PathBuf,
    pub(crate) reference: Arc<Pyramid>,
    pub(crate) suspect: Arc<Pyramid>,
    pub(crate) reason: String,
    /// The session being re-aligned, if any, so verdicts survive.
    pub(crate) previous: Option<Session>,
}
