//! From the score map to findings: hysteresis threshold, merging of fragments, connected
//! components, then per region a check for benign part jitter and a classification as
//! added, removed or altered.
use crate::engine::diff::{is_metal, max_filter, ScoreMap, SPECULAR_DISCOUNT};
use crate::engine::displaced_edges::{
    region_pixels, share_scoring_at, without_hairlines, MIN_WIDER_SHARE,
};
use crate::engine::photometric::is_two_tone;
use crate::engine::report::{Region, RegionKind};
use crate::engine::sample::bilinear_rgb;
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectSettings {
    /// Scales both thresholds down: 2.0 finds fainter changes, 0.5 only strong ones.
    pub sensitivity: f64,
    /// Seed and grow thresholds of the hysteresis, in noise sigmas.
    pub seed_sigma: f64,
    pub grow_sigma: f64,
    /// Smallest region kept, in reference pixels.
    pub min_area_px: u64,
    /// Tolerance radius of the difference, in working pixels.
    pub tolerance_px: usize,
    /// How far (working px) a part may have moved and still count as the same part.
    pub jitter_px: usize,
    /// Working resolution of the difference map, in megapixels. 6 MP was measured: on 30
    /// procedural cases it had fewer false regions (0.50 against 0.87 per pair), but on 50
    /// implant-simulator cases twice as many (3.4 against 1.8), on thin silkscreen lines
    /// resampled at a coarser phase; 5 MP also missed one-letter marking changes.
    pub work_megapixels: f64,
}

impl Default for DetectSettings {
    fn default() -> Self {
        Self {
            sensitivity: 1.0,
            seed_sigma: 20.0,
            grow_sigma: 5.0,
            min_area_px: 60,
            tolerance_px: 1,
            jitter_px: 2,
            work_megapixels: 8.0,
        }
    }
}

const MIN_AREA_WORK_PX: u64 = 40;

/// Regions in working pixels before conversion to reference pixels.
#[derive(Clone, Debug)]
pub struct WorkRegion {
    pub bbox: [u32; 4],
    pub area: u64,
    pub peak: f32,
}

