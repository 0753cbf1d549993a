//! What alignment reads of one photo: full-resolution luma where a refinement patch looks,
//! and small grey levels cut from one reduced grey copy. At 24 MP a whole grey copy and
//! its reductions cost as much as the pipeline's colour reduction, which already exists.
//! A reference that many suspects are aligned to keeps its levels and coarse keypoints
//! ([`ReferenceLevels`]), so a batch makes them once.
use super::features::{self, Keypoint};
use super::{COARSE_DETECT, COARSE_PIXELS, MID_PIXELS};
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
    kept: Option<&'a ReferenceLevels>,
}

/// A grey level of at most `max_pixels`, with the transform from full-resolution pixels.
struct Level {
    max_pixels: u64,
    image: GrayImage,
    from_full: Homography,
}

/// The levels and coarse keypoints alignment makes of a reference, kept for every suspect
/// compared against it.
pub(crate) struct ReferenceLevels {
    base: GrayImage,
    base_from_full: Homography,
    levels: Vec<Level>,
    coarse_keypoints: Vec<Keypoint>,
}

impl ReferenceLevels {
    /// Makes what [`super::align`] would make of `full` (reduced copy `reduced`).
    pub(crate) fn new(full: &RgbImage, reduced: &RgbImage) -> Self {
        let source = AlignSource::rgb(full, reduced);
        let mut levels = vec![source.make_level(COARSE_PIXELS)];
        let (w, h) = full.dimensions();
        if u64::from(w) * u64::from(h) > 2 * MID_PIXELS {
            levels.push(source.make_level(MID_PIXELS));
        }
        let coarse_keypoints = features::detect(&levels[0].image, &COARSE_DETECT);
        let AlignSource {
            base,
            base_from_full,
            ..
        } = source;
        Self {
            base: base.into_owned(),
            base_from_full,
            levels,
            coarse_keypoints,
        }
    }
}

impl<'a> AlignSource<'a> {
    /// A colour photo and a reduced copy of it (for the levels; the mid level is 3 MP, so
    /// a copy of at least that size loses nothing).
    pub(crate) fn rgb(full: &'a RgbImage, reduced: &RgbImage) -> Self {
        Self {
            full,
            base: Cow::Owned(to_gray(reduced)),
            base_from_full: scale_between(full.dimensions(), reduced.dimensions()),
            kept: None,
        }
    }

    /// A photo whose levels were made before, by [`ReferenceLevels::new`].
    pub(crate) fn kept(full: &'a RgbImage, kept: &'a ReferenceLevels) -> Self {
        Self {
            full,
            base: Cow::Borrowed(&kept.base),
            base_from_full: kept.base_from_full,
            kept: Some(kept),
        }
    }

    pub(crate) fn dimensions(&self) -> (u32, u32) {
        Luma::dimensions(self.full)
    }

    /// A grey level of at most `max_pixels`, and the transform from full-resolution pixels
    /// to its pixels.
    pub(crate) fn level(&self, max_pixels: u64) -> (Cow<'_, GrayImage>, Homography) {
        let kept = self
            .kept
            .and_then(|k| k.levels.iter().find(|l| l.max_pixels == max_pixels));
        match kept {
            Some(l) => (Cow::Borrowed(&l.image), l.from_full),
            None => {
                let l = self.make_level(max_pixels);
                (Cow::Owned(l.image), l.from_full)
            }
        }
    }

    fn make_level(&self, max_pixels: u64) -> Level {
        let (image, level_from_base) = fit_gray(&self.base, max_pixels);
        Level {
            max_pixels,
            image,
            from_full: self.base_from_full.then(&level_from_base),
        }
    }

    /// The keypoints of the coarse level, detected now unless they were kept.
    pub(crate) fn coarse_keypoints(&self, coarse: &GrayImage) -> Cow<'_, [Keypoint]> {
        match self.kept {
            Some(k) => Cow::Borrowed(&k.coarse_keypoints),
            None => Cow::Owned(features::detect(coarse, &COARSE_DETECT)),
        }
    }
}
