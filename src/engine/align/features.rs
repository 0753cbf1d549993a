//! Oriented FAST keypoints with steered BRIEF descriptors over a small scale pyramid
//! (ORB in spirit). Steering makes 90/180/270 degree suspects match; the pyramid covers
//! a 0.5-2x scale change between the photos.
use crate::engine::pyramid::{resize_gray, scale_between};
use crate::engine::rng::Rng;
use image::GrayImage;
use rayon::prelude::*;
use std::sync::OnceLock;

pub const LEVEL_STEP: f64 = 1.3;
const PATCH_RADIUS: i32 = 15;
const BORDER: u32 = 22;

#[derive(Clone, Debug)]
pub struct Keypoint {
    /// Position in the pixel frame of the image given to [`detect`].
    pub pos: [f64; 2],
    pub level: usize,
    pub descriptor: [u64; 4],
}

pub struct DetectParams {
    pub levels: usize,
    pub max_keypoints: usize,
}

/// Detects keypoints on `levels` successively smaller copies of `image`, bucketed on a grid
/// so that one busy area (a dense connector) cannot take every keypoint.
pub fn detect(image: &GrayImage, params: &DetectParams) -> Vec<Keypoint> {
    let (w0, h0) = image.dimensions();
    let mut level_images = vec![image.clone()];
    for level in 1..params.levels {
        let s = LEVEL_STEP.powi(level as i32);
        let (w, h) = (
            (w0 as f64 / s).round() as u32,
            (h0 as f64 / s).round() as u32,
        );
        if w < 2 * BORDER + 16 || h < 2 * BORDER + 16 {
            break;
        }
        level_images.push(resize_gray(image, w, h).0);
    }
    let area0 = (w0 as f64) * (h0 as f64);
    let weights: Vec<f64> = level_images
        .iter()
        .map(|l| l.width() as f64 * l.height() as f64 / area0)
        .collect();
    let total_weight: f64 = weights.iter().sum();
    level_images
        .par_iter()
        .enumerate()
        .flat_map_iter(|(level, img)| {
            let budget =
                (params.max_keypoints as f64 * weights[level] / total_weight).ceil() as usize;
            let base_from_level = scale_between(img.dimensions(), (w0, h0));
            detect_level(img, budget)
                .into_iter()
                .map(move |(x, y, descriptor)| Keypoint {
                    pos: base_from_level.apply([x as f64, y as f64]),
                    level,
                    descriptor,
                })
        })
        .collect()
}

fn detect_level(img: &GrayImage, budget: usize) -> Vec<(u32, u32, [u64; 4])> {
    let (w, h) = img.dimensions();
    let mut corners = imageproc::corners::corners_fast9(img, 20);
    if corners.len() < budget {
        corners = imageproc::corners::corners_fast9(img, 10);
    }
    corners.retain(|c| c.x >= BORDER && c.y >= BORDER && c.x < w - BORDER && c.y < h - BORDER);
    let cells_x = 12u32;
    let cells_y = 9u32;
    let per_cell = budget.div_ceil((cells_x * cells_y) as usize).max(1);
    let mut buckets: Vec<Vec<imageproc::corners::Corner>> =
        vec![Vec::new(); (cells_x * cells_y) as usize];
    for c in corners {
        let cx = (c.x * cells_x / w).min(cells_x - 1);
        let cy = (c.y * cells_y / h).min(cells_y - 1);
        buckets[(cy * cells_x + cx) as usize].push(c);
    }
    let smooth = imageproc::filter::box_filter(&imageproc::filter::box_filter(img, 2, 2), 1, 1);
    let mut chosen = Vec::new();
    for mut bucket in buckets {
        bucket.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<(u32, u32)> = Vec::new();
        for c in bucket {
            if kept.len() >= per_cell {
                break;
            }
            // Cheap non-maximum suppression: FAST fires on several neighbours of one corner.
            if kept
                .iter()
                .any(|k| k.0.abs_diff(c.x) < 5 && k.1.abs_diff(c.y) < 5)
            {
                continue;
            }
            kept.push((c.x, c.y));
        }
        chosen.extend(kept);
    }
    chosen
        .into_iter()
        .map(|(x, y)| {
            let angle = orientation(img, x, y);
            (x, y, describe(&smooth, x, y, angle))
        })
        .collect()
}

/// Intensity-centroid orientation (Rosin), as in ORB.
fn orientation(img: &GrayImage, x: u32, y: u32) -> f64 {
    let (mut m01, mut m10) = (0f64, 0f64);
    for dy in -PATCH_RADIUS..=PATCH_RADIUS {
        let span = ((PATCH_RADIUS * PATCH_RADIUS - dy * dy) as f64).sqrt() as i32;
        for dx in -span..=span {
            let v = img.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32)[0] as f64;
            m10 += dx as f64 * v;
            m01 += dy as f64 * v;
        }
    }
    m01.atan2(m10)
}

fn pattern() -> &'static [[i8; 4]; 256] {
    static PATTERN: OnceLock<[[i8; 4]; 256]> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let mut rng = Rng::new(0xB0A2D);
        let mut out = [[0i8; 4]; 256];
        for pair in out.iter_mut() {
            for v in pair.iter_mut() {
                *v = (rng.normal() * 5.0).round().clamp(-13.0, 13.0) as i8;
            }
        }
        out
    })
}

fn describe(smooth: &GrayImage, x: u32, y: u32, angle: f64) -> [u64; 4] {
    let (s, c) = angle.sin_cos();
    let sample = |dx: i8, dy: i8| {
        let (dx, dy) = (dx as f64, dy as f64);
        let rx = (c * dx - s * dy).round() as i32;
        let ry = (s * dx + c * dy).round() as i32;
        smooth.get_pixel((x as i32 + rx) as u32, (y as i32 + ry) as u32)[0]
    };
    let mut d = [0u64; 4];
    for (i, p) in pattern().iter().enumerate() {
        if sample(p[0], p[1]) < sample(p[2], p[3]) {
            d[i / 64] |= 1 << (i % 64);
        }
    }
    d
}

pub fn hamming(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Nearest neighbours with Lowe's ratio test and a mutual check: periodic layouts (rows of
/// identical capacitors) produce ambiguous matches that both filters remove.
pub fn match_descriptors(
    a: &[Keypoint],
    b: &[Keypoint],
    ratio: f64,
    max_dist: u32,
) -> Vec<(usize, usize)> {
    let best = |from: &[Keypoint], to: &[Keypoint]| -> Vec<(usize, u32, u32)> {
        from.par_iter()
            .map(|k| {
                let (mut b1, mut d1, mut d2) = (usize::MAX, u32::MAX, u32::MAX);
                for (j, t) in to.iter().enumerate() {
                    let d = hamming(&k.descriptor, &t.descriptor);
                    if d < d1 {
                        d2 = d1;
                        d1 = d;
                        b1 = j;
                    } else if d < d2 {
                        d2 = d;
                    }
                }
                (b1, d1, d2)
            })
            .collect()
    };
    let ab = best(a, b);
    let ba = best(b, a);
    ab.iter()
        .enumerate()
        .filter_map(|(i, &(j, d1, d2))| {
            let ok = j != usize::MAX
                && d1 <= max_dist
                && (d1 as f64) < ratio * d2 as f64
                && ba[j].0 == i;
            ok.then_some((i, j))
        })
        .collect()
}
