//! Sub-pixel refinement by normalised cross-correlation of a grid of patches. The suspect
//! is warped into the reference frame patch by patch with the current homography, so any
//! rotation or scale is already undone and only a small shift remains to be found.
use crate::geometry::{fit_affine, fit_homography, Homography};
use crate::sample::{bilinear_gray, Luma};
use crate::simd::wide_fn;
use image::GrayImage;
use rayon::prelude::*;

pub(crate) struct RefineParams {
    pub(crate) patch: usize,
    pub(crate) radius: usize,
    pub(crate) grid: (usize, usize),
    pub(crate) min_ncc: f64,
    /// Smallest ratio of the weak to the strong eigenvalue of the patch's gradient
    /// structure tensor. A patch on one straight edge fits equally well anywhere along the
    /// edge, so it says nothing about that direction and counts as untextured. 0 turns
    /// the test off.
    pub(crate) min_isotropy: f64,
    /// Fit an affine map instead of a homography.
    pub(crate) affine: bool,
}

/// A reference point and where the refinement found it in the suspect.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PatchMatch {
    pub(crate) pos_in_reference: [f64; 2],
    pub(crate) pos_in_suspect: [f64; 2],
}

pub(crate) struct RefineOutcome {
    pub(crate) suspect_from_reference: Homography,
    pub(crate) matches: Vec<PatchMatch>,
    /// Patches with enough texture that landed inside the suspect.
    pub(crate) textured: usize,
    pub(crate) rms_px: f64,
}

pub(crate) fn refine<R: Luma, S: Luma>(
    reference: &R,
    suspect: &S,
    initial: Homography,
    params: &RefineParams,
) -> Option<RefineOutcome> {
    let mut model = initial;
    let mut last = None;
    for _ in 0..2 {
        let (matches, textured) = match_grid(reference, suspect, &model, params);
        let fitted = robust_fit(&matches, params.affine)?;
        model = fitted.0;
        last = Some(RefineOutcome {
            suspect_from_reference: model,
            rms_px: fitted.1,
            matches,
            textured,
        });
    }
    last
}

fn match_grid<R: Luma, S: Luma>(
    reference: &R,
    suspect: &S,
    model: &Homography,
    p: &RefineParams,
) -> (Vec<PatchMatch>, usize) {
    let (w, h) = reference.dimensions();
    let half = (p.patch / 2 + p.radius + 1) as f64;
    let centres: Vec<[f64; 2]> = (0..p.grid.1)
        .flat_map(|j| {
            (0..p.grid.0).map(move |i| {
                [
                    (half + (i as f64 + 0.5) / p.grid.0 as f64 * (w as f64 - 2.0 * half)).round(),
                    (half + (j as f64 + 0.5) / p.grid.1 as f64 * (h as f64 - 2.0 * half)).round(),
                ]
            })
        })
        .collect();
    let results: Vec<Option<Option<PatchMatch>>> = centres
        .par_iter()
        .map(|c| match_patch(reference, suspect, model, *c, p))
        .collect();
    let textured = results.iter().filter(|r| r.is_some()).count();
    (results.into_iter().flatten().flatten().collect(), textured)
}

