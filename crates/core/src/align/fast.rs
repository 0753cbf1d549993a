//! FAST-9 corners: 16 pixels on a radius-3 circle around a pixel, 9 contiguous of them all
//! brighter or all darker than it by more than the threshold. The score is the largest
//! threshold at which the pixel is still a corner. `imageproc::corners::corners_fast9` was a
//! third of the coarse alignment time at 24 MP, and it reads its circle with two compass
//! points swapped (index 4 is below the centre, 8 to its right), so its arcs are not arcs.
//! Here rows run in parallel and the score comes from arc minima, not a binary search.
use crate::simd::wide_fn;
use image::GrayImage;
use imageproc::corners::Corner;
use rayon::prelude::*;

/// The Bresenham circle of radius 3, clockwise from the top (imageproc's labels).
const CIRCLE: [(i32, i32); 16] = [
    (0, -3),
    (1, -3),
    (2, -2),
    (3, -1),
    (3, 0),
    (3, 1),
    (2, 2),
    (1, 3),
    (0, 3),
    (-1, 3),
    (-2, 2),
    (-3, 1),
    (-3, 0),
    (-3, -1),
    (-2, -2),
    (-1, -3),
];

/// Corners in row-major order, as imageproc returns them.
pub(crate) fn corners_fast9(image: &GrayImage, threshold: u8) -> Vec<Corner> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < 7 || h < 7 {
        return Vec::new();
    }
    let src = image.as_raw();
    let offsets = CIRCLE.map(|(dx, dy)| dy as isize * w as isize + dx as isize);
    // Rows in runs of 16: a single row of a small level is too little work for a task.
    (3..h - 3)
        .into_par_iter()
        .with_min_len(16)
        .flat_map_iter(|y| row_corners(src, w, y, threshold, &offsets))
        .collect()
}

wide_fn! {
    /// The corners of row `y` of a `w`-wide image.
    fn row_corners(src: &[u8], w: usize, y: usize, threshold: u8, offsets: &[isize; 16]) -> Vec<Corner> {
        let t = i16::from(threshold);
        // The compass test for a whole row first, branch-free so that it vectorises:
        // a 9-arc covers two neighbouring compass points, so 95% of pixels stop here.
        let inner = w - 6;
        let row_at = |yy: usize, dx: usize| &src[yy * w + dx..yy * w + dx + inner];
        let (centre, up, down) = (row_at(y, 3), row_at(y - 3, 3), row_at(y + 3, 3));
        let (left, right) = (row_at(y, 0), row_at(y, 6));
        let candidates: Vec<bool> = (0..inner)
            .map(|k| {
                let (hi, lo) = (
                    centre[k].saturating_add(threshold),
                    centre[k].saturating_sub(threshold),
                );
                let b = [up[k] > hi, right[k] > hi, down[k] > hi, left[k] > hi];
                let d = [up[k] < lo, right[k] < lo, down[k] < lo, left[k] < lo];
                (b[0] & b[1])
                    | (b[1] & b[2])
                    | (b[2] & b[3])
                    | (b[3] & b[0])
                    | (d[0] & d[1])
                    | (d[1] & d[2])
                    | (d[2] & d[3])
                    | (d[3] & d[0])
            })
            .collect();
        let mut row = Vec::new();
        for (k, _) in candidates.iter().enumerate().filter(|c| *c.1) {
            let x = k + 3;
            let i = y * w + x;
            let c = i16::from(src[i]);
            let ring: [i16; 16] =
                std::array::from_fn(|k| i16::from(src[(i as isize + offsets[k]) as usize]) - c);
            let (mut bright, mut dark) = (0u32, 0u32);
            for (k, d) in ring.iter().enumerate() {
                bright |= u32::from(*d > t) << k;
                dark |= u32::from(*d < -t) << k;
            }
            let score = match (has_arc(bright), has_arc(dark)) {
                (true, true) => arc_score(&ring, 1).max(arc_score(&ring, -1)),
                (true, false) => arc_score(&ring, 1),
                (false, true) => arc_score(&ring, -1),
                (false, false) => continue,
            };
            row.push(Corner::new(x as u32, y as u32, f32::from(score as u8)));
        }
        row
    }
}

