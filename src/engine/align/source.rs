//! What alignment reads of one photo: full-resolution luma where a refinement patch looks,
//! and small grey levels cut from one reduced grey copy. At 24 MP a whole grey copy and
//! its reductions cost as much as the pipeline's colour reduction, which already exists.
use crate::engine::geometry::Homography;
use crate::engine::pyramid::{fit_gray, scale_between, to_gray};
use crate::engine::sample::Luma;
use image::{GrayImage, RgbImage};
use std::borrow::Cow;

/// Full resolution, grey or colour.
#[derive(Clone, Copy)]
pub enum Full<'a> {
    Gray(&'a GrayImage),
    Rgb(&'a RgbImage),
}

impl Luma for Full<'_> {
    #[inline]
    fn dimensions(&self) -> (u32, u32) {
        match self {
            Full::Gray(g) => g.dimensions(),
            Full::Rgb(c) => c.dimensions(),
        }
    }
    #[inline]
    fn luma(&self, x: u32, y: u32) -> u8 {
        match self {
            Full::Gray(g) => g.luma(x, y),
            Full::Rgb(c) => c.luma(x, y),
        }
    }
}

pub struct AlignSource<'a> {
    pub full: Full<'a>,
    /// The grey copy that the coarse and mid levels are reduced from.
    base: Cow<'a, GrayImage>,
    base_from_full: Homography,
}

impl<'a> AlignSource<'a> {
    pub fn gray(image: &'a GrayImage) -> Self {
        Self {
            full: Full::Gray(image),
            base: Cow::Borrowed(image),
            base_from_full: Homography::identity(),
        }
    }

    /// A colour photo and a reduced copy of it (for the levels; the mid level is 3 MP, so
    /// a copy of at least that size loses nothing).
    pub fn rgb(full: &'a RgbImage, reduced: &RgbImage) -> Self {
        Self {
            full: Full::Rgb(full),
            base: Cow::Owned(to_gray(reduced)),
            base_from_full: scale_between(full.dimensions(), reduced.dimensions()),
        }
    }

    pub fn dimensions(&self) -> (u32, u32) {
        self.full.dimensions()
    }

    /// A grey level of at most `max_pixels`, and the transform from full-resolution pixels
    /// to its pixels.
    pub fn level(&self, max_pixels: u64) -> (GrayImage, Homography) {
        let (level, level_from_base) = fit_gray(&self.base, max_pixels);
        (level, self.base_from_full.then(&level_from_base))
    }
}
