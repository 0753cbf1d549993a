//! What the reviewer chose for an export: which image the boxes are drawn on, the image
//! format, and whether regions marked benign are drawn.
pub use crate::annotate::ImageOn;
use crate::annotate::ANNOTATED_MAX_SIDE;
use crate::encode::{encode_jpeg, encode_png};
use boarddiff_core::report::{Region, Verdict};
use image::RgbImage;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageFormat {
    #[default]
    Png,
    Jpeg,
}

impl ImageFormat {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
        }
    }

    pub(crate) fn encode(self, img: &RgbImage) -> Vec<u8> {
        match self {
            ImageFormat::Png => encode_png(img),
            ImageFormat::Jpeg => encode_jpeg(img, 90),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportOptions {
    pub on: ImageOn,
    pub format: ImageFormat,
    /// Benign regions are left out of the annotated image unless this is set.
    pub include_benign: bool,
    /// Longest side of the annotated image.
    pub max_side: u32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            on: ImageOn::Reference,
            format: ImageFormat::Png,
            include_benign: false,
            max_side: ANNOTATED_MAX_SIDE,
        }
    }
}

/// Regions drawn on exported images under `opts`.
pub(crate) fn shown_regions<'a>(regions: &'a [Region], opts: &ExportOptions) -> Vec<&'a Region> {
    regions
        .iter()
        .filter(|r| opts.include_benign || r.verdict != Verdict::Benign)
        .collect()
}
