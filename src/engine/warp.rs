//! Resamples the suspect into the reference frame, at the working resolution of the
//! difference map, through the full mapping (homography plus residual field).
use crate::engine::align::Alignment;
use crate::engine::geometry::Homography;
use crate::engine::pyramid::{fit_rgb, scale_between};
use crate::engine::sample::bilinear_rgb;
use image::{GrayImage, RgbImage};
use rayon::prelude::*;

pub struct Warped {
    pub image: RgbImage,
    /// 255 where the suspect had data for this pixel.
    pub valid: GrayImage,
}

/// Warps `suspect` (full resolution) into a `work` sized frame, where `work_from_reference`
/// scales reference pixels to work pixels. The suspect is first reduced to about the
/// same sampling density so bilinear sampling does not alias.
pub fn warp_to_work(
    suspect: &RgbImage,
    alignment: &Alignment,
    reference_dims: (u32, u32),
    work_dims: (u32, u32),
) -> Warped {
    let work_from_reference = scale_between(reference_dims, work_dims);
    let reference_from_work = work_from_reference
        .inverse()
        .expect("scale transforms invert");
    let centre = [reference_dims.0 as f64 / 2.0, reference_dims.1 as f64 / 2.0];
    let suspect_per_reference = alignment.suspect_from_reference.local_scale(centre);
    let work_scale = work_dims.0 as f64 / reference_dims.0 as f64;
    let wanted = (work_scale / suspect_per_reference).min(1.0);
    let suspect_pixels = suspect.width() as f64 * suspect.height() as f64;
    let (level, level_from_suspect) = if wanted < 0.8 {
        fit_rgb(suspect, (suspect_pixels * wanted * wanted) as u64)
    } else {
        (suspect.clone(), Homography::identity())
    };
    warp_with(
        &level,
        |p| {
            let r = reference_from_work.apply(p);
            level_from_suspect.apply(alignment.map(r))
        },
        work_dims,
    )
}

/// Full-resolution warp of one rectangle of the reference frame, for crops and the loupe.
pub fn warp_rect(suspect: &RgbImage, alignment: &Alignment, rect: [u32; 4]) -> Warped {
    let [x0, y0, w, h] = rect;
    warp_with(
        suspect,
        |p| alignment.map([p[0] + x0 as f64, p[1] + y0 as f64]),
        (w, h),
    )
}

fn warp_with(
    source: &RgbImage,
    source_from_out: impl Fn([f64; 2]) -> [f64; 2] + Sync,
    (w, h): (u32, u32),
) -> Warped {
    let mut image = RgbImage::new(w, h);
    let mut valid = GrayImage::new(w, h);
    image
        .par_chunks_mut(3 * w as usize)
        .zip(valid.par_chunks_mut(w as usize))
        .enumerate()
        .for_each(|(y, (row, vrow))| {
            for x in 0..w as usize {
                let q = source_from_out([x as f64, y as f64]);
                if let Some(rgb) = bilinear_rgb(source, q[0], q[1]) {
                    for c in 0..3 {
                        row[3 * x + c] = (rgb[c] + 0.5) as u8;
                    }
                    vrow[x] = 255;
                }
            }
        });
    Warped { image, valid }
}
