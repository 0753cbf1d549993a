//! Image files in memory: PNG for exact pixels, JPEG for photos and embedded overviews.
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

/// PNG bytes of `img`, fast compression: the crops and overviews are written once and
/// looked at, and the best compression would triple an export's time.
pub fn encode_png(img: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding an in-memory RGB image to memory cannot fail");
    bytes
}

pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .expect("encoding an in-memory RGB image to memory cannot fail");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_exactly() {
        let img = RgbImage::from_fn(301, 77, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 13) as u8, ((x ^ y) * 3) as u8])
        });
        let back = image::load_from_memory(&encode_png(&img))
            .unwrap()
            .into_rgb8();
        assert_eq!(back, img);
    }
}
