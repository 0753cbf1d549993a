//! The annotated overview: the reference (or the suspect) with numbered boxes coloured
//! by kind and a legend, scaled to an overview size.
use crate::draw::{label, stroke_rect};
use boarddiff_core::compare::Comparison;
use boarddiff_core::pyramid::resize_rgb;
use boarddiff_core::rect::{Rect, RectInReference, RectInSuspect, Reference, Space, Suspect};
use boarddiff_core::report::{Region, RegionKind};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Longest side of `annotated.png`: an overview, the crops carry full resolution.
pub(crate) const ANNOTATED_MAX_SIDE: u32 = 2560;

/// Which photo an overview is drawn on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageOn {
    #[default]
    Reference,
    Suspect,
}

/// One numbered box to draw, in the space of the image it is drawn on.
pub struct Mark<S: Space> {
    pub(crate) id: u32,
    pub(crate) kind: RegionKind,
    pub(crate) bbox: Rect<S>,
}

/// The regions' boxes as marks on the reference.
pub fn reference_marks(regions: &[&Region]) -> Vec<Mark<Reference>> {
    regions
        .iter()
        .map(|r| Mark {
            id: r.id,
            kind: r.kind,
            bbox: r.bbox,
        })
        .collect()
}

/// The reference (or any image in reference coordinates) with numbered boxes coloured by
/// kind and a legend, scaled so that its longest side is at most `max_side`.
pub fn annotated<S: Space>(base: &RgbImage, marks: &[Mark<S>], max_side: u32) -> RgbImage {
    annotated_from(base.dimensions(), base, marks, max_side)
}

/// As [`annotated`] for an image of `full_dims`, drawn from `copy`, a copy of it at any
/// size (the working-resolution reference is a quarter of the pixels of a full one to
/// shrink). A copy smaller than the overview would blur it, so the caller passes the
/// full image then.
pub(crate) fn annotated_from<S: Space>(
    full_dims: (u32, u32),
    copy: &RgbImage,
    marks: &[Mark<S>],
    max_side: u32,
) -> RgbImage {
    let (w, h) = full_dims;
    let s = (max_side as f64 / w.max(h) as f64).min(1.0);
    let out_dims = (
        ((w as f64 * s).round() as u32).max(1),
        ((h as f64 * s).round() as u32).max(1),
    );
    let mut img = if copy.dimensions() == out_dims {
        copy.clone()
    } else {
        resize_rgb(copy, out_dims.0, out_dims.1).0
    };
    let _t = boarddiff_core::trace::span("annotated.draw");
    let side = img.width().max(img.height()) as f64;
    let t = (side / 900.0).ceil().max(2.0) as i64;
    let text_h = (side / 90.0).max(14.0) as f32;
    for r in marks {
        let [x, y, bw, bh] = r.bbox.to_array().map(|v| v as f64 * s);
        let pad = 4.0 * t as f64;
        let (x, y, bw, bh) = (
            (x - pad) as i64,
            (y - pad) as i64,
            (bw + 2.0 * pad) as i64,
            (bh + 2.0 * pad) as i64,
        );
        let color = r.kind.rgb();
        stroke_rect(&mut img, x, y, bw, bh, t, color);
        let ly = if y - t - text_h as i64 - 8 > 0 {
            y - t - text_h as i64 - 8
        } else {
            y + bh + t
        };
        label(
            &mut img,
            &r.id.to_string(),
            x - t,
            ly,
            text_h,
            [255, 255, 255],
            color,
        );
    }
    legend(&mut img, marks, text_h);
    img
}

fn legend<S: Space>(img: &mut RgbImage, regions: &[Mark<S>], text_h: f32) {
    let mut y = (text_h * 0.6) as i64;
    let x = (text_h * 0.6) as i64;
    let count = |k: RegionKind| regions.iter().filter(|r| r.kind == k).count();
    label(
        img,
        &format!("boarddiff: {} regions", regions.len()),
        x,
        y,
        text_h,
        [255, 255, 255],
        [20, 20, 20],
    );
    y += (text_h * 1.6) as i64;
    for kind in RegionKind::ALL {
        label(
            img,
            &format!("{} ({})", kind.label(), count(kind)),
            x,
            y,
            text_h,
            [255, 255, 255],
            kind.rgb(),
        );
        y += (text_h * 1.6) as i64;
    }
}

/// [`annotated`] on the reference, resized from the working copy when it is big enough.
pub(crate) fn reference_overview(cmp: &Comparison, regions: &[&Region], max_side: u32) -> RgbImage {
    let work = &cmp.work_reference;
    let copy = if work.width().max(work.height()) >= max_side {
        work
    } else {
        &cmp.reference
    };
    annotated_from(
        cmp.reference.dimensions(),
        copy,
        &reference_marks(regions),
        max_side,
    )
}

/// The annotated overview on the chosen image. On the suspect, each box is the bounding
/// box of the region's corners mapped through the alignment.
pub(crate) fn annotated_on(
    cmp: &Comparison,
    regions: &[&Region],
    on: ImageOn,
    max_side: u32,
) -> RgbImage {
    match on {
        ImageOn::Reference => reference_overview(cmp, regions, max_side),
        ImageOn::Suspect => {
            let marks: Vec<Mark<Suspect>> = regions
                .iter()
                .map(|r| Mark {
                    id: r.id,
                    kind: r.kind,
                    bbox: bbox_in_suspect(cmp, &r.bbox),
                })
                .collect();
            annotated(&cmp.suspect, &marks, max_side)
        }
    }
}

/// The smallest box around a reference box's corners mapped into the suspect photo.
pub(crate) fn bbox_in_suspect(
    cmp: &Comparison,
    bbox_in_reference: &RectInReference,
) -> RectInSuspect {
    let [x, y, w, h] = bbox_in_reference.to_array().map(f64::from);
    let corners = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]].map(|p| cmp.alignment.map(p));
    let (sw, sh) = (cmp.suspect.width() as f64, cmp.suspect.height() as f64);
    let x0 = corners
        .iter()
        .map(|c| c[0])
        .fold(f64::MAX, f64::min)
        .clamp(0.0, sw);
    let y0 = corners
        .iter()
        .map(|c| c[1])
        .fold(f64::MAX, f64::min)
        .clamp(0.0, sh);
    let x1 = corners
        .iter()
        .map(|c| c[0])
        .fold(f64::MIN, f64::max)
        .clamp(0.0, sw);
    let y1 = corners
        .iter()
        .map(|c| c[1])
        .fold(f64::MIN, f64::max)
        .clamp(0.0, sh);
    let (w, h) = (((x1 - x0) as u32).max(1), ((y1 - y0) as u32).max(1));
    Rect::from_corners(x0 as u32, y0 as u32, x0 as u32 + w, y0 as u32 + h)
}
