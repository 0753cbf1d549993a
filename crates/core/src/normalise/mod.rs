//! Makes the warped suspect look lit like the reference: an achromatic local gain (light
//! gradients, vignetting) alternated with a per-channel tone curve (gain, gamma, white
//! balance) learned from the aligned pixel pairs. Everything is estimated on ~1 MP copies,
//! where light varies just as smoothly, and applied to the working image in one pass.
use crate::pyramid::{fit_dims, resize_gray, resize_rgb};
use crate::simd::wide_fn;
mod tone_fit;
use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use tone_fit::{monotone_bounded_slope, MAX_REFINE_SLOPE, MAX_SLOPE};

/// A binarised scan: almost every sampled channel value is near black or white (measured:
/// DeepPCB scans have under 0.3 % in between, JPEG included; photos tens of percent).
pub(crate) fn is_two_tone(img: &RgbImage) -> bool {
    let raw = img.as_raw();
    let (mut mid, mut n) = (0usize, 0usize);
    for v in raw.iter().step_by(61) {
        n += 1;
        if (17..239).contains(v) {
            mid += 1;
        }
    }
    n > 0 && (mid as f64) < 0.05 * n as f64
}

/// Block size of the local gain on the estimation copy.
pub(crate) const BLOCK: usize = 16;
const ESTIMATE_PIXELS: u64 = 1_000_000;

/// A smooth multiplicative field, on a grid of block centres in normalised coordinates.
struct GainGrid {
    cols: usize,
    rows: usize,
    gains: Vec<f32>,
}

enum Step {
    Gain(GainGrid),
    Curve(Box<[[u8; 256]; 3]>),
}

/// The learned correction: steps applied in order to every suspect pixel.
struct Normalisation {
    steps: Vec<Step>,
}

/// Size of the copies the correction is estimated on, for a working frame of `dims`.
fn estimate_dims(dims: (u32, u32)) -> (u32, u32) {
    fit_dims(dims, ESTIMATE_PIXELS)
}

/// Makes `suspect` look lit like `reference` in place (estimated on ~1 MP copies).
/// Binarised scans get tone curves only (their JPEG greys at edges still need mapping):
/// they carry no shading, and a defect bigger than the gain's median window (a pin-hole
/// in a copper pour) would be "corrected" away.
pub(crate) fn normalise(reference: &RgbImage, suspect: &mut RgbImage, valid: &GrayImage) {
    let shading = !(is_two_tone(reference) && is_two_tone(suspect));
    let (w, h) = estimate_dims(reference.dimensions());
    let t = crate::trace::span("normalise.resize");
    let (small_ref, small_sus, small_valid) = if (w, h) == reference.dimensions() {
        (reference.clone(), suspect.clone(), valid.clone())
    } else {
        let mut v = resize_gray(valid, w, h).0;
        // Only blocks fully inside the warp count: a blend with "no data" is not a colour.
        v.iter_mut()
            .for_each(|p| *p = if *p == 255 { 255 } else { 0 });
        (
            resize_rgb(reference, w, h).0,
            resize_rgb(suspect, w, h).0,
            v,
        )
    };
    drop(t);
    let n = estimate(&small_ref, small_sus, &small_valid, shading);
    let _t = crate::trace::span("normalise.apply");
    n.apply(suspect);
}

/// Learns the correction from small aligned copies; `valid` is non-zero where the
/// suspect copy has data.
fn estimate(
    small_ref: &RgbImage,
    small_sus: RgbImage,
    small_valid: &GrayImage,
    shading: bool,
) -> Normalisation {
    let _t = crate::trace::span("normalise.estimate");
    let mut estimate = small_sus;
    let mut steps = Vec::new();
    // Flatten the light first: otherwise one suspect level mixes mask in a bright corner
    // with traces in a dark one and the tone curve learns the average of both.
    for round in 0..5 {
        let step = if round % 2 == 0 {
            if !shading {
                continue;
            }
            Step::Gain(estimate_gain(small_ref, &estimate, small_valid))
        } else {
            // Later curves refine the first; were they as free, two of them would compose
            // to a slope no light can make.
            let max_slope = if round == 1 {
                MAX_SLOPE
            } else {
                MAX_REFINE_SLOPE
            };
            Step::Curve(Box::new(estimate_curves(
                small_ref,
                &estimate,
                small_valid,
                max_slope,
            )))
        };
        let one = Normalisation { steps: vec![step] };
        one.apply(&mut estimate);
        steps.extend(one.steps);
    }
    Normalisation { steps }
}

