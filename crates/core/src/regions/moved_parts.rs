//! A second board is not a modified board: every part sits a little differently, tall
//! parts lean with the camera, and shadows move with the light. This module takes one
//! candidate region and asks what of it survives once that is allowed for.
//!
//! The model has two layers. The board plane (mask, traces, silkscreen) stayed where the
//! homography put it; a part is rigid and may have moved by a bounded shift, decided on
//! the edges of its piece of part material; each tile of the piece may differ from that by
//! what a small turn makes at its distance from the piece's centre. With the tile's shift
//! `d`, a pixel is explained when
//! - reference and suspect agree where they are (the tolerant difference), or
//! - both show bare board, whatever the light did to its brightness (moved shadows), or
//! - the reference shows part material there that the suspect shows at `x + d` (the part
//!   moved away: its trailing edge), or
//! - the suspect shows part material there that the reference shows at `x - d` (the part
//!   moved in: its leading edge), or
//! - the same surface shows in both under another light (relit, or metal whose glint
//!   changed colour).
//!
//! What is left is split into pieces; each must be solid, big and strong enough alone.
//!
//! Bare board is never explained by a shift, because bare board is found everywhere:
//! that rule is what keeps an implant touching a moved part from being absorbed. An
//! added part is material of the suspect that the reference has nowhere near; a removed
//! part is material of the reference that the suspect has nowhere near.
use super::components::WorkRegion;
use super::material::{relit, same_material, BareBoard};
use super::window::Window;
use crate::diff::ScoreMap;
use crate::rect::{Rect, RectInWork};
use image::RgbImage;
use rayon::prelude::*;

/// Tiles of a region get their own shift, so a part that turned is a set of shifts.
const TILE: usize = 24;
/// How far a part of a second board turns, as the tangent of the angle: 2 degrees, five
/// times the placement spread.
const MAX_TURN: f64 = 0.035;
/// Pixels of a finding that have all eight neighbours in it too: at least one.
const MIN_SOLID_PX: u64 = 1;
/// Local contrast (grey levels across a 3x3 neighbourhood) of an edge.
const EDGE_CONTRAST: u8 = 40;
/// Pixels per tile that decide its shift; more only cost time.
const SAMPLES_PER_TILE: usize = 160;
/// The longest shift searched, working px.
const MAX_SHIFT_PX: f64 = 40.0;
/// The share of a region's part material that the suspect may lack before it is a part
/// taken off, whatever shift would explain it pixel by pixel: a part that moved keeps its
/// material and one that leans shows more (its side wall), while a removed part's body
/// can match its own pads or a neighbour of the same colour.
const GONE_SHARE: f64 = 0.3;

/// One strong pixel of the region: where it is in the window, and its score unshifted.
#[derive(Clone, Copy)]
struct Strong {
    x: i64,
    y: i64,
    i: usize,
    score: f32,
    /// Explained whatever the part did: bare board in both photos, or the same surface
    /// relit.
    settled: bool,
}

struct Judge<'a> {
    win: &'a Window,
    inv_sigma: f32,
}

