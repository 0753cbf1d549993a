//! `boarddiff compare` and `boarddiff samples`.
use super::progress_bar::Bar;
use super::{samples_dir, CompareArgs, DetectArgs};
use anyhow::Result;
use boarddiff_core::error::EngineError;
use boarddiff_core::report::read_ignore_masks;
use boarddiff_output::compare_folder::{compare_files, CompareFiles};
use std::path::PathBuf;

/// Runs a comparison and writes its folder; returns the exit code (0 no regions, 1
/// regions).
pub fn compare(args: &CompareArgs) -> Result<u8> {
    let settings = args.detect.settings()?;
    let ignore_masks = match &args.mask {
        Some(m) => read_ignore_masks(m)?,
        None => Vec::new(),
    };
    let bar = Bar::new(args.quiet);
    let job = CompareFiles {
        reference: args.reference.clone(),
        suspect: args.suspect.clone(),
        out: args.out.clone(),
        settings,
        ignore_masks,
        registered: args.registered,
        other_inputs: args.mask.iter().cloned().collect(),
        save_session: args.save_session.clone(),
        dump_score_map: args.dump_score_map.clone(),
    };
    let outcome = compare_files(&job, &bar);
    bar.finish();
    match outcome {
        Ok(report) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            eprintln!(
                "{} region(s); alignment rms {:.2} px, {} inliers, overlap {:.0}%; wrote {}",
                report.regions.len(),
                report.alignment.rms_residual_px,
                report.alignment.inliers,
                report.alignment.overlap * 100.0,
                args.out.display()
            );
            Ok(u8::from(!report.regions.is_empty()))
        }
        Err(e @ EngineError::AlignmentRefused { .. }) => {
            Err(anyhow::Error::new(e).context(format!("wrote {}", args.out.display())))
        }
        Err(e) => Err(e.into()),
    }
}

/// `boarddiff samples`: the bundled pair, compared headless into ./boarddiff-out.
pub fn compare_samples() -> Result<u8> {
    let dir = samples_dir()?;
    let args = CompareArgs {
        reference: dir.join("reference.jpg"),
        suspect: dir.join("suspect.jpg"),
        out: PathBuf::from("boarddiff-out"),
        mask: None,
        detect: DetectArgs::default(),
        registered: false,
        quiet: false,
        json: false,
        save_session: None,
        dump_score_map: None,
    };
    eprintln!(
        "comparing the bundled sample boards in {} -> {}",
        dir.display(),
        args.out.display()
    );
    compare(&args)
}
