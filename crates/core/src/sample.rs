//! Sub-pixel sampling. Coordinates are pixel centres at integers; samples outside the image
//! are None so callers can tell "no data" from "black".
use crate::pyramid::luma_of;
use image::{GrayImage, RgbImage};

/// Grey values by pixel: read from a grey image, or computed from a colour photo where
/// they are needed, so that sparse readers (alignment's patches) never pay for a whole
/// grey copy of a big photo.
pub trait Luma: Sync {
    fn dimensions(&self) -> (u32, u32);
    /// `x`, `y` inside the image.
    fn luma(&self, x: u32, y: u32) -> u8;
}

impl Luma for GrayImage {
    #[inline]
    fn dimensions(&self) -> (u32, u32) {
        GrayImage::dimensions(self)
    }
    #[inline]
    fn luma(&self, x: u32, y: u32) -> u8 {
        self.as_raw()[y as usize * self.width() as usize + x as usize]
    }
}

impl Luma for RgbImage {
    #[inline]
    fn dimensions(&self) -> (u32, u32) {
        RgbImage::dimensions(self)
    }
    #[inline]
    fn luma(&self, x: u32, y: u32) -> u8 {
        let i = 3 * (y as usize * self.width() as usize + x as usize);
        let raw = self.as_raw();
        luma_of([raw[i], raw[i + 1], raw[i + 2]])
    }
}

#[inline]
pub fn bilinear_gray<L: Luma + ?Sized>(img: &L, x: f64, y: f64) -> Option<f32> {
    let (w, h) = img.dimensions();
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f64 && y <= (h - 1) as f64) {
        return None;
    }
    let x0 = (x as u32).min(w - 2);
    let y0 = (y as u32).min(h - 2);
    let fx = (x - x0 as f64) as f32;
    let fy = (y - y0 as f64) as f32;
    let (a, b) = (img.luma(x0, y0) as f32, img.luma(x0 + 1, y0) as f32);
    let (c, d) = (img.luma(x0, y0 + 1) as f32, img.luma(x0 + 1, y0 + 1) as f32);
    let top = a + (b - a) * fx;
    let bottom = c + (d - c) * fx;
    Some(top + (bottom - top) * fy)
}

#[inline]
pub fn bilinear_rgb(img: &RgbImage, x: f64, y: f64) -> Option<[f32; 3]> {
    let (w, h) = img.dimensions();
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f64 && y <= (h - 1) as f64) {
        return None;
    }
    let x0 = (x as u32).min(w - 2);
    let y0 = (y as u32).min(h - 2);
    let fx = (x - x0 as f64) as f32;
    let fy = (y - y0 as f64) as f32;
    let raw = img.as_raw();
    let stride = 3 * w as usize;
    let i = 3 * (y0 * w + x0) as usize;
    let mut out = [0f32; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let a = raw[i + c] as f32;
        let b = raw[i + 3 + c] as f32;
        let cc = raw[i + stride + c] as f32;
        let d = raw[i + stride + 3 + c] as f32;
        let top = a + (b - a) * fx;
        let bottom = cc + (d - cc) * fx;
        *o = top + (bottom - top) * fy;
    }
    Some(out)
}

/// Catmull-Rom sample at (x, y), None within 1 px of the edge. Sharper than bilinear at
/// half-pixel offsets: the simulator's nudged parts must stay as sharp as the rest of the
/// photo, or the detector rightly sees their blurred markings as altered.
pub fn cubic_rgb(img: &RgbImage, x: f64, y: f64) -> Option<[f64; 3]> {
    let (w, h) = img.dimensions();
    let (x0, y0) = (x.floor(), y.floor());
    if x0 < 1.0 || y0 < 1.0 || x0 + 2.0 >= w as f64 || y0 + 2.0 >= h as f64 {
        return None;
    }
    let weights = |t: f64| {
        let (t2, t3) = (t * t, t * t * t);
        [
            0.5 * (-t3 + 2.0 * t2 - t),
            0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
            0.5 * (-3.0 * t3 + 4.0 * t2 + t),
            0.5 * (t3 - t2),
        ]
    };
    let (wx, wy) = (weights(x - x0), weights(y - y0));
    let mut out = [0.0; 3];
    for (j, wyj) in wy.iter().enumerate() {
        for (i, wxi) in wx.iter().enumerate() {
            let p = img
                .get_pixel(x0 as u32 + i as u32 - 1, y0 as u32 + j as u32 - 1)
                .0;
            for c in 0..3 {
                out[c] += wxi * wyj * p[c] as f64;
            }
        }
    }
    Some(out.map(|v| v.clamp(0.0, 255.0)))
}