impl Normalisation {
    fn apply(&self, img: &mut RgbImage) {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let rows = self.rows(w, h);
        img.par_chunks_mut(3 * w)
            .enumerate()
            .for_each(|(y, row)| correct_row(&rows, y, row));
    }

    /// The correction for rows of a `w` x `h` image, one row at a time.
    fn rows(&self, w: usize, h: usize) -> RowCorrection<'_> {
        let columns = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Gain(g) => ColumnWeights::new(w, g.cols),
                Step::Curve(_) => ColumnWeights::default(),
            })
            .collect();
        RowCorrection {
            steps: &self.steps,
            columns,
            w,
            h,
        }
    }
}

/// Where each column of a row sits between two nodes of a gain grid, per channel byte:
/// the columns between the same two nodes form one contiguous run, so a row's gains are
/// flat loops over runs instead of a gather of nodes per pixel.
#[derive(Default)]
struct ColumnWeights {
    /// Per left node: the byte range (3 per column) whose columns interpolate from it.
    runs: Vec<(usize, std::ops::Range<usize>)>,
    /// Weight of the right node, per byte.
    right_weight: Vec<f32>,
}

impl ColumnWeights {
    fn new(w: usize, cols: usize) -> Self {
        let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        let mut right_weight = Vec::with_capacity(3 * w);
        for x in 0..w {
            let g =
                (((x as f32 + 0.5) / w as f32) * cols as f32 - 0.5).clamp(0.0, (cols - 1) as f32);
            let x0 = (g as usize).min(cols.saturating_sub(2));
            let fx = if cols > 1 { g - x0 as f32 } else { 0.0 };
            right_weight.extend([fx; 3]);
            match runs.last_mut() {
                Some((node, range)) if *node == x0 => range.end = 3 * x + 3,
                _ => runs.push((x0, 3 * x..3 * x + 3)),
            }
        }
        ColumnWeights { runs, right_weight }
    }
}

/// [`Normalisation`] prepared for one image size.
struct RowCorrection<'a> {
    steps: &'a [Step],
    /// Per step: where the columns sit in a gain step's grid (empty for curves).
    columns: Vec<ColumnWeights>,
    w: usize,
    h: usize,
}

impl RowCorrection<'_> {
    /// Corrects row `y` (RGB, `3 w` bytes) in place. Pixels stay integers: a curve lookup
    /// rounds to a level anyway, and a gain (0.5-2) in 15-bit fixed point is exact to a
    /// small fraction of a level; only the per-column gain interpolation is f32.
    #[inline(always)]
    fn apply(&self, y: usize, row: &mut [u8]) {
        let (w, h) = (self.w, self.h);
        // One gain per channel value, so the multiply is a flat loop that vectorises.
        let mut gain_row = vec![0u16; 3 * w];
        for (k, step) in self.steps.iter().enumerate() {
            match step {
                Step::Gain(g) => {
                    let gy = (((y as f32 + 0.5) / h as f32) * g.rows as f32 - 0.5)
                        .clamp(0.0, (g.rows - 1) as f32);
                    let y0 = (gy as usize).min(g.rows.saturating_sub(2));
                    let fy = if g.rows > 1 { gy - y0 as f32 } else { 0.0 };
                    let y1 = (y0 + 1).min(g.rows - 1);
                    // Node gains of this row in Q15 (gain < 2), the last repeated so that every
                    // column has a right-hand node. f32 holds Q15 to 1/256 of a unit.
                    let mut nodes: Vec<f32> = (0..g.cols)
                        .map(|c| {
                            let v = g.gains[y0 * g.cols + c] * (1.0 - fy)
                                + g.gains[y1 * g.cols + c] * fy;
                            if v.is_finite() {
                                v.clamp(0.5, 2.0) * 32768.0
                            } else {
                                32768.0
                            }
                        })
                        .collect();
                    nodes.push(nodes[g.cols - 1]);
                    let columns = &self.columns[k];
                    for (x0, run) in &columns.runs {
                        let (n0, n1) = (nodes[*x0], nodes[x0 + 1]);
                        let weights = &columns.right_weight[run.clone()];
                        for (out, fx) in gain_row[run.clone()].iter_mut().zip(weights) {
                            let q15 = (n0 + (n1 - n0) * fx + 0.5).min(65535.0);
                            // SAFETY: nodes are finite and in 16384..=65536, so is q15
                            // (fx in 0..=1). A checked cast would not vectorise.
                            *out = unsafe { q15.to_int_unchecked::<i32>() } as u16;
                        }
                    }
                    // (v << 8) * gain (Q15) >> 16 is v * gain in Q7: a u16 high-half multiply,
                    // which vectorises where a 32-bit multiply does not (SSE2).
                    for (v, gain) in row.iter_mut().zip(&gain_row) {
                        let q7 = ((u32::from(*v) << 8) * u32::from(*gain)) >> 16;
                        *v = ((q7 + 64) >> 7).min(255) as u8;
                    }
                }
                Step::Curve(luts) => {
                    for px in row.chunks_exact_mut(3) {
                        px[0] = luts[0][px[0] as usize];
                        px[1] = luts[1][px[1] as usize];
                        px[2] = luts[2][px[2] as usize];
                    }
                }
            }
        }
    }
}

