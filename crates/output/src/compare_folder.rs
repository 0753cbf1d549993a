//! The folder `boarddiff compare` writes: `report.json`, `annotated.png` (the overview)
//! and `regions/NNN.png` (one crop sheet per region).
use crate::annotate::{reference_overview, ANNOTATED_MAX_SIDE};
use crate::crops::region_sheet;
use crate::encode::encode_png;
use crate::session::{image_info, Session};
use boarddiff_core::align::registered;
use boarddiff_core::compare::{compare, Compared, Comparison, Start};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::{colour_mismatch, load_pair};
use boarddiff_core::progress::{Progress, Stage, Timings};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{AlignmentReport, Region, Report, SCHEMA};
use boarddiff_core::run_folder::RunFolder;
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::write::{write_atomic, write_json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One `boarddiff compare`: two photos in, a folder out.
pub struct CompareFiles {
    pub reference: PathBuf,
    pub suspect: PathBuf,
    pub out: PathBuf,
    pub settings: DetectSettings,
    pub ignore_masks: Vec<RectInReference>,
    /// The photos are registered already (scanner or AOI output): refine from the
    /// identity instead of matching features.
    pub registered: bool,
    /// Other files the run reads (the mask file): never inside `out`, which a run replaces.
    pub other_inputs: Vec<PathBuf>,
    /// Also write a review session here, which the app and `boarddiff export` open.
    pub save_session: Option<PathBuf>,
    /// Also write the score map here, as a numpy `.npy` file.
    pub dump_score_map: Option<PathBuf>,
}

/// Decodes, compares and writes the compare folder; returns its report. A refused
/// alignment still writes report.json, with the reason, and comes back as the error.
pub fn compare_files(job: &CompareFiles, progress: &dyn Progress) -> Result<Report> {
    let mut inputs = vec![job.reference.as_path(), job.suspect.as_path()];
    inputs.extend(job.other_inputs.iter().map(PathBuf::as_path));
    // Claimed before the work, so an unwritable or busy folder is refused at once.
    let run = RunFolder::begin(&job.out, &inputs)?;
    progress.update(Stage::Decode, 0.0);
    let mut timings = Timings::default();
    let (reference, suspect) =
        timings.time(Stage::Decode, || load_pair(&job.reference, &job.suspect))?;
    let warnings: Vec<String> = colour_mismatch(reference.grey, suspect.grey)
        .into_iter()
        .collect();
    let reference_info = image_info(&job.reference, &reference);
    let suspect_info = image_info(&job.suspect, &suspect);
    let start = if job.registered {
        let (reference_size, suspect_size) = (reference.rgb.dimensions(), suspect.rgb.dimensions());
        if reference_size != suspect_size {
            return Err(EngineError::NotRegistered {
                reference: job.reference.clone(),
                suspect: job.suspect.clone(),
                reference_size,
                suspect_size,
            });
        }
        Start::Aligned(registered(&reference.rgb, &suspect.rgb))
    } else {
        Start::Fresh
    };
    let report = Report {
        schema: SCHEMA,
        reference: reference_info,
        suspect: suspect_info,
        alignment: AlignmentReport::new(None, None),
        regions: Vec::new(),
        settings: job.settings.clone(),
        ignore_masks: job.ignore_masks.clone(),
        timings_s: Vec::new(),
        warnings,
    };
    let outcome = compare(
        reference.rgb,
        suspect.rgb,
        start,
        &job.settings,
        &job.ignore_masks,
        progress,
    );
    let written = write_outcome(outcome, report, timings, run.path(), progress)?;
    let mut extras = Vec::new();
    if let Some(path) = &job.save_session {
        let alignment = written.comparison.as_ref().map(|c| c.alignment.clone());
        extras.push((
            path,
            Session::of_report(&written.report, alignment).to_json()?,
        ));
    }
    if let (Some(path), Some(cmp)) = (&job.dump_score_map, &written.comparison) {
        extras.push((path, cmp.score_map(job.settings.tolerance_px).to_npy()));
    }
    finish_run(run, extras)?;
    match written.refusal {
        Some(reason) => Err(EngineError::AlignmentRefused { reason }),
        None => Ok(written.report),
    }
}

/// What one comparison wrote into its folder.
pub(crate) struct Written {
    /// As written to report.json.
    pub(crate) report: Report,
    /// None when alignment was refused.
    pub(crate) comparison: Option<Comparison>,
    pub(crate) refusal: Option<String>,
}

/// Writes the folder of a comparison's outcome into `dir`: the images and report.json,
/// or report.json with the reason when alignment was refused. `report` brings the images'
/// details and settings; `timings` the decode time so far. Other errors pass through.
pub(crate) fn write_outcome(
    outcome: Result<Compared>,
    mut report: Report,
    mut timings: Timings,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Written> {
    match outcome {
        Ok(compared) => {
            let cmp = compared.comparison;
            timings.0.extend(cmp.timings.0.iter().copied());
            progress.update(Stage::Export, 0.0);
            let export_start = Instant::now();
            report.alignment = AlignmentReport::new(Some(&cmp.alignment), None);
            report.regions = compared.regions;
            report.timings_s = timings.as_pairs();
            write_compare_folder(Some(&cmp), &report, dir, |report| {
                timings
                    .0
                    .push((Stage::Export, export_start.elapsed().as_secs_f64()));
                report.timings_s = timings.as_pairs();
            })?;
            report.timings_s = timings.as_pairs();
            Ok(Written {
                report,
                comparison: Some(cmp),
                refusal: None,
            })
        }
        Err(EngineError::AlignmentRefused { reason }) => {
            report.alignment = AlignmentReport::new(None, Some(reason.clone()));
            report.timings_s = timings.as_pairs();
            write_compare_folder(None, &report, dir, |_| {})?;
            Ok(Written {
                report,
                comparison: None,
                refusal: Some(reason),
            })
        }
        Err(e) => Err(e),
    }
}

/// Swaps the run in, with each extra file (a session, a score map) written inside it
/// when its path lies in `out`, otherwise beside it once the run is in place.
fn finish_run(run: RunFolder, extras: Vec<(&PathBuf, Vec<u8>)>) -> Result<()> {
    let mut outside = Vec::new();
    for (path, bytes) in extras {
        let Some(staged) = run.staged_path(path) else {
            outside.push((path, bytes));
            continue;
        };
        if let Some(dir) = staged.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::Write {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        }
        write_atomic(&staged, &bytes)?;
    }
    run.commit()?;
    for (path, bytes) in outside {
        write_atomic(path, &bytes)?;
    }
    Ok(())
}

/// Writes report.json, annotated.png and regions/NNN.png into `dir`; without a
/// comparison (alignment refused) only report.json. `finish` completes the report (its
/// export time) once the images are written.
pub(crate) fn write_compare_folder(
    cmp: Option<&Comparison>,
    report: &Report,
    dir: &Path,
    finish: impl FnOnce(&mut Report),
) -> Result<()> {
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
                let _t = boarddiff_core::trace::span("export.annotated");
                let regions: Vec<&Region> = report.regions.iter().collect();
                let overview = reference_overview(cmp, &regions, ANNOTATED_MAX_SIDE);
                let t = boarddiff_core::trace::span("annotated.encode");
                let png = encode_png(&overview);
                drop(t);
                let _t = boarddiff_core::trace::span("annotated.write");
                write_atomic(&dir.join("annotated.png"), &png)
            },
            || {
                let _t = boarddiff_core::trace::span("export.crops");
                use rayon::prelude::*;
                report
                    .regions
                    .par_iter()
                    .map(|r| {
                        write_atomic(
                            &crops.join(format!("{:03}.png", r.id)),
                            &encode_png(&region_sheet(cmp, &report.settings, r)),
                        )
                    })
                    .collect::<Result<Vec<()>>>()
            },
        );
        annotated?;
        sheets?;
    }
    // Written last: a report that exists describes images that exist.
    let mut report = report.clone();
    finish(&mut report);
    write_json(&dir.join("report.json"), &report)
}
