//! What alignment reads of one photo: full-resolution luma where a refinement patch looks,
//! and small grey levels cut from one reduced grey copy. At 24 MP a whole grey copy and
//! its reductions cost as much as the pipeline's colour reduction, which already exists.
use crate::geometry::Homography;
use crate::pyramid::{fit_gray, scale_between, to_gray};
use crate::sample::Luma;
use image::{GrayImage, RgbImage};
use std::borrow::Cow;

pub(crate) struct AlignSource<'a> {
    pub(crate) full: &'a RgbImage,
    /// The grey copy that the coarse and mid levels are reduced from.
    base: Cow<'a, GrayImage>,
    base_from_full: Homography,
}

impl<'a> AlignSource<'a> {
    /// A colour photo and a reduced copy of it (for the levels; the mid level is 3 MP, so
    /// a copy of at least that size loses nothing).
    pub(crate) fn rgb(full: &'a RgbImage, reduced: &RgbImage) -> Self {
        Self {
            full,
            base: Cow::Owned(to_gray(reduced)),
            base_from_full: scale_between(full.dimensions(), reduced.dimensions()),
        }
    }

    pub(crate) fn dimensions(&self) -> (u32, u32) {
        Luma::dimensions(self.full)
    }

    /// A grey level of at most `max_pixels`, and the transform from full-resolution pixels
    /// to its pixels.
    pub(crate) fn level(&self, max_pixels: u64) -> (GrayImage, Homography) {
        let (level, level_from_base) = fit_gray(&self.base, max_pixels);
        (level, self.base_from_full.then(&level_from_base))
    }
}
