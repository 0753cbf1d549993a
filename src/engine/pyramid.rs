//! Downscaled copies of a photo. Coarse work (features, overview) happens on small levels;
//! full resolution is touched only where sub-pixel accuracy or detail needs it.
use super::geometry::Homography;
use fast_image_resize as fr;
use image::{GrayImage, RgbImage};
use rayon::prelude::*;

/// ITU-R BT.601 luma with a plain fixed-point loop: `image::to_luma8` is three times slower.
pub fn to_gray(rgb: &RgbImage) -> GrayImage {
    let (w, h) = rgb.dimensions();
    let mut out = vec![0u8; w as usize * h as usize];
    out.par_chunks_mut(w as usize)
        .zip(rgb.as_raw().par_chunks(3 * w as usize))
        .for_each(|(dst, src)| {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(3)) {
                let v = 77 * u32::from(s[0]) + 150 * u32::from(s[1]) + 29 * u32::from(s[2]);
                *d = ((v + 128) >> 8) as u8;
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

pub fn resize_gray(src: &GrayImage, width: u32, height: u32) -> (GrayImage, Homography) {
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

pub fn fit_dims((w, h): (u32, u32), max_pixels: u64) -> (u32, u32) {
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
pub fn scale_between(from: (u32, u32), to: (u32, u32)) -> Homography {
    Homography::resize(
        f64::from(to.0) / f64::from(from.0),
        f64::from(to.1) / f64::from(from.1),
    )
}

fn resize_raw(src: &[u8], sw: u32, sh: u32, dw: u32, dh: u32, pixel: fr::PixelType) -> Vec<u8> {
    let src_image =
        fr::images::ImageRef::new(sw, sh, src, pixel).expect("buffer sized from dimensions");
    let mut dst_image = fr::images::Image::new(dw, dh, pixel);
    let mut resizer = fr::Resizer::new();
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box));
    resizer
        .resize(&src_image, &mut dst_image, &options)
        .expect("pixel types match");
    dst_image.into_vec()
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
    fn gray_matches_weights() {
        let img = RgbImage::from_pixel(4, 4, image::Rgb([255, 0, 0]));
        assert_eq!(to_gray(&img).get_pixel(0, 0)[0], 77);
    }
}