wide_fn! {
    /// [`RowCorrection::apply`], with AVX2 where the CPU has it.
    fn correct_row(rows: &RowCorrection, y: usize, row: &mut [u8]) {
        rows.apply(y, row)
    }
}

/// The global tone curve per channel: for each suspect level, the median reference level
/// at the same pixels. Medians ignore the few pixels that really changed; quantile
/// matching would not see rare levels (traces, silkscreen) at all and per-value CDF
/// matching turns noise into speckles where a histogram is narrow.
fn estimate_curves(
    reference: &RgbImage,
    suspect: &RgbImage,
    valid: &GrayImage,
    max_slope: f64,
) -> [[u8; 256]; 3] {
    // Partial joint histograms per chunk of rows: one pass over a megapixel of scattered
    // increments was a fifth of the light correction.
    let w = reference.width() as usize;
    let rows_per_chunk = (reference.height() as usize)
        .div_ceil(rayon::current_num_threads())
        .max(1);
    let joint = reference
        .as_raw()
        .par_chunks(3 * w * rows_per_chunk)
        .zip(suspect.as_raw().par_chunks(3 * w * rows_per_chunk))
        .zip(valid.as_raw().par_chunks(w * rows_per_chunk))
        .map(|((r, s), v)| {
            let mut joint = vec![[[0u32; 256]; 256]; 3];
            for ((r, s), v) in r.chunks_exact(3).zip(s.chunks_exact(3)).zip(v) {
                if *v > 0 {
                    for c in 0..3 {
                        joint[c][s[c] as usize][r[c] as usize] += 1;
                    }
                }
            }
            joint
        })
        .reduce_with(|mut a, b| {
            for (x, y) in a
                .iter_mut()
                .flatten()
                .flatten()
                .zip(b.iter().flatten().flatten())
            {
                *x += y;
            }
            a
        })
        .unwrap_or_else(|| vec![[[0u32; 256]; 256]; 3]);
    [0, 1, 2].map(|c| conditional_median_lut(&joint[c], max_slope))
}

/// [`conditional_median_lut`] of the joint histogram of `pairs` (reference, suspect).
#[cfg(feature = "internals")]
pub(crate) fn tone_curve(pairs: &[(u8, u8)], max_slope: f64) -> [u8; 256] {
    let mut joint = vec![[0u32; 256]; 256];
    for &(r, s) in pairs {
        joint[s as usize][r as usize] += 1;
    }
    let joint: &[[u32; 256]; 256] = joint.as_slice().try_into().expect("256 rows");
    conditional_median_lut(joint, max_slope)
}

