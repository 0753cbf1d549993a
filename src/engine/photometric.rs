//! Makes the warped suspect look lit like the reference: a global per-channel histogram
//! match (gain, gamma, white balance), then a smooth local gain (light gradients,
//! vignetting). Local statistics come from large blocks with a median over neighbours, so a
//! new part inside one block cannot be "corrected" away.
use image::{GrayImage, RgbImage};
use rayon::prelude::*;

pub const BLOCK: usize = 64;

/// Light falloff and gradients multiply the signal, so the local correction is a gain
/// (it extrapolates from dark mask to bright pads correctly, an offset would not). The
/// global curve and the local gain are estimated alternately, twice.
pub fn normalise(reference: &RgbImage, suspect: &mut RgbImage, valid: &GrayImage) {
    // Flatten the light first: otherwise one suspect level mixes mask in a bright corner
    // with traces in a dark one and the tone curve learns the average of both.
    local_gain(reference, suspect, valid);
    for _ in 0..2 {
        histogram_match(reference, suspect, valid);
        local_gain(reference, suspect, valid);
    }
}

/// The global tone curve (gain, gamma, white balance) per channel, learned from the
/// aligned pixel pairs themselves: for each suspect level, the median reference level.
/// Medians ignore the few pixels that really changed; quantile matching would not see
/// rare levels (traces, silkscreen) at all and per-value CDF matching turns noise into
/// speckles where a histogram is narrow.
fn histogram_match(reference: &RgbImage, suspect: &mut RgbImage, valid: &GrayImage) {
    let mut joint = vec![[[0u32; 256]; 256]; 3];
    for ((r, s), v) in reference.as_raw().chunks_exact(3).zip(suspect.as_raw().chunks_exact(3)).zip(valid.as_raw()).step_by(2) {
        if *v > 0 {
            for c in 0..3 {
                joint[c][s[c] as usize][r[c] as usize] += 1;
            }
        }
    }
    let luts: Vec<[u8; 256]> = joint.iter().map(|j| conditional_median_lut(j)).collect();
    suspect.as_mut().par_chunks_mut(3).for_each(|px| {
        for c in 0..3 {
            px[c] = luts[c][px[c] as usize];
        }
    });
}

fn conditional_median_lut(joint: &[[u32; 256]; 256]) -> [u8; 256] {
    const MIN_SAMPLES: u64 = 30;
    let mut known: Vec<(f64, f64)> = Vec::new();
    for (s, row) in joint.iter().enumerate() {
        let n: u64 = row.iter().map(|v| *v as u64).sum();
        if n < MIN_SAMPLES {
            continue;
        }
        let mut acc = 0u64;
        for (r, count) in row.iter().enumerate() {
            acc += *count as u64;
            if acc * 2 >= n {
                known.push((s as f64, r as f64));
                break;
            }
        }
    }
    let mut lut = [0u8; 256];
    if known.len() < 2 {
        for (v, out) in lut.iter_mut().enumerate() {
            *out = v as u8;
        }
        return lut;
    }
    // Monotone: a brighter suspect pixel never maps darker.
    for i in 1..known.len() {
        known[i].1 = known[i].1.max(known[i - 1].1);
    }
    let mut curve = [0f64; 256];
    let mut k = 0;
    for (v, out) in curve.iter_mut().enumerate() {
        let x = v as f64;
        let (first, last) = (known[0], known[known.len() - 1]);
        *out = if x <= first.0 {
            first.1 - (first.0 - x)
        } else if x >= last.0 {
            last.1 + (x - last.0)
        } else {
            while known[k + 1].0 < x {
                k += 1;
            }
            let ((x0, y0), (x1, y1)) = (known[k], known[k + 1]);
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        };
    }
    for (v, out) in lut.iter_mut().enumerate() {
        let (a, b) = (v.saturating_sub(2), (v + 2).min(255));
        let mean = curve[a..=b].iter().sum::<f64>() / (b - a + 1) as f64;
        *out = mean.round().clamp(0.0, 255.0) as u8;
    }
    lut
}

