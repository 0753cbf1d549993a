//! From the score map to findings: hysteresis threshold, merging of fragments, connected
//! components, then per region a check for benign part jitter and a classification as
//! added, removed or altered.
use crate::diff::{is_metal, max_filter, ScoreMap, SPECULAR_DISCOUNT};
mod components;
mod displaced_edges;
mod material;
mod moved_parts;
mod window;

use crate::normalise::is_two_tone;
use crate::rect::{Rect, RectInReference, RectInWork};
use crate::report::{Region, RegionKind};
use crate::sample::bilinear_rgb;
use crate::settings::DetectSettings;
use components::{label_runs, WorkRegion};
use displaced_edges::{region_pixels, share_scoring_at, without_hairlines, MIN_WIDER_SHARE};
use image::RgbImage;
use material::BareBoard;
use moved_parts::{unexplained, Limits};
use rayon::prelude::*;

const MIN_AREA_WORK_PX: u64 = 40;
/// A finding whose box lies this much inside a stronger one's is the same finding.
const DUPLICATE_SHARE: f64 = 0.8;
/// The share of part bodies above which a photo shows an assembled board: bare PCBs
/// (PKU) show 6-8 %, generated assembled boards 24-28 %.
const ASSEMBLED_PART_SHARE: f64 = 0.15;
/// How far a part of a second board may sit from where the first board's part sits:
/// placement tolerance with its tails, and reflow's self-alignment.
const MAX_PART_SHIFT_MM: f64 = 0.3;
/// How far the top of the tallest part (10 mm) moves with a viewpoint 5 degrees off, plus
/// placement: a bound on any part's shift, however long the part.
const MAX_LEAN_MM: f64 = 1.0;

/// What detection needs to know of the reference alone: made once per comparison, and
/// once per batch, not at every re-detection.
pub(crate) struct ReferenceSurvey {
    board: BareBoard,
    part_share: f64,
    two_tone: bool,
}

impl ReferenceSurvey {
    /// Of the working-resolution reference.
    pub(crate) fn of(reference: &RgbImage) -> Self {
        let board = BareBoard::of(reference);
        Self {
            part_share: board.part_share(reference),
            board,
            two_tone: is_two_tone(reference),
        }
    }
}

