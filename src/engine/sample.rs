//! Sub-pixel sampling. Coordinates are pixel centres at integers; samples outside the image
//! are None so callers can tell "no data" from "black".
use image::{GrayImage, RgbImage};

#[inline]
pub fn bilinear_gray(img: &GrayImage, x: f64, y: f64) -> Option<f32> {
    let (w, h) = img.dimensions();
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f64 && y <= (h - 1) as f64) {
        return None;
    }
    let x0 = (x as u32).min(w - 2);
    let y0 = (y as u32).min(h - 2);
    let fx = (x - x0 as f64) as f32;
    let fy = (y - y0 as f64) as f32;
    let raw = img.as_raw();
    let i = (y0 * w + x0) as usize;
    let (a, b) = (raw[i] as f32, raw[i + 1] as f32);
    let (c, d) = (raw[i + w as usize] as f32, raw[i + w as usize + 1] as f32);
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
