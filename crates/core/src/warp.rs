//! Resamples the suspect into the reference frame, at the working resolution of the
//! difference map, through the full mapping (homography plus residual field).
use crate::align::Alignment;
use crate::geometry::Homography;
use crate::pyramid::{fit_rgb, scale_between};
use crate::rect::RectInReference;
use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use std::borrow::Cow;

pub struct Warped {
    pub image: RgbImage,
    /// 255 where the suspect had data for this pixel.
    pub(crate) valid: GrayImage,
}

/// Below this ratio of output to suspect sampling density, bilinear sampling would alias:
/// the suspect is reduced first.
const REDUCE_BELOW: f64 = 0.8;

/// Output pixels per suspect pixel (at most 1) of a warp into `out_dims`, a frame of the
/// reference scaled to that size.
fn wanted_scale(alignment: &Alignment, reference_dims: (u32, u32), out_dims: (u32, u32)) -> f64 {
    let centre = [reference_dims.0 as f64 / 2.0, reference_dims.1 as f64 / 2.0];
    let suspect_per_reference = alignment.suspect_from_reference.local_scale(centre);
    let out_scale = out_dims.0 as f64 / reference_dims.0 as f64;
    (out_scale / suspect_per_reference).min(1.0)
}

fn reduce_by(suspect: &RgbImage, scale: f64) -> (Cow<'_, RgbImage>, Homography) {
    if scale < REDUCE_BELOW {
        let suspect_pixels = suspect.width() as f64 * suspect.height() as f64;
        let (level, level_from_suspect) = fit_rgb(suspect, (suspect_pixels * scale * scale) as u64);
        (Cow::Owned(level), level_from_suspect)
    } else {
        (Cow::Borrowed(suspect), Homography::identity())
    }
}

/// The suspect reduced to about the sampling density of a warp into `out_dims` (a frame
/// of the reference scaled to that size), so bilinear sampling does not alias. Returns
/// the reduced copy and the transform from suspect pixels to its pixels.
///
/// The guess from the image sizes ([`reduce_guess`]) is used whenever it serves this
/// alignment, whether or not it was made in advance (`guessed`): the same pair then gets
/// the same warp, and the same regions, by every route (CLI, app, saved session).
pub(crate) fn reduce_for<'a>(
    suspect: &'a RgbImage,
    alignment: &Alignment,
    reference_dims: (u32, u32),
    out_dims: (u32, u32),
    guessed: Option<(RgbImage, Homography)>,
) -> (Cow<'a, RgbImage>, Homography) {
    let _t = crate::trace::span("warp.reduce");
    let wanted = wanted_scale(alignment, reference_dims, out_dims);
    let guess = guess_scale(suspect.dimensions(), reference_dims, out_dims);
    // Sampling from a copy 10 % coarser than ideal blurs by a tenth of a pixel; 25 %
    // finer is what the warp accepts anyway when it does not reduce at all.
    let guess_serves = wanted < REDUCE_BELOW && (0.9..=1.25).contains(&(guess / wanted));
    match guessed {
        Some((level, level_from_suspect)) if guess_serves => {
            (Cow::Owned(level), level_from_suspect)
        }
        _ => reduce_by(suspect, if guess_serves { guess } else { wanted }),
    }
}

/// Two photos of one board usually frame it alike: before alignment, the suspect's scale
/// against the reference is guessed from the ratio of their sizes.
fn guess_scale(suspect_dims: (u32, u32), reference_dims: (u32, u32), out_dims: (u32, u32)) -> f64 {
    let pixels = |(w, h): (u32, u32)| w as f64 * h as f64;
    let suspect_per_reference = (pixels(suspect_dims) / pixels(reference_dims)).sqrt();
    let out_scale = out_dims.0 as f64 / reference_dims.0 as f64;
    (out_scale / suspect_per_reference).min(1.0)
}

/// [`reduce_for`] before the alignment is known, so that it can run beside the reference's
/// reduction and give alignment its small levels. None when no reduction is expected.
pub(crate) fn reduce_guess(
    suspect: &RgbImage,
    reference_dims: (u32, u32),
    out_dims: (u32, u32),
) -> Option<(RgbImage, Homography)> {
    match reduce_by(
        suspect,
        guess_scale(suspect.dimensions(), reference_dims, out_dims),
    ) {
        (Cow::Owned(level), level_from_suspect) => Some((level, level_from_suspect)),
        (Cow::Borrowed(_), _) => None,
    }
}

/// Warps a reduced suspect (`level`, with `level_from_suspect` from [`reduce_for`]) into
/// an `out_dims` frame of the reference.
pub(crate) fn warp_level(
    level: &RgbImage,
    level_from_suspect: &Homography,
    alignment: &Alignment,
    reference_dims: (u32, u32),
    out_dims: (u32, u32),
) -> Warped {
    let _t = crate::trace::span("warp.sample");
    let reference_from_out = scale_between(reference_dims, out_dims)
        .inverse()
        .expect("scale transforms invert");
    warp_with(
        level,
        |p| level_from_suspect.apply(alignment.map(reference_from_out.apply(p))),
        out_dims,
    )
}