fn local_gain(reference: &RgbImage, suspect: &mut RgbImage, valid: &GrayImage) {
    let (w, h) = (reference.width() as usize, reference.height() as usize);
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    // Per block and channel: count and sums (and squares, for diagnostics) of both images.
    let stats: Vec<[[f64; 5]; 3]> = (0..bw * bh)
        .into_par_iter()
        .map(|b| {
            let (bx, by) = (b % bw, b / bw);
            let mut acc = [[0f64; 5]; 3];
            for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                    if valid.as_raw()[y * w + x] == 0 {
                        continue;
                    }
                    let i = 3 * (y * w + x);
                    for c in 0..3 {
                        let (r, s) = (reference.as_raw()[i + c] as f64, suspect.as_raw()[i + c] as f64);
                        let a = &mut acc[c];
                        a[0] += 1.0;
                        a[1] += r;
                        a[2] += r * r;
                        a[3] += s;
                        a[4] += s * s;
                    }
                }
            }
            acc
        })
        .collect();
    // gain and offset per block and channel, NaN where the block has too little data.
    let mut coeff = vec![[[f64::NAN; 2]; 3]; bw * bh];
    // Light intensity is achromatic: one gain per block from the summed channels is far
    // steadier than three, and a dark channel (red on green mask) cannot skew it.
    for (b, acc) in stats.iter().enumerate() {
        let n = acc[0][0];
        if n < (BLOCK * BLOCK / 4) as f64 {
            continue;
        }
        let sum_r: f64 = acc.iter().map(|a| a[1]).sum();
        let sum_s: f64 = acc.iter().map(|a| a[3]).sum();
        let gain = ((sum_r + n) / (sum_s + n)).clamp(0.5, 2.0);
        coeff[b] = [[gain, 0.0]; 3];
    }
    let smoothed = median_3x3(&coeff, bw, bh);
    let row_len = 3 * w;
    suspect.as_mut().par_chunks_mut(row_len).enumerate().for_each(|(y, row)| {
        let gy = ((y as f64 + 0.5) / BLOCK as f64 - 0.5).clamp(0.0, (bh - 1) as f64);
        let y0 = (gy as usize).min(bh.saturating_sub(2));
        let fy = if bh > 1 { gy - y0 as f64 } else { 0.0 };
        let y1 = (y0 + 1).min(bh - 1);
        for x in 0..w {
            let gx = ((x as f64 + 0.5) / BLOCK as f64 - 0.5).clamp(0.0, (bw - 1) as f64);
            let x0 = (gx as usize).min(bw.saturating_sub(2));
            let fx = if bw > 1 { gx - x0 as f64 } else { 0.0 };
            let x1 = (x0 + 1).min(bw - 1);
            for c in 0..3 {
                let at = |bx: usize, by: usize, k: usize| smoothed[by * bw + bx][c][k];
                let lerp = |k: usize| {
                    (at(x0, y0, k) * (1.0 - fx) + at(x1, y0, k) * fx) * (1.0 - fy) + (at(x0, y1, k) * (1.0 - fx) + at(x1, y1, k) * fx) * fy
                };
                let v = row[3 * x + c] as f64 * lerp(0) + lerp(1);
                row[3 * x + c] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    });
}

/// Median of each 3x3 neighbourhood of blocks, ignoring empty blocks; blocks with no data
/// anywhere near get the identity correction.
fn median_3x3(coeff: &[[[f64; 2]; 3]], bw: usize, bh: usize) -> Vec<[[f64; 2]; 3]> {
    let mut out = vec![[[1.0, 0.0]; 3]; bw * bh];
    for by in 0..bh {
        for bx in 0..bw {
            for c in 0..3 {
                for k in 0..2 {
                    let mut vals: Vec<f64> = Vec::with_capacity(9);
                    for dy in -1i64..=1 {
                        for dx in -1i64..=1 {
                            let (x, y) = (bx as i64 + dx, by as i64 + dy);
                            if x >= 0 && y >= 0 && (x as usize) < bw && (y as usize) < bh {
                                let v = coeff[y as usize * bw + x as usize][c][k];
                                if v.is_finite() {
                                    vals.push(v);
                                }
                            }
                        }
                    }
                    if !vals.is_empty() {
                        vals.sort_by(f64::total_cmp);
                        out[by * bw + bx][c][k] = vals[vals.len() / 2];
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_gain_gradient_and_white_balance() {
        let (w, h) = (256u32, 192u32);
        let pattern = |x: u32, y: u32| (((x / 7 + y / 5) % 3) * 60 + 40) as f64;
        let reference = RgbImage::from_fn(w, h, |x, y| {
            let v = pattern(x, y);
            image::Rgb([v as u8, (v * 0.9) as u8, (v * 0.8) as u8])
        });
        let mut suspect = RgbImage::from_fn(w, h, |x, y| {
            let g = 0.7 + 0.5 * x as f64 / w as f64;
            let v = pattern(x, y);
            image::Rgb([(v * g * 1.1).min(255.0) as u8, (v * 0.9 * g).min(255.0) as u8, (v * 0.8 * g * 0.85).min(255.0) as u8])
        });
        let valid = GrayImage::from_pixel(w, h, image::Luma([255]));
        normalise(&reference, &mut suspect, &valid);
        let mean_abs: f64 = reference
            .as_raw()
            .iter()
            .zip(suspect.as_raw())
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / reference.as_raw().len() as f64;
        assert!(mean_abs < 6.0, "mean abs diff {mean_abs}");
    }
}