/// Whether a 16-bit circular mask has 9 contiguous set bits.
#[inline(always)]
fn has_arc(m: u32) -> bool {
    let m = m | m << 16;
    let two = m & m >> 1;
    let four = two & two >> 2;
    let eight = four & four >> 4;
    eight & m >> 8 & 0xFFFF != 0
}

/// The largest threshold for which some 9-arc is all brighter (`sign` 1) or all darker
/// (`sign` -1) than the centre, or -1 when none is at threshold 0. Arc minima by doubling
/// windows (2, 4, 8, then 9) over all 16 starts at once, which vectorises.
#[inline(always)]
fn arc_score(ring: &[i16; 16], sign: i16) -> i16 {
    let v: [i16; 32] = std::array::from_fn(|k| sign * ring[k & 15]);
    let two: [i16; 31] = std::array::from_fn(|k| v[k].min(v[k + 1]));
    let four: [i16; 29] = std::array::from_fn(|k| two[k].min(two[k + 2]));
    let eight: [i16; 25] = std::array::from_fn(|k| four[k].min(four[k + 4]));
    let nine: [i16; 16] = std::array::from_fn(|k| eight[k].min(v[k + 8]));
    // Strict inequality: a smallest difference of n passes thresholds below n.
    nine.iter().max().map_or(-1, |m| (m - 1).max(-1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The definition, tested threshold by threshold.
    fn brute_force(img: &GrayImage, threshold: u8) -> Vec<Corner> {
        let mut out = Vec::new();
        for y in 3..img.height() - 3 {
            for x in 3..img.width() - 3 {
                let c = i16::from(img.get_pixel(x, y)[0]);
                let ring: Vec<i16> = CIRCLE
                    .iter()
                    .map(|(dx, dy)| {
                        i16::from(img.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32)[0])
                    })
                    .collect();
                let corner_at = |t: i16| {
                    (0..16).any(|s| (0..9).all(|k| ring[(s + k) % 16] > c + t))
                        || (0..16).any(|s| (0..9).all(|k| ring[(s + k) % 16] < c - t))
                };
                let t0 = i16::from(threshold);
                if corner_at(t0) {
                    let score = (t0..=255)
                        .take_while(|&t| corner_at(t))
                        .last()
                        .unwrap_or(t0);
                    out.push(Corner::new(x, y, f32::from(score)));
                }
            }
        }
        out
    }

    #[test]
    fn matches_the_definition() {
        let mut rng = Rng::new(7);
        // Blocky noise has corners of every strength and both polarities.
        let img = GrayImage::from_fn(97, 83, |x, y| {
            let v = ((x / 3 * 31 + y / 4 * 17) % 7) as f64 * 30.0 + rng.f64() * 40.0;
            image::Luma([v.min(255.0) as u8])
        });
        for threshold in [0u8, 10, 20, 60] {
            let ours = corners_fast9(&img, threshold);
            assert!(ours.len() > 20, "threshold {threshold}");
            assert_eq!(ours, brute_force(&img, threshold), "threshold {threshold}");
        }
    }

    #[test]
    fn fires_on_a_corner_not_on_an_edge() {
        // A bright quadrant: its corner is a FAST corner, its straight edges are not.
        let img = GrayImage::from_fn(40, 40, |x, y| {
            image::Luma([if x >= 20 && y >= 20 { 200 } else { 40 }])
        });
        let corners = corners_fast9(&img, 20);
        assert!(corners
            .iter()
            .any(|c| c.x.abs_diff(20) <= 1 && c.y.abs_diff(20) <= 1));
        assert!(corners
            .iter()
            .all(|c| c.x.abs_diff(20) <= 2 && c.y.abs_diff(20) <= 2));
    }
}