/// `ignore_masks` are in reference pixels; `reference_from_work` is the scale from
/// working to reference pixels. Also returns the peak score (noise sigmas) of every
/// candidate large enough to be a region, those below the seed threshold too: where the
/// candidates sit against the thresholds, for the app's histogram.
pub(crate) fn find_regions(
    map: &ScoreMap,
    reference: &RgbImage,
    survey: &ReferenceSurvey,
    suspect: &RgbImage,
    settings: &DetectSettings,
    reference_from_work: f64,
    ignore_masks: &[RectInReference],
) -> (Vec<Region>, Vec<f32>) {
    let t = crate::trace::span("regions.components");
    let Components {
        grow,
        runs,
        stats,
        min_area_work,
        seed_t,
        grow_t,
        scan,
        width: w,
    } = components(
        map,
        survey,
        suspect,
        settings,
        reference_from_work,
        ignore_masks,
    );
    let candidate_peaks: Vec<f32> = stats
        .iter()
        .filter(|(_, area, _)| *area >= min_area_work)
        .map(|(_, _, peak)| *peak)
        .collect();
    let candidates: Vec<(usize, WorkRegion)> = stats
        .into_iter()
        .enumerate()
        .filter(|(_, (_, area, peak))| *area >= min_area_work && *peak >= seed_t)
        .map(|(label, ([x0, y0, x1, y1], area, peak))| {
            let bbox = Rect::from_corners(x0, y0, x1 + 1, y1 + 1);
            (label + 1, WorkRegion { bbox, area, peak })
        })
        .collect();
    let reference_width = w as f64 * reference_from_work;
    let board = &survey.board;
    // Parts move between two boards; a bare PCB's traces and pads do not, and a mouse bite
    // in a trace looks like a trace that moved.
    let assembled = !scan && survey.part_share >= ASSEMBLED_PART_SHARE;
    let px_per_mm = settings.px_per_mm_of(reference_width);
    let limits = Limits {
        seed: seed_t,
        grow: grow_t,
        min_area: min_area_work,
        shift_floor: MAX_PART_SHIFT_MM * px_per_mm / reference_from_work,
        shift_cap: MAX_LEAN_MM * px_per_mm * settings.scale_uncertainty() / reference_from_work,
    };
    drop(t);
    let t = crate::trace::span("regions.judge");
    let kind_of = |r: WorkRegion| {
        let kind = classify(reference, suspect, &r.bbox);
        (r, kind)
    };
    if assembled {
        let kept = outermost(candidates)
            .into_par_iter()
            .flat_map_iter(|(_, r)| {
                // Every strong pixel of the box, a neighbour's too: the strokes of a
                // changed marking are many small components that only count together.
                let strong = region_pixels(&runs, |_| true, &r.bbox, &grow, w);
                unexplained(map, reference, suspect, board, &r.bbox, &strong, &limits)
            })
            .map(kind_of)
            .collect();
        drop(t);
        return (
            ranked(distinct(strongest_first(kept)), reference_from_work, seed_t),
            candidate_peaks,
        );
    }
    let kept: Vec<(WorkRegion, RegionKind)> = candidates
        .into_par_iter()
        .flat_map_iter(|(label, r)| -> Vec<(WorkRegion, RegionKind)> {
            // Bare boards and binarised scans: nothing moves but by a pixel or two of
            // etching and pose; on scans, a difference that one more pixel of tolerance
            // explains is no finding either.
            if scan {
                let pixels = region_pixels(&runs, |l| l == label, &r.bbox, &grow, w);
                let wider = settings.tolerance_px as u32 + 1;
                let share =
                    share_scoring_at(reference, suspect, &pixels, wider, map.noise_sigma, grow_t);
                if share < MIN_WIDER_SHARE {
                    return Vec::new();
                }
            }
            if explained_by_shift(map, reference, suspect, &r, settings, (seed_t, grow_t)) {
                return Vec::new();
            }
            vec![kind_of(r)]
        })
        .collect();
    drop(t);
    (
        ranked(strongest_first(kept), reference_from_work, seed_t),
        candidate_peaks,
    )
}

/// The candidates no other candidate's box contains. Every strong pixel of a box is
/// judged with its candidate, so one inside another's box is judged with that one; judged
/// alone too, in a window too small to see its whole part, a pin of a leaning header
/// would be reported although its header explained it.
fn outermost(mut candidates: Vec<(usize, WorkRegion)>) -> Vec<(usize, WorkRegion)> {
    candidates.sort_by_key(|(_, r)| std::cmp::Reverse(r.bbox.area()));
    let mut outer: Vec<(usize, WorkRegion)> = Vec::with_capacity(candidates.len());
    for (label, r) in candidates {
        let contains =
            |(_, o): &(usize, WorkRegion)| o.bbox.intersection_area(&r.bbox) == r.bbox.area();
        if !outer.iter().any(contains) {
            outer.push((label, r));
        }
    }
    outer
}

/// `kept` ordered by peak score, strongest first: the order findings are merged and
/// numbered in.
fn strongest_first(mut kept: Vec<(WorkRegion, RegionKind)>) -> Vec<(WorkRegion, RegionKind)> {
    kept.sort_by(|a, b| b.0.peak.total_cmp(&a.0.peak));
    kept
}

/// `kept` (strongest first) without the weaker of two findings that are one: boxes of
/// outermost candidates still overlap, so a finding can be judged from two of them.
fn distinct(kept: Vec<(WorkRegion, RegionKind)>) -> Vec<(WorkRegion, RegionKind)> {
    let mut out: Vec<(WorkRegion, RegionKind)> = Vec::with_capacity(kept.len());
    for (r, kind) in kept {
        let inside = |k: &(WorkRegion, RegionKind)| {
            k.0.bbox.intersection_area(&r.bbox) as f64 >= DUPLICATE_SHARE * r.bbox.area() as f64
        };
        if !out.iter().any(inside) {
            out.push((r, kind));
        }
    }
    out
}

/// The kept regions (strongest first) in reference pixels, numbered from 1.
fn ranked(
    kept: Vec<(WorkRegion, RegionKind)>,
    reference_from_work: f64,
    seed_t: f32,
) -> Vec<Region> {
    kept.into_iter()
        .enumerate()
        .map(|(i, (r, kind))| {
            let s = reference_from_work;
            Region::new(
                i as u32 + 1,
                r.bbox.scaled(s),
                kind,
                score_from_peak(r.peak as f64, seed_t as f64),
                (r.area as f64 * s * s).round() as u64,
            )
        })
        .collect()
}