/// Full-resolution warp of one rectangle of the reference frame, for crops and the loupe.
pub fn warp_rect(suspect: &RgbImage, alignment: &Alignment, rect: RectInReference) -> Warped {
    let [x0, y0, w, h] = rect.to_array();
    warp_with(
        suspect,
        |p| alignment.map([p[0] + x0 as f64, p[1] + y0 as f64]),
        (w, h),
    )
}

/// Output pixels between exact evaluations of the mapping. Homographies and the residual
/// field are smooth, so linear interpolation over 16 px is exact to well under 0.01 px
/// (tested), and it removes the per-pixel projective divide and field lookup.
const GRID: usize = 16;

fn warp_with(
    source: &RgbImage,
    source_from_out: impl Fn([f64; 2]) -> [f64; 2] + Sync,
    (w, h): (u32, u32),
) -> Warped {
    let (w, h) = (w as usize, h as usize);
    let mut image = RgbImage::new(w as u32, h as u32);
    let mut valid = GrayImage::new(w as u32, h as u32);
    if w == 0 || h == 0 {
        return Warped { image, valid };
    }
    // Exact mapping at every GRID-th column and row, plus the last ones.
    let knots = |n: usize| -> Vec<usize> {
        let mut k: Vec<usize> = (0..n).step_by(GRID).collect();
        if *k.last().unwrap_or(&0) != n - 1 {
            k.push(n - 1);
        }
        k
    };
    let (kx, ky) = (knots(w), knots(h));
    let exact: Vec<Vec<[f64; 2]>> = ky
        .par_iter()
        .map(|&y| {
            kx.iter()
                .map(|&x| source_from_out([x as f64, y as f64]))
                .collect()
        })
        .collect();
    let (sw, sh) = (source.width() as usize, source.height() as usize);
    let raw = source.as_raw();
    image
        .par_chunks_mut(3 * w)
        .zip(valid.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (row, vrow))| {
            let knot_row: Vec<[f64; 2]> = if ky.len() == 1 {
                exact[0].clone()
            } else {
                let j = (y / GRID).min(ky.len() - 2);
                let t = (y - ky[j]) as f64 / (ky[j + 1] - ky[j]) as f64;
                exact[j]
                    .iter()
                    .zip(&exact[j + 1])
                    .map(|(a, b)| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t])
                    .collect()
            };
            for (i, pair) in kx.windows(2).enumerate() {
                let (x0, x1) = (pair[0], pair[1]);
                let (a, b) = (knot_row[i], knot_row[i + 1]);
                let span = (x1 - x0) as f64;
                let step = [(b[0] - a[0]) / span, (b[1] - a[1]) / span];
                let last = i + 2 == kx.len();
                let end = if last { x1 + 1 } else { x1 };
                let out = row[3 * x0..3 * end].chunks_exact_mut(3);
                // 16.16 fixed point, stepped by integer adds.
                let fixed = |v: f64| (v * 65536.0).round() as i64;
                let (mut qx, mut qy) = (fixed(a[0]), fixed(a[1]));
                let (dx, dy) = (fixed(step[0]), fixed(step[1]));
                let n = (end - x0) as i64;
                let (last_x, last_y) = (qx + (n - 1) * dx, qy + (n - 1) * dy);
                // The samples of a span lie on a segment: when both of its ends have a
                // full 2x2 neighbourhood, so do all of them, and no sample needs a test.
                let inside = |x: i64, y: i64| {
                    x >= 0 && y >= 0 && x < ((sw as i64 - 1) << 16) && y < ((sh as i64 - 1) << 16)
                };
                if inside(qx, qy) && inside(last_x, last_y) {
                    for px in out {
                        px.copy_from_slice(&sample_interior(raw, sw, qx, qy));
                        qx += dx;
                        qy += dy;
                    }
                    vrow[x0..end].fill(255);
                    continue;
                }
                for (px, v) in out.zip(&mut vrow[x0..end]) {
                    if let Some(rgb) = sample_fixed(raw, sw, sh, qx, qy) {
                        px.copy_from_slice(&rgb);
                        *v = 255;
                    }
                    qx += dx;
                    qy += dy;
                }
            }
            if kx.len() == 1 {
                let q = knot_row[0];
                let fixed = |v: f64| (v * 65536.0).round() as i64;
                if let Some(rgb) = sample_fixed(raw, sw, sh, fixed(q[0]), fixed(q[1])) {
                    row[..3].copy_from_slice(&rgb);
                    vrow[0] = 255;
                }
            }
        });
    Warped { image, valid }
}

