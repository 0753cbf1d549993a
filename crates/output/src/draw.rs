//! Drawing on images for people to read: filled and stroked rectangles, and text labels
//! in the bundled DejaVu Sans Bold (its licence is beside it in `assets/`).
use ab_glyph::{FontRef, PxScale};
use image::{Rgb, RgbImage};
use std::sync::OnceLock;

/// The bundled font file, for other renderers (the FROC plot).
pub const FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans-Bold.ttf");

pub fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("bundled font parses"))
}

pub(crate) fn fill_rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, color: [u8; 3]) {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    for yy in y.max(0)..(y + h).min(ih) {
        for xx in x.max(0)..(x + w).min(iw) {
            img.put_pixel(xx as u32, yy as u32, Rgb(color));
        }
    }
}

pub fn stroke_rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, t: i64, color: [u8; 3]) {
    fill_rect(img, x - t, y - t, w + 2 * t, t, color);
    fill_rect(img, x - t, y + h, w + 2 * t, t, color);
    fill_rect(img, x - t, y, t, h, color);
    fill_rect(img, x + w, y, t, h, color);
}

/// Text on a filled label; returns the label's width.
pub(crate) fn label(
    img: &mut RgbImage,
    text: &str,
    x: i64,
    y: i64,
    height: f32,
    fg: [u8; 3],
    bg: [u8; 3],
) -> i64 {
    let scale = PxScale::from(height);
    let (tw, th) = imageproc::drawing::text_size(scale, font(), text);
    let pad = (height / 5.0).ceil() as i64;
    fill_rect(img, x, y, tw as i64 + 2 * pad, th as i64 + 2 * pad, bg);
    imageproc::drawing::draw_text_mut(
        img,
        Rgb(fg),
        (x + pad) as i32,
        (y + pad) as i32,
        scale,
        font(),
        text,
    );
    tw as i64 + 2 * pad
}
