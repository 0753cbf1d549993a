//! The folder a reviewed session exports to: the annotated image (on the reference or the suspect),
//! a crop sheet of all regions, per-region crops, the self-contained HTML report and the
//! JSON beside it. Shared by the app's Export button and `boarddiff export`.
use crate::annotate::annotated_on;
use crate::crops::{crop_sheet, region_sheet};
use crate::encode::encode_png;
use crate::export_options::{shown_regions, ExportOptions};
use crate::html_report::html_report;
use crate::session::Session;
use boarddiff_core::compare::Comparison;
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::report::Region;
use boarddiff_core::run_folder::RunFolder;
use boarddiff_core::write::{write_atomic, write_json};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Writes every export into `out` as one run (see [`RunFolder`]) and returns the paths
/// written.
pub fn write_review_folder(
    cmp: &Comparison,
    session: &Session,
    out: &Path,
    opts: &ExportOptions,
) -> Result<Vec<PathBuf>> {
    let inputs = [
        Path::new(&session.reference.path),
        Path::new(&session.suspect.path),
    ];
    let run = RunFolder::begin(out, &inputs)?;
    let staged = write_files(cmp, session, run.path(), opts)?;
    let written = staged
        .iter()
        .map(|p| out.join(p.strip_prefix(run.path()).unwrap_or(p)))
        .collect();
    run.commit()?;
    Ok(written)
}

fn write_files(
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
    let mut written = Vec::new();
    let shown = shown_regions(&session.regions, opts);
    let overview = annotated_on(cmp, &shown, opts.on, opts.max_side);
    let annotated_path = dir.join(format!("annotated.{}", opts.format.extension()));
    write_atomic(&annotated_path, &opts.format.encode(&overview))?;
    written.push(annotated_path);

    let all: Vec<&Region> = session.regions.iter().collect();
    if !all.is_empty() {
        let sheet_path = dir.join(format!("crop_sheet.{}", opts.format.extension()));
        write_atomic(
            &sheet_path,
            &opts
                .format
                .encode(&crop_sheet(cmp, &session.settings, &all)),
        )?;
        written.push(sheet_path);
    }
    let crops = dir.join("regions");
    mkdir(&crops)?;
    let crop_paths = session
        .regions
        .par_iter()
        .map(|r| {
            let p = crops.join(format!("{:03}.png", r.id));
            write_atomic(&p, &encode_png(&region_sheet(cmp, &session.settings, r)))?;
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