/// The grow mask's connected components with their boxes, areas and peaks: what
/// regions are made from, and what the app's histogram of candidate peaks shows.
struct Components {
    grow: Vec<u8>,
    runs: Vec<Vec<components::Run>>,
    /// Per component: inclusive corners [x0, y0, x1, y1], area and peak score.
    stats: Vec<([u32; 4], u64, f32)>,
    min_area_work: u64,
    seed_t: f32,
    grow_t: f32,
    scan: bool,
    width: usize,
}

fn components(
    map: &ScoreMap,
    survey: &ReferenceSurvey,
    suspect: &RgbImage,
    settings: &DetectSettings,
    reference_from_work: f64,
    ignore_masks: &[RectInReference],
) -> Components {
    let (w, h) = (map.width as usize, map.height as usize);
    let seed_t = (settings.seed_sigma / settings.sensitivity.max(0.05)) as f32;
    let grow_t = (settings.grow_sigma / settings.sensitivity.max(0.05)) as f32;
    let ignored = IgnoredPixels::new(ignore_masks, (w, h), reference_from_work);
    let scores = map.values();
    let mut grow = vec![0u8; w * h];
    grow.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, g) in row.iter_mut().enumerate() {
            if scores[y * w + x] >= grow_t && !ignored.contains(x, y) {
                *g = 255;
            }
        }
    });
    // Binarisation puts every edge on whole pixels, so a one-pixel difference between
    // two scans carries no evidence, nor does a band that one more pixel of tolerance
    // explains. In photos either can be a changed letter of a marking.
    let scan = survey.two_tone && is_two_tone(suspect);
    let grow = if scan {
        without_hairlines(&grow, w, h)
    } else {
        grow
    };
    // Bridge the small gaps between the outline fragments of one part.
    let bridge = 2;
    let joined = max_filter(&grow, w, h, bridge);
    let (runs, count) = label_runs(&joined, w, h);
    // Per component: inclusive corners [x0, y0, x1, y1], area and peak score.
    let mut stats: Vec<([u32; 4], u64, f32)> = vec![([u32::MAX, u32::MAX, 0, 0], 0, 0.0); count];
    // Every grow pixel lies inside a run of the dilated mask.
    for (y, row) in runs.iter().enumerate() {
        for run in row {
            let s = &mut stats[run.label as usize - 1];
            for x in run.x0 as usize..run.x1 as usize {
                let i = y * w + x;
                if grow[i] == 0 {
                    continue;
                }
                let (corners, area, peak) = s;
                corners[0] = corners[0].min(x as u32);
                corners[1] = corners[1].min(y as u32);
                corners[2] = corners[2].max(x as u32);
                corners[3] = corners[3].max(y as u32);
                *area += 1;
                *peak = peak.max(scores[i]);
            }
        }
    }
    // Speckle from noise and JPEG has a size in working pixels, whatever the photo's
    // resolution: keep a floor there too, or huge photos drown in tiny regions. An
    // explicitly smaller minimum (clean scans) lowers the floor with it.
    let reference_width = w as f64 * reference_from_work;
    let min_area_px = settings.min_area_px_of(reference_width);
    let min_area_work = ((min_area_px as f64 / (reference_from_work * reference_from_work)) as u64)
        .max(MIN_AREA_WORK_PX.min(min_area_px));
    Components {
        grow,
        runs,
        stats,
        min_area_work,
        seed_t,
        grow_t,
        scan,
        width: w,
    }
}

/// Working pixels whose centre lies in an ignore mask, as a raster made once: testing
/// every pixel against every rectangle costs pixels x rectangles, which a file with a
/// million rectangles turns into hours.
struct IgnoredPixels {
    /// Row-major, one byte per working pixel; empty when nothing is ignored.
    mask: Vec<u8>,
    width: usize,
}

