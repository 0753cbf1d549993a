//! What a person looks at outside the app: the annotated overview, one crop sheet per
//! region (reference | aligned suspect | difference), all written atomically.
use crate::engine::error::Result;
use crate::engine::pipeline::Comparison;
use crate::engine::pyramid::resize_rgb;
use crate::engine::report::{write_atomic, write_json, Region, RegionKind, Report};
use crate::engine::synth::canvas::font;
use crate::engine::warp::warp_rect;
use ab_glyph::PxScale;
use image::{Rgb, RgbImage};
use std::path::Path;

/// Longest side of `annotated.png`: an overview, the crops carry full resolution.
pub const ANNOTATED_MAX_SIDE: u32 = 2560;

/// PNG bytes of `img`, encoded on all cores ([`crate::engine::png_encode`]).
pub fn encode_png(img: &RgbImage) -> Vec<u8> {
    crate::engine::png_encode::encode_rgb(img)
}

pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    encoder
        .encode_image(img)
        .expect("encoding to memory cannot fail");
    bytes
}

pub fn fill_rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, color: [u8; 3]) {
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
pub fn label(
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

/// The reference (or any image in reference coordinates) with numbered boxes coloured by
/// kind and a legend, scaled so that its longest side is at most `max_side`.
pub fn annotated(base: &RgbImage, regions: &[&Region], max_side: u32) -> RgbImage {
    annotated_from(base.dimensions(), base, regions, max_side)
}

/// As [`annotated`] for an image of `full_dims`, drawn from `copy`, a copy of it at any
/// size (the working-resolution reference is a quarter of the pixels of a full one to
/// shrink). A copy smaller than the overview would blur it, so the caller passes the
/// full image then.
pub fn annotated_from(
    full_dims: (u32, u32),
    copy: &RgbImage,
    regions: &[&Region],
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
    let _t = crate::engine::trace::span("annotated.draw");
    let side = img.width().max(img.height()) as f64;
    let t = (side / 900.0).ceil().max(2.0) as i64;
    let text_h = (side / 90.0).max(14.0) as f32;
    for r in regions {
        let [x, y, bw, bh] = r.bbox.map(|v| v as f64 * s);
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
    legend(&mut img, regions, text_h);
    img
}

fn legend(img: &mut RgbImage, regions: &[&Region], text_h: f32) {
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

/// The crops of one region: reference, aligned suspect and difference heat over the
/// reference, at full resolution, with a margin. Also returns the crop rectangle
/// [x, y, w, h] in reference pixels.
pub fn region_crops(cmp: &Comparison, region: &Region) -> ([RgbImage; 3], [u32; 4]) {
    let (rw, rh) = cmp.reference.dimensions();
    let [bx, by, bw, bh] = region.bbox;
    let margin = (bw.max(bh) / 2).max(24);
    let x0 = bx.saturating_sub(margin);
    let y0 = by.saturating_sub(margin);
    let x1 = (bx + bw + margin).min(rw);
    let y1 = (by + bh + margin).min(rh);
    let rect = [x0, y0, (x1 - x0).max(1), (y1 - y0).max(1)];
    let reference =
        image::imageops::crop_imm(&*cmp.reference, rect[0], rect[1], rect[2], rect[3]).to_image();
    let suspect = warp_rect(&cmp.suspect, &cmp.alignment, rect).image;
    let scale = cmp.reference_from_work();
    let heat = RgbImage::from_fn(rect[2], rect[3], |x, y| {
        let wx = (((x + rect[0]) as f64 + 0.5) / scale) as u32;
        let wy = (((y + rect[1]) as f64 + 0.5) / scale) as u32;
        let v = if wx < cmp.score.width && wy < cmp.score.height {
            cmp.score.at(wx, wy)
        } else {
            0.0
        };
        let base = reference.get_pixel(x, y).0;
        let grey = (base[0] as f32 * 0.3 + base[1] as f32 * 0.59 + base[2] as f32 * 0.11) * 0.35;
        let t = (v / (2.0 * cmp.settings.seed_sigma as f32)).clamp(0.0, 1.0);
        Rgb(heat_color(t).map(|c| (grey * (1.0 - t) + c as f32 * t) as u8))
    });
    ([reference, suspect, heat], rect)
}

/// Reference | aligned suspect | difference heat, with a margin around the region, at
/// full resolution (or scaled so each panel is between 160 and 640 px tall).
pub fn region_sheet(cmp: &Comparison, region: &Region) -> RgbImage {
    let [bx, by, bw, bh] = region.bbox;
    let ([reference, suspect, heat], rect) = region_crops(cmp, region);
    let target_h = (rect[3] as f64).clamp(160.0, 640.0);
    let s = target_h / rect[3] as f64;
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
        let rx = x as f64 + (bx - rect[0]) as f64 * s;
        let ry = header as f64 + (by - rect[1]) as f64 * s;
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
pub fn scale_panel(img: &RgbImage, s: f64) -> RgbImage {
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
pub fn heat_image(score: &crate::engine::diff::ScoreMap, full_scale: f32) -> RgbImage {
    let mut img = RgbImage::new(score.width, score.height);
    use rayon::prelude::*;
    img.par_chunks_mut(3 * score.width as usize)
        .zip(score.data.par_chunks(score.width as usize))
        .for_each(|(row, src)| {
            for (px, v) in row.chunks_exact_mut(3).zip(src) {
                px.copy_from_slice(&heat_color(v / full_scale));
            }
        });
    img
}

/// A perceptual dark-to-bright map (black, purple, orange, yellow) for difference heat.
pub fn heat_color(t: f32) -> [u8; 3] {
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

/// Writes report.json, annotated.png and regions/NNN.png into `dir`.
/// [`annotated`] on the reference, resized from the working copy when it is big enough.
pub fn reference_overview(cmp: &Comparison, regions: &[&Region], max_side: u32) -> RgbImage {
    let work = &cmp.work_reference;
    let copy = if work.width().max(work.height()) >= max_side {
        work
    } else {
        &cmp.reference
    };
    annotated_from(cmp.reference.dimensions(), copy, regions, max_side)
}

pub fn write_outputs(cmp: Option<&Comparison>, report: &Report, dir: &Path) -> Result<()> {
    use crate::engine::error::EngineError;
    let mkdir = |p: &Path| {
        std::fs::create_dir_all(p).map_err(|e| EngineError::Write {
            path: p.to_owned(),
            detail: e.to_string(),
        })
    };
    mkdir(dir)?;
    if let Some(cmp) = cmp {
        let crops = dir.join("regions");
        mkdir(&crops)?;
        // The overview's PNG encoder is single-threaded: the crops use the other cores.
        let (annotated, sheets) = rayon::join(
            || {
                let _t = crate::engine::trace::span("export.annotated");
                let regions: Vec<&Region> = report.regions.iter().collect();
                let overview = reference_overview(cmp, &regions, ANNOTATED_MAX_SIDE);
                let t = crate::engine::trace::span("annotated.encode");
                let png = encode_png(&overview);
                drop(t);
                let _t = crate::engine::trace::span("annotated.write");
                write_atomic(&dir.join("annotated.png"), &png)
            },
            || {
                let _t = crate::engine::trace::span("export.crops");
                use rayon::prelude::*;
                report
                    .regions
                    .par_iter()
                    .map(|r| {
                        write_atomic(
                            &crops.join(format!("{:03}.png", r.id)),
                            &encode_png(&region_sheet(cmp, r)),
                        )
                    })
                    .collect::<Result<Vec<()>>>()
            },
        );
        annotated?;
        sheets?;
    }
    // Written last: a report that exists describes images that exist.
    write_json(&dir.join("report.json"), report)
}
