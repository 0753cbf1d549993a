//! Export of a reviewed session: the annotated image (on the reference or the suspect),
//! a crop sheet of all regions, per-region crops, the self-contained HTML report and the
//! JSON beside it. Shared by the app's Export button and `boarddiff export`.
use crate::engine::error::{EngineError, Result};
use crate::engine::export::{
    annotated, encode_jpeg, encode_png, reference_overview, region_sheet, scale_panel,
};
use crate::engine::html::html_report;
use crate::engine::pipeline::Comparison;
use crate::engine::report::{write_atomic, write_json, Region, Verdict};
use crate::engine::session::Session;
use image::{Rgb, RgbImage};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageOn {
    #[default]
    Reference,
    Suspect,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageFormat {
    #[default]
    Png,
    Jpeg,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
        }
    }

    pub fn encode(self, img: &RgbImage) -> Vec<u8> {
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
            max_side: crate::engine::export::ANNOTATED_MAX_SIDE,
        }
    }
}

/// Regions drawn on exported images under `opts`.
pub fn shown_regions<'a>(regions: &'a [Region], opts: &ExportOptions) -> Vec<&'a Region> {
    regions
        .iter()
        .filter(|r| opts.include_benign || r.verdict != Verdict::Benign)
        .collect()
}

/// The annotated overview on the chosen image. On the suspect, each box is the bounding
/// box of the region's corners mapped through the alignment.
pub fn annotated_on(cmp: &Comparison, regions: &[&Region], opts: &ExportOptions) -> RgbImage {
    match opts.on {
        ImageOn::Reference => reference_overview(cmp, regions, opts.max_side),
        ImageOn::Suspect => {
            let mapped: Vec<Region> = regions
                .iter()
                .map(|r| {
                    let mut m = (*r).clone();
                    m.bbox = bbox_in_suspect(cmp, &r.bbox);
                    m
                })
                .collect();
            let refs: Vec<&Region> = mapped.iter().collect();
            annotated(&cmp.suspect, &refs, opts.max_side)
        }
    }
}

pub fn bbox_in_suspect(cmp: &Comparison, bbox_in_reference: &[u32; 4]) -> [u32; 4] {
    let [x, y, w, h] = bbox_in_reference.map(f64::from);
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
    [
        x0 as u32,
        y0 as u32,
        ((x1 - x0) as u32).max(1),
        ((y1 - y0) as u32).max(1),
    ]
}

/// All region sheets stacked into one image, each scaled to a common width.
pub fn crop_sheet(cmp: &Comparison, regions: &[&Region]) -> RgbImage {
    const WIDTH: u32 = 1400;
    let sheets: Vec<RgbImage> = regions
        .par_iter()
        .map(|r| {
            let s = region_sheet(cmp, r);
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

/// Writes every export into `dir` and returns the paths written. Each file is atomic, and
/// report.json is written last.
pub fn export_review(
    cmp: &Comparison,
    session: &Session,
    dir: &Path,
    opts: &ExportOptions,
) -> Result<Vec<PathBuf>> {
    let mkdir = |p: &Path| {
        std::fs::create_dir_all(p).map_err(|e| EngineError::Write {
            path: p.to_owned(),
            detail: e.to_string(),
        })
    };
    mkdir(dir)?;
    let mut written = Vec::new();
    let shown = shown_regions(&session.regions, opts);
    let overview = annotated_on(cmp, &shown, opts);
    let annotated_path = dir.join(format!("annotated.{}", opts.format.extension()));
    write_atomic(&annotated_path, &opts.format.encode(&overview))?;
    written.push(annotated_path);

    let all: Vec<&Region> = session.regions.iter().collect();
    if !all.is_empty() {
        let sheet_path = dir.join(format!("crop_sheet.{}", opts.format.extension()));
        write_atomic(&sheet_path, &opts.format.encode(&crop_sheet(cmp, &all)))?;
        written.push(sheet_path);
    }
    let crops = dir.join("regions");
    mkdir(&crops)?;
    let crop_paths = session
        .regions
        .par_iter()
        .map(|r| {
            let p = crops.join(format!("{:03}.png", r.id));
            write_atomic(&p, &encode_png(&region_sheet(cmp, r)))?;
            Ok(p)
        })
        .collect::<Result<Vec<PathBuf>>>()?;
    written.extend(crop_paths);

    let html_path = dir.join("report.html");
    write_atomic(&html_path, html_report(cmp, session).as_bytes())?;
    written.push(html_path);
    let json_path = dir.join("report.json");
    write_json(&json_path, &session.report())?;
    written.push(json_path);
    Ok(written)
}
