//! Oriented FAST keypoints with steered BRIEF descriptors over a small scale pyramid
//! (ORB in spirit). Steering makes 90/180/270 degree suspects match; the pyramid covers
//! a 0.5-2x scale change between the photos.
use crate::pyramid::{resize_gray, scale_between};
use crate::rng::Rng;
use crate::simd::wide_fn;
use image::GrayImage;
use rayon::prelude::*;
use std::sync::OnceLock;

pub(crate) const LEVEL_STEP: f64 = 1.3;
const PATCH_RADIUS: i32 = 15;
const BORDER: u32 = 22;

#[derive(Clone, Debug)]
pub(crate) struct Keypoint {
    /// Position in the pixel frame of the image given to [`detect`].
    pub(crate) pos: [f64; 2],
    pub(crate) descriptor: [u64; 4],
}

pub(crate) struct DetectParams {
    pub(crate) levels: usize,
    pub(crate) max_keypoints: usize,
}

/// Detects keypoints on `levels` successively smaller copies of `image`, bucketed on a grid
/// so that one busy area (a dense connector) cannot take every keypoint.
pub(crate) fn detect(image: &GrayImage, params: &DetectParams) -> Vec<Keypoint> {
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
                    descriptor,
                })
        })
        .collect()
}

fn detect_level(img: &GrayImage, budget: usize) -> Vec<(u32, u32, [u64; 4])> {
    let (w, h) = img.dimensions();
    let mut corners = super::fast::corners_fast9(img, 20);
    if corners.len() < budget {
        corners = super::fast::corners_fast9(img, 10);
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
    let smooth = box_blur(&box_blur(img, 2), 1);
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

/// Mean over a (2r+1)^2 window, edges clamped. Sums of shifted slices, which vectorise,
/// and a reciprocal multiply instead of a division per pixel: the blur was a third of
/// the keypoint detection time. Bands of rows, not single rows, are the parallel tasks:
/// a row of a 0.8 MP level is too little work to hand to another thread.
fn box_blur(img: &GrayImage, r: usize) -> GrayImage {
    const BAND: usize = 32;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut rows = vec![0u16; w * h];
    rows.par_chunks_mut(w * BAND)
        .zip(src.par_chunks(w * BAND))
        .for_each(|(out, lines)| row_sums(lines, out, w, r));
    let mut out = vec![0u8; w * h];
    out.par_chunks_mut(w * BAND)
        .enumerate()
        .for_each(|(band, out)| column_means(&rows, out, w, band * BAND, r));
    GrayImage::from_raw(w as u32, h as u32, out).expect("buffer matches dimensions")
}

wide_fn! {
    /// Horizontal window sums of whole rows `lines` (each `w` long) into `out`.
    fn row_sums(lines: &[u8], out: &mut [u16], w: usize, r: usize) {
        let mut padded = vec![0u16; w + 2 * r];
        for (out, line) in out.chunks_exact_mut(w).zip(lines.chunks_exact(w)) {
            padded[..r].fill(u16::from(line[0]));
            padded[w + r..].fill(u16::from(line[w - 1]));
            for (p, v) in padded[r..w + r].iter_mut().zip(line) {
                *p = u16::from(*v);
            }
            for d in 0..2 * r + 1 {
                for (o, v) in out.iter_mut().zip(&padded[d..d + w]) {
                    *o += v;
                }
            }
        }
    }
}

wide_fn! {
    /// Window means of the rows of `out`, which start at row `top`, from the row sums.
    fn column_means(sums: &[u16], out: &mut [u8], w: usize, top: usize, r: usize) {
        let h = sums.len() / w;
        let taps = 2 * r + 1;
        // Exact rounding of a / n for every window sum a <= 255 n (n = taps^2): the product
        // stays under 255.5 * 2^24 < 2^32, and u16 sums hold windows up to 15 x 15.
        let recip = (1u32 << 24).div_ceil((taps * taps) as u32);
        let half = (taps * taps / 2) as u32;
        let mut acc = vec![0u16; w];
        for (k, o) in out.chunks_exact_mut(w).enumerate() {
            let y = top + k;
            acc.fill(0);
            for d in 0..taps {
                let yy = (y + d).saturating_sub(r).min(h - 1);
                for (a, v) in acc.iter_mut().zip(&sums[yy * w..(yy + 1) * w]) {
                    *a += v;
                }
            }
            for (o, a) in o.iter_mut().zip(&acc) {
                *o = (((u32::from(*a) + half) * recip) >> 24) as u8;
            }
        }
    }
}

/// Intensity-centroid orientation (Rosin), as in ORB.
fn orientation(img: &GrayImage, x: u32, y: u32) -> f64 {
    let (mut m01, mut m10) = (0i64, 0i64);
    let w = img.width() as usize;
    let raw = img.as_raw();
    for dy in -PATCH_RADIUS..=PATCH_RADIUS {
        let span = ((PATCH_RADIUS * PATCH_RADIUS - dy * dy) as f64).sqrt() as i32;
        let row = (y as i32 + dy) as usize * w;
        let line = &raw[row + (x as i32 - span) as usize..=row + (x as i32 + span) as usize];
        let (mut sum, mut moment) = (0i64, 0i64);
        for (dx, v) in (-span..=span).zip(line) {
            sum += i64::from(*v);
            moment += i64::from(dx) * i64::from(*v);
        }
        m10 += moment;
        m01 += i64::from(dy) * sum;
    }
    (m01 as f64).atan2(m10 as f64)
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

/// Steering angles are quantised, as in ORB: 2 degrees is far inside what a descriptor
/// with a 5 px spread tolerates, and the rotated patterns become a table.
const ANGLE_BINS: usize = 180;

/// The pattern rotated to every angle bin, as offsets (dx, dy) of both points of each pair.
fn rotated_patterns() -> &'static Vec<[[i8; 4]; 256]> {
    static TABLE: OnceLock<Vec<[[i8; 4]; 256]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..ANGLE_BINS)
            .map(|b| {
                let angle = b as f64 / ANGLE_BINS as f64 * std::f64::consts::TAU;
                let (s, c) = angle.sin_cos();
                let rot = |dx: i8, dy: i8| {
                    let (dx, dy) = (dx as f64, dy as f64);
                    (
                        (c * dx - s * dy).round() as i8,
                        (s * dx + c * dy).round() as i8,
                    )
                };
                pattern().map(|p| {
                    let (a, b) = (rot(p[0], p[1]), rot(p[2], p[3]));
                    [a.0, a.1, b.0, b.1]
                })
            })
            .collect()
    })
}

