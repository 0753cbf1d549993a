//! Evaluation sets on disk: the project's own case folders (reference, suspect,
//! truth.json), DeepPCB (pairs.txt, *_temp.jpg / *_test.jpg, box text files) and
//! PKU/VOC (templates/, images/, annotations/*.xml). Each becomes a list of cases with truth.
use crate::camera::{jpeg_roundtrip, Camera};
use crate::case_folder::{case_files, find_image};
use crate::truth::{Truth, TruthRegion};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::geometry::Homography;
use boarddiff_core::load::{load_rgb, read_text, MAX_TEXT_FILE_BYTES};
use boarddiff_core::rect::Rect;
use boarddiff_core::report::RegionKind;
use boarddiff_core::rng::Rng;
use image::RgbImage;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Folders with reference.*, suspect.* and truth.json (what `synth pair` writes).
    Cases,
    DeepPcb,
    Voc,
}

#[derive(Clone, Debug, PartialEq)]
enum TruthFile {
    Json(PathBuf),
    DeepPcb(PathBuf),
    Voc(PathBuf),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseRef {
    pub name: String,
    pub(crate) reference: PathBuf,
    pub(crate) test: PathBuf,
    truth: TruthFile,
}

pub struct LoadedCase {
    pub(crate) reference: RgbImage,
    pub(crate) test: RgbImage,
    pub(crate) truth: Vec<TruthRegion>,
    /// The true `suspect_from_reference`, when known (own cases, or --warp).
    pub(crate) truth_map: Option<Homography>,
    /// Registered pairs (DeepPCB, PKU without --warp) are compared with the identity.
    pub prealigned: bool,
}

fn invalid(path: &Path, detail: impl Into<String>) -> EngineError {
    EngineError::InvalidInput {
        path: path.to_owned(),
        what: "evaluation set",
        detail: detail.into(),
    }
}

fn own_case(dir: &Path) -> Option<CaseRef> {
    let files = case_files(dir)?;
    Some(CaseRef {
        name: dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        reference: files.reference,
        test: files.suspect,
        truth: TruthFile::Json(files.truth),
    })
}

pub fn detect_layout(path: &Path) -> Result<Layout> {
    if !path.exists() {
        return Err(EngineError::NotFound {
            path: path.to_owned(),
        });
    }
    if path.join("pairs.txt").is_file() || path.join("PCBData/pairs.txt").is_file() {
        return Ok(Layout::DeepPcb);
    }
    if path.join("templates").is_dir() && path.join("images").is_dir() {
        return Ok(Layout::Voc);
    }
    if own_case(path).is_some() || !list_own(path).is_empty() {
        return Ok(Layout::Cases);
    }
    Err(invalid(
        path,
        "not a known layout: expected case folders (reference.jpg, suspect.jpg, truth.json), \
         DeepPCB (pairs.txt) or PKU/VOC (templates/, images/, annotations/)",
    ))
}

fn sorted_dir(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn list_own(path: &Path) -> Vec<CaseRef> {
    if let Some(c) = own_case(path) {
        return vec![c];
    }
    sorted_dir(path)
        .iter()
        .filter_map(|d| own_case(d))
        .collect()
}

/// A relative path of plain names: it cannot leave the folder it is joined to.
fn stays_inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
}

pub fn list_cases(path: &Path, layout: Layout) -> Result<Vec<CaseRef>> {
    let cases = match layout {
        Layout::Cases => list_own(path),
        Layout::DeepPcb => {
            let base = if path.join("pairs.txt").is_file() {
                path.to_owned()
            } else {
                path.join("PCBData")
            };
            let list_path = base.join("pairs.txt");
            let list = read_text(&list_path, MAX_TEXT_FILE_BYTES)?;
            let mut cases = Vec::new();
            for (n, line) in list.lines().enumerate() {
                let mut parts = line.split_whitespace();
                let (Some(img), Some(ann)) = (parts.next(), parts.next()) else {
                    continue;
                };
                // The list names files inside the dataset: `../` or an absolute path
                // would let a downloaded dataset read any file on the machine.
                for named in [img, ann] {
                    if !stays_inside(Path::new(named)) {
                        return Err(EngineError::InvalidInput {
                            path: list_path.clone(),
                            what: "DeepPCB pair list",
                            detail: format!(
                                "line {}: {named:?} is not a path inside the dataset folder",
                                n + 1
                            ),
                        });
                    }
                }
                let stem = img.trim_end_matches(".jpg");
                cases.push(CaseRef {
                    name: stem.to_string(),
                    reference: base.join(format!("{stem}_temp.jpg")),
                    test: base.join(format!("{stem}_test.jpg")),
                    truth: TruthFile::DeepPcb(base.join(ann)),
                });
            }
            cases
        }
        Layout::Voc => sorted_dir(&path.join("images"))
            .into_iter()
            .filter_map(|img| {
                let name = img.file_stem()?.to_string_lossy().into_owned();
                // PKU names images BB_class_NN after template BB.
                let board = name.split('_').next()?.to_string();
                let reference = find_image(&path.join("templates"), &[&board])?;
                // Without its annotation file an image's truth is unknown (PKU's
                // 01_missing_hole_01 has defects but no boxes): leave it out.
                let ann = path.join("annotations").join(format!("{name}.xml"));
                ann.is_file().then_some(CaseRef {
                    name,
                    reference,
                    test: img,
                    truth: TruthFile::Voc(ann),
                })
            })
            .collect(),
    };
    if cases.is_empty() {
        return Err(invalid(path, "no cases found"));
    }
    Ok(cases)
}

fn boxes_from_corners(values: &[Vec<f64>]) -> Vec<TruthRegion> {
    values
        .iter()
        .filter(|v| v.len() >= 4)
        .map(|v| {
            let (x0, y0) = (
                v[0].min(v[2]).max(0.0) as u32,
                v[1].min(v[3]).max(0.0) as u32,
            );
            let (x1, y1) = (v[0].max(v[2]) as u32, v[1].max(v[3]) as u32);
            TruthRegion {
                kind: RegionKind::Altered,
                bbox: Rect::from_corners(
                    x0,
                    y0,
                    x0 + x1.saturating_sub(x0).max(1),
                    y0 + y1.saturating_sub(y0).max(1),
                ),
                note: None,
            }
        })
        .collect()
}

/// VOC `<bndbox>` corners, read without an XML library (the files are flat and regular).
pub(crate) fn voc_boxes(xml: &str) -> Vec<TruthRegion> {
    let tag = |s: &str, name: &str| -> Option<f64> {
        let open = format!("<{name}>");
        let a = s.find(&open)? + open.len();
        let b = s[a..].find('<')? + a;
        s[a..b].trim().parse::<f64>().ok()
    };
    let corners: Vec<Vec<f64>> = xml
        .split("<bndbox>")
        .skip(1)
        .filter_map(|c| {
            Some(vec![
                tag(c, "xmin")?,
                tag(c, "ymin")?,
                tag(c, "xmax")?,
                tag(c, "ymax")?,
            ])
        })
        .collect();
    boxes_from_corners(&corners)
}

/// DeepPCB lines: `x1 y1 x2 y2 type` (spaces or commas).
pub(crate) fn deeppcb_boxes(text: &str) -> Vec<TruthRegion> {
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(|l| {
            l.split([' ', ','])
                .filter_map(|x| x.trim().parse().ok())
                .collect()
        })
        .collect();
    boxes_from_corners(&rows)
}

/// A random homography (rotation ±5°, scale 0.92-1.08, mild perspective, shift) and light
/// change applied to a registered test image, so aligned datasets exercise alignment.
pub(crate) fn known_warp(test: &RgbImage, seed: u64) -> (RgbImage, Homography) {
    let mut rng = Rng::new(seed);
    let (w, h) = test.dimensions();
    let c = [(w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0];
    let map = Homography::translation(-c[0], -c[1])
        .then(&Homography::similarity(
            rng.range(0.92, 1.08),
            rng.range(-5.0f64, 5.0).to_radians(),
            0.0,
            0.0,
        ))
        .then(&Homography::from_rows([
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [rng.range(-2e-5, 2e-5), rng.range(-2e-5, 2e-5), 1.0],
        ]))
        .then(&Homography::translation(
            c[0] + rng.range(-40.0, 40.0),
            c[1] + rng.range(-40.0, 40.0),
        ));
    let mut camera = Camera::plain(w, h, map).random_lighting(&mut rng, 0.8);
    camera.noise_sigma = 2.0;
    (jpeg_roundtrip(&camera.shoot(test, seed), 90), map)
}

pub fn load_case(case: &CaseRef, warp: Option<u64>, index: usize) -> Result<LoadedCase> {
    let reference = load_rgb(&case.reference)?.rgb;
    let mut test = load_rgb(&case.test)?.rgb;
    let read = |p: &Path| read_text(p, MAX_TEXT_FILE_BYTES);
    let (truth, mut truth_map, mut prealigned) = match &case.truth {
        TruthFile::Json(p) => {
            let t = Truth::read(p)?;
            (t.modifications, Some(t.suspect_from_reference), false)
        }
        TruthFile::DeepPcb(p) => (deeppcb_boxes(&read(p)?), None, true),
        TruthFile::Voc(p) => (voc_boxes(&read(p)?), None, true),
    };
    if let (Some(seed), true) = (warp, prealigned) {
        let (warped, map) = known_warp(&test, seed ^ index as u64);
        test = warped;
        truth_map = Some(map);
        prealigned = false;
    }
    Ok(LoadedCase {
        reference,
        test,
        truth,
        truth_map,
        prealigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_deeppcb_and_voc_boxes() {
        let d = deeppcb_boxes("10 20 30 45 1\n5,5,9,9,3\n\nbad line\n");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].bbox.to_array(), [10, 20, 20, 25]);
        assert_eq!(d[1].bbox.to_array(), [5, 5, 4, 4]);
        let xml = "<annotation><object><bndbox><xmin>100</xmin><ymin>50.0</ymin>\
                   <xmax>140</xmax><ymax>70</ymax></bndbox></object>\
                   <object><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax>\
                   </bndbox></object></annotation>";
        let v = voc_boxes(xml);
        assert_eq!(
            v.iter().map(|t| t.bbox.to_array()).collect::<Vec<_>>(),
            vec![[100, 50, 40, 20], [1, 2, 2, 2]]
        );
    }
}
