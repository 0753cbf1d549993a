//! Part-placement jitter: a second board of the same model never has its parts exactly
//! where the first has them (pick-and-place tolerance is about ±0.05 mm and ±0.5°, and
//! reflow moves parts a little more). The simulator nudges parts found in the photo so
//! that the detector is scored against that variation, which is not a finding.
use crate::photo_patch::{crop_around, feather_alpha, grow, pick, TextureMap};
use boarddiff_core::rng::Rng;
use boarddiff_core::sample::cubic_rgb;
use image::RgbImage;

/// How many parts are nudged, per megapixel of photo.
const PARTS_PER_MEGAPIXEL: f64 = 2.5;
/// The largest shift, in px at 4000 px of photo width (about 0.05 mm on a 200 mm board).
const MAX_SHIFT_PX_AT_4000: f64 = 1.0;
const MAX_ROTATION_DEG: f64 = 0.5;

/// One nudged part: its box in photo pixels and the rigid move applied to it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Nudge {
    pub(crate) bounds: [f64; 4],
    pub(crate) shift_px: [f64; 2],
    pub(crate) rotation_deg: f64,
}

/// Moves part-like spots of `img` by sub-pixel shifts and small rotations, keeping clear
/// of `keep_out` (the planted modifications, whose truth must stay exact).
pub(crate) fn jitter_parts(img: &mut RgbImage, keep_out: &[[f64; 4]], rng: &mut Rng) -> Vec<Nudge> {
    let dims = img.dimensions();
    let texture = TextureMap::new(img);
    let megapixels = dims.0 as f64 * dims.1 as f64 / 1e6;
    let count = (megapixels * PARTS_PER_MEGAPIXEL).round() as usize;
    let max_shift = MAX_SHIFT_PX_AT_4000 * dims.0 as f64 / 4000.0;
    let mut taken = keep_out.to_vec();
    let mut nudges = Vec::new();
    for _ in 0..count {
        let len = rng.range(0.004, 0.02) * dims.0 as f64;
        let half = [len / 2.0, len / 2.0];
        // An isolated part: busy inside, quieter around (as for removed parts).
        let part_like = |b: [f64; 4]| texture.mean(b) - 1.2 * texture.mean(grow(b, len));
        let Some(bounds) = pick(rng, dims, half, &taken, part_like) else {
            continue;
        };
        let nudge = Nudge {
            bounds,
            // As the procedural cases do: most parts sit within half the tolerance.
            shift_px: [
                (rng.normal() * max_shift / 2.0).clamp(-max_shift, max_shift),
                (rng.normal() * max_shift / 2.0).clamp(-max_shift, max_shift),
            ],
            rotation_deg: (rng.normal() * MAX_ROTATION_DEG / 2.0)
                .clamp(-MAX_ROTATION_DEG, MAX_ROTATION_DEG),
        };
        move_part(img, &nudge, len * 0.3);
        taken.push(grow(bounds, len * 0.3 + 2.0));
        nudges.push(nudge);
    }
    nudges
}

/// Resamples the part box and a `margin` around it moved rigidly about the box centre,
/// feathered over the margin so that the board around the part stays where it was.
fn move_part(img: &mut RgbImage, nudge: &Nudge, margin: f64) {
    let (w, h) = img.dimensions();
    let b = nudge.bounds;
    let outer = grow(b, margin);
    let (source, origin) = crop_around(img, grow(outer, 3.0));
    let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    let (sin, cos) = nudge.rotation_deg.to_radians().sin_cos();
    let y_range = outer[1].floor().max(0.0) as u32..(outer[3].ceil() as u32).min(h);
    for y in y_range {
        for x in outer[0].floor().max(0.0) as u32..(outer[2].ceil() as u32).min(w) {
            let (px, py) = (x as f64, y as f64);
            // Inside the part box the move is complete; across the margin it fades out.
            let a = feather_alpha(outer, px, py, margin);
            if a <= 0.0 {
                continue;
            }
            // The inverse move: where this pixel's content was before the part moved.
            let (dx, dy) = (
                px - centre[0] - nudge.shift_px[0],
                py - centre[1] - nudge.shift_px[1],
            );
            let sx = centre[0] + cos * dx + sin * dy - origin[0];
            let sy = centre[1] - sin * dx + cos * dy - origin[1];
            let Some(v) = cubic_rgb(&source, sx, sy) else {
                continue;
            };
            let d = img.get_pixel_mut(x, y);
            for c in 0..3 {
                d[c] = (d[c] as f64 * (1.0 - a) + v[c] * a).round() as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{layout::Layout, paint::paint};

    #[test]
    fn nudges_parts_by_sub_pixel_moves_and_nothing_else() {
        let reference = paint(&Layout::generate(1200, 900, 5), 5);
        let keep_out = [[100.0, 100.0, 300.0, 300.0]];
        let mut moved = reference.clone();
        let nudges = jitter_parts(&mut moved, &keep_out, &mut Rng::new(3));
        assert!(nudges.len() >= 2, "{} parts nudged", nudges.len());
        let touched = |x: u32, y: u32| {
            nudges.iter().any(|n| {
                let len = n.bounds[2] - n.bounds[0];
                let o = grow(n.bounds, len * 0.3 + 1.0);
                (x as f64) >= o[0] && (x as f64) <= o[2] && (y as f64) >= o[1] && (y as f64) <= o[3]
            })
        };
        for (x, y, p) in moved.enumerate_pixels() {
            if !touched(x, y) {
                assert_eq!(p, reference.get_pixel(x, y), "changed at {x},{y}");
            }
        }
        for n in &nudges {
            assert!(n.shift_px.iter().all(|s| s.abs() <= 0.31), "{n:?}");
            assert!(n.rotation_deg.abs() <= MAX_ROTATION_DEG, "{n:?}");
            // Inside the part box, each pixel holds the reference content from where the
            // inverse move puts it.
            let centre = [
                (n.bounds[0] + n.bounds[2]) / 2.0,
                (n.bounds[1] + n.bounds[3]) / 2.0,
            ];
            let (sin, cos) = n.rotation_deg.to_radians().sin_cos();
            let mut changed = 0.0;
            for y in n.bounds[1].ceil() as u32..n.bounds[3] as u32 {
                for x in n.bounds[0].ceil() as u32..n.bounds[2] as u32 {
                    let (dx, dy) = (
                        x as f64 - centre[0] - n.shift_px[0],
                        y as f64 - centre[1] - n.shift_px[1],
                    );
                    let (sx, sy) = (
                        centre[0] + cos * dx + sin * dy,
                        centre[1] - sin * dx + cos * dy,
                    );
                    let want = cubic_rgb(&reference, sx, sy).expect("inside the photo");
                    let (got, was) = (moved.get_pixel(x, y).0, reference.get_pixel(x, y).0);
                    for c in 0..3 {
                        assert!((got[c] as f64 - want[c]).abs() <= 0.51, "{n:?} at {x},{y}");
                        changed += (got[c] as f64 - was[c] as f64).abs();
                    }
                }
            }
            assert!(changed > 0.0, "{n:?} did not move anything");
        }
    }
}