impl IgnoredPixels {
    fn new(masks: &[RectInReference], (w, h): (usize, usize), reference_from_work: f64) -> Self {
        if masks.is_empty() {
            return Self {
                mask: Vec::new(),
                width: w,
            };
        }
        let centre = |i: usize| (i as f64 + 0.5) * reference_from_work;
        // The first working index whose centre lies at or past `edge`, within 0..=n.
        let first_at = |edge: f64, n: usize| {
            let mut i = ((edge / reference_from_work - 0.5).ceil().max(0.0) as usize).min(n);
            while i > 0 && centre(i - 1) >= edge {
                i -= 1;
            }
            while i < n && centre(i) < edge {
                i += 1;
            }
            i
        };
        // Corner counts of each rectangle's working range, summed into coverage below.
        let mut counts = vec![0i32; (w + 1) * (h + 1)];
        for r in masks {
            let (x0, x1) = (first_at(r.x as f64, w), first_at(r.x1() as f64, w));
            let (y0, y1) = (first_at(r.y as f64, h), first_at(r.y1() as f64, h));
            if x0 >= x1 || y0 >= y1 {
                continue;
            }
            counts[y0 * (w + 1) + x0] += 1;
            counts[y0 * (w + 1) + x1] -= 1;
            counts[y1 * (w + 1) + x0] -= 1;
            counts[y1 * (w + 1) + x1] += 1;
        }
        let mut mask = vec![0u8; w * h];
        let mut above = vec![0i32; w + 1];
        for y in 0..h {
            let mut running = 0;
            for x in 0..w {
                running += counts[y * (w + 1) + x];
                above[x] += running;
                mask[y * w + x] = u8::from(above[x] > 0);
            }
        }
        Self { mask, width: w }
    }

    #[inline]
    fn contains(&self, x: usize, y: usize) -> bool {
        !self.mask.is_empty() && self.mask[y * self.width + x] != 0
    }
}

/// 0.5 at the seed threshold, approaching 1 for strong changes.
fn score_from_peak(peak: f64, seed: f64) -> f64 {
    let s = peak / (peak + seed);
    (s * 1000.0).round() / 1000.0
}

/// A part that merely sits a pixel or two differently on the second board matches the
/// reference once shifted. A small rotation is a different shift at each end, so the
/// region is cut into tiles and each tile may have its own shift of up to `jitter_px`.
/// The region is benign when every tile's strong differences disappear under some shift.
fn explained_by_shift(
    map: &ScoreMap,
    reference: &RgbImage,
    suspect: &RgbImage,
    r: &WorkRegion,
    settings: &DetectSettings,
    (seed_t, grow_t): (f32, f32),
) -> bool {
    const TILE: i64 = 16;
    let j = settings.jitter_px as i64;
    if j == 0 {
        return false;
    }
    let (w, h) = (reference.width() as i64, reference.height() as i64);
    let [bx, by, bw, bh] = r.bbox.to_array().map(|v| v as i64);
    // Much larger than any part's outline, e.g. a whole missing module: always report.
    if bw * bh > 600 * 600 {
        return false;
    }
    // No neighbourhood tolerance here, only the shift: a neighbourhood would let dense
    // text (an altered marking) match itself anywhere. Half-pixel steps absorb sub-pixel
    // placement without needing one.
    let limit = map.noise_sigma * seed_t;
    let matches_at = |x: i64, y: i64, dx: f64, dy: f64| -> bool {
        if x < 0 || y < 0 || x >= w || y >= h {
            return false;
        }
        let rv = reference.get_pixel(x as u32, y as u32).0;
        match bilinear_rgb(suspect, x as f64 + dx, y as f64 + dy) {
            Some(sv) => {
                let d = ((rv[0] as f32 - sv[0]).powi(2)
                    + (rv[1] as f32 - sv[1]).powi(2)
                    + (rv[2] as f32 - sv[2]).powi(2))
                .sqrt();
                let su = [sv[0] as u8, sv[1] as u8, sv[2] as u8];
                let discount = if is_metal(rv) && is_metal(su) {
                    SPECULAR_DISCOUNT
                } else {
                    1.0
                };
                d * discount <= limit
            }
            None => false,
        }
    };
    let steps: Vec<f64> = (-2 * j..=2 * j).map(|k| k as f64 * 0.5).collect();
    let mut ty = by;
    while ty < by + bh {
        let mut tx = bx;
        while tx < bx + bw {
            let strong: Vec<(i64, i64)> = (ty..(ty + TILE).min(by + bh))
                .flat_map(|y| (tx..(tx + TILE).min(bx + bw)).map(move |x| (x, y)))
                .filter(|&(x, y)| map.at(x as u32, y as u32) >= grow_t)
                .collect();
            let explained = strong.is_empty()
                || steps.iter().any(|&dy| {
                    steps
                        .iter()
                        .any(|&dx| strong.iter().all(|&(x, y)| matches_at(x, y, dx, dy)))
                });
            if !explained {
                return false;
            }
            tx += TILE;
        }
        ty += TILE;
    }
    true
}

