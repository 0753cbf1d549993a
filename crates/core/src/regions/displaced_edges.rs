//! Telling an edge that merely sits a pixel or two differently from a real change in
//! binarised scans. They are etched, binarised and stretched a little differently each
//! time, so an edge present in both leaves a thin band along its length, which must
//! neither be reported nor chain real changes to every edge nearby. Photos keep such
//! bands: there a changed letter of a marking looks the same (measured: the wider-share
//! rule on photos lost one marking change in 30 generated cases).
use super::components::Run;
use crate::diff::pixel_score;
use crate::rect::RectInWork;
use image::RgbImage;
use rayon::prelude::*;

/// A region must keep this share of its pixels when the tolerance grows by one pixel.
/// Edges that sit a few pixels differently (etching, binarisation, local stretch of a
/// scan) leave bands that vanish almost entirely one pixel wider; measured on DeepPCB,
/// of the regions with under a fifth surviving, 47 were false and 5 true.
pub(crate) const MIN_WIDER_SHARE: f64 = 0.2;

/// The grow-mask pixels of `bbox` whose component `keep` accepts.
pub(crate) fn region_pixels(
    runs: &[Vec<Run>],
    keep: impl Fn(usize) -> bool,
    bbox: &RectInWork,
    grow: &[u8],
    w: usize,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for y in bbox.y as usize..bbox.y1() as usize {
        for run in runs[y].iter().filter(|run| keep(run.label as usize)) {
            let (x0, x1) = (run.x0.max(bbox.x) as usize, run.x1.min(bbox.x1()) as usize);
            for x in x0..x1 {
                if grow[y * w + x] != 0 {
                    out.push((x as u32, y as u32));
                }
            }
        }
    }
    out
}

/// The share of `pixels` still above `grow_t` when scored with tolerance `radius`; a
/// sample of at most 4096 of them on large regions.
pub(crate) fn share_scoring_at(
    reference: &RgbImage,
    suspect: &RgbImage,
    pixels: &[(u32, u32)],
    radius: u32,
    noise_sigma: f32,
    grow_t: f32,
) -> f64 {
    let step = pixels.len().div_ceil(4096).max(1);
    let (mut kept, mut total) = (0usize, 0usize);
    for &p in pixels.iter().step_by(step) {
        total += 1;
        if pixel_score(reference, suspect, p, radius, noise_sigma) >= grow_t {
            kept += 1;
        }
    }
    kept as f64 / total.max(1) as f64
}

/// Opening by a 2x2 square: drops changes only one pixel thick. An edge that sits a few
/// pixels differently (binarisation, resampling, etching) leaves exactly such a line
/// along its whole length; it would be reported on its own and would chain real changes
/// to every edge nearby into one shapeless region.
pub(crate) fn without_hairlines(mask: &[u8], w: usize, h: usize) -> Vec<u8> {
    if w < 2 || h < 2 {
        return mask.to_vec();
    }
    // Eroded: the 2x2 square whose top-left is (x, y) lies inside the mask.
    let mut core = vec![0u8; w * h];
    core.par_chunks_mut(w)
        .enumerate()
        .take(h - 1)
        .for_each(|(y, row)| {
            let (a, b) = (&mask[y * w..(y + 1) * w], &mask[(y + 1) * w..(y + 2) * w]);
            for x in 0..w - 1 {
                row[x] = a[x] & a[x + 1] & b[x] & b[x + 1];
            }
        });
    // Dilated back: a pixel stays when some such square covers it.
    let mut out = vec![0u8; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let below = &core[y * w..(y + 1) * w];
        let above = if y > 0 {
            &core[(y - 1) * w..y * w]
        } else {
            below
        };
        for x in 0..w {
            let xl = x.saturating_sub(1);
            row[x] = below[x] | below[xl] | above[x] | above[xl];
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hairlines_go_and_thicker_shapes_stay_whole() {
        let (w, h) = (30, 20);
        let mut m = vec![0u8; w * h];
        let mut set = |x: usize, y: usize| m[y * w + x] = 255;
        for x in 2..28 {
            set(x, 2); // one pixel thick
            set(x, 6);
            set(x, 7); // two pixels thick
        }
        for y in 11..14 {
            for x in 5..8 {
                set(x, y); // 3x3 block
            }
        }
        let out = without_hairlines(&m, w, h);
        let on = |x: usize, y: usize| out[y * w + x] != 0;
        assert!((0..w).all(|x| !on(x, 2)));
        assert!((2..28).all(|x| on(x, 6) && on(x, 7)));
        assert!((11..14).all(|y| (5..8).all(|x| on(x, y))));
        assert_eq!(out.iter().filter(|v| **v != 0).count(), 2 * 26 + 9);
    }

    #[test]
    fn a_band_one_pixel_wider_tolerance_explains_has_no_share_a_bite_has() {
        // A black trace in rows 20..30; the suspect's lower edge 2 px lower from x = 10
        // on, and a bite 4 px deep out of its upper edge at x = 40..48.
        let tone = |black: bool| {
            let v = if black { 0 } else { 255 };
            image::Rgb([v, v, v])
        };
        let reference = RgbImage::from_fn(64, 48, |_, y| tone((20..30).contains(&y)));
        let suspect = RgbImage::from_fn(64, 48, |x, y| {
            let lower = if x >= 10 { 32 } else { 30 };
            let bitten = (40..48).contains(&x) && y < 24;
            tone((20..lower).contains(&y) && !bitten)
        });
        let band: Vec<(u32, u32)> = (12..60).flat_map(|x| [(x, 30), (x, 31)]).collect();
        let bite: Vec<(u32, u32)> = (41..47)
            .flat_map(|x| (20..24).map(move |y| (x, y)))
            .collect();
        let share = |p: &[(u32, u32)]| share_scoring_at(&reference, &suspect, p, 2, 1.0, 5.0);
        assert_eq!(share(&band), 0.0);
        assert!(share(&bite) > 0.3, "bite share {}", share(&bite));
    }
}
