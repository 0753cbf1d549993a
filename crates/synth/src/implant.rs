//! The implant simulator: plants added, removed and altered parts in any board photo, then
//! re-photographs it (part placement, pose, light, white balance, noise, JPEG) as a second
//! board would be, with the exact truth. Spots are chosen from the photo's own texture: added parts go on
//! bare board next to existing parts, removed and altered ones are isolated parts.
use crate::camera::{jpeg_roundtrip, pose, Camera, PoseSpec};
use crate::canvas::{Canvas, Shape};
use crate::photo_patch::{crop_around, feather_alpha, grow, overlaps, pick, TextureMap};
use crate::placement::{estimate_px_per_mm, vary_parts};
use crate::truth::{JitteredPart, Truth, TruthRegion, SCHEMA};
use crate::variation::{VariationLevel, Viewpoint};
use boarddiff_core::rect::{Rect, RectInReference};
use boarddiff_core::report::RegionKind;
use boarddiff_core::rng::Rng;
use image::RgbImage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "easy" => Some(Self::Easy),
            "medium" => Some(Self::Medium),
            "hard" => Some(Self::Hard),
            _ => None,
        }
    }

    /// Part length as a share of the image width.
    fn size_range(self) -> (f64, f64) {
        match self {
            Difficulty::Easy => (0.015, 0.03),
            Difficulty::Medium => (0.007, 0.015),
            Difficulty::Hard => (0.003, 0.007),
        }
    }

    /// How strong a colour or marking change is (1 = blatant).
    fn strength(self) -> f64 {
        match self {
            Difficulty::Easy => 1.0,
            Difficulty::Medium => 0.6,
            Difficulty::Hard => 0.35,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ImplantSpec {
    pub seed: u64,
    pub count: usize,
    pub difficulty: Difficulty,
    pub kinds: Vec<RegionKind>,
    /// How the second board and its photo differ from the first.
    pub variation: VariationLevel,
    /// Scale of the photo; estimated from its parts when None.
    pub px_per_mm: Option<f64>,
}

fn to_bbox(r: [f64; 4], (w, h): (u32, u32)) -> RectInReference {
    let x0 = r[0].floor().clamp(0.0, w as f64);
    let y0 = r[1].floor().clamp(0.0, h as f64);
    let x1 = r[2].ceil().clamp(0.0, w as f64);
    let y1 = r[3].ceil().clamp(0.0, h as f64);
    let (bw, bh) = (((x1 - x0) as u32).max(1), ((y1 - y0) as u32).max(1));
    Rect::from_corners(x0 as u32, y0 as u32, x0 as u32 + bw, y0 as u32 + bh)
}

/// Mean colour of `outer` minus `inner`.
fn mean_rgb(img: &RgbImage, outer: [f64; 4], inner: [f64; 4]) -> [f64; 3] {
    let (w, h) = img.dimensions();
    let mut sum = [0.0f64; 3];
    let mut n = 0.0f64;
    let step = (((outer[2] - outer[0]) / 24.0).max(1.0)) as usize;
    for y in (outer[1].max(0.0) as u32..(outer[3] as u32).min(h)).step_by(step) {
        for x in (outer[0].max(0.0) as u32..(outer[2] as u32).min(w)).step_by(step) {
            let (fx, fy) = (x as f64, y as f64);
            if fx >= inner[0] && fx < inner[2] && fy >= inner[1] && fy < inner[3] {
                continue;
            }
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += p[c] as f64;
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n.max(1.0))
}

/// Copies `src` box content onto `dst` (same size) with a feathered edge and the mean
/// colour of the destination's surroundings, so patches blend into the board.
fn paste(img: &mut RgbImage, src: [f64; 4], dst: [f64; 4], feather: f64) {
    let (w, h) = img.dimensions();
    let ring_mean = |img: &RgbImage, b: [f64; 4]| mean_rgb(img, grow(b, feather.max(2.0)), b);
    let shift = {
        let (a, b) = (ring_mean(img, src), ring_mean(img, dst));
        [b[0] - a[0], b[1] - a[1], b[2] - a[2]]
    };
    let (source, origin) = crop_around(img, src);
    for y in dst[1].max(0.0) as u32..(dst[3].ceil() as u32).min(h) {
        for x in dst[0].max(0.0) as u32..(dst[2].ceil() as u32).min(w) {
            let (dx, dy) = (x as f64 - dst[0], y as f64 - dst[1]);
            let a = feather_alpha(dst, x as f64, y as f64, feather);
            let (sx, sy) = ((src[0] + dx) as u32, (src[1] + dy) as u32);
            if sx >= w || sy >= h {
                continue;
            }
            let s = source
                .get_pixel(sx - origin[0] as u32, sy - origin[1] as u32)
                .0;
            let d = img.get_pixel_mut(x, y);
            for c in 0..3 {
                let v = (s[c] as f64 + shift[c]).clamp(0.0, 255.0);
                d[c] = (d[c] as f64 * (1.0 - a) + v * a).round() as u8;
            }
        }
    }
}

/// A lead's offset from the body centre and its half size, in part coordinates.
type Lead = ([f64; 2], [f64; 2]);

/// A small package drawn at `centre`, `len` px long: SOT-23, SOIC-8, a passive or a
/// "signal coupler" look-alike, with leads, shading and a shadow. Returns its bounds.
fn render_package(
    canvas: &mut Canvas,
    rng: &mut Rng,
    centre: [f64; 2],
    len: f64,
) -> ([f64; 4], &'static str) {
    let angle = *rng.pick(&[0.0, std::f64::consts::FRAC_PI_2]) + rng.range(-0.03, 0.03);
    let kind = *rng.pick(&[
        "SOT-23",
        "SOIC-8",
        "0603 passive",
        "0402 passive",
        "signal coupler",
    ]);
    let metal = [205.0, 205.0, 200.0];
    let (body_half, body_rgb, leads): ([f64; 2], [f64; 3], Vec<Lead>) = match kind {
        "SOT-23" => {
            let (hx, hy) = (len * 0.5, len * 0.22);
            let l = [len * 0.07, len * 0.12];
            (
                [hx, hy],
                [32.0, 32.0, 36.0],
                vec![
                    ([-hx * 0.6, -hy - l[1]], l),
                    ([hx * 0.6, -hy - l[1]], l),
                    ([0.0, hy + l[1]], l),
                ],
            )
        }
        "SOIC-8" => {
            let (hx, hy) = (len * 0.5, len * 0.4);
            let l = [len * 0.045, len * 0.1];
            let mut v = Vec::new();
            for i in 0..4 {
                let x = -hx * 0.75 + i as f64 * hx * 0.5;
                v.push(([x, -hy - l[1]], l));
                v.push(([x, hy + l[1]], l));
            }
            ([hx, hy], [28.0, 28.0, 30.0], v)
        }
        "signal coupler" => {
            let (hx, hy) = (len * 0.5, len * 0.3);
            let l = [len * 0.06, len * 0.1];
            (
                [hx, hy],
                [40.0, 44.0, 60.0],
                vec![
                    ([-hx * 0.5, -hy - l[1]], l),
                    ([hx * 0.5, -hy - l[1]], l),
                    ([-hx * 0.5, hy + l[1]], l),
                    ([hx * 0.5, hy + l[1]], l),
                ],
            )
        }
        _ => {
            let (hx, hy) = (len * 0.5, len * 0.25);
            let body = if rng.chance(0.5) {
                [25.0, 25.0, 25.0]
            } else {
                [190.0, 160.0, 110.0]
            };
            (
                [hx * 0.6, hy],
                body,
                vec![
                    ([-hx * 0.8, 0.0], [hx * 0.2, hy]),
                    ([hx * 0.8, 0.0], [hx * 0.2, hy]),
                ],
            )
        }
    };
    let (s, c) = angle.sin_cos();
    let at = |l: [f64; 2]| {
        [
            centre[0] + l[0] * c - l[1] * s,
            centre[1] + l[0] * s + l[1] * c,
        ]
    };
    let shadow = Shape::rect(
        at([len * 0.06, len * 0.08]),
        angle,
        [body_half[0] * 1.05, body_half[1] * 1.1],
    );
    canvas.darken(&shadow, len * 0.12, 0.55);
    for (offset, half) in &leads {
        canvas.fill(&Shape::rect(at(*offset), angle, *half), 1.0, |n, _| {
            let shine = 1.0 - 0.25 * n[1].abs();
            (metal.map(|m| m * shine), 1.0)
        });
    }
    canvas.fill(&Shape::rect(centre, angle, body_half), 1.0, |n, depth| {
        // A lighter rim on the top-left: the moulded body catches the light.
        let rim = if depth < len * 0.03 { 1.4 } else { 1.0 };
        let shade = rim * (1.0 - 0.12 * n[1]);
        (body_rgb.map(|v| v * shade), 1.0)
    });
    if body_half[1] > 4.0 {
        let marking = *rng.pick(&["X1", "A7", "SC", "K2", "T4"]);
        canvas.text(
            marking,
            centre,
            angle,
            body_half[1] * 0.8,
            [150.0, 150.0, 150.0],
            0.8,
        );
    }
    let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut include = |o: [f64; 2], h: [f64; 2]| {
        for (sx, sy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            let p = at([o[0] + sx * h[0], o[1] + sy * h[1]]);
            bounds = [
                bounds[0].min(p[0]),
                bounds[1].min(p[1]),
                bounds[2].max(p[0]),
                bounds[3].max(p[1]),
            ];
        }
    };
    include([0.0, 0.0], body_half);
    for (o, h) in &leads {
        include(*o, *h);
    }
    (bounds, kind)
}

/// Plants the modifications into a copy of `reference` (same geometry). Returns the
/// modified board and the truth boxes in reference pixels.
pub(crate) fn plant(reference: &RgbImage, spec: &ImplantSpec) -> (RgbImage, Vec<TruthRegion>) {
    let dims = reference.dimensions();
    let texture = TextureMap::new(reference);
    let mut rng = Rng::new(spec.seed ^ 0x01A9_1A47);
    let mut canvas = Canvas {
        img: reference.clone(),
    };
    let mut taken: Vec<[f64; 4]> = Vec::new();
    let mut truth = Vec::new();
    let (lo, hi) = spec.difficulty.size_range();
    let kinds = if spec.kinds.is_empty() {
        RegionKind::ALL.to_vec()
    } else {
        spec.kinds.clone()
    };
    for i in 0..spec.count {
        let kind = kinds[i % kinds.len()];
        let len = (rng.range(lo, hi) * dims.0 as f64).max(6.0);
        let half = [len / 2.0, len / 2.0];
        // An isolated part: busy inside, quieter around.
        let part_like = |b: [f64; 4]| texture.mean(b) - 1.2 * texture.mean(grow(b, len));
        let planted = match kind {
            RegionKind::Added => {
                // Bare board (quiet) with parts nearby (busy ring): where an implant hides.
                let spot = pick(&mut rng, dims, half, &taken, |b| {
                    texture.mean(grow(b, len * 1.5)) - 4.0 * texture.mean(grow(b, len * 0.3))
                });
                spot.map(|b| {
                    let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
                    if rng.chance(0.25) {
                        // A whole part cloned from elsewhere on the same photo, with a margin
                        // of its own board around it.
                        let src = pick(&mut rng, dims, half, &[grow(b, len)], part_like);
                        if let Some(src) = src {
                            let (s, d) = (grow(src, len * 0.3), grow(b, len * 0.3));
                            paste(&mut canvas.img, s, d, len * 0.2);
                            return (d, "part cloned from this photo".to_string());
                        }
                    }
                    let (bounds, name) = render_package(&mut canvas, &mut rng, centre, len);
                    (bounds, format!("added {name}"))
                })
            }
            RegionKind::Removed => pick(&mut rng, dims, half, &taken, part_like).and_then(|b| {
                let pad = grow(b, len * 0.15);
                let size = [pad[2] - pad[0], pad[3] - pad[1]];
                // Board texture from a quiet nearby patch whose surroundings have the same
                // colour as the removed part's surroundings.
                let ring = |r: [f64; 4]| mean_rgb(&canvas.img, grow(r, len * 0.3), r);
                let target = ring(pad);
                let mut sources: Vec<([f64; 4], f64)> = (0..80)
                    .map(|_| {
                        let c = [
                            rng.range(pad[0] - 5.0 * len, pad[0] + 5.0 * len),
                            rng.range(pad[1] - 5.0 * len, pad[1] + 5.0 * len),
                        ];
                        [c[0], c[1], c[0] + size[0], c[1] + size[1]]
                    })
                    .filter(|s| {
                        s[0] >= 0.0
                            && s[1] >= 0.0
                            && s[2] < dims.0 as f64
                            && s[3] < dims.1 as f64
                            && !overlaps(*s, grow(pad, len * 0.3))
                    })
                    .map(|s| (s, texture.mean(grow(s, len * 0.1))))
                    .collect();
                sources.sort_by(|a, b| a.1.total_cmp(&b.1));
                sources.truncate(sources.len().div_ceil(3));
                let source = sources.into_iter().map(|(s, _)| s).min_by(|a, b| {
                    let d = |r: [f64; 4]| {
                        let m = ring(r);
                        (0..3).map(|c| (m[c] - target[c]).powi(2)).sum::<f64>()
                    };
                    d(*a).total_cmp(&d(*b))
                })?;
                paste(&mut canvas.img, source, pad, len * 0.25);
                Some((pad, "part removed, pads inpainted".to_string()))
            }),
            RegionKind::Altered => pick(&mut rng, dims, half, &taken, part_like).map(|b| {
                let strength = spec.difficulty.strength();
                let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
                match rng.below(3) {
                    0 => {
                        // A different colour: the look-alike's body or ink.
                        let tint = [
                            1.0 + 0.6 * strength,
                            1.0 - 0.2 * strength,
                            1.0 - 0.5 * strength,
                        ];
                        let shape = Shape::rect(centre, 0.0, [len * 0.45, len * 0.45]);
                        let (img, o) = crop_around(&canvas.img, grow(b, len));
                        canvas.fill(&shape, len * 0.1, |n, _| {
                            let x = (centre[0] + n[0] * len * 0.45).clamp(0.0, dims.0 as f64 - 1.0);
                            let y = (centre[1] + n[1] * len * 0.45).clamp(0.0, dims.1 as f64 - 1.0);
                            let p = img
                                .get_pixel(x as u32 - o[0] as u32, y as u32 - o[1] as u32)
                                .0;
                            ([0, 1, 2].map(|c| p[c] as f64 * tint[c]), 1.0)
                        });
                        (b, "colour changed".to_string())
                    }
                    1 => {
                        // A smaller look-alike: the part shrunk about its centre.
                        let f = 1.0 / (1.0 - 0.3 * strength);
                        let (img, o) = crop_around(&canvas.img, grow(b, len));
                        let shape = Shape::rect(centre, 0.0, half);
                        canvas.fill(&shape, 2.0, |n, _| {
                            let x = centre[0] + n[0] * half[0] * f;
                            let y = centre[1] + n[1] * half[1] * f;
                            let v = boarddiff_core::sample::bilinear_rgb(&img, x - o[0], y - o[1]);
                            (
                                v.map_or([0.0; 3], |v| v.map(f64::from)),
                                if v.is_some() { 1.0 } else { 0.0 },
                            )
                        });
                        (b, "size changed".to_string())
                    }
                    _ => {
                        let text = *rng.pick(&["X9", "7B", "A1", "Q5"]);
                        let v = 90.0 + 140.0 * strength;
                        canvas.text(text, centre, 0.0, len * 0.35, [v, v, v], 0.9);
                        (b, format!("marking {text} added"))
                    }
                }
            }),
        };
        if let Some((bounds, note)) = planted {
            taken.push(grow(bounds, 2.0));
            truth.push(TruthRegion {
                kind,
                bbox: to_bbox(bounds, dims),
                note: Some(note),
            });
        }
    }
    (canvas.img, truth)
}

/// Plants the modifications and re-photographs the board: a suspect photo of the same
/// size as the reference, and the truth with `suspect_from_reference`.
pub fn simulate(reference: &RgbImage, spec: &ImplantSpec) -> (RgbImage, Truth) {
    // A second board first: every part sits, leans and is lit differently. The changes
    // are planted on that board, so parts beside an implant move as any other.
    let px_per_mm = spec
        .px_per_mm
        .unwrap_or_else(|| estimate_px_per_mm(reference));
    let variation = spec.variation.params();
    let mut second = reference.clone();
    let mut view_rng = Rng::new(spec.seed ^ 0x717E_5EED);
    let first_view = Viewpoint::first(&mut view_rng);
    let second_view = first_view.second(&variation, &mut view_rng);
    let nudges = vary_parts(
        &mut second,
        &[],
        &variation,
        px_per_mm,
        (&first_view, &second_view),
        &mut view_rng,
    );
    let (board, modifications) = plant(&second, spec);
    drop(second);
    let mut rng = Rng::new(spec.seed ^ 0x00CA_3E7A);
    let dims = reference.dimensions();
    let spec_pose = PoseSpec {
        rotation_deg: rng.range(-3.0, 3.0),
        scale: rng.range(0.95, 1.05),
        tilt_deg: [rng.range(-2.0, 2.0), rng.range(-2.0, 2.0)],
        shift_px: [
            rng.range(-0.01, 0.01) * dims.0 as f64,
            rng.range(-0.01, 0.01) * dims.1 as f64,
        ],
    };
    let mut camera =
        Camera::plain(dims.0, dims.1, pose(dims, dims, &spec_pose)).random_lighting(&mut rng, 0.7);
    camera.noise_sigma = rng.range(1.0, 2.5);
    let quality = 85 + rng.below(11) as u8;
    let suspect = jpeg_roundtrip(&camera.shoot(&board, spec.seed), quality);
    (
        suspect,
        Truth {
            schema: SCHEMA,
            suspect_from_reference: camera.photo_from_board,
            modifications,
            placement_jitter: nudges
                .iter()
                .map(|n| JitteredPart {
                    bbox: to_bbox(n.bounds, dims),
                    shift_px: n.shift_px,
                    rotation_deg: n.rotation_deg,
                })
                .collect(),
            px_per_mm: Some(px_per_mm),
            variation: Some(spec.variation),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{layout::Layout, paint::paint};

    fn photo() -> RgbImage {
        paint(&Layout::generate(1200, 900, 9), 9)
    }

    #[test]
    fn planting_is_deterministic_and_touches_only_the_truth_boxes() {
        let reference = photo();
        let spec = ImplantSpec {
            seed: 4,
            count: 3,
            difficulty: Difficulty::Easy,
            kinds: RegionKind::ALL.to_vec(),
            variation: VariationLevel::Typical,
            px_per_mm: None,
        };
        let (a, truth_a) = plant(&reference, &spec);
        let (b, truth_b) = plant(&reference, &spec);
        assert_eq!(a.as_raw(), b.as_raw());
        assert_eq!(truth_a, truth_b);
        assert_eq!(truth_a.len(), 3);
        let inside = |x: u32, y: u32| {
            truth_a.iter().any(|t| {
                let [bx, by, bw, bh] = t.bbox.to_array();
                // Shadows and feathering reach a little past the part.
                let m = bw.max(bh) / 4 + 3;
                x + m >= bx && y + m >= by && x < bx + bw + m && y < by + bh + m
            })
        };
        for (x, y, p) in a.enumerate_pixels() {
            if !inside(x, y) {
                assert_eq!(
                    p,
                    reference.get_pixel(x, y),
                    "changed outside every box at {x},{y}"
                );
            }
        }
        for t in &truth_a {
            let [bx, by, bw, bh] = t.bbox.to_array();
            let mut diff = 0.0;
            for y in by..by + bh {
                for x in bx..bx + bw {
                    let (p, q) = (a.get_pixel(x, y).0, reference.get_pixel(x, y).0);
                    diff += (0..3)
                        .map(|c| (p[c] as f64 - q[c] as f64).abs())
                        .sum::<f64>();
                }
            }
            let mean = diff / (3 * bw * bh) as f64;
            assert!(mean > 4.0, "{t:?} barely differs (mean {mean})");
        }
    }
}
