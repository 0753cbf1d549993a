//! The tolerant colour difference. A pixel only counts as changed when nothing within
//! `radius` of it in the other image has its colour:
//! d(x) = max(0, min_N(S) - R(x), R(x) - max_N(S)), made symmetric by swapping R and S.
//! Scores are in units of the image noise, so thresholds mean the same on every pair.
use crate::simd::wide_fn;
use image::{GrayImage, RgbImage};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Per-pixel change score at the working resolution, in noise-sigma units: rows by
/// columns, as numpy reads it from `compare --dump-score-map`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScoreMap {
    pub width: u32,
    pub height: u32,
    #[serde(skip)]
    pub data: Array2<f32>,
    pub noise_sigma: f32,
}

impl ScoreMap {
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.data[[y as usize, x as usize]]
    }

    /// The scores row after row.
    pub fn values(&self) -> &[f32] {
        self.data
            .as_slice()
            .expect("a score map is built in standard row-major layout")
    }

    /// The map as a numpy `.npy` file (float32, height x width).
    pub fn to_npy(&self) -> Vec<u8> {
        use ndarray_npy::WriteNpyExt;
        let mut out = Vec::new();
        self.data
            .write_npy(&mut out)
            .expect("writing to memory cannot fail");
        out
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct DiffParams {
    /// Neighbourhood radius in working pixels.
    pub(crate) radius: usize,
    /// Extra tolerance per unit of local contrast: edges are where sub-pixel jitter shows.
    pub(crate) edge_tolerance: f32,
}

pub(crate) fn score_map(
    reference: &RgbImage,
    suspect: &RgbImage,
    valid: &GrayImage,
    params: DiffParams,
) -> ScoreMap {
    let (w, h) = (reference.width() as usize, reference.height() as usize);
    let r = params.radius;
    let _t = crate::trace::span("diff.score_map");
    let t = crate::trace::span("diff.valid+noise");
    let (pr, ps) = (reference.as_raw().as_slice(), suspect.as_raw().as_slice());
    // Shrink the valid area so that the neighbourhood never reaches past the warp's edge,
    // nor past the frame's: an edge running along the frame shows as a band there that no
    // neighbourhood can check (cropped scans put copper edges right on the border).
    let mut valid_inner = min_filter(valid.as_raw(), w, h, r + 2);
    clear_margin(&mut valid_inner, w, h, r + 2);
    let noise_sigma = estimate_noise(pr, ps, &valid_inner, w, h, r);
    drop(t);
    let inv = 1.0 / noise_sigma;
    let edge = params.edge_tolerance;
    let mut data = vec![0f32; w * h];
    // Strips of rows with a halo of r: the min/max images never exist at full size, which
    // keeps the working set in cache and avoids hundreds of MB of short-lived buffers.
    let strip = Strip {
        pr,
        ps,
        valid_inner: &valid_inner,
        w,
        h,
        r,
        inv,
        edge,
    };
    data.par_chunks_mut(w * STRIP)
        .enumerate()
        .for_each(|(si, out)| score_strip(&strip, si * STRIP, out));
    ScoreMap {
        width: w as u32,
        height: h as u32,
        data: Array2::from_shape_vec((h, w), data).expect("w x h scores"),
        noise_sigma,
    }
}

fn clear_margin(mask: &mut [u8], w: usize, h: usize, margin: usize) {
    for (y, row) in mask.chunks_exact_mut(w).enumerate() {
        if y < margin || y + margin >= h {
            row.fill(0);
        } else {
            let m = margin.min(w);
            row[..m].fill(0);
            row[w - m..].fill(0);
        }
    }
}

/// Rows per strip of the score map.
const STRIP: usize = 32;

/// What every strip of the score map reads.
struct Strip<'a> {
    pr: &'a [u8],
    ps: &'a [u8],
    valid_inner: &'a [u8],
    w: usize,
    h: usize,
    r: usize,
    inv: f32,
    edge: f32,
}

