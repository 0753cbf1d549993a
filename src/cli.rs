//! Command-line front end: argument types and the commands behind them. Kept out of
//! main.rs so that integration tests can call the same code paths.
use crate::engine::error::EngineError;
use crate::engine::export::write_outputs;
use crate::engine::load::sha256_file;
use crate::engine::pipeline::{compare_timed, load_pair, Comparison, Progress, Stage, Timings};
use crate::engine::regions::DetectSettings;
use crate::engine::report::{
    parse_mask, write_atomic, write_json, AlignmentReport, ImageInfo, Report, SCHEMA,
};
use crate::engine::synth;
use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "boarddiff",
    version,
    about = "Golden-board inspection: find added, removed or altered components between a reference and a suspect board photo"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compare a suspect photo against a reference photo and write a report.
    Compare(CompareArgs),
    /// Compare the bundled sample boards (what a bare `boarddiff` does).
    Samples,
    /// Generate synthetic boards and test cases.
    #[command(subcommand)]
    Synth(SynthCommand),
}

#[derive(ClapArgs, Debug)]
pub struct CompareArgs {
    #[arg(long)]
    pub reference: PathBuf,
    #[arg(long)]
    pub suspect: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// JSON file with rectangles to ignore: {"rects": [[x, y, w, h], ...]} in reference pixels.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Higher finds fainter changes (default 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub sensitivity: f64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum SynthCommand {
    /// Render a procedural board photo.
    Board {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// WIDTHxHEIGHT, e.g. 6000x4000.
        #[arg(long, default_value = "6000x4000")]
        size: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Render a reference/suspect pair with planted changes and truth.json.
    Pair {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "6000x4000")]
        size: String,
        /// Number of planted modifications (0 = a clean pair).
        #[arg(long, default_value_t = 3)]
        modifications: usize,
        /// JPEG quality of the written photos.
        #[arg(long, default_value_t = 90)]
        quality: u8,
        /// 0 (large parts, strong changes) to 1 (0402 parts, subtle changes).
        #[arg(long, default_value_t = 0.5)]
        difficulty: f64,
        #[arg(long)]
        out: PathBuf,
    },
}

struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn update(&self, stage: Stage, fraction: f32) {
        if let Some(bar) = &self.0 {
            let base = match stage {
                Stage::Decode => 0.0,
                Stage::Pyramid => 0.2,
                Stage::Align => 0.25,
                Stage::Warp => 0.55,
                Stage::Diff => 0.65,
                Stage::Regions => 0.8,
                Stage::Export => 0.85,
            };
            bar.set_message(stage.label());
            bar.set_position(((base + 0.1 * fraction) * 100.0) as u64);
        }
    }
}

fn progress_bar(quiet: bool) -> Bar {
    if quiet || !std::io::stderr().is_terminal() {
        return Bar(None);
    }
    let bar = indicatif::ProgressBar::new(100);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}")
            .expect("static template"),
    );
    Bar(Some(bar))
}