impl Judge<'_> {
    /// The pixel's score once the part around it may have moved by `d`.
    #[inline]
    fn residual(&self, p: &Strong, (dx, dy): (i64, i64), gain: f32) -> f32 {
        let win = self.win;
        let (r, s) = (&win.r_surface[p.i], &win.s_surface[p.i]);
        let (r_bare, s_bare) = (win.r_bare[p.i], win.s_bare[p.i]);
        if p.settled {
            return 0.0;
        }
        let mut best = p.score;
        if gain != 1.0 {
            best = best.min(win.pair(p.i, p.i, self.inv_sigma, gain));
        }
        if !r_bare {
            if let Some(j) = win.index(p.x + dx, p.y + dy) {
                if same_material(r, &win.s_surface[j]) {
                    return 0.0;
                }
                best = best.min(win.pair(p.i, j, self.inv_sigma, gain));
            }
        }
        if !s_bare {
            if let Some(j) = win.index(p.x - dx, p.y - dy) {
                if same_material(&win.r_surface[j], s) {
                    return 0.0;
                }
                best = best.min(win.pair(j, p.i, self.inv_sigma, gain));
            }
        }
        // A part that leans further shows its side wall over bare board, between its
        // footprint and its top: the sweep of the part along the shift.
        if dx * dx + dy * dy >= 9 && r_bare != s_bare {
            let (sign, other_bare) = if r_bare {
                (-1, &win.r_bare)
            } else {
                (1, &win.s_bare)
            };
            let on_part = (1..=3).any(|k| {
                let (x, y) = (p.x + sign * dx * k / 4, p.y + sign * dy * k / 4);
                win.index(x, y).is_some_and(|j| !other_bare[j])
            });
            if on_part {
                best = 0.0;
            }
        }
        best
    }

    /// How many of `pixels` stay above `t` under shift `d`, counted up to `limit` only.
    fn unexplained_count(
        &self,
        pixels: &[Strong],
        d: (i64, i64),
        gain: f32,
        t: f32,
        limit: usize,
    ) -> usize {
        let mut n = 0;
        for p in pixels {
            if self.residual(p, d, gain) >= t {
                n += 1;
                if n >= limit {
                    break;
                }
            }
        }
        n
    }

    /// How many of `pixels` stay above `t` under shift `d`, with the length of the shift
    /// breaking ties (the smallest motion that explains as much), if that is better than
    /// `best`. Counting stops as soon as it cannot be.
    fn cost_below(
        &self,
        pixels: &[Strong],
        d: (i64, i64),
        gain: f32,
        t: f32,
        best: (usize, i64),
    ) -> Option<(usize, i64)> {
        let len = d.0 * d.0 + d.1 * d.1;
        let limit = if len < best.1 { best.0 + 1 } else { best.0 };
        let n = self.unexplained_count(pixels, d, gain, t, limit);
        (n < limit).then_some((n, len))
    }

    /// The shift within `radius` of `centre` (and within `bound`) that leaves fewest of
    /// `pixels` unexplained: a grid of shifts `step` apart, then the neighbours of the
    /// best. The 3x3 tolerance catches a shift one off, so steps of 2-3 lose little.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        pixels: &[Strong],
        centre: (i64, i64),
        radius: i64,
        step: i64,
        bound: i64,
        gain: f32,
        t: f32,
    ) -> (i64, i64) {
        let stride = (pixels.len() / SAMPLES_PER_TILE).max(1);
        let sample: Vec<Strong> = pixels.iter().step_by(stride).copied().collect();
        let first = self.unexplained_count(&sample, centre, gain, t, usize::MAX);
        let mut best = (centre, (first, centre.0 * centre.0 + centre.1 * centre.1));
        let visit = |d: (i64, i64), best: &mut ((i64, i64), (usize, i64))| {
            if best.1 .0 == 0 || d.0.abs() > bound || d.1.abs() > bound {
                return;
            }
            if let Some(c) = self.cost_below(&sample, d, gain, t, best.1) {
                *best = (d, c);
            }
        };
        // Nearest first, so that of the shifts that explain everything the shortest wins:
        // a flat surface matches itself at many shifts, and the far ones are the riskiest.
        for &(gx, gy) in nearest_first(radius / step) {
            visit((centre.0 + step * gx, centre.1 + step * gy), &mut best);
        }
        let around = best.0;
        let r = step - 1;
        for dy in -r..=r {
            for dx in -r..=r {
                visit((around.0 + dx, around.1 + dy), &mut best);
            }
        }
        best.0
    }

    /// The shift within `bound` that leaves fewest of `pixels` unexplained.
    fn best_shift(&self, pixels: &[Strong], bound: i64, gain: f32, t: f32) -> (i64, i64) {
        let step = if bound > 12 { 3 } else { 2 };
        self.search(pixels, (0, 0), bound, step, bound, gain, t)
    }

    /// The shift within `slack` of `centre` (and within `bound`) that leaves fewest of
    /// `pixels` unexplained: a tile's share of its part's rigid motion, plus the
    /// difference a small turn makes at the tile's distance from the part's centre.
    fn best_shift_near(
        &self,
        pixels: &[Strong],
        centre: (i64, i64),
        slack: i64,
        bound: i64,
        gain: f32,
        t: f32,
    ) -> (i64, i64) {
        let step = if slack > 2 { 2 } else { 1 };
        self.search(pixels, centre, slack, step, bound, gain, t)
    }
}

