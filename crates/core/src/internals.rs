//! Entry points to hand-written internals for `benches/hand_written.rs`, which compares
//! each with the crate it replaces. Compiled only with the `internals` feature; not an API.
use crate::align::{fast, features, ransac};
use crate::geometry::Homography;
use image::GrayImage;

/// FAST-9 corners as the coarse alignment finds them.
pub fn fast_corners(image: &GrayImage, threshold: u8) -> Vec<imageproc::corners::Corner> {
    fast::corners_fast9(image, threshold)
}

/// Oriented FAST + steered BRIEF on both images, matched as alignment matches them:
/// the matched positions, in each image's pixels.
pub fn orb_matches(a: &GrayImage, b: &GrayImage) -> Vec<([f64; 2], [f64; 2])> {
    let params = features::DetectParams {
        levels: 6,
        max_keypoints: 3000,
    };
    let (ka, kb) = (features::detect(a, &params), features::detect(b, &params));
    features::match_descriptors(&ka, &kb, 0.85, 90)
        .into_iter()
        .map(|(i, j)| (ka[i].pos, kb[j].pos))
        .collect()
}

/// RANSAC with refits, as the coarse alignment runs it: the model and its inlier count.
pub fn ransac(src: &[[f64; 2]], dst: &[[f64; 2]], threshold: f64) -> Option<(Homography, usize)> {
    ransac::ransac_homography(src, dst, threshold, 0x5EED).map(|r| (r.model, r.inliers.len()))
}

/// The light correction's tone curve for one channel from (reference, suspect) level
/// pairs, with the given largest slope.
pub fn tone_curve(pairs: &[(u8, u8)], max_slope: f64) -> [u8; 256] {
    crate::normalise::tone_curve(pairs, max_slope)
}

/// The plain least-squares homography through every correspondence (no outlier model).
pub fn least_squares(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Option<Homography> {
    crate::geometry::fit_homography(src, dst, None)
}

/// The walk over a JPEG's entropy data that refuses damaged files.
pub fn jpeg_entropy_check(bytes: &[u8]) -> Result<(), String> {
    crate::jpeg_check::check_entropy_data(bytes)
}