/// Compares structure (gradient energy) inside the region: a busier suspect means
/// something was added, a busier reference means something was removed.
fn classify(reference: &RgbImage, suspect: &RgbImage, bbox: &RectInWork) -> RegionKind {
    let er = edge_energy(reference, bbox);
    let es = edge_energy(suspect, bbox);
    let ratio = (es + 1.0) / (er + 1.0);
    if ratio > 1.6 {
        RegionKind::Added
    } else if ratio < 1.0 / 1.6 {
        RegionKind::Removed
    } else {
        RegionKind::Altered
    }
}

fn edge_energy(img: &RgbImage, bbox: &RectInWork) -> f64 {
    let (w, h) = img.dimensions();
    let [x0, y0, bw, bh] = bbox.to_array();
    let (x1, y1) = ((x0 + bw).min(w - 1), (y0 + bh).min(h - 1));
    let luma = |x: u32, y: u32| {
        let p = img.get_pixel(x, y);
        0.3 * p[0] as f64 + 0.59 * p[1] as f64 + 0.11 * p[2] as f64
    };
    let (mut sum, mut n) = (0.0, 0usize);
    for y in y0.max(1)..y1 {
        for x in x0.max(1)..x1 {
            let gx = luma(x + 1, y) - luma(x - 1, y);
            let gy = luma(x, y + 1) - luma(x, y - 1);
            sum += gx.hypot(gy);
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_inside_another_is_judged_with_it() {
        let at = |x, y, w, h| WorkRegion {
            bbox: Rect::from_corners(x, y, x + w, y + h),
            area: 10,
            peak: 30.0,
        };
        let candidates = vec![
            (1, at(100, 100, 10, 10)),
            (2, at(90, 90, 200, 60)),
            (3, at(280, 140, 30, 30)),
        ];
        let labels: Vec<usize> = outermost(candidates).iter().map(|(l, _)| *l).collect();
        // 1 lies inside 2; 3 only overlaps it.
        assert_eq!(labels, vec![2, 3]);
    }

    #[test]
    fn the_ignore_raster_matches_the_centre_rule() {
        let masks = [
            Rect::new(10, 7, 33, 20).unwrap(),
            Rect::new(0, 0, 3, 3).unwrap(),
            Rect::new(30, 20, 40, 40).unwrap(),
            Rect::new(200, 200, 5, 5).unwrap(),
        ];
        for scale in [1.0, 2.5, 3.0] {
            let (w, h) = (40, 30);
            let raster = IgnoredPixels::new(&masks, (w, h), scale);
            for y in 0..h {
                for x in 0..w {
                    let c = [(x as f64 + 0.5) * scale, (y as f64 + 0.5) * scale];
                    let want = masks.iter().any(|r| r.contains(c));
                    assert_eq!(raster.contains(x, y), want, "({x}, {y}) at scale {scale}");
                }
            }
        }
    }

    #[test]
    fn classifies_added_and_removed() {
        let flat = RgbImage::from_pixel(40, 40, image::Rgb([30, 90, 50]));
        let busy = RgbImage::from_fn(40, 40, |x, y| {
            if (x / 2 + y / 2) % 2 == 0 {
                image::Rgb([20, 20, 20])
            } else {
                image::Rgb([220, 220, 220])
            }
        });
        let bbox = Rect::new(5, 5, 30, 30).unwrap();
        assert_eq!(classify(&flat, &busy, &bbox), RegionKind::Added);
        assert_eq!(classify(&busy, &flat, &bbox), RegionKind::Removed);
        assert_eq!(classify(&busy, &busy, &bbox), RegionKind::Altered);
    }
}
