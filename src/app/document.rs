//! What is open: the comparison (with its cached score map), the session being reviewed,
//! and the display pyramids. Built on the worker thread, handed to the UI whole.
use crate::app::tiles::Pyramid;
use crate::engine::diff::ScoreMap;
use crate::engine::export::heat_image;
use crate::engine::pipeline::Comparison;
use crate::engine::regions::DetectSettings;
use crate::engine::session::Session;
use crate::engine::warp::warp_rect;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Document {
    pub cmp: Arc<Comparison>,
    pub session: Session,
    /// Where the session was explicitly saved or opened from; autosave writes there.
    pub session_path: Option<PathBuf>,
    pub images: DisplayImages,
}

/// Everything the viewer draws, each as a tiled pyramid in its own coordinate space.
pub struct DisplayImages {
    pub reference: Arc<Pyramid>,
    /// The suspect resampled into the reference frame at full resolution.
    pub warped: Arc<Pyramid>,
    /// The suspect as photographed (suspect pixel coordinates).
    pub raw_suspect: Arc<Pyramid>,
    /// The score map in colour, at working resolution.
    pub heat: Arc<Pyramid>,
}

/// The score map in colour, as a pyramid in reference pixels. Full brightness is twice
/// the seed threshold at the current sensitivity.
pub fn heat_pyramid(
    score: &ScoreMap,
    settings: &DetectSettings,
    reference_from_work: f64,
) -> Pyramid {
    let full_scale = (2.0 * settings.seed_sigma / settings.sensitivity) as f32;
    Pyramid::build(Arc::new(heat_image(score, full_scale)), reference_from_work)
}

impl DisplayImages {
    pub fn build(cmp: &Comparison) -> Self {
        let (w, h) = cmp.reference.dimensions();
        let ((reference, warped), (raw_suspect, heat)) = rayon::join(
            || {
                rayon::join(
                    || Pyramid::build(cmp.reference.clone(), 1.0),
                    || {
                        let warped = warp_rect(&cmp.suspect, &cmp.alignment, [0, 0, w, h]).image;
                        Pyramid::build(Arc::new(warped), 1.0)
                    },
                )
            },
            || {
                rayon::join(
                    || Pyramid::build(cmp.suspect.clone(), 1.0),
                    || heat_pyramid(&cmp.score, &cmp.settings, cmp.reference_from_work()),
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
pub struct Unaligned {
    pub reference_path: PathBuf,
    pub suspect_path: PathBuf,
    pub reference: Arc<Pyramid>,
    pub suspect: Arc<Pyramid>,
    pub reason: String,
    /// The session being re-aligned, if any, so verdicts survive.
    pub previous: Option<Session>,
}
