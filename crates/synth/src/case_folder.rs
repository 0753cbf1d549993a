//! A case folder: `reference.*`, `suspect.jpg` and `truth.json`, as `synth pair`,
//! `synth implant` and the quiz write it and as `eval`, the quiz and `gui --quiz` read it.
use crate::implant::{simulate, Difficulty, ImplantSpec};
use crate::truth::Truth;
use crate::variation::VariationLevel;
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::report::RegionKind;
use boarddiff_core::write::{write_atomic, write_json};
use boarddiff_output::encode::encode_jpeg;
use image::RgbImage;
use std::path::{Path, PathBuf};

/// JPEG quality of a written suspect: high, so that the simulator's own re-photograph
/// (with its JPEG) is what the detector sees, not a second compression.
pub const SUSPECT_QUALITY: u8 = 95;

/// Where the case's reference comes from.
pub enum CaseReference<'a> {
    /// A photo on disk, copied byte for byte (its extension is kept).
    File(&'a Path),
    /// A generated image, written as JPEG at this quality.
    Jpeg(&'a RgbImage, u8),
}

/// Writes a case folder into `dir` (created if needed); returns the reference's path.
/// The truth is written last, so that a folder with a truth holds both photos.
pub fn write_case_folder(
    dir: &Path,
    reference: CaseReference,
    suspect: &RgbImage,
    suspect_quality: u8,
    truth: &Truth,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| EngineError::Write {
        path: dir.to_owned(),
        detail: e.to_string(),
    })?;
    let reference_path = match reference {
        CaseReference::File(source) => {
            let ext = source.extension().map_or("jpg".to_string(), |e| {
                e.to_string_lossy().to_ascii_lowercase()
            });
            let copy = dir.join(format!("reference.{ext}"));
            let same = std::fs::canonicalize(&copy).ok() == std::fs::canonicalize(source).ok();
            if !same {
                let bytes = std::fs::read(source).map_err(|e| EngineError::Io {
                    path: source.to_owned(),
                    source: e,
                })?;
                write_atomic(&copy, &bytes)?;
            }
            copy
        }
        CaseReference::Jpeg(img, quality) => {
            let path = dir.join("reference.jpg");
            write_atomic(&path, &encode_jpeg(img, quality))?;
            path
        }
    };
    write_atomic(
        &dir.join("suspect.jpg"),
        &encode_jpeg(suspect, suspect_quality),
    )?;
    write_json(&dir.join("truth.json"), truth)?;
    Ok(reference_path)
}

/// The files of a case folder.
pub struct CaseFiles {
    pub reference: PathBuf,
    pub suspect: PathBuf,
    pub truth: PathBuf,
}

/// The files of the case folder `dir`, if it is one.
pub(crate) fn case_files(dir: &Path) -> Option<CaseFiles> {
    let truth = dir.join("truth.json");
    let reference = find_image(dir, &["reference", "ref"])?;
    let suspect = find_image(dir, &["suspect", "test"])?;
    truth.is_file().then_some(CaseFiles {
        reference,
        suspect,
        truth,
    })
}

/// As [`case_files`], with an error naming the folder when it is not a case folder.
pub fn read_case_files(dir: &Path) -> Result<CaseFiles> {
    case_files(dir).ok_or_else(|| EngineError::InvalidInput {
        path: dir.to_owned(),
        what: "case folder",
        detail: "expected reference.*, suspect.* and truth.json".into(),
    })
}

/// The first of `stems` with an image extension that exists in `dir`.
pub(crate) fn find_image(dir: &Path, stems: &[&str]) -> Option<PathBuf> {
    for stem in stems {
        for ext in ["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp"] {
            let p = dir.join(format!("{stem}.{ext}"));
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A quiz case in `dir`: three changes of every kind planted in the photo at
/// `reference_path` (decoded as `photo`) at `difficulty`.
pub fn write_quiz_case(
    dir: &Path,
    reference_path: &Path,
    photo: &RgbImage,
    difficulty: Difficulty,
    seed: u64,
) -> Result<PathBuf> {
    let spec = ImplantSpec {
        seed,
        count: 3,
        difficulty,
        kinds: RegionKind::ALL.to_vec(),
        variation: VariationLevel::Typical,
        px_per_mm: None,
    };
    let (suspect, truth) = simulate(photo, &spec);
    write_case_folder(
        dir,
        CaseReference::File(reference_path),
        &suspect,
        SUSPECT_QUALITY,
        &truth,
    )
}
