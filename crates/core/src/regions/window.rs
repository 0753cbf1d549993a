//! The reference and suspect around one candidate region, with what the moved-part
//! judgement reads of every pixel: its 3x3 range, whether it is bare board, its surface.
use super::material::{BareBoard, Surface};
use crate::diff::{is_metal, EDGE_TOLERANCE, SPECULAR_DISCOUNT};
use crate::rect::RectInWork;
use image::RgbImage;

/// The reference and suspect around one region, with their 3x3 minimum and maximum.
pub(super) struct Window {
    pub(super) x0: i64,
    pub(super) y0: i64,
    pub(super) w: i64,
    pub(super) h: i64,
    pub(super) r: Vec<[u8; 3]>,
    pub(super) s: Vec<[u8; 3]>,
    pub(super) r_range: Vec<[[u8; 3]; 2]>,
    pub(super) s_range: Vec<[[u8; 3]; 2]>,
    /// Bare board (solder mask) in each photo, judged once per pixel.
    pub(super) r_bare: Vec<bool>,
    pub(super) s_bare: Vec<bool>,
    pub(super) r_surface: Vec<Surface>,
    pub(super) s_surface: Vec<Surface>,
}

/// The 3x3 minimum and maximum of every pixel, per channel, as two 3-tap passes.
fn ranges(px: &[[u8; 3]], w: usize, h: usize) -> Vec<[[u8; 3]; 2]> {
    let fold = |a: [[u8; 3]; 2], b: [[u8; 3]; 2]| {
        [
            std::array::from_fn(|c| a[0][c].min(b[0][c])),
            std::array::from_fn(|c| a[1][c].max(b[1][c])),
        ]
    };
    let mut across = vec![[[255u8; 3], [0u8; 3]]; w * h];
    for y in 0..h {
        let row = &px[y * w..(y + 1) * w];
        for x in 0..w {
            let mut o = [row[x], row[x]];
            if x > 0 {
                o = fold(o, [row[x - 1], row[x - 1]]);
            }
            if x + 1 < w {
                o = fold(o, [row[x + 1], row[x + 1]]);
            }
            across[y * w + x] = o;
        }
    }
    let mut out = across.clone();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if y > 0 {
                out[i] = fold(out[i], across[i - w]);
            }
            if y + 1 < h {
                out[i] = fold(out[i], across[i + w]);
            }
        }
    }
    out
}

impl Window {
    pub(super) fn new(
        reference: &RgbImage,
        suspect: &RgbImage,
        board: &BareBoard,
        bbox: &RectInWork,
        margin: i64,
    ) -> Self {
        let (iw, ih) = (reference.width() as i64, reference.height() as i64);
        let x0 = (bbox.x as i64 - margin).max(0);
        let y0 = (bbox.y as i64 - margin).max(0);
        let x1 = (bbox.x1() as i64 + margin).min(iw);
        let y1 = (bbox.y1() as i64 + margin).min(ih);
        let (w, h) = (x1 - x0, y1 - y0);
        // Each photo's side of the window, the two at once.
        let side = |img: &RgbImage| {
            let stride = 3 * img.width() as usize;
            let raw = img.as_raw();
            let px: Vec<[u8; 3]> = (y0..y1)
                .flat_map(|y| {
                    let row = y as usize * stride;
                    raw[row + 3 * x0 as usize..row + 3 * x1 as usize].chunks_exact(3)
                })
                .map(|p| [p[0], p[1], p[2]])
                .collect();
            let range = ranges(&px, w as usize, h as usize);
            let surface: Vec<Surface> = px.iter().map(|&p| Surface::of(p)).collect();
            let bare: Vec<bool> = surface.iter().map(|s| board.is_bare_surface(s)).collect();
            (px, range, bare, surface)
        };
        let ((r, r_range, r_bare, r_surface), (s, s_range, s_bare, s_surface)) =
            rayon::join(|| side(reference), || side(suspect));
        Self {
            x0,
            y0,
            w,
            h,
            r,
            s,
            r_range,
            s_range,
            r_bare,
            s_bare,
            r_surface,
            s_surface,
        }
    }

    /// The larger local contrast of the two photos at `i`: the widest channel range of
    /// its 3x3 neighbourhood.
    #[inline]
    pub(super) fn contrast(&self, i: usize) -> u8 {
        let spread = |[lo, hi]: [[u8; 3]; 2]| (0..3).map(|c| hi[c] - lo[c]).max().unwrap_or(0);
        spread(self.r_range[i]).max(spread(self.s_range[i]))
    }

    #[inline]
    pub(super) fn index(&self, x: i64, y: i64) -> Option<usize> {
        let (lx, ly) = (x - self.x0, y - self.y0);
        (lx >= 0 && ly >= 0 && lx < self.w && ly < self.h).then(|| (ly * self.w + lx) as usize)
    }

    /// The tolerant difference between the reference at `ir` and the suspect at `is`, in
    /// noise sigmas: how far either lies outside the other's 3x3 range.
    #[inline]
    pub(super) fn pair(&self, ir: usize, is: usize, inv_sigma: f32, gain: f32) -> f32 {
        let lit = |p: [u8; 3]| {
            if gain == 1.0 {
                p
            } else {
                p.map(|v| (v as f32 * gain).min(255.0) as u8)
            }
        };
        let (r, s) = (lit(self.r[ir]), self.s[is]);
        let [min_r, max_r] = self.r_range[ir].map(lit);
        let [min_s, max_s] = self.s_range[is];
        let mut sum = 0f32;
        for c in 0..3 {
            let (rv, sv) = (r[c] as i16, s[c] as i16);
            let d1 = (min_s[c] as i16 - rv).max(rv - max_s[c] as i16);
            let d2 = (min_r[c] as i16 - sv).max(sv - max_r[c] as i16);
            let contrast = (max_r[c] - min_r[c]).max(max_s[c] - min_s[c]) as f32;
            let d = (d1.max(d2).max(0) as f32 - EDGE_TOLERANCE * contrast).max(0.0);
            sum += d * d;
        }
        let specular = self.s_surface[is].metal && is_metal(r);
        sum.sqrt() * inv_sigma * if specular { SPECULAR_DISCOUNT } else { 1.0 }
    }
}
