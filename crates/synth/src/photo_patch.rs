//! Working on patches of a board photo: where the texture is (to find parts and bare
//! board), boxes clear of each other, and feathered edits that blend into the board.
use boarddiff_core::pyramid::{fit_gray, to_gray};
use boarddiff_core::rng::Rng;
use image::RgbImage;

/// Mean gradient energy over rectangles, from an integral image of a ~1 MP copy.
pub(crate) struct TextureMap {
    w: usize,
    h: usize,
    per_cell: f64,
    integral: Vec<f64>,
}

impl TextureMap {
    pub fn new(reference: &RgbImage) -> Self {
        let (small, _) = fit_gray(&to_gray(reference), 1_000_000);
        let (w, h) = (small.width() as usize, small.height() as usize);
        let px = |x: usize, y: usize| small.as_raw()[y * w + x] as f64;
        let mut integral = vec![0.0; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0.0;
            for x in 0..w {
                let g = if x + 1 < w && y + 1 < h {
                    (px(x + 1, y) - px(x, y)).abs() + (px(x, y + 1) - px(x, y)).abs()
                } else {
                    0.0
                };
                row += g;
                integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
            }
        }
        Self {
            w,
            h,
            per_cell: reference.width() as f64 / w as f64,
            integral,
        }
    }

    /// Mean over [x0, y0, x1, y1] in reference px.
    pub(crate) fn mean(&self, r: [f64; 4]) -> f64 {
        let c = |v: f64, n: usize| ((v / self.per_cell).round().max(0.0) as usize).min(n);
        let (x0, y0, x1, y1) = (
            c(r[0], self.w),
            c(r[1], self.h),
            c(r[2], self.w),
            c(r[3], self.h),
        );
        if x1 <= x0 || y1 <= y0 {
            return 0.0;
        }
        let i = |x: usize, y: usize| self.integral[y * (self.w + 1) + x];
        (i(x1, y1) - i(x0, y1) - i(x1, y0) + i(x0, y0)) / ((x1 - x0) * (y1 - y0)) as f64
    }
}

pub(crate) fn grow(b: [f64; 4], by: f64) -> [f64; 4] {
    [b[0] - by, b[1] - by, b[2] + by, b[3] + by]
}

pub(crate) fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The best of many random boxes of `half` size under `score`, clear of `taken`.
pub(crate) fn pick(
    rng: &mut Rng,
    dims: (u32, u32),
    half: [f64; 2],
    taken: &[[f64; 4]],
    score: impl Fn([f64; 4]) -> f64,
) -> Option<[f64; 4]> {
    let margin = 3.0 * half[0].max(half[1]) + 8.0;
    let (w, h) = (dims.0 as f64, dims.1 as f64);
    if w < 2.0 * margin || h < 2.0 * margin {
        return None;
    }
    (0..400)
        .filter_map(|_| {
            let c = [rng.range(margin, w - margin), rng.range(margin, h - margin)];
            let b = [
                c[0] - half[0],
                c[1] - half[1],
                c[0] + half[0],
                c[1] + half[1],
            ];
            (!taken.iter().any(|t| overlaps(grow(b, margin), *t))).then(|| (score(b), b))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|x| x.1)
}

/// A copy of the pixels of `r` grown by 2 px and clipped to the image, with its origin:
/// what an edit reads, without copying the whole photo.
pub(crate) fn crop_around(img: &RgbImage, r: [f64; 4]) -> (RgbImage, [f64; 2]) {
    let (w, h) = img.dimensions();
    let x0 = (r[0] - 2.0).floor().clamp(0.0, w as f64) as u32;
    let y0 = (r[1] - 2.0).floor().clamp(0.0, h as f64) as u32;
    let x1 = (r[2] + 2.0).ceil().clamp(0.0, w as f64) as u32;
    let y1 = (r[3] + 2.0).ceil().clamp(0.0, h as f64) as u32;
    let crop = image::imageops::crop_imm(img, x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0));
    (crop.to_image(), [x0 as f64, y0 as f64])
}

/// Blend weight at (x, y) for a patch filling box `b`: 0 on its edge, rising to 1 at
/// `feather` px inside.
pub(crate) fn feather_alpha(b: [f64; 4], x: f64, y: f64, feather: f64) -> f64 {
    let edge = (x - b[0]).min(y - b[1]).min(b[2] - x).min(b[3] - y);
    (edge / feather.max(1.0)).clamp(0.0, 1.0)
}
