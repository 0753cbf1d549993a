//! Downscaled copies of a photo. Coarse work (features, overview) happens on small levels;
//! full resolution is touched only where sub-pixel accuracy or detail needs it.
use crate::geometry::Homography;
use fast_image_resize as fr;
use image::{GrayImage, RgbImage};
use rayon::prelude::*;

/// ITU-R BT.601 luma in 8-bit fixed point.
#[inline]
pub(crate) fn luma_of(px: [u8; 3]) -> u8 {
    let v = 77 * u32::from(px[0]) + 150 * u32::from(px[1]) + 29 * u32::from(px[2]);
    ((v + 128) >> 8) as u8
}

/// [`luma_of`] over a whole photo, with a plain fixed-point loop: `image::to_luma8` is three times slower.
pub fn to_gray(rgb: &RgbImage) -> GrayImage {
    let (w, h) = rgb.dimensions();
    let mut out = vec![0u8; w as usize * h as usize];
    out.par_chunks_mut(w as usize)
        .zip(rgb.as_raw().par_chunks(3 * w as usize))
        .for_each(|(dst, src)| {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(3)) {
                *d = luma_of([s[0], s[1], s[2]]);
            }
        });
    GrayImage::from_raw(w, h, out).expect("buffer sized from dimensions")
}

/// Area-averaging resize, which is what a downscale for analysis wants (no aliasing, no
/// ringing). Returns the image and the transform from source pixels to result pixels.
pub fn resize_rgb(src: &RgbImage, width: u32, height: u32) -> (RgbImage, Homography) {
    let dst = resize_raw(
        src.as_raw(),
        src.width(),
        src.height(),
        width,
        height,
        fr::PixelType::U8x3,
    );
    let img = RgbImage::from_raw(width, height, dst).expect("buffer sized from dimensions");
    (img, scale_between(src.dimensions(), (width, height)))
}

pub(crate) fn resize_gray(src: &GrayImage, width: u32, height: u32) -> (GrayImage, Homography) {
    let dst = resize_raw(
        src.as_raw(),
        src.width(),
        src.height(),
        width,
        height,
        fr::PixelType::U8,
    );
    let img = GrayImage::from_raw(width, height, dst).expect("buffer sized from dimensions");
    (img, scale_between(src.dimensions(), (width, height)))
}

/// Resize so that the result has at most `max_pixels` pixels (never upscales).
pub fn fit_gray(src: &GrayImage, max_pixels: u64) -> (GrayImage, Homography) {
    let (w, h) = fit_dims(src.dimensions(), max_pixels);
    if (w, h) == src.dimensions() {
        return (src.clone(), Homography::identity());
    }
    resize_gray(src, w, h)
}

pub fn fit_rgb(src: &RgbImage, max_pixels: u64) -> (RgbImage, Homography) {
    let (w, h) = fit_dims(src.dimensions(), max_pixels);
    if (w, h) == src.dimensions() {
        return (src.clone(), Homography::identity());
    }
    resize_rgb(src, w, h)
}

pub(crate) fn fit_dims((w, h): (u32, u32), max_pixels: u64) -> (u32, u32) {
    let pixels = u64::from(w) * u64::from(h);
    if pixels <= max_pixels {
        return (w, h);
    }
    let s = (max_pixels as f64 / pixels as f64).sqrt();
    (
        ((w as f64 * s).round() as u32).max(1),
        ((h as f64 * s).round() as u32).max(1),
    )
}

/// The pixel-centre transform between two sizes of the same picture.
pub(crate) fn scale_between(from: (u32, u32), to: (u32, u32)) -> Homography {
    Homography::resize(
        f64::from(to.0) / f64::from(from.0),
        f64::from(to.1) / f64::from(from.1),
    )
}

/// Horizontal bands of the output resized independently. fast_image_resize's own threading
/// barely helps here (55 ms on one core, 50 on two, for 24 MP to 8 MP), and its
/// intermediate buffer for a whole photo is above the allocator's mmap threshold, so every
/// call faults it in afresh. Bands fix both; a band's box support lies inside its crop, so
/// the result is the same as one whole-image resize.
const RESIZE_BAND_ROWS: u32 = 256;

fn resize_raw(src: &[u8], sw: u32, sh: u32, dw: u32, dh: u32, pixel: fr::PixelType) -> Vec<u8> {
    let src_image =
        fr::images::ImageRef::new(sw, sh, src, pixel).expect("buffer sized from dimensions");
    let bytes_per_pixel = pixel.size();
    let row_bytes = dw as usize * bytes_per_pixel;
    let mut dst = vec![0u8; row_bytes * dh as usize];
    let y_scale = f64::from(sh) / f64::from(dh);
    let band_rows = RESIZE_BAND_ROWS as usize;
    dst.par_chunks_mut(row_bytes * band_rows)
        .enumerate()
        .for_each(|(band, out)| {
            let top = (band * band_rows) as u32;
            let rows = (out.len() / row_bytes) as u32;
            let mut dst_image = fr::images::Image::from_slice_u8(dw, rows, out, pixel)
                .expect("band sized from dimensions");
            // Clamped: rounding must not put the last band's crop past the image.
            let crop_top = f64::from(top) * y_scale;
            let crop_bottom = (f64::from(top + rows) * y_scale).min(f64::from(sh));
            let options = fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box))
                .crop(0.0, crop_top, f64::from(sw), crop_bottom - crop_top);
            fr::Resizer::new()
                .resize(&src_image, &mut dst_image, &options)
                .expect("pixel types match");
        });
    dst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_preserves_pixel_centre_convention() {
        // A bright column at x = 10..12 in full res lands at x = 5 in half res.
        let img = GrayImage::from_fn(64, 64, |x, _| {
            image::Luma([if (10..12).contains(&x) { 200 } else { 0 }])
        });
        let (half, half_from_full) = resize_gray(&img, 32, 32);
        assert_eq!(half.get_pixel(5, 3)[0], 200);
        let p = half_from_full.apply([10.5, 0.0]);
        assert!((p[0] - 5.0).abs() < 1e-9);
    }

    #[test]
    fn banded_resize_equals_one_whole_image_resize() {
        let src = GrayImage::from_fn(997, 1301, |x, y| {
            image::Luma([((x * 7 + y * 13) ^ (x * y)) as u8])
        });
        for (w, h) in [
            (500, 653),
            (331, 433),
            (997, 257),
            (13, 1000),
            (1, 1),
            (640, 1301),
        ] {
            let (banded, _) = resize_gray(&src, w, h);
            let whole_src =
                fr::images::ImageRef::new(997, 1301, src.as_raw(), fr::PixelType::U8).unwrap();
            let mut whole = fr::images::Image::new(w, h, fr::PixelType::U8);
            fr::Resizer::new()
                .resize(
                    &whole_src,
                    &mut whole,
                    &fr::ResizeOptions::new()
                        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box)),
                )
                .unwrap();
            // A source row exactly on a box edge is a tie that rounding of the band's crop
            // can settle the other way; a misplaced band would differ in all its rows.
            let differing = (0..h as usize)
                .filter(|y| {
                    let r = y * w as usize..(y + 1) * w as usize;
                    banded.as_raw()[r.clone()] != whole.buffer()[r]
                })
                .count();
            assert!(
                differing <= 1 + h as usize / 100,
                "{w}x{h}: {differing} rows differ"
            );
        }
    }

    #[test]
    fn gray_matches_weights() {
        let img = RgbImage::from_pixel(4, 4, image::Rgb([255, 0, 0]));
        assert_eq!(to_gray(&img).get_pixel(0, 0)[0], 77);
    }
}