impl Strip<'_> {
    #[inline(always)]
    fn score_portable(&self, y0: usize, out: &mut [f32]) {
        let Strip {
            pr,
            ps,
            valid_inner,
            w,
            h,
            r,
            inv,
            edge,
        } = *self;
        let y1 = (y0 + STRIP).min(h);
        let (ya, yb) = (y0.saturating_sub(r), (y1 + r).min(h));
        let rows = y1 - y0;
        let (strip_r, strip_s) = (planes(pr, w, ya, yb), planes(ps, w, ya, yb));
        // [channel][min_s, max_s, min_r, max_r], each rows x w. Loops, not closures: a
        // closure is compiled on its own, without the AVX2 of the function it sits in.
        let mut filtered: Vec<[Vec<u8>; 4]> = Vec::with_capacity(3);
        for c in 0..3 {
            let (min_s, max_s) = strip_min_max(&strip_s[c], w, y0 - ya, rows, r);
            let (min_r, max_r) = strip_min_max(&strip_r[c], w, y0 - ya, rows, r);
            filtered.push([min_s, max_s, min_r, max_r]);
        }
        // Channel by channel over the whole strip: straight-line loops over equal-length
        // slices, which the compiler vectorises.
        let n = rows * w;
        let base = y0 * w;
        for (c, [min_s, max_s, min_r, max_r]) in filtered.iter().enumerate() {
            let centre = (y0 - ya) * w..(y0 - ya) * w + n;
            let (rv, sv) = (&strip_r[c][centre.clone()], &strip_s[c][centre]);
            let (min_s, max_s, min_r, max_r) = (&min_s[..n], &max_s[..n], &min_r[..n], &max_r[..n]);
            let out = &mut out[..n];
            if c == 0 {
                // Written before it is read: a read of fresh calloc'd memory maps the
                // shared zero page, and the later write then costs a copy-on-write
                // fault with a TLB shootdown on every core (tens of ms at 8 MP).
                out.fill(0.0);
            }
            for j in 0..n {
                let d = excess(rv[j], sv[j], [min_s[j], max_s[j], min_r[j], max_r[j]], edge);
                out[j] += d * d;
            }
        }
        for (j, o) in out.iter_mut().enumerate() {
            if *o == 0.0 {
                continue;
            }
            let i = base + j;
            if valid_inner[i] == 0 {
                *o = 0.0;
                continue;
            }
            *o = finish(*o, inv, metallic(pr, i) && metallic(ps, i));
        }
    }
}

wide_fn! {
    /// Scores rows `y0..` into `out`, with AVX2 where the CPU has it.
    fn score_strip(strip: &Strip, y0: usize, out: &mut [f32]) {
        strip.score_portable(y0, out)
    }
}

/// Channel planes of rows `ya..yb` only: whole-image planes would be 48 MB of fresh
/// pages to fault in at 8 MP.
#[inline(always)]
fn planes(img: &[u8], w: usize, ya: usize, yb: usize) -> [Vec<u8>; 3] {
    let src = &img[3 * ya * w..3 * yb * w];
    let n = src.len() / 3;
    let mut out = [vec![0u8; n], vec![0u8; n], vec![0u8; n]];
    let [a, b, c] = &mut out;
    for (((px, a), b), c) in src.chunks_exact(3).zip(a).zip(b).zip(c) {
        (*a, *b, *c) = (px[0], px[1], px[2]);
    }
    out
}

/// Minimum and maximum over the (2r+1)^2 window of `rows` rows from row `first` of a
/// strip plane that holds their halo.
#[inline(always)]
fn strip_min_max(
    plane: &[u8],
    w: usize,
    first: usize,
    rows: usize,
    r: usize,
) -> (Vec<u8>, Vec<u8>) {
    let (hmin, hmax) = (
        row_filter(plane, w, r, u8::min, 255),
        row_filter(plane, w, r, u8::max, 0),
    );
    (
        column_filter(&hmin, w, first, rows, r, u8::min),
        column_filter(&hmax, w, first, rows, r, u8::max),
    )
}