/// None: the patch is flat or falls outside the suspect. Some(None): textured but no
/// reliable match (occluded, changed, or the images differ).
fn match_patch<R: Luma, S: Luma>(
    reference: &R,
    suspect: &S,
    model: &Homography,
    centre: [f64; 2],
    p: &RefineParams,
) -> Option<Option<PatchMatch>> {
    let n = p.patch;
    let r = p.radius;
    let win = n + 2 * r;
    let (cx, cy) = (
        centre[0] as i64 - (n / 2) as i64,
        centre[1] as i64 - (n / 2) as i64,
    );
    let mut ref_patch = vec![0f64; n * n];
    for y in 0..n {
        for x in 0..n {
            ref_patch[y * n + x] =
                reference.luma((cx + x as i64) as u32, (cy + y as i64) as u32) as f64;
        }
    }
    let mean = ref_patch.iter().sum::<f64>() / (n * n) as f64;
    ref_patch.iter_mut().for_each(|v| *v -= mean);
    let ref_norm = ref_patch.iter().map(|v| v * v).sum::<f64>().sqrt();
    if ref_norm / (n as f64) < 4.0 {
        return None;
    }
    if p.min_isotropy > 0.0 && isotropy(&ref_patch, n) < p.min_isotropy {
        return None;
    }
    let window_pos = |x: usize, y: usize| {
        model.apply([
            (cx - r as i64 + x as i64) as f64,
            (cy - r as i64 + y as i64) as f64,
        ])
    };
    // The grey values under the window are read once into a tile: a colour source
    // computes luma per read, and bilinear sampling reads each pixel about four times.
    let (tile, origin) = tile_under(
        suspect,
        [
            window_pos(0, 0),
            window_pos(win - 1, 0),
            window_pos(0, win - 1),
            window_pos(win - 1, win - 1),
        ],
    )?;
    let mut window = vec![0f64; win * win];
    for y in 0..win {
        for x in 0..win {
            let q = window_pos(x, y);
            // The tile lies inside the suspect: off the tile is off the suspect too.
            let v = bilinear_gray(&tile, q[0] - origin[0], q[1] - origin[1])?;
            window[y * win + x] = v as f64;
        }
    }
    let side = 2 * r + 1;
    // Window sums and sums of squares come from integral images; only the cross term
    // needs the patch, in f32 rows (exact enough for 48 terms) that vectorise.
    let integral = |f: &dyn Fn(f64) -> f64| {
        let mut s = vec![0f64; (win + 1) * (win + 1)];
        for y in 0..win {
            let mut row = 0.0;
            for x in 0..win {
                row += f(window[y * win + x]);
                s[(y + 1) * (win + 1) + x + 1] = s[y * (win + 1) + x + 1] + row;
            }
        }
        s
    };
    let (s1, s2) = (integral(&|v| v), integral(&|v| v * v));
    let boxed = |s: &[f64], x: usize, y: usize| {
        let k = win + 1;
        s[(y + n) * k + x + n] - s[y * k + x + n] - s[(y + n) * k + x] + s[y * k + x]
    };
    let window32: Vec<f32> = window.iter().map(|v| *v as f32).collect();
    let ref32: Vec<f32> = ref_patch.iter().map(|v| *v as f32).collect();
    let mut cross = vec![0f64; side * side];
    cross_terms(&window32, &ref32, n, win, &mut cross);
    let scores: Vec<f64> = cross
        .iter()
        .enumerate()
        .map(|(k, cross)| {
            let (dx, dy) = (k % side, k / side);
            let (sum, sum2) = (boxed(&s1, dx, dy), boxed(&s2, dx, dy));
            let var = sum2 - sum * sum / (n * n) as f64;
            if var > 1e-9 {
                cross / (var.sqrt() * ref_norm)
            } else {
                0.0
            }
        })
        .collect();
    let (best, &peak) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    let (bx, by) = (best % side, best / side);
    if peak < p.min_ncc || bx == 0 || by == 0 || bx == side - 1 || by == side - 1 {
        return Some(None);
    }
    let parabola = |a: f64, b: f64, c: f64| {
        let denom = a - 2.0 * b + c;
        if denom.abs() < 1e-12 {
            0.0
        } else {
            (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
        }
    };
    let sx = parabola(scores[by * side + bx - 1], peak, scores[by * side + bx + 1]);
    let sy = parabola(
        scores[(by - 1) * side + bx],
        peak,
        scores[(by + 1) * side + bx],
    );
    let shift = [bx as f64 - r as f64 + sx, by as f64 - r as f64 + sy];
    Some(Some(PatchMatch {
        pos_in_reference: centre,
        pos_in_suspect: model.apply([centre[0] + shift[0], centre[1] + shift[1]]),
    }))
}

/// The part of `image` under the quadrilateral `corners` (with a pixel to spare, inside
/// the image) as a grey tile, and the tile's origin in image pixels. None when the
/// quadrilateral leaves the image or is too thin to sample.
fn tile_under<L: Luma>(image: &L, corners: [[f64; 2]; 4]) -> Option<(GrayImage, [f64; 2])> {
    let (w, h) = image.dimensions();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for [x, y] in corners {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    if !(x0 >= 0.0 && y0 >= 0.0 && x1 <= (w - 1) as f64 && y1 <= (h - 1) as f64) {
        return None;
    }
    let (tx0, ty0) = (
        (x0.floor() as u32).saturating_sub(1),
        (y0.floor() as u32).saturating_sub(1),
    );
    let (tx1, ty1) = (
        (x1.ceil() as u32 + 1).min(w - 1),
        (y1.ceil() as u32 + 1).min(h - 1),
    );
    if tx1 <= tx0 || ty1 <= ty0 {
        return None;
    }
    let tile = GrayImage::from_fn(tx1 - tx0 + 1, ty1 - ty0 + 1, |x, y| {
        image::Luma([image.luma(tx0 + x, ty0 + y)])
    });
    Some((tile, [f64::from(tx0), f64::from(ty0)]))
}

/// Weak over strong eigenvalue of the gradient structure tensor: 0 for a straight edge,
/// 1 for a corner or blob that constrains every direction equally.
fn isotropy(patch: &[f64], n: usize) -> f64 {
    let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            let gx = patch[y * n + x + 1] - patch[y * n + x - 1];
            let gy = patch[(y + 1) * n + x] - patch[(y - 1) * n + x];
            xx += gx * gx;
            xy += gx * gy;
            yy += gy * gy;
        }
    }
    let mean = 0.5 * (xx + yy);
    let spread = (0.25 * (xx - yy).powi(2) + xy * xy).sqrt();
    if mean + spread <= 0.0 {
        return 0.0;
    }
    (mean - spread) / (mean + spread)
}