/// Runs a comparison and writes DIR; returns the exit code (0 no regions, 1 regions).
pub fn compare(args: &CompareArgs) -> Result<u8> {
    if !(args.sensitivity.is_finite() && args.sensitivity > 0.0) {
        bail!(
            "--sensitivity must be a positive number, got {}",
            args.sensitivity
        );
    }
    let ignore = match &args.mask {
        Some(m) => parse_mask(m)?.rects,
        None => Vec::new(),
    };
    let settings = DetectSettings {
        sensitivity: args.sensitivity,
        ..DetectSettings::default()
    };
    let bar = progress_bar(args.quiet);
    bar.update(Stage::Decode, 0.0);
    let mut timings = Timings::default();
    let start = Instant::now();
    let (reference, suspect) = load_pair(&args.reference, &args.suspect)?;
    timings
        .0
        .push((Stage::Decode, start.elapsed().as_secs_f64()));
    let info = |path: &Path, img: &image::RgbImage| -> Result<ImageInfo> {
        Ok(ImageInfo {
            path: path.display().to_string(),
            width: img.width(),
            height: img.height(),
            sha256: Some(sha256_file(path)?),
        })
    };
    let reference_info = info(&args.reference, &reference.rgb)?;
    let suspect_info = info(&args.suspect, &suspect.rgb)?;
    let outcome = compare_timed(
        reference.rgb,
        suspect.rgb,
        settings.clone(),
        ignore.clone(),
        &bar,
        &mut timings,
    );
    let result = match outcome {
        Ok(cmp) => {
            bar.update(Stage::Export, 0.0);
            let start = Instant::now();
            let mut report = report_for(&cmp, reference_info, suspect_info);
            write_outputs(Some(&cmp), &report, &args.out)?;
            let mut timings = cmp.timings.clone();
            timings
                .0
                .push((Stage::Export, start.elapsed().as_secs_f64()));
            report.timings_s = timings.as_pairs();
            write_json(&args.out.join("report.json"), &report)?;
            if let Some(b) = &bar.0 {
                b.finish_and_clear();
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
        Err(EngineError::AlignmentRefused { reason }) => {
            if let Some(b) = &bar.0 {
                b.finish_and_clear();
            }
            let report = Report {
                schema: SCHEMA,
                reference: reference_info,
                suspect: suspect_info,
                alignment: AlignmentReport {
                    status: "failed".into(),
                    reason: Some(reason.clone()),
                    homography: None,
                    inliers: 0,
                    rms_residual_px: 0.0,
                    overlap: 0.0,
                    residual_field_max_px: 0.0,
                    patches_matched: 0,
                    patches_textured: 0,
                },
                regions: Vec::new(),
                settings,
                ignore_masks: ignore,
                timings_s: timings.as_pairs(),
            };
            write_outputs(None, &report, &args.out)?;
            bail!("alignment refused: {reason}")
        }
        Err(e) => Err(e.into()),
    };
    result
}

pub fn report_for(cmp: &Comparison, reference: ImageInfo, suspect: ImageInfo) -> Report {
    let q = &cmp.alignment.quality;
    Report {
        schema: SCHEMA,
        reference,
        suspect,
        alignment: AlignmentReport {
            status: "ok".into(),
            reason: None,
            homography: Some(cmp.alignment.suspect_from_reference),
            inliers: q.inliers,
            rms_residual_px: (q.rms_residual_px * 1000.0).round() / 1000.0,
            overlap: (q.overlap * 1000.0).round() / 1000.0,
            residual_field_max_px: (q.field_max_px * 1000.0).round() / 1000.0,
            patches_matched: q.patches_matched,
            patches_textured: q.patches_textured,
        },
        regions: cmp.regions.clone(),
        settings: cmp.settings.clone(),
        ignore_masks: cmp.ignore.clone(),
        timings_s: cmp.timings.as_pairs(),
    }
}

/// The bundled pair: next to the executable's source tree, or in the working directory.
pub fn samples_dir() -> PathBuf {
    let here = PathBuf::from("sample_boards");
    if here.join("reference.jpg").exists() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_boards")
}

pub fn compare_samples() -> Result<u8> {
    let dir = samples_dir();
    let args = CompareArgs {
        reference: dir.join("reference.jpg"),
        suspect: dir.join("suspect.jpg"),
        out: PathBuf::from("boarddiff-out"),
        mask: None,
        sensitivity: 1.0,
        quiet: false,
    };
    eprintln!(
        "comparing the bundled sample boards in {} -> {}",
        dir.display(),
        args.out.display()
    );
    compare(&args)
}

fn parse_size(size: &str) -> Result<(u32, u32)> {
    let (w, h) = size
        .split_once(['x', 'X'])
        .with_context(|| format!("--size must look like 6000x4000, got {size:?}"))?;
    let (w, h): (u32, u32) = (
        w.trim().parse().context("--size width")?,
        h.trim().parse().context("--size height")?,
    );
    if !(256..=20000).contains(&w) || !(256..=20000).contains(&h) {
        bail!("--size {w}x{h}: each side must be between 256 and 20000 pixels");
    }
    Ok((w, h))
}

fn write_jpeg(path: &Path, img: &image::RgbImage, quality: u8) -> Result<()> {
    write_atomic(path, &synth::camera::encode_jpeg(img, quality))?;
    Ok(())
}

pub fn synth(cmd: &SynthCommand) -> Result<()> {
    match cmd {
        SynthCommand::Board { seed, size, out } => {
            let (w, h) = parse_size(size)?;
            let layout = synth::layout::Layout::generate(w, h, *seed);
            let board = synth::paint::paint(&layout, *seed);
            let camera =
                synth::camera::Camera::plain(w, h, crate::engine::geometry::Homography::identity());
            let photo = camera.shoot(&board, *seed);
            let is_png = out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if is_png {
                write_atomic(out, &crate::engine::export::encode_png(&photo))?;
            } else {
                write_jpeg(out, &photo, 92)?;
            }
        }
        SynthCommand::Pair {
            seed,
            size,
            modifications,
            quality,
            difficulty,
            out,
        } => {
            let (w, h) = parse_size(size)?;
            if !(0.0..=1.0).contains(difficulty) {
                bail!("--difficulty must be between 0 and 1, got {difficulty}");
            }
            let mut spec = synth::case::CaseSpec::new(w, h, *seed);
            spec.modifications = *modifications;
            spec.difficulty = *difficulty;
            spec.kinds = vec![
                crate::engine::report::RegionKind::Added,
                crate::engine::report::RegionKind::Altered,
                crate::engine::report::RegionKind::Removed,
            ];
            let case = synth::case::generate(&spec);
            std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
            write_jpeg(&out.join("reference.jpg"), &case.reference, *quality)?;
            write_jpeg(&out.join("suspect.jpg"), &case.suspect, *quality)?;
            write_json(&out.join("truth.json"), &case.truth)?;
        }
    }
    Ok(())
}
