//! Close-ups of one region at full resolution: reference, aligned suspect and the
//! difference as heat, side by side, and all of them stacked into one crop sheet.
use crate::draw::{font, label, stroke_rect};
use ab_glyph::PxScale;
use boarddiff_core::compare::Comparison;
use boarddiff_core::diff::ScoreMap;
use boarddiff_core::rect::{Rect, RectInReference};
use boarddiff_core::report::Region;
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::warp::warp_rect;
use image::{Rgb, RgbImage};
use rayon::prelude::*;

/// The crops of one region: reference, aligned suspect and difference heat over the
/// reference, at full resolution, with a margin, and the crop rectangle. The heat is the
/// score map at `settings`' tolerance, full brightness at twice the seed threshold.
pub(crate) fn region_crops(
    cmp: &Comparison,
    settings: &DetectSettings,
    region: &Region,
) -> ([RgbImage; 3], RectInReference) {
    let (rw, rh) = cmp.reference.dimensions();
    let b = region.bbox;
    let margin = (b.w.max(b.h) / 2).max(24);
    // A box that lies off the image (a session edited by hand) still gets a crop: the
    // nearest corner of the photo.
    let x0 = b.x.saturating_sub(margin).min(rw - 1);
    let y0 = b.y.saturating_sub(margin).min(rh - 1);
    let x1 = b.x1().saturating_add(margin).min(rw);
    let y1 = b.y1().saturating_add(margin).min(rh);
    let rect = Rect::from_corners(x0, y0, x1.max(x0 + 1), y1.max(y0 + 1));
    let reference =
        image::imageops::crop_imm(&*cmp.reference, rect.x, rect.y, rect.w, rect.h).to_image();
    let suspect = warp_rect(&cmp.suspect, &cmp.alignment, rect).image;
    let scale = cmp.reference_from_work();
    let score = cmp.score_map(settings.tolerance_px);
    let heat = RgbImage::from_fn(rect.w, rect.h, |x, y| {
        let wx = (((x + rect.x) as f64 + 0.5) / scale) as u32;
        let wy = (((y + rect.y) as f64 + 0.5) / scale) as u32;
        let v = if wx < score.width && wy < score.height {
            score.at(wx, wy)
        } else {
            0.0
        };
        let base = reference.get_pixel(x, y).0;
        let grey = (base[0] as f32 * 0.3 + base[1] as f32 * 0.59 + base[2] as f32 * 0.11) * 0.35;
        let t = (v / (2.0 * settings.seed_sigma as f32)).clamp(0.0, 1.0);
        Rgb(heat_color(t).map(|c| (grey * (1.0 - t) + c as f32 * t) as u8))
    });
    ([reference, suspect, heat], rect)
}

/// Reference | aligned suspect | difference heat, with a margin around the region, at
/// full resolution (or scaled so each panel is between 160 and 640 px tall).
pub(crate) fn region_sheet(
    cmp: &Comparison,
    settings: &DetectSettings,
    region: &Region,
) -> RgbImage {
    let [bx, by, bw, bh] = region.bbox.to_array();
    let ([reference, suspect, heat], rect) = region_crops(cmp, settings, region);
    let target_h = (rect.h as f64).clamp(160.0, 640.0);
    let s = target_h / rect.h as f64;
    let panel = |img: &RgbImage| scale_panel(img, s);
    let panels = [panel(&reference), panel(&suspect), panel(&heat)];
    let gap = 8u32;
    let header = 52u32;
    let pw = panels[0].width();
    let mut sheet = RgbImage::from_pixel(
        3 * pw + 4 * gap,
        panels[0].height() + header + gap,
        Rgb([32, 32, 36]),
    );
    let titles = ["reference", "suspect (aligned)", "difference"];
    for (i, p) in panels.iter().enumerate() {
        let x = gap + i as u32 * (pw + gap);
        image::imageops::replace(&mut sheet, p, x as i64, header as i64);
        label(
            &mut sheet,
            titles[i],
            x as i64,
            4,
            16.0,
            [230, 230, 230],
            [32, 32, 36],
        );
        // Where the region is, inside each panel.
        let rx = x as f64 + (bx as f64 - rect.x as f64) * s;
        let ry = header as f64 + (by as f64 - rect.y as f64) * s;
        stroke_rect(
            &mut sheet,
            rx as i64 - 2,
            ry as i64 - 2,
            (bw as f64 * s) as i64 + 4,
            (bh as f64 * s) as i64 + 4,
            1,
            region.kind.rgb(),
        );
    }
    let tag = format!(
        "#{} {} score {:.2}",
        region.id,
        region.kind.label(),
        region.score
    );
    let (tw, _) = imageproc::drawing::text_size(PxScale::from(16.0), font(), &tag);
    let tw = tw as i64;
    let tag_x = sheet.width() as i64 - tw - 14;
    label(
        &mut sheet,
        &tag,
        tag_x.max(gap as i64),
        26,
        16.0,
        [255, 255, 255],
        region.kind.rgb(),
    );
    sheet
}

/// Scales a crop by `s`: nearest when enlarging, so pixels stay visible to an inspector.
pub(crate) fn scale_panel(img: &RgbImage, s: f64) -> RgbImage {
    let (w, h) = (
        ((img.width() as f64 * s).round() as u32).max(1),
        ((img.height() as f64 * s).round() as u32).max(1),
    );
    let filter = if s > 1.0 {
        image::imageops::FilterType::Nearest
    } else {
        image::imageops::FilterType::Triangle
    };
    image::imageops::resize(img, w, h, filter)
}

/// The score map coloured with [`heat_color`], at working resolution; `full_scale` is the
/// score (noise sigmas) shown at full brightness.
pub fn heat_image(score: &ScoreMap, full_scale: f32) -> RgbImage {
    let mut img = RgbImage::new(score.width, score.height);
    img.par_chunks_mut(3 * score.width as usize)
        .zip(score.values().par_chunks(score.width as usize))
        .for_each(|(row, src)| {
            for (px, v) in row.chunks_exact_mut(3).zip(src) {
                px.copy_from_slice(&heat_color(v / full_scale));
            }
        });
    img
}

/// A perceptual dark-to-bright map (black, purple, orange, yellow) for difference heat.
pub(crate) fn heat_color(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 5] = [
        [0.0, 0.0, 4.0],
        [87.0, 16.0, 110.0],
        [188.0, 55.0, 84.0],
        [249.0, 142.0, 9.0],
        [252.0, 255.0, 164.0],
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t as usize).min(3);
    let f = t - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    [0, 1, 2].map(|c| (a[c] + (b[c] - a[c]) * f) as u8)
}

/// All region sheets stacked into one image, each scaled to a common width.
pub(crate) fn crop_sheet(
    cmp: &Comparison,
    settings: &DetectSettings,
    regions: &[&Region],
) -> RgbImage {
    const WIDTH: u32 = 1400;
    let sheets: Vec<RgbImage> = regions
        .par_iter()
        .map(|r| {
            let s = region_sheet(cmp, settings, r);
            let f = (WIDTH as f64 / s.width() as f64).min(1.0);
            scale_panel(&s, f)
        })
        .collect();
    let gap = 6;
    let height = sheets.iter().map(|s| s.height() + gap).sum::<u32>().max(1);
    let mut out = RgbImage::from_pixel(WIDTH, height, Rgb([20, 20, 24]));
    let mut y = 0;
    for s in &sheets {
        image::imageops::replace(&mut out, s, 0, y as i64);
        y += s.height() + gap;
    }
    out
}