wide_fn! {
    /// The correlation of the zero-mean `n` x `n` patch with the window at every offset:
    /// `cross` is `side` x `side`, `side` = `win` - `n` + 1. Most of refinement's time.
    fn cross_terms(window: &[f32], patch: &[f32], n: usize, win: usize, cross: &mut [f64]) {
        let side = win - n + 1;
        // Plain loops: a closure handed to an iterator adaptor may be compiled on its own,
        // without AVX2.
        for (k, out) in cross.iter_mut().enumerate() {
            let (dx, dy) = (k % side, k / side);
            let mut total = 0f64;
            for y in 0..n {
                let row = &window[(y + dy) * win + dx..(y + dy) * win + dx + n];
                total += dot(row, &patch[y * n..(y + 1) * n]);
            }
            *out = total;
        }
    }
}

/// Dot product in eight independent lanes, so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    (lanes.iter().sum::<f32>() + tail) as f64
}

/// Weighted least squares with Tukey weights, so that patches on a changed part or a
/// repeated pattern do not bend the fit. Returns the model and the inlier RMS in px.
pub(crate) fn robust_fit(matches: &[PatchMatch], affine: bool) -> Option<(Homography, f64)> {
    if matches.len() < 8 {
        return None;
    }
    let src: Vec<[f64; 2]> = matches.iter().map(|m| m.pos_in_reference).collect();
    let dst: Vec<[f64; 2]> = matches.iter().map(|m| m.pos_in_suspect).collect();
    let fit = |w: Option<&[f64]>| {
        if affine {
            fit_affine(&src, &dst, w)
        } else {
            fit_homography(&src, &dst, w)
        }
    };
    let mut weights = vec![1.0; src.len()];
    let mut model = fit(None)?;
    for _ in 0..5 {
        let res = residuals(&model, &src, &dst);
        let mut sorted = res.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let c = (4.0 * 1.4826 * median).max(0.5);
        for (w, r) in weights.iter_mut().zip(&res) {
            let u = r / c;
            *w = if u < 1.0 { (1.0 - u * u).powi(2) } else { 0.0 };
        }
        if weights.iter().filter(|w| **w > 0.0).count() < 8 {
            return None;
        }
        model = fit(Some(&weights))?;
    }
    let res = residuals(&model, &src, &dst);
    let (sum, count) = res
        .iter()
        .zip(&weights)
        .filter(|(_, w)| **w > 0.0)
        .fold((0.0, 0usize), |a, (r, _)| (a.0 + r * r, a.1 + 1));
    Some((model, (sum / count.max(1) as f64).sqrt()))
}

pub(crate) fn residuals(model: &Homography, src: &[[f64; 2]], dst: &[[f64; 2]]) -> Vec<f64> {
    src.iter()
        .zip(dst)
        .map(|(s, d)| {
            let p = model.apply(*s);
            ((p[0] - d[0]).powi(2) + (p[1] - d[1]).powi(2)).sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotropy_tells_edges_from_corners() {
        let n = 16;
        let edge: Vec<f64> = (0..n * n)
            .map(|i| if i % n < n / 2 { 0.0 } else { 200.0 })
            .collect();
        let corner: Vec<f64> = (0..n * n)
            .map(|i| {
                if i % n < n / 2 && i / n < n / 2 {
                    200.0
                } else {
                    0.0
                }
            })
            .collect();
        assert!(isotropy(&edge, n) < 0.01);
        assert!(isotropy(&corner, n) > 0.3);
    }
}