/// How far one channel of R(x) lies outside the range of S's neighbourhood or S(x)
/// outside R's, less the edge allowance. `ranges` is [min_s, max_s, min_r, max_r].
#[inline(always)]
fn excess(r: u8, s: u8, [min_s, max_s, min_r, max_r]: [u8; 4], edge: f32) -> f32 {
    let (r, s) = (r as i16, s as i16);
    let d1 = (min_s as i16 - r).max(r - max_s as i16);
    let d2 = (min_r as i16 - s).max(s - max_r as i16);
    let contrast = (max_r - min_r).max(max_s - min_s) as f32;
    (d1.max(d2).max(0) as f32 - edge * contrast).max(0.0)
}

/// From the sum of squared channel excesses to noise sigmas.
#[inline(always)]
fn finish(sum_sq: f32, inv_sigma: f32, specular: bool) -> f32 {
    sum_sq.sqrt() * inv_sigma * if specular { SPECULAR_DISCOUNT } else { 1.0 }
}

/// Extra tolerance per unit of local contrast that the pipeline uses.
pub(crate) const EDGE_TOLERANCE: f32 = 0.08;

/// The score of one pixel as [`score_map`] computes it, for any `radius` (in units of
/// `noise_sigma`, without the valid-area test): for asking of a few pixels how a
/// different tolerance would have judged them.
pub(crate) fn pixel_score(
    reference: &RgbImage,
    suspect: &RgbImage,
    (x, y): (u32, u32),
    radius: u32,
    noise_sigma: f32,
) -> f32 {
    let (w, h) = reference.dimensions();
    let (x0, x1) = (x.saturating_sub(radius), (x + radius).min(w - 1));
    let (y0, y1) = (y.saturating_sub(radius), (y + radius).min(h - 1));
    let (rp, sp) = (reference.get_pixel(x, y).0, suspect.get_pixel(x, y).0);
    let mut sum = 0f32;
    for c in 0..3 {
        let (mut min_r, mut max_r, mut min_s, mut max_s) = (255u8, 0u8, 255u8, 0u8);
        for yy in y0..=y1 {
            for xx in x0..=x1 {
                let (a, b) = (
                    reference.get_pixel(xx, yy).0[c],
                    suspect.get_pixel(xx, yy).0[c],
                );
                (min_r, max_r) = (min_r.min(a), max_r.max(a));
                (min_s, max_s) = (min_s.min(b), max_s.max(b));
            }
        }
        let d = excess(rp[c], sp[c], [min_s, max_s, min_r, max_r], EDGE_TOLERANCE);
        sum += d * d;
    }
    finish(sum, 1.0 / noise_sigma, is_metal(rp) && is_metal(sp))
}

/// Bare metal (solder, tinned or gold pads, leads, pins) catches highlights that move with
/// the light and with every fillet's shape: brightness differences between two metal
/// pixels are weak evidence.
pub(crate) const SPECULAR_DISCOUNT: f32 = 0.3;

#[inline]
fn metallic(rgb: &[u8], i: usize) -> bool {
    is_metal([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]])
}

/// Bright and grey (tin, solder, silver) or bright gold.
#[inline]
pub(crate) fn is_metal(px: [u8; 3]) -> bool {
    let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
    let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
    let grey = hi >= 110 && (hi - lo) * 4 < hi;
    let gold = r >= 150 && r >= g && g >= b && r - b > 60;
    grey || gold
}