/// Bilinear sample at (qx, qy) in 16.16 fixed point, with 8-bit weights; None outside
/// the source.
#[inline(always)]
fn sample_fixed(raw: &[u8], w: usize, h: usize, qx: i64, qy: i64) -> Option<[u8; 3]> {
    if qx < 0
        || qy < 0
        || qx > ((w as i64 - 1) << 16)
        || qy > ((h as i64 - 1) << 16)
        || w < 2
        || h < 2
    {
        return None;
    }
    // Weights rounded to 1/256 (0..=256).
    let (mut x0, mut fx) = ((qx >> 16) as usize, (((qx & 0xFFFF) + 128) >> 8) as u32);
    let (mut y0, mut fy) = ((qy >> 16) as usize, (((qy & 0xFFFF) + 128) >> 8) as u32);
    if x0 == w - 1 {
        (x0, fx) = (w - 2, 256);
    }
    if y0 == h - 1 {
        (y0, fy) = (h - 2, 256);
    }
    Some(blend(raw, w, x0, y0, fx, fy))
}

/// [`sample_fixed`] where (qx, qy) is known to have its 2x2 neighbourhood inside.
#[inline(always)]
fn sample_interior(raw: &[u8], w: usize, qx: i64, qy: i64) -> [u8; 3] {
    let (x0, fx) = ((qx >> 16) as usize, (((qx & 0xFFFF) + 128) >> 8) as u32);
    let (y0, fy) = ((qy >> 16) as usize, (((qy & 0xFFFF) + 128) >> 8) as u32);
    blend(raw, w, x0, y0, fx, fy)
}

/// The 2x2 block at (x0, y0) with weights of 1/256.
#[inline(always)]
fn blend(raw: &[u8], w: usize, x0: usize, y0: usize, fx: u32, fy: u32) -> [u8; 3] {
    let stride = 3 * w;
    let i = 3 * (y0 * w + x0);
    let (top, bottom) = (&raw[i..i + 6], &raw[i + stride..i + stride + 6]);
    let mut out = [0u8; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let t = top[c] as u32 * (256 - fx) + top[3 + c] as u32 * fx;
        let b = bottom[c] as u32 * (256 - fx) + bottom[3 + c] as u32 * fx;
        *o = ((t * (256 - fy) + b * fy + 32768) >> 16) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled_alignment(suspect_per_reference: f64) -> Alignment {
        let mut a = Alignment::identity(600, 400);
        a.suspect_from_reference = Homography::resize(suspect_per_reference, suspect_per_reference);
        a
    }

    #[test]
    fn the_guessed_reduction_is_used_only_when_the_alignment_agrees() {
        let suspect = RgbImage::from_fn(600, 400, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let (reference_dims, out_dims) = ((600, 400), (300, 200));
        let guessed = || reduce_guess(&suspect, reference_dims, out_dims);
        assert_eq!(guessed().map(|g| g.0.dimensions()), Some((300, 200)));
        // Same framing (or 5 % closer): the guess serves, made in advance or not.
        for scale in [1.0, 1.05] {
            let a = scaled_alignment(scale);
            let (level, _) = reduce_for(&suspect, &a, reference_dims, out_dims, guessed());
            assert_eq!(level.dimensions(), (300, 200), "scale {scale}");
            let (level, _) = reduce_for(&suspect, &a, reference_dims, out_dims, None);
            assert_eq!(level.dimensions(), (300, 200), "scale {scale}, not made");
        }
        // The suspect shows the board at 0.7x: a guess made for 1x would blur, so it is redone.
        let a = scaled_alignment(0.7);
        let (level, _) = reduce_for(&suspect, &a, reference_dims, out_dims, guessed());
        assert_eq!(level.dimensions(), (429, 286));
    }

    #[test]
    fn grid_warp_matches_exact_per_pixel_sampling() {
        let source = RgbImage::from_fn(300, 200, |x, y| {
            image::Rgb([
                (x * 7 % 251) as u8,
                (y * 5 % 241) as u8,
                ((x + y) % 256) as u8,
            ])
        });
        let h =
            Homography::from_rows([[0.97, 0.05, 12.3], [-0.04, 1.02, -7.9], [2e-5, -3e-5, 1.0]]);
        let fast = warp_with(&source, |p| h.apply(p), (251, 187));
        for y in 0..187u32 {
            for x in 0..251u32 {
                let q = h.apply([x as f64, y as f64]);
                let exact = crate::sample::bilinear_rgb(&source, q[0], q[1]);
                let inside = fast.valid.get_pixel(x, y)[0] == 255;
                match exact {
                    // Knot interpolation may move a sample across the border by a hair.
                    None => assert!(!inside || q[0] > -0.01 && q[1] > -0.01, "{x},{y}"),
                    Some(e) if inside => {
                        let got = fast.image.get_pixel(x, y).0;
                        for c in 0..3 {
                            assert!(
                                (got[c] as f32 - e[c]).abs() <= 1.6,
                                "{x},{y}: {got:?} vs {e:?}"
                            );
                        }
                    }
                    Some(_) => {
                        assert!(q[0] > 298.99 || q[1] > 198.99 || q[0] < 0.01 || q[1] < 0.01)
                    }
                }
            }
        }
    }
}
