//! A second physical board made from a photo of the first: every part found in the photo
//! is placed again (offset and turn as a pick-and-place run scatters them), leans by its
//! height into the second camera's viewpoint, and is lit from the second light's side.
//! None of it is a finding; the detector is scored against it.
use crate::photo_patch::{crop_around, feather_alpha, grow};
use crate::variation::{Variation, Viewpoint};
use boarddiff_core::pyramid::fit_rgb;
use boarddiff_core::rng::Rng;
use boarddiff_core::sample::cubic_rgb;
use image::RgbImage;

/// One part moved: its box in photo pixels, the rigid move applied to it, and the
/// height it was given.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Nudge {
    pub(crate) bounds: [f64; 4],
    pub(crate) shift_px: [f64; 2],
    pub(crate) rotation_deg: f64,
    pub(crate) height_mm: f64,
}

/// A part found in a photo: its box in photo pixels, and whether it looks like bare
/// metal or ink (a pad, a via, silkscreen: flat) rather than a body (standing up).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FoundPart {
    pub(crate) bounds: [f64; 4],
    pub(crate) flat: bool,
}

/// Parts in a board photo: compact blobs that stand out from the solder mask (bodies,
/// pads, vias, labels), between 0.3 and 12 mm long at `px_per_mm`.
pub(crate) fn find_parts(img: &RgbImage, px_per_mm: f64) -> Vec<FoundPart> {
    let (small, _) = fit_rgb(img, 2_000_000);
    let s = small.width() as f64 / img.width() as f64;
    let (w, h) = (small.width() as usize, small.height() as usize);
    let mask_hue = dominant_hue(&small);
    let foreground: Vec<bool> = small.pixels().map(|p| stands_out(p.0, mask_hue)).collect();
    // Tin, gold and silkscreen ink: bright, and flat on the board.
    let bright: Vec<bool> = small
        .pixels()
        .map(|p| {
            let (_, sat, val) = hsv(p.0);
            val > 0.55 && (sat < 0.35 || p.0[0] > p.0[2] + 60)
        })
        .collect();
    let labels = components(&foreground, &bright, w, h);
    let ppm = px_per_mm * s;
    let (min_len, max_len) = (0.3 * ppm, 12.0 * ppm);
    labels
        .into_iter()
        .filter_map(|c| {
            let (bw, bh) = ((c.x1 - c.x0 + 1) as f64, (c.y1 - c.y0 + 1) as f64);
            let long = bw.max(bh);
            let compact = c.area as f64 >= 0.3 * bw * bh;
            let inside = c.x0 > 1 && c.y0 > 1 && c.x1 + 2 < w && c.y1 + 2 < h;
            (long >= min_len && long <= max_len && compact && inside && c.area >= 6).then(|| {
                FoundPart {
                    bounds: [
                        c.x0 as f64 / s,
                        c.y0 as f64 / s,
                        (c.x1 + 1) as f64 / s,
                        (c.y1 + 1) as f64 / s,
                    ],
                    flat: c.bright_share > 0.5,
                }
            })
        })
        .collect()
}