fn conditional_median_lut(joint: &[[u32; 256]; 256], max_slope: f64) -> [u8; 256] {
    const MIN_SAMPLES: u64 = 12;
    let mut known: Vec<(f64, f64)> = Vec::new();
    let mut counts = [0u64; 256];
    for (s, row) in joint.iter().enumerate() {
        let n: u64 = row.iter().map(|v| *v as u64).sum();
        counts[s] = n;
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
    // Monotone and not steeper than light can make it, weighted by how many pixels
    // each level's median stands for.
    let (levels, medians): (Vec<f64>, Vec<f64>) = known.iter().copied().unzip();
    let weights: Vec<f64> = levels.iter().map(|s| counts[*s as usize] as f64).collect();
    let fitted = monotone_bounded_slope(&levels, &medians, &weights, max_slope);
    for (k, f) in known.iter_mut().zip(fitted) {
        k.1 = f;
    }
    let mut curve = [0f64; 256];
    let mut k = 0;
    let (first, last) = (known[0], known[known.len() - 1]);
    for (v, out) in curve.iter_mut().enumerate() {
        let x = v as f64;
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
    // Near black and white, smoothing is weighted by samples, so a well-populated level
    // keeps its own median: clipped and binarised images pile up there, and with equal
    // weights the rare in-between levels, whose medians are edge pixels of either tone,
    // would pull black and white off their values.
    for (v, out) in lut.iter_mut().enumerate() {
        let (a, b) = (v.saturating_sub(2), (v + 2).min(255));
        let (sum, weight) = (a..=b).fold((0.0, 0.0), |(s, wt), u| {
            // Only near the ends: elsewhere equal weights measured fewer false regions.
            let wu = if !(8..=247).contains(&u) {
                counts[u] as f64 + 1.0
            } else {
                1.0
            };
            (s + wu * curve[u], wt + wu)
        });
        *out = (sum / weight).round().clamp(0.0, 255.0) as u8;
    }
    lut
}

/// Light intensity is achromatic: one gain per block from the summed channels is far
/// steadier than three, and a dark channel (red on green mask) cannot skew it. A 3x3
/// median over blocks keeps a new part inside one block from being "corrected" away.
fn estimate_gain(reference: &RgbImage, suspect: &RgbImage, valid: &GrayImage) -> GainGrid {
    let (w, h) = (reference.width() as usize, reference.height() as usize);
    let (cols, rows) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    let raw: Vec<f32> = (0..cols * rows)
        .into_par_iter()
        .map(|b| {
            let (bx, by) = (b % cols, b / cols);
            let (mut n, mut sr, mut ss) = (0f64, 0f64, 0f64);
            for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                    if valid.as_raw()[y * w + x] == 0 {
                        continue;
                    }
                    let i = 3 * (y * w + x);
                    n += 1.0;
                    sr += reference.as_raw()[i..i + 3]
                        .iter()
                        .map(|v| *v as f64)
                        .sum::<f64>();
                    ss += suspect.as_raw()[i..i + 3]
                        .iter()
                        .map(|v| *v as f64)
                        .sum::<f64>();
                }
            }
            if n < (BLOCK * BLOCK / 4) as f64 {
                f32::NAN
            } else {
                ((sr + n) / (ss + n)).clamp(0.5, 2.0) as f32
            }
        })
        .collect();
    let mut gains = vec![1.0f32; cols * rows];
    for by in 0..rows {
        for bx in 0..cols {
            let mut vals: Vec<f32> = Vec::with_capacity(9);
            for y in by.saturating_sub(1)..=(by + 1).min(rows - 1) {
                for x in bx.saturating_sub(1)..=(bx + 1).min(cols - 1) {
                    let v = raw[y * cols + x];
                    if v.is_finite() {
                        vals.push(v);
                    }
                }
            }
            if !vals.is_empty() {
                vals.sort_by(f32::total_cmp);
                gains[by * cols + bx] = vals[vals.len() / 2];
            }
        }
    }
    GainGrid { cols, rows, gains }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_scans_from_photos() {
        let scan = RgbImage::from_fn(64, 64, |x, y| {
            let v = if (x / 5 + y / 7) % 2 == 0 { 3 } else { 250 };
            image::Rgb([v, v, v])
        });
        let photo = RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 4) as u8, 90, (y * 3) as u8])
        });
        assert!(is_two_tone(&scan));
        assert!(!is_two_tone(&photo));
    }

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
            image::Rgb([
                (v * g * 1.1).min(255.0) as u8,
                (v * 0.9 * g).min(255.0) as u8,
                (v * 0.8 * g * 0.85).min(255.0) as u8,
            ])
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

    #[test]
    fn two_tone_scan_keeps_black_and_white() {
        // Binarised scan, the suspect shifted by half a pixel: blended edge levels are rare
        // and their medians must not drag black or white off their values.
        let (w, h) = (200u32, 200u32);
        let tone = |x: f64, y: f64| {
            if ((x / 9.0) as i32 + (y / 13.0) as i32) % 2 == 0 {
                0.0
            } else {
                255.0
            }
        };
        let reference = RgbImage::from_fn(w, h, |x, y| {
            let v = tone(x as f64, y as f64) as u8;
            image::Rgb([v, v, v])
        });
        let mut suspect = RgbImage::from_fn(w, h, |x, y| {
            let v = 0.5 * (tone(x as f64, y as f64) + tone(x as f64 + 1.0, y as f64));
            image::Rgb([v as u8, v as u8, v as u8])
        });
        let valid = GrayImage::from_pixel(w, h, image::Luma([255]));
        normalise(&reference, &mut suspect, &valid);
        let (mut black, mut white) = (0u64, 0u64);
        for (r, s) in reference.as_raw().iter().zip(suspect.as_raw()) {
            if *r == 0 && *s <= 2 {
                black += 1;
            }
            if *r == 255 && *s >= 253 {
                white += 1;
            }
        }
        let n = reference.as_raw().len() as f64;
        assert!(
            (black + white) as f64 > 0.85 * n,
            "only {:.1}% of pixels kept their tone",
            100.0 * (black + white) as f64 / n
        );
    }
}