fn describe(smooth: &GrayImage, x: u32, y: u32, angle: f64) -> [u64; 4] {
    let turns = angle.rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU;
    let bin = ((turns * ANGLE_BINS as f64).round() as usize) % ANGLE_BINS;
    let w = smooth.width() as isize;
    let raw = smooth.as_raw();
    let centre = y as isize * w + x as isize;
    // BORDER keeps every rotated offset (at most 13 * sqrt 2 < 19 px) inside the image.
    let at = |dx: i8, dy: i8| raw[(centre + dy as isize * w + dx as isize) as usize];
    let mut d = [0u64; 4];
    for (i, p) in rotated_patterns()[bin].iter().enumerate() {
        if at(p[0], p[1]) < at(p[2], p[3]) {
            d[i / 64] |= 1 << (i % 64);
        }
    }
    d
}

#[inline(always)]
pub(crate) fn hamming(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

wide_fn! {
    /// For each keypoint of `chunk`: its nearest and second-nearest distances in `b` and
    /// the nearest's index; and for each of `b`: its nearest in `chunk` (index, distance).
    #[allow(clippy::type_complexity)]
    fn nearest_in(chunk: &[Keypoint], b: &[Keypoint]) -> (Vec<(usize, u32, u32)>, Vec<(usize, u32)>) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut cols = vec![(usize::MAX, u32::MAX); b.len()];
        for (ci, k) in chunk.iter().enumerate() {
            let (mut b1, mut d1, mut d2) = (usize::MAX, u32::MAX, u32::MAX);
            for (j, (t, col)) in b.iter().zip(cols.iter_mut()).enumerate() {
                let d = hamming(&k.descriptor, &t.descriptor);
                if d < d1 {
                    d2 = d1;
                    d1 = d;
                    b1 = j;
                } else if d < d2 {
                    d2 = d;
                }
                if d < col.1 {
                    *col = (ci, d);
                }
            }
            rows.push((b1, d1, d2));
        }
        (rows, cols)
    }
}

/// Nearest neighbours with Lowe's ratio test and a mutual check: periodic layouts (rows of
/// identical capacitors) produce ambiguous matches that both filters remove.
pub(crate) fn match_descriptors(
    a: &[Keypoint],
    b: &[Keypoint],
    ratio: f64,
    max_dist: u32,
) -> Vec<(usize, usize)> {
    // One pass over the distance matrix finds both the best b for each a and the best a
    // for each b (the mutual check); each chunk of a keeps its own column bests.
    const CHUNK: usize = 256;
    let (ab, ba) = a
        .par_chunks(CHUNK)
        .map(|chunk| nearest_in(chunk, b))
        .enumerate()
        .map(|(c, (rows, cols))| {
            let cols: Vec<(usize, u32)> = cols
                .into_iter()
                .map(|(i, d)| (i.saturating_add(c * CHUNK), d))
                .collect();
            (rows, cols)
        })
        .reduce(
            || (Vec::new(), vec![(usize::MAX, u32::MAX); b.len()]),
            |(mut rows_a, cols_a), (rows_b, cols_b)| {
                rows_a.extend(rows_b);
                let cols = cols_a
                    .into_iter()
                    .zip(cols_b)
                    .map(|(x, y)| {
                        if y.1 < x.1 || (y.1 == x.1 && y.0 < x.0) {
                            y
                        } else {
                            x
                        }
                    })
                    .collect();
                (rows_a, cols)
            },
        );
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