/// Moves every part of `img` found by [`find_parts`] as a second board would have it,
/// keeping clear of `keep_out` (the planted modifications, whose truth must stay exact).
/// `from` and `to` are the first and second photos' viewpoints.
pub(crate) fn vary_parts(
    img: &mut RgbImage,
    keep_out: &[[f64; 4]],
    variation: &Variation,
    px_per_mm: f64,
    (from, to): (&Viewpoint, &Viewpoint),
    rng: &mut Rng,
) -> Vec<Nudge> {
    let lean = [
        (to.lean_per_mm[0] - from.lean_per_mm[0]) * px_per_mm,
        (to.lean_per_mm[1] - from.lean_per_mm[1]) * px_per_mm,
    ];
    let light_turn = [
        to.towards_light()[0] - from.towards_light()[0],
        to.towards_light()[1] - from.towards_light()[1],
    ];
    let mut nudges = Vec::new();
    for part in find_parts(img, px_per_mm) {
        let b = part.bounds;
        let len = (b[2] - b[0]).max(b[3] - b[1]);
        let reach = grow(b, len * 0.3 + 2.0);
        let blocked = keep_out
            .iter()
            .any(|k| reach[0] < k[2] && k[0] < reach[2] && reach[1] < k[3] && k[1] < reach[3]);
        if blocked {
            continue;
        }
        // A body stands roughly a third of its width tall (0402 0.35 mm, SOIC 1.5 mm);
        // pads and labels lie flat.
        let short_mm = (b[2] - b[0]).min(b[3] - b[1]) / px_per_mm;
        let height_mm = if part.flat {
            0.0
        } else {
            (0.35 * short_mm).clamp(0.2, 3.0)
        };
        let (offset_mm, rotation_deg) = variation.place(rng);
        // The visible body's centre moves by half its top's lean.
        let nudge = Nudge {
            bounds: b,
            shift_px: [
                offset_mm[0] * px_per_mm + 0.5 * height_mm * lean[0],
                offset_mm[1] * px_per_mm + 0.5 * height_mm * lean[1],
            ],
            rotation_deg,
            height_mm,
        };
        move_part(img, &nudge, len * 0.3);
        if height_mm > 0.0 && variation.finish > 0.0 {
            relight(img, &nudge, light_turn, to, px_per_mm);
        }
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

/// The second light on a standing part: its top shaded towards the light's new side,
/// and a soft contact shadow cast away from it.
fn relight(img: &mut RgbImage, nudge: &Nudge, light_turn: [f64; 2], to: &Viewpoint, ppm: f64) {
    let (w, h) = img.dimensions();
    let b = [
        nudge.bounds[0] + nudge.shift_px[0],
        nudge.bounds[1] + nudge.shift_px[1],
        nudge.bounds[2] + nudge.shift_px[0],
        nudge.bounds[3] + nudge.shift_px[1],
    ];
    let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    let half = [(b[2] - b[0]) / 2.0, (b[3] - b[1]) / 2.0];
    let strength = 0.12 * nudge.height_mm.min(2.0);
    let reach = nudge.height_mm * to.shadow_per_mm() * ppm;
    let away = to.towards_light().map(|v| -v);
    let shadow_box = grow(b, reach + 2.0);
    for y in shadow_box[1].max(0.0) as u32..(shadow_box[3].ceil() as u32).min(h) {
        for x in shadow_box[0].max(0.0) as u32..(shadow_box[2].ceil() as u32).min(w) {
            let (px, py) = (x as f64, y as f64);
            let n = [(px - centre[0]) / half[0], (py - centre[1]) / half[1]];
            let inside = n[0].abs() <= 1.0 && n[1].abs() <= 1.0;
            let f = if inside {
                1.0 + strength * (n[0] * light_turn[0] + n[1] * light_turn[1]) * 0.5
            } else {
                // Behind the part, away from the light: darker the nearer the part.
                let back = [px - away[0] * reach * 0.5, py - away[1] * reach * 0.5];
                let nb = [
                    (back[0] - centre[0]) / half[0],
                    (back[1] - centre[1]) / half[1],
                ];
                let d = (nb[0].abs().max(nb[1].abs()) - 1.0).max(0.0) * half[0].min(half[1]);
                let along = (px - centre[0]) * away[0] + (py - centre[1]) * away[1];
                if along <= 0.0 || d > reach {
                    continue;
                }
                1.0 - 0.3 * strength * (1.0 - d / reach.max(1.0))
            };
            let p = img.get_pixel_mut(x, y);
            for c in 0..3 {
                p[c] = (p[c] as f64 * f).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// A rough scale for a photo whose scale nobody gave: the median short side of its
/// parts and pads, taken as 1.2 mm (vias 0.6, 0603 parts 0.8, pads 1-2 mm).
pub(crate) fn estimate_px_per_mm(img: &RgbImage) -> f64 {
    // A first guess of 25 px/mm only sets the size filter, which is wide.
    let mut shorts: Vec<f64> = find_parts(img, 25.0)
        .iter()
        .map(|p| (p.bounds[2] - p.bounds[0]).min(p.bounds[3] - p.bounds[1]))
        .collect();
    if shorts.len() < 5 {
        return img.width() as f64 / 200.0;
    }
    shorts.sort_by(f64::total_cmp);
    (shorts[shorts.len() / 2] / 1.2).max(2.0)
}

/// The hue (degrees) that most saturated pixels share: the solder mask's.
fn dominant_hue(img: &RgbImage) -> f64 {
    let mut hist = [0u32; 36];
    for p in img.pixels() {
        let (hue, sat, _) = hsv(p.0);
        if sat > 0.3 {
            hist[(hue / 10.0) as usize % 36] += 1;
        }
    }
    let best = (0..36).max_by_key(|&i| hist[i]).unwrap_or(12);
    best as f64 * 10.0 + 5.0
}

/// Not the solder mask: grey (metal, ink, bodies) or another hue.
fn stands_out(p: [u8; 3], mask_hue: f64) -> bool {
    let (hue, sat, val) = hsv(p);
    let hue_off = ((hue - mask_hue + 540.0) % 360.0 - 180.0).abs();
    sat < 0.25 || val < 0.12 || hue_off > 35.0
}

fn hsv(p: [u8; 3]) -> (f64, f64, f64) {
    let [r, g, b] = p.map(|v| v as f64 / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let d = max - min;
    let hue = if d < 1e-9 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    let sat = if max > 0.0 { d / max } else { 0.0 };
    (hue, sat, max)
}

/// One 8-connected blob of a mask: inclusive box, area, and the share of its pixels that
/// are bright.
struct Blob {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    area: usize,
    bright_share: f64,
}

fn components(mask: &[bool], bright: &[bool], w: usize, h: usize) -> Vec<Blob> {
    let mut label = vec![0u32; w * h];
    let mut blobs = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        let id = blobs.len() as u32 + 1;
        let mut b = Blob {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            area: 0,
            bright_share: 0.0,
        };
        label[start] = id;
        stack.push(start);
        let mut lit = 0usize;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            lit += usize::from(bright[i]);
            b.x0 = b.x0.min(x);
            b.y0 = b.y0.min(y);
            b.x1 = b.x1.max(x);
            b.y1 = b.y1.max(y);
            b.area += 1;
            for (dx, dy) in [
                (-1i64, -1i64),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if mask[j] && label[j] == 0 {
                    label[j] = id;
                    stack.push(j);
                }
            }
        }
        b.bright_share = lit as f64 / b.area as f64;
        blobs.push(b);
    }
    blobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;
    use crate::paint::paint;
    use crate::variation::VariationLevel;

    #[test]
    fn finds_the_parts_of_a_rendered_board_and_moves_them_all() {
        let layout = Layout::generate(1600, 1200, 5);
        let reference = paint(&layout, 5);
        let ppm = layout.px_per_mm;
        let parts = find_parts(&reference, ppm);
        let populated = layout.parts.iter().filter(|p| p.populated).count();
        assert!(
            parts.len() * 2 >= populated,
            "{} parts found of {populated}",
            parts.len()
        );
        let keep_out = [[100.0, 100.0, 400.0, 400.0]];
        let mut moved = reference.clone();
        let v = VariationLevel::Typical.params();
        let mut rng = Rng::new(3);
        let first = Viewpoint::first(&mut rng);
        let second = first.second(&v, &mut rng);
        let nudges = vary_parts(&mut moved, &keep_out, &v, ppm, (&first, &second), &mut rng);
        assert!(
            nudges.len() * 3 >= parts.len() * 2,
            "{} of {}",
            nudges.len(),
            parts.len()
        );
        for n in &nudges {
            let b = grow(n.bounds, 0.0);
            assert!(
                !(b[0] < 400.0 && b[2] > 100.0 && b[1] < 400.0 && b[3] > 100.0),
                "{n:?}"
            );
            let limit = 0.1 * ppm + 0.5 * 3.0 * 0.08 * ppm;
            assert!(n.shift_px.iter().all(|s| s.abs() <= limit + 1e-9), "{n:?}");
        }
        // The planted area is untouched.
        for y in 100..400 {
            for x in 100..400 {
                assert_eq!(moved.get_pixel(x, y), reference.get_pixel(x, y));
            }
        }
        let est = estimate_px_per_mm(&reference);
        assert!(
            est > ppm / 3.0 && est < ppm * 3.0,
            "estimated {est} px/mm, true {ppm}"
        );
    }
}
