//! The tolerant colour difference. A pixel only counts as changed when nothing within
//! `radius` of it in the other image has its colour:
//! d(x) = max(0, min_N(S) - R(x), R(x) - max_N(S)), made symmetric by swapping R and S.
//! Scores are in units of the image noise, so thresholds mean the same on every pair.
use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Per-pixel change score at the working resolution, in noise-sigma units.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScoreMap {
    pub width: u32,
    pub height: u32,
    #[serde(skip)]
    pub data: Vec<f32>,
    pub noise_sigma: f32,
}

impl ScoreMap {
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.data[(y * self.width + x) as usize]
    }
}

#[derive(Clone, Copy, Debug)]
pub struct DiffParams {
    /// Neighbourhood radius in working pixels.
    pub radius: usize,
    /// Extra tolerance per unit of local contrast: edges are where sub-pixel jitter shows.
    pub edge_tolerance: f32,
}

pub fn score_map(reference: &RgbImage, suspect: &RgbImage, valid: &GrayImage, params: DiffParams) -> ScoreMap {
    let (w, h) = (reference.width() as usize, reference.height() as usize);
    let r = params.radius;
    let planes = |img: &RgbImage| -> [Vec<u8>; 3] {
        let mut out = [vec![0u8; w * h], vec![0u8; w * h], vec![0u8; w * h]];
        for (i, px) in img.as_raw().chunks_exact(3).enumerate() {
            out[0][i] = px[0];
            out[1][i] = px[1];
            out[2][i] = px[2];
        }
        out
    };
    let (pr, ps) = rayon::join(|| planes(reference), || planes(suspect));
    // Shrink the valid area so that the neighbourhood never reaches past the warp's edge.
    let valid_inner = min_filter(valid.as_raw(), w, h, r + 2);
    let channel: Vec<Vec<f32>> = (0..3)
        .into_par_iter()
        .map(|c| {
            let (rc, sc) = (&pr[c], &ps[c]);
            let (min_s, max_s) = min_max_filter(sc, w, h, r);
            let (min_r, max_r) = min_max_filter(rc, w, h, r);
            (0..w * h)
                .map(|i| {
                    let (rv, sv) = (rc[i] as i32, sc[i] as i32);
                    let d1 = (min_s[i] as i32 - rv).max(rv - max_s[i] as i32);
                    let d2 = (min_r[i] as i32 - sv).max(sv - max_r[i] as i32);
                    let contrast = (max_r[i] - min_r[i]).max(max_s[i] - min_s[i]) as f32;
                    (d1.max(d2).max(0) as f32 - params.edge_tolerance * contrast).max(0.0)
                })
                .collect()
        })
        .collect();
    let noise_sigma = estimate_noise(&pr, &ps, &valid_inner, w, h, r);
    let inv = 1.0 / noise_sigma;
    let mut data = vec![0f32; w * h];
    data.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, out) in row.iter_mut().enumerate() {
            let i = y * w + x;
            if valid_inner[i] == 0 {
                continue;
            }
            let s = (channel[0][i].powi(2) + channel[1][i].powi(2) + channel[2][i].powi(2)).sqrt();
            let specular = metallic(&pr, i) && metallic(&ps, i);
            *out = s * inv * if specular { SPECULAR_DISCOUNT } else { 1.0 };
        }
    });
    ScoreMap {
        width: w as u32,
        height: h as u32,
        data,
        noise_sigma,
    }
}

/// Bare metal (solder, tinned pads, leads) catches highlights that move with the light and
/// with every fillet's shape: brightness differences between two metal pixels are weak evidence.
const SPECULAR_DISCOUNT: f32 = 0.3;

#[inline]
fn metallic(p: &[Vec<u8>; 3], i: usize) -> bool {
    let (r, g, b) = (p[0][i] as i32, p[1][i] as i32, p[2][i] as i32);
    let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
    hi >= 110 && (hi - lo) * 4 < hi
}

/// Robust noise level of the photometric residual: the MAD of R - S over flat areas (low
/// local contrast), which folds sensor noise, JPEG and board texture into one unit.
fn estimate_noise(pr: &[Vec<u8>; 3], ps: &[Vec<u8>; 3], valid: &[u8], w: usize, h: usize, r: usize) -> f32 {
    let luma = |p: &[Vec<u8>; 3], i: usize| (p[0][i] as i32 + 2 * p[1][i] as i32 + p[2][i] as i32) / 4;
    let mut hist = [0u64; 256];
    let step = 2;
    for y in (r + 1..h.saturating_sub(r + 1)).step_by(step) {
        for x in (r + 1..w.saturating_sub(r + 1)).step_by(step) {
            let i = y * w + x;
            if valid[i] == 0 {
                continue;
            }
            let c = luma(pr, i);
            let flat = [i - 2, i + 2, i - 2 * w, i + 2 * w].iter().all(|&j| (luma(pr, j) - c).abs() <= 6);
            if !flat {
                continue;
            }
            for ch in 0..3 {
                let d = (pr[ch][i] as i32 - ps[ch][i] as i32).unsigned_abs() as usize;
                hist[d.min(255)] += 1;
            }
        }
    }
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

pub fn min_filter(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    separable(src, w, h, r, |a, b| a.min(b), 255)
}

pub fn max_filter(src: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    separable(src, w, h, r, |a, b| a.max(b), 0)
}

fn min_max_filter(src: &[u8], w: usize, h: usize, r: usize) -> (Vec<u8>, Vec<u8>) {
    rayon::join(|| min_filter(src, w, h, r), || max_filter(src, w, h, r))
}

/// Square-window rank filter as a row pass then a column pass.
fn separable(src: &[u8], w: usize, h: usize, r: usize, op: impl Fn(u8, u8) -> u8 + Sync + Copy, identity: u8) -> Vec<u8> {
    if r == 0 {
        return src.to_vec();
    }
    let mut rows = vec![0u8; w * h];
    rows.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        let line = &src[y * w..(y + 1) * w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            out[x] = line[a..=b].iter().fold(identity, |m, v| op(m, *v));
        }
    });
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
            let v = if ((x + shift) / 6 + y / 6) % 2 == 0 { 40 } else { 200 };
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
        let map = score_map(&reference, &suspect, &valid, DiffParams { radius: 1, edge_tolerance: 0.0 });
        let blob_max = (40..46).flat_map(|y| (60..64).map(move |x| (x, y))).map(|(x, y)| map.at(x, y)).fold(0f32, f32::max);
        // The shifted copy brings new content in at the right edge; look inside it.
        let elsewhere_max = (0..h)
            .flat_map(|y| (0..w - 2).map(move |x| (x, y)))
            .filter(|(x, y)| !(55..70).contains(x) || !(35..52).contains(y))
            .map(|(x, y)| map.at(x, y))
            .fold(0f32, f32::max);
        assert!(blob_max > 20.0, "blob {blob_max}");
        assert_eq!(elsewhere_max, 0.0);
    }
}