/// `ignore` holds rectangles in reference pixels; `reference_from_work` is the scale
/// from working to reference pixels.
pub fn find_regions(
    map: &ScoreMap,
    reference: &RgbImage,
    suspect: &RgbImage,
    settings: &DetectSettings,
    reference_from_work: f64,
    ignore: &[[u32; 4]],
) -> Vec<Region> {
    let (w, h) = (map.width as usize, map.height as usize);
    let seed_t = (settings.seed_sigma / settings.sensitivity.max(0.05)) as f32;
    let grow_t = (settings.grow_sigma / settings.sensitivity.max(0.05)) as f32;
    let ignored = |x: usize, y: usize| {
        let (rx, ry) = (
            (x as f64 + 0.5) * reference_from_work,
            (y as f64 + 0.5) * reference_from_work,
        );
        ignore.iter().any(|r| {
            rx >= r[0] as f64
                && ry >= r[1] as f64
                && rx < (r[0] + r[2]) as f64
                && ry < (r[1] + r[3]) as f64
        })
    };
    let mut grow = vec![0u8; w * h];
    grow.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, g) in row.iter_mut().enumerate() {
            if map.data[y * w + x] >= grow_t && (ignore.is_empty() || !ignored(x, y)) {
                *g = 255;
            }
        }
    });
    // Binarisation puts every edge on whole pixels, so a one-pixel difference between
    // two scans carries no evidence, nor does a band that one more pixel of tolerance
    // explains. In photos either can be a changed letter of a marking.
    let scan = is_two_tone(reference) && is_two_tone(suspect);
    let grow = if scan {
        without_hairlines(&grow, w, h)
    } else {
        grow
    };
    // Bridge the small gaps between the outline fragments of one part.
    let bridge = 2;
    let joined = max_filter(&grow, w, h, bridge);
    let (runs, count) = label_runs(&joined, w, h);
    let mut stats: Vec<WorkRegion> = (0..count)
        .map(|_| WorkRegion {
            bbox: [u32::MAX, u32::MAX, 0, 0],
            area: 0,
            peak: 0.0,
        })
        .collect();
    // Every grow pixel lies inside a run of the dilated mask.
    for (y, row) in runs.iter().enumerate() {
        for run in row {
            let s = &mut stats[run.label as usize - 1];
            for x in run.x0 as usize..run.x1 as usize {
                let i = y * w + x;
                if grow[i] == 0 {
                    continue;
                }
                s.bbox[0] = s.bbox[0].min(x as u32);
                s.bbox[1] = s.bbox[1].min(y as u32);
                s.bbox[2] = s.bbox[2].max(x as u32);
                s.bbox[3] = s.bbox[3].max(y as u32);
                s.area += 1;
                s.peak = s.peak.max(map.data[i]);
            }
        }
    }
    // Speckle from noise and JPEG has a size in working pixels, whatever the photo's
    // resolution: keep a floor there too, or huge photos drown in tiny regions. An
    // explicitly smaller minimum (clean scans) lowers the floor with it.
    let min_area_work =
        ((settings.min_area_px as f64 / (reference_from_work * reference_from_work)) as u64)
            .max(MIN_AREA_WORK_PX.min(settings.min_area_px));
    let candidates: Vec<(usize, WorkRegion)> = stats
        .into_iter()
        .enumerate()
        .filter(|(_, s)| s.area >= min_area_work && s.peak >= seed_t)
        .map(|(label, mut s)| {
            s.bbox = [
                s.bbox[0],
                s.bbox[1],
                s.bbox[2] - s.bbox[0] + 1,
                s.bbox[3] - s.bbox[1] + 1,
            ];
            (label + 1, s)
        })
        .collect();
    let mut kept: Vec<(WorkRegion, RegionKind)> = candidates
        .into_par_iter()
        .filter_map(|(label, r)| {
            if scan {
                let pixels = region_pixels(&runs, label, &r.bbox, &grow, w);
                let wider = settings.tolerance_px as u32 + 1;
                let share =
                    share_scoring_at(reference, suspect, &pixels, wider, map.noise_sigma, grow_t);
                if share < MIN_WIDER_SHARE {
                    return None;
                }
            }
            if explained_by_shift(map, reference, suspect, &r, settings, (seed_t, grow_t)) {
                return None;
            }
            let kind = classify(reference, suspect, &r.bbox);
            Some((r, kind))
        })
        .collect();
    kept.sort_by(|a, b| b.0.peak.total_cmp(&a.0.peak));
    kept.into_iter()
        .enumerate()
        .map(|(i, (r, kind))| {
            let s = reference_from_work;
            let x0 = (r.bbox[0] as f64 * s).floor();
            let y0 = (r.bbox[1] as f64 * s).floor();
            let x1 = ((r.bbox[0] + r.bbox[2]) as f64 * s).ceil();
            let y1 = ((r.bbox[1] + r.bbox[3]) as f64 * s).ceil();
            Region::new(
                i as u32 + 1,
                [x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32],
                kind,
                score_from_peak(r.peak as f64, seed_t as f64),
                (r.area as f64 * s * s).round() as u64,
            )
        })
        .collect()
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
    let [bx, by, bw, bh] = r.bbox.map(|v| v as i64);
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
pub fn classify(reference: &RgbImage, suspect: &RgbImage, bbox: &[u32; 4]) -> RegionKind {
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

fn edge_energy(img: &RgbImage, bbox: &[u32; 4]) -> f64 {
    let (w, h) = img.dimensions();
    let [x0, y0, bw, bh] = *bbox;
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

/// A horizontal run of mask pixels `[x0, x1)` on one row, with its component label
/// (1-based).
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub x0: u32,
    pub x1: u32,
    pub label: u32,
}

/// 8-connected components of the non-zero pixels of `mask`, as runs per row. Masks are
/// sparse, so runs avoid a per-pixel label image (32 MB at 8 MP) and its page faults.
pub fn label_runs(mask: &[u8], w: usize, h: usize) -> (Vec<Vec<Run>>, usize) {
    let mut rows: Vec<Vec<Run>> = mask
        .par_chunks(w)
        .map(|line| {
            let mut runs = Vec::new();
            let mut x = 0;
            while x < w {
                if line[x] == 0 {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && line[x] != 0 {
                    x += 1;
                }
                runs.push(Run {
                    x0: start as u32,
                    x1: x as u32,
                    label: 0,
                });
            }
            runs
        })
        .collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    let mut parent: Vec<u32> = vec![0];
    for y in 0..h {
        let (above, rest) = rows.split_at_mut(y);
        let prev: &[Run] = above.last().map_or(&[], |v| v.as_slice());
        let mut k = 0;
        for run in rest[0].iter_mut() {
            // Runs of the row above that touch this one, diagonals included.
            while k < prev.len() && prev[k].x1 < run.x0 {
                k += 1;
            }
            let mut root = 0;
            let mut j = k;
            while j < prev.len() && prev[j].x0 <= run.x1 {
                let other = find(&mut parent, prev[j].label);
                root = match root {
                    0 => other,
                    r if r != other => {
                        let (a, b) = (r.min(other), r.max(other));
                        parent[b as usize] = a;
                        a
                    }
                    r => r,
                };
                j += 1;
            }
            if root == 0 {
                root = parent.len() as u32;
                parent.push(root);
            }
            run.label = root;
        }
    }
    let mut compact = vec![0u32; parent.len()];
    let mut count = 0;
    for l in 1..parent.len() as u32 {
        let r = find(&mut parent, l);
        if compact[r as usize] == 0 {
            count += 1;
            compact[r as usize] = count;
        }
        compact[l as usize] = compact[r as usize];
    }
    rows.par_iter_mut()
        .flatten()
        .for_each(|run| run.label = compact[run.label as usize]);
    (rows, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_two_blobs_and_a_diagonal() {
        let (w, h) = (10, 6);
        let mut m = vec![0u8; w * h];
        for (x, y) in [(1, 1), (2, 2), (3, 3), (7, 1), (8, 1)] {
            m[y * w + x] = 1;
        }
        let (runs, count) = label_runs(&m, w, h);
        let label = |x: u32, y: usize| {
            runs[y]
                .iter()
                .find(|r| r.x0 <= x && x < r.x1)
                .map(|r| r.label)
        };
        assert_eq!(count, 2);
        assert_eq!(label(1, 1), label(3, 3));
        assert_ne!(label(1, 1), label(7, 1));
        assert_eq!(label(7, 1), label(8, 1));
        assert_eq!(label(0, 0), None);
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
        let bbox = [5, 5, 30, 30];
        assert_eq!(classify(&flat, &busy, &bbox), RegionKind::Added);
        assert_eq!(classify(&busy, &flat, &bbox), RegionKind::Removed);
        assert_eq!(classify(&busy, &busy, &bbox), RegionKind::Altered);
    }
}