/// Robust noise level of the photometric residual: the MAD of R - S over flat areas (low
/// local contrast), which folds sensor noise, JPEG and board texture into one unit.
fn estimate_noise(pr: &[u8], ps: &[u8], valid: &[u8], w: usize, h: usize, r: usize) -> f32 {
    let luma =
        |p: &[u8], i: usize| (p[3 * i] as i32 + 2 * p[3 * i + 1] as i32 + p[3 * i + 2] as i32) / 4;
    let step = 2;
    // The flatness test looks 2 px away, whatever the tolerance radius.
    let m = (r + 1).max(2);
    let rows: Vec<usize> = (m..h.saturating_sub(m)).step_by(step).collect();
    let hist = rows
        .par_iter()
        .fold(
            || [0u64; 256],
            |mut hist, &y| {
                for x in (m..w.saturating_sub(m)).step_by(step) {
                    let i = y * w + x;
                    if valid[i] == 0 {
                        continue;
                    }
                    let c = luma(pr, i);
                    let flat = [i - 2, i + 2, i - 2 * w, i + 2 * w]
                        .iter()
                        .all(|&j| (luma(pr, j) - c).abs() <= 6);
                    if !flat {
                        continue;
                    }
                    for ch in 0..3 {
                        let d =
                            (pr[3 * i + ch] as i32 - ps[3 * i + ch] as i32).unsigned_abs() as usize;
                        hist[d.min(255)] += 1;
                    }
                }
                hist
            },
        )
        .reduce(
            || [0u64; 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 2.0;
    }
    let mut acc = 0;
    let mut median = 1.0;
    for (v, n) in hist.iter().enumerate() {
        acc += n;
        if acc * 2 >= total {
            median = v as f32 + 0.5;
            break;
        }
    }
    (1.4826 * median).max(1.0)
}

pub(crate) fn min_filter(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    separable(src, w, h, r, |a, b| a.min(b), 255)
}

pub(crate) fn max_filter(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    separable(src, w, h, r, |a, b| a.max(b), 0)
}

/// Horizontal rank filter of every row of `src`.
#[inline(always)]
fn row_filter(
    src: &[u8],
    w: usize,
    r: usize,
    op: impl Fn(u8, u8) -> u8 + Copy,
    identity: u8,
) -> Vec<u8> {
    let mut out = vec![0u8; src.len()];
    for (line, o) in src.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        filter_line(line, o, r, op, identity);
    }
    out
}

#[inline(always)]
fn filter_line(
    line: &[u8],
    out: &mut [u8],
    r: usize,
    op: impl Fn(u8, u8) -> u8 + Copy,
    identity: u8,
) {
    let w = line.len();
    let edge = |x: usize| {
        let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
        line[a..=b].iter().fold(identity, |m, v| op(m, *v))
    };
    if w <= 2 * r {
        for (x, o) in out.iter_mut().enumerate() {
            *o = edge(x);
        }
        return;
    }
    for x in (0..r).chain(w - r..w) {
        out[x] = edge(x);
    }
    // One pass per shift over the interior: each pass is a flat loop that vectorises.
    let interior = &mut out[r..w - r];
    interior.copy_from_slice(&line[..w - 2 * r]);
    for k in 1..=2 * r {
        for (o, v) in interior.iter_mut().zip(&line[k..k + w - 2 * r]) {
            *o = op(*o, *v);
        }
    }
}

/// Vertical rank filter for `rows` output rows starting at row `first` of `src`
/// (which holds a halo of up to r rows around them).
#[inline(always)]
fn column_filter(
    src: &[u8],
    w: usize,
    first: usize,
    rows: usize,
    r: usize,
    op: impl Fn(u8, u8) -> u8 + Copy,
) -> Vec<u8> {
    let available = src.len() / w;
    let mut out = vec![0u8; rows * w];
    for (k, o) in out.chunks_exact_mut(w).enumerate() {
        let y = first + k;
        let (a, b) = (y.saturating_sub(r), (y + r).min(available - 1));
        o.copy_from_slice(&src[a * w..(a + 1) * w]);
        for yy in a + 1..=b {
            for (d, s) in o.iter_mut().zip(&src[yy * w..(yy + 1) * w]) {
                *d = op(*d, *s);
            }
        }
    }
    out
}