/// The offsets of a square grid of half-width `coarse`, nearest the centre first, ties in
/// row order. Each grid is built once: the shift search walks one for every piece and
/// tile. A shift and its centre both lie within `MAX_SHIFT_PX`, so no grid needs to
/// reach further than twice that.
fn nearest_first(coarse: i64) -> &'static [(i64, i64)] {
    const WIDEST: usize = 2 * MAX_SHIFT_PX as usize;
    static GRIDS: [std::sync::OnceLock<Vec<(i64, i64)>>; WIDEST + 1] =
        [const { std::sync::OnceLock::new() }; WIDEST + 1];
    let c = coarse.clamp(0, WIDEST as i64);
    GRIDS[c as usize].get_or_init(|| {
        let mut grid: Vec<(i64, i64)> = (-c..=c)
            .flat_map(|gy| (-c..=c).map(move |gx| (gx, gy)))
            .collect();
        grid.sort_by_key(|(gx, gy)| gx * gx + gy * gy);
        grid
    })
}

/// Connected pieces of part material (not bare board in either photo) in the window: 0
/// for bare board, else the piece's number. A part and where it moved to are one piece.
fn part_pieces(win: &Window) -> Vec<u32> {
    let (w, h) = (win.w as usize, win.h as usize);
    let part: Vec<bool> = (0..w * h)
        .map(|i| !win.r_bare[i] || !win.s_bare[i])
        .collect();
    let mut label = vec![0u32; w * h];
    let mut next = 0u32;
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if !part[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if part[j] && label[j] == 0 {
                    label[j] = next;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
    }
    label
}

/// The long side of the part a region lies on: the region grown over the reference's
/// part material (not bare board), within twice its size. A fragment of a tall header's
/// pin row moves as far as the header leans, which its own size does not tell.
fn part_long_side(reference: &RgbImage, board: &BareBoard, bbox: &RectInWork) -> u32 {
    let (iw, ih) = reference.dimensions();
    let grow = bbox.w.max(bbox.h).clamp(16, 160);
    let x0 = bbox.x.saturating_sub(grow);
    let y0 = bbox.y.saturating_sub(grow);
    let x1 = (bbox.x1() + grow).min(iw);
    let y1 = (bbox.y1() + grow).min(ih);
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let part =
        |x: usize, y: usize| !board.is_bare(reference.get_pixel(x0 + x as u32, y0 + y as u32).0);
    let mut seen = vec![false; w * h];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for y in (bbox.y - y0) as usize..(bbox.y1() - y0) as usize {
        for x in (bbox.x - x0) as usize..(bbox.x1() - x0) as usize {
            if part(x, y) {
                seen[y * w + x] = true;
                stack.push((x, y));
            }
        }
    }
    let (mut lo, mut hi) = ((usize::MAX, usize::MAX), (0, 0));
    while let Some((x, y)) = stack.pop() {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
        for (nx, ny) in [
            (x.wrapping_sub(1), y),
            (x + 1, y),
            (x, y.wrapping_sub(1)),
            (x, y + 1),
        ] {
            if nx < w && ny < h && !seen[ny * w + nx] && part(nx, ny) {
                seen[ny * w + nx] = true;
                stack.push((nx, ny));
            }
        }
    }
    let grown = if hi.0 >= lo.0 {
        (hi.0 - lo.0 + 1).max(hi.1 - lo.1 + 1) as u32
    } else {
        0
    };
    grown.max(bbox.w.max(bbox.h))
}

/// How much brighter the suspect shows the parts of a tile, once the part moved by `d`:
/// the median ratio over every pixel that is part material in the suspect and, `d`
/// back, in the reference, so that a light that turned relights a part's whole surface
/// wherever its top leaned to, while a chip glued onto a part (under half the tile) does
/// not set the gain. 1 when the tile shows too little part material.
fn relit_gain(win: &Window, tile: &RectInWork, (dx, dy): (i64, i64)) -> f32 {
    let mut ratios: Vec<f32> = Vec::new();
    let mut total = 0usize;
    for y in tile.y as i64..tile.y1() as i64 {
        for x in tile.x as i64..tile.x1() as i64 {
            let Some(i) = win.index(x, y) else { continue };
            total += 1;
            let Some(j) = win.index(x - dx, y - dy) else {
                continue;
            };
            let (r, s) = (win.r[j], win.s[i]);
            if win.r_bare[j] || win.s_bare[i] {
                continue;
            }
            let lum = |p: [u8; 3]| p.iter().map(|&v| v as f32).sum::<f32>() / 3.0 + 8.0;
            ratios.push(lum(s) / lum(r));
        }
    }
    if ratios.len() * 3 < total || ratios.is_empty() {
        return 1.0;
    }
    let mid = ratios.len() / 2;
    let (_, m, _) = ratios.select_nth_unstable_by(mid, f32::total_cmp);
    m.clamp(0.5, 2.0)
}

/// Thresholds and limits of one judgement, in working pixels and noise sigmas.
pub(crate) struct Limits {
    pub(crate) seed: f32,
    pub(crate) grow: f32,
    pub(crate) min_area: u64,
    /// The shift any part may have moved by, from placement alone.
    pub(crate) shift_floor: f64,
    /// The largest shift even the tallest part leans by, however long it is.
    pub(crate) shift_cap: f64,
}

/// Judges the strong pixels of `bbox` (`strong`) against a moved-part model: the pieces
/// of what is left that are solid, at least `min_area` and as strong as the seed
/// threshold.
pub(crate) fn unexplained(
    map: &ScoreMap,
    reference: &RgbImage,
    suspect: &RgbImage,
    board: &BareBoard,
    bbox: &RectInWork,
    strong: &[(u32, u32)],
    limits: &Limits,
) -> Vec<WorkRegion> {
    // Tall parts lean by more than placement moves them, and tall parts are big: the
    // bound grows with the region, as a share of its long side.
    let long_side = part_long_side(reference, board, bbox) as f64;
    let bound = limits
        .shift_floor
        .max(0.1 * long_side)
        .min(limits.shift_cap)
        .clamp(2.0, MAX_SHIFT_PX)
        .round() as i64;
    let win = Window::new(reference, suspect, board, bbox, bound + 1);
    let judge = Judge {
        win: &win,
        inv_sigma: 1.0 / map.noise_sigma,
    };
    let pieces = part_pieces(&win);
    // Strong pixels by the piece of part they lie on, then by tile.
    let mut by_piece: std::collections::BTreeMap<u32, Vec<Strong>> = Default::default();
    for &(x, y) in strong {
        let score = map.at(x, y);
        let (x, y) = (x as i64, y as i64);
        let Some(i) = win.index(x, y) else { continue };
        // Bare board in both photos is the light's doing, never a finding.
        if pieces[i] != 0 {
            by_piece.entry(pieces[i]).or_default().push(Strong {
                x,
                y,
                i,
                score,
                settled: (win.r_bare[i] && win.s_bare[i])
                    || relit(&win.r_surface[i], &win.s_surface[i]),
            });
        }
    }
    let taken_off = material_gone(&win, bbox, limits);
    let left: Vec<(i64, i64, f32)> = by_piece
        .par_iter()
        .flat_map_iter(|(_, pixels)| piece_left(&judge, pixels, bound, limits, taken_off))
        .collect();
    left_pieces(&left, limits)
}

/// Whether the suspect lacks enough of the part material the reference shows in `bbox`
/// to be missing a part: at least the minimum area, and `GONE_SHARE` of it.
fn material_gone(win: &Window, bbox: &RectInWork, limits: &Limits) -> bool {
    let (mut in_reference, mut in_suspect) = (0u64, 0u64);
    for y in bbox.y as i64..bbox.y1() as i64 {
        for x in bbox.x as i64..bbox.x1() as i64 {
            if let Some(i) = win.index(x, y) {
                in_reference += u64::from(!win.r_bare[i]);
                in_suspect += u64::from(!win.s_bare[i]);
            }
        }
    }
    let gone = in_reference.saturating_sub(in_suspect);
    gone >= limits.min_area && gone as f64 >= GONE_SHARE * in_reference as f64
}

/// What a piece of part material leaves unexplained, `(x, y, score)` per pixel: a part is
/// rigid, it moved as one, then each tile may differ by what a small turn makes of its
/// distance from the part's centre. A smaller look-alike package or a changed marking is
/// no such motion. Where a part was `taken_off`, no shift explains part material that
/// became bare board.
fn piece_left(
    judge: &Judge,
    pixels: &[Strong],
    bound: i64,
    limits: &Limits,
    taken_off: bool,
) -> Vec<(i64, i64, f32)> {
    let win = judge.win;
    let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    let (mut sx, mut sy) = (0f64, 0f64);
    for p in pixels {
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        sx += p.x as f64;
        sy += p.y as f64;
    }
    let centroid = (sx / pixels.len() as f64, sy / pixels.len() as f64);
    let extent = Rect::from_corners(x0 as u32, y0 as u32, x1 as u32 + 1, y1 as u32 + 1);
    let piece_gain = relit_gain(win, &extent, (0, 0));
    // Edges decide where a part went; its flat top, shaded anew by the light, would
    // match anywhere on itself.
    let edges: Vec<Strong> = pixels
        .iter()
        .filter(|p| win.contrast(p.i) >= EDGE_CONTRAST)
        .copied()
        .collect();
    let decisive = if edges.len() >= SAMPLES_PER_TILE / 4 {
        &edges
    } else {
        pixels
    };
    let rigid = judge.best_shift(decisive, bound, piece_gain, limits.grow);
    let mut tiles: std::collections::BTreeMap<(i64, i64), Vec<Strong>> = Default::default();
    for p in pixels {
        tiles
            .entry((p.x.div_euclid(TILE as i64), p.y.div_euclid(TILE as i64)))
            .or_default()
            .push(*p);
    }
    tiles
        .par_iter()
        .flat_map_iter(|((tx, ty), tile_pixels)| {
            let t = TILE as i64;
            let tile = Rect::from_corners(
                (tx * t) as u32,
                (ty * t) as u32,
                ((tx + 1) * t) as u32,
                ((ty + 1) * t) as u32,
            );
            let gain = relit_gain(win, &tile, rigid);
            let centre = tile.centre();
            let dist = (centre[0] - centroid.0).hypot(centre[1] - centroid.1);
            let slack = 1 + (MAX_TURN * dist).ceil() as i64;
            let d = judge.best_shift_near(tile_pixels, rigid, slack, bound, gain, limits.grow);
            // The light on the part as it sits in the suspect, not on what it left.
            let gain = relit_gain(win, &tile, d);
            tile_pixels.iter().filter_map(move |p| {
                let vanished = taken_off && !p.settled && !win.r_bare[p.i] && win.s_bare[p.i];
                let c = if vanished {
                    p.score
                } else {
                    judge.residual(p, d, gain)
                };
                (c >= limits.grow).then_some((p.x, p.y, c))
            })
        })
        .collect()
}

/// The unexplained pixels as separate findings: pixels within two of each other belong
/// together, and each piece must be big and strong enough on its own. Slivers that a
/// moved part leaves all along its outline add up to an area, but not in one place.
fn left_pieces(left: &[(i64, i64, f32)], limits: &Limits) -> Vec<WorkRegion> {
    if (left.len() as u64) < limits.min_area {
        return Vec::new();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, 0, 0);
    for &(x, y, _) in left {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (w, h) = ((x1 - x0 + 1) as usize, (y1 - y0 + 1) as usize);
    let mut mask = vec![0u8; w * h];
    for &(x, y, _) in left {
        mask[(y - y0) as usize * w + (x - x0) as usize] = 255;
    }
    let joined = crate::diff::max_filter(&mask, w, h, 3);
    let (runs, count) = super::components::label_runs(&joined, w, h);
    let mut label = vec![0u32; w * h];
    for (y, row) in runs.iter().enumerate() {
        for run in row {
            label[y * w + run.x0 as usize..y * w + run.x1 as usize].fill(run.label);
        }
    }
    // A piece must be solid somewhere: a sliver along an edge that moved is one or two
    // pixels thick all along.
    let solid = crate::diff::min_filter(&mask, w, h, 1);
    // Per piece: corners, area, peak and solid pixels.
    let mut stats = vec![([i64::MAX, i64::MAX, 0, 0], 0u64, 0f32, 0u64); count];
    for &(x, y, score) in left {
        let i = (y - y0) as usize * w + (x - x0) as usize;
        let (c, area, peak, core) = &mut stats[label[i] as usize - 1];
        *c = [c[0].min(x), c[1].min(y), c[2].max(x), c[3].max(y)];
        *area += 1;
        *peak = peak.max(score);
        *core += u64::from(solid[i] != 0);
    }
    stats
        .into_iter()
        .filter(|(_, area, peak, core)| {
            *area >= limits.min_area && *peak >= limits.seed && *core >= MIN_SOLID_PX
        })
        .map(|([x0, y0, x1, y1], area, peak, _)| {
            let bbox = Rect::from_corners(x0 as u32, y0 as u32, x1 as u32 + 1, y1 as u32 + 1);
            WorkRegion { bbox, area, peak }
        })
        .collect()
}