/// Square-window rank filter as a row pass then a column pass.
fn separable(
    src: &[u8],
    w: usize,
    h: usize,
    r: usize,
    op: impl Fn(u8, u8) -> u8 + Sync + Copy,
    identity: u8,
) -> Vec<u8> {
    if r == 0 {
        return src.to_vec();
    }
    let mut rows = vec![0u8; w * h];
    rows.par_chunks_mut(w)
        .zip(src.par_chunks(w))
        .for_each(|(out, line)| filter_line(line, out, r, op, identity));
    let mut out = vec![0u8; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
        o.copy_from_slice(&rows[a * w..(a + 1) * w]);
        for yy in a + 1..=b {
            for (d, s) in o.iter_mut().zip(&rows[yy * w..(yy + 1) * w]) {
                *d = op(*d, *s);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(w: u32, h: u32, shift: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = if ((x + shift) / 6 + y / 6).is_multiple_of(2) {
                40
            } else {
                200
            };
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn one_pixel_shift_is_tolerated_but_a_new_blob_is_not() {
        let (w, h) = (120, 90);
        let reference = board(w, h, 0);
        let mut suspect = board(w, h, 1);
        for y in 40..46 {
            for x in 60..64 {
                suspect.put_pixel(x, y, image::Rgb([255, 0, 0]));
            }
        }
        let valid = GrayImage::from_pixel(w, h, image::Luma([255]));
        let map = score_map(
            &reference,
            &suspect,
            &valid,
            DiffParams {
                radius: 1,
                edge_tolerance: 0.0,
            },
        );
        let blob_max = (40..46)
            .flat_map(|y| (60..64).map(move |x| (x, y)))
            .map(|(x, y)| map.at(x, y))
            .fold(0f32, f32::max);
        // The shifted copy brings new content in at the right edge; look inside it.
        let elsewhere_max = (0..h)
            .flat_map(|y| (0..w - 2).map(move |x| (x, y)))
            .filter(|(x, y)| !(55..70).contains(x) || !(35..52).contains(y))
            .map(|(x, y)| map.at(x, y))
            .fold(0f32, f32::max);
        assert!(blob_max > 20.0, "blob {blob_max}");
        assert_eq!(elsewhere_max, 0.0);
    }

    #[test]
    fn one_pixel_scores_as_the_map_and_the_frame_margin_is_quiet() {
        let (w, h) = (90, 70);
        let reference = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 11 % 256) as u8,
                ((x + y) * 5 % 256) as u8,
            ])
        });
        let suspect = board(w, h, 3);
        let valid = GrayImage::from_pixel(w, h, image::Luma([255]));
        for radius in [1, 2] {
            let map = score_map(
                &reference,
                &suspect,
                &valid,
                DiffParams {
                    radius,
                    edge_tolerance: EDGE_TOLERANCE,
                },
            );
            let m = radius as u32 + 2;
            for y in 0..h {
                for x in 0..w {
                    let inside = x >= m && y >= m && x + m < w && y + m < h;
                    let want = if inside {
                        pixel_score(&reference, &suspect, (x, y), radius as u32, map.noise_sigma)
                    } else {
                        0.0
                    };
                    assert!((map.at(x, y) - want).abs() < 1e-3, "({x}, {y}) r{radius}");
                }
            }
        }
    }

    #[test]
    fn the_avx2_build_of_a_strip_scores_as_the_portable_one() {
        let (w, h) = (77, 50);
        let reference = board(w, h, 0);
        let mut suspect = board(w, h, 2);
        suspect.put_pixel(30, 20, image::Rgb([250, 10, 10]));
        let valid = vec![255u8; (w * h) as usize];
        let strip = Strip {
            pr: reference.as_raw(),
            ps: suspect.as_raw(),
            valid_inner: &valid,
            w: w as usize,
            h: h as usize,
            r: 1,
            inv: 0.5,
            edge: 0.08,
        };
        let (mut dispatched, mut portable) = (vec![0f32; 77 * 32], vec![0f32; 77 * 32]);
        score_strip(&strip, 0, &mut dispatched);
        strip.score_portable(0, &mut portable);
        assert_eq!(dispatched, portable);
        assert!(portable.iter().any(|v| *v > 0.0));
    }

    #[test]
    fn every_offered_tolerance_works_including_zero() {
        let (w, h) = (64, 48);
        let reference = board(w, h, 0);
        let valid = GrayImage::from_pixel(w, h, image::Luma([255]));
        for radius in 0..=3 {
            let map = score_map(
                &reference,
                &reference,
                &valid,
                DiffParams {
                    radius,
                    edge_tolerance: 0.08,
                },
            );
            assert!(map.values().iter().all(|v| *v == 0.0), "radius {radius}");
        }
    }
}
