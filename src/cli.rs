//! Command-line front end: argument types and the commands behind them. Kept out of
//! main.rs so that integration tests can call the same code paths.
use crate::engine::error::EngineError;
use crate::engine::export::write_outputs;
use crate::engine::load::sha256_file;
use crate::engine::pipeline::{compare_timed, load_pair, Comparison, Progress, Stage, Timings};
use crate::engine::regions::DetectSettings;
use crate::engine::report::{parse_mask, write_atomic, write_json, ImageInfo, Report, SCHEMA};
use crate::engine::session::alignment_report;
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
    /// Open the review app (a bare `boarddiff` opens it on the bundled sample boards).
    Gui(GuiArgs),
    /// Write the annotated image, crop sheet, HTML report and JSON of a saved session.
    Export(ExportArgs),
    /// Score the detector on a set of cases: own case folders, DeepPCB or PKU/VOC.
    Eval(EvalArgs),
    /// Compare the bundled sample boards headless, into ./boarddiff-out.
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
    #[command(flatten)]
    pub detect: DetectArgs,
    /// The images are already registered (AOI or scanner output): refine from the identity
    /// by up to 12 px instead of matching features, which binarised scans have few of.
    #[arg(long)]
    pub registered: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(ClapArgs, Debug)]
pub struct GuiArgs {
    #[arg(long, requires = "suspect", conflicts_with = "session")]
    pub reference: Option<PathBuf>,
    #[arg(long, requires = "reference")]
    pub suspect: Option<PathBuf>,
    /// A saved `.boarddiff` session.
    #[arg(long)]
    pub session: Option<PathBuf>,
    /// A case folder (reference, suspect, truth.json, e.g. from `synth implant`) as a quiz.
    #[arg(long, conflicts_with_all = ["reference", "session"])]
    pub quiz: Option<PathBuf>,
    /// Render once after loading, save the window to this PNG and exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Start in this view: side-by-side, overlay, blink, swipe or heatmap.
    #[arg(long)]
    pub mode: Option<String>,
    /// Select (and zoom to) this region number after loading.
    #[arg(long)]
    pub select: Option<u32>,
    /// Side by side shows the suspect as photographed.
    #[arg(long)]
    pub raw_suspect: bool,
    /// Start with the loupe on.
    #[arg(long)]
    pub loupe: bool,
    /// Window size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1600x1000")]
    pub window: String,
}

#[derive(ClapArgs, Debug)]
pub struct ExportArgs {
    #[arg(long)]
    pub session: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// Draw the annotated image on the reference or the suspect.
    #[arg(long, default_value = "reference")]
    pub on: String,
    /// png or jpeg.
    #[arg(long, default_value = "png")]
    pub format: String,
    /// Also draw regions marked benign.
    #[arg(long)]
    pub include_benign: bool,
}

#[derive(ClapArgs, Debug)]
pub struct EvalArgs {
    /// A case folder, a folder of case folders, a DeepPCB root or a PKU/VOC root.
    pub path: PathBuf,
    /// Warp registered test images by a random known homography plus light changes, so
    /// that aligned datasets exercise alignment too.
    #[arg(long)]
    pub warp: Option<u64>,
    /// Evaluate at most this many cases.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Align registered pairs too, instead of comparing them as registered.
    #[arg(long, conflicts_with = "warp")]
    pub realign: bool,
    /// Where to write the JSON results.
    #[arg(long, default_value = "boarddiff-eval.json")]
    pub json: PathBuf,
    #[command(flatten)]
    pub detect: DetectArgs,
}

/// Detector settings shared by `compare` and `eval`. Only sensitivity is for everyday
/// use; the rest let an engineer tune the detector on a dataset with `eval`.
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct DetectArgs {
    /// Higher finds fainter changes (default 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub sensitivity: f64,
    /// Neighbourhood (working px) in which a pixel may find its match in the other photo.
    #[arg(long)]
    pub tolerance_px: Option<usize>,
    /// How far (working px) a part may have moved and still count as the same part;
    /// 0 turns the placement-jitter check off.
    #[arg(long)]
    pub jitter_px: Option<usize>,
    /// Smallest region kept, in reference pixels.
    #[arg(long)]
    pub min_area_px: Option<u64>,
    /// Hysteresis seed and grow thresholds, in noise sigmas.
    #[arg(long)]
    pub seed_sigma: Option<f64>,
    #[arg(long)]
    pub grow_sigma: Option<f64>,
}

impl DetectArgs {
    pub fn settings(&self) -> Result<DetectSettings> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(anyhow::anyhow!(
                    "--{name} must be a positive number, got {v}"
                ))
            }
        };
        let d = DetectSettings::default();
        let settings = DetectSettings {
            sensitivity: positive("sensitivity", self.sensitivity)?,
            tolerance_px: self.tolerance_px.unwrap_or(d.tolerance_px),
            jitter_px: self.jitter_px.unwrap_or(d.jitter_px),
            min_area_px: self.min_area_px.unwrap_or(d.min_area_px),
            seed_sigma: positive("seed-sigma", self.seed_sigma.unwrap_or(d.seed_sigma))?,
            grow_sigma: positive("grow-sigma", self.grow_sigma.unwrap_or(d.grow_sigma))?,
            ..d
        };
        if settings.tolerance_px > 8 || settings.jitter_px > 8 {
            bail!("--tolerance-px and --jitter-px are at most 8 working pixels");
        }
        if settings.grow_sigma > settings.seed_sigma {
            bail!(
                "--grow-sigma ({}) must not exceed --seed-sigma ({})",
                settings.grow_sigma,
                settings.seed_sigma
            );
        }
        Ok(settings)
    }
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
    /// Plant implants in a real board photo and re-photograph it: writes suspect.jpg,
    /// truth.json and a copy of the reference into OUT.
    Implant {
        #[arg(long)]
        reference: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 3)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// easy, medium or hard: part size and strength of the changes.
        #[arg(long, default_value = "medium")]
        difficulty: String,
        /// Comma-separated: added, removed, altered.
        #[arg(long, default_value = "added,removed,altered")]
        kinds: String,
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
    let settings = args.detect.settings()?;
    let ignore = match &args.mask {
        Some(m) => parse_mask(m)?.rects,
        None => Vec::new(),
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
    if args.registered && reference.rgb.dimensions() != suspect.rgb.dimensions() {
        let ((rw, rh), (sw, sh)) = (reference.rgb.dimensions(), suspect.rgb.dimensions());
        anyhow::bail!(
            "--registered: {} is {sw}x{sh} but the reference {} is {rw}x{rh}; registered \
             images have the same size (drop --registered to align them automatically)",
            args.suspect.display(),
            args.reference.display()
        );
    }
    // Registered scans have few features to match: refine from the identity instead.
    let alignment = args
        .registered
        .then(|| crate::engine::align::registered(&reference.rgb, &suspect.rgb));
    let outcome = compare_timed(
        reference.rgb,
        suspect.rgb,
        alignment,
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
                alignment: alignment_report(None, Some(reason.clone())),
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
    Report {
        schema: SCHEMA,
        reference,
        suspect,
        alignment: alignment_report(Some(&cmp.alignment), None),
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
        detect: DetectArgs {
            sensitivity: 1.0,
            ..DetectArgs::default()
        },
        registered: false,
        quiet: false,
    };
    eprintln!(
        "comparing the bundled sample boards in {} -> {}",
        dir.display(),
        args.out.display()
    );
    compare(&args)
}

/// Opens the review app; blocks until its window closes.
pub fn gui(args: &GuiArgs) -> Result<u8> {
    use crate::app::{AppConfig, Launch};
    let launch = match (&args.reference, &args.suspect, &args.session) {
        _ if args.quiz.is_some() => Launch::Quiz(args.quiz.clone().unwrap_or_default()),
        (Some(r), Some(s), _) => Launch::Pair {
            reference: r.clone(),
            suspect: s.clone(),
        },
        (_, _, Some(session)) => Launch::Session(session.clone()),
        _ => {
            let dir = samples_dir();
            Launch::Pair {
                reference: dir.join("reference.jpg"),
                suspect: dir.join("suspect.jpg"),
            }
        }
    };
    let mode = match &args.mode {
        Some(m) => Some(crate::app::actions::ViewMode::parse(m).with_context(|| {
            format!("--mode {m:?}: use side-by-side, overlay, blink, swipe or heatmap")
        })?),
        None => None,
    };
    let (w, h) = args
        .window
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?)))
        .filter(|(w, h)| *w >= 400.0 && *h >= 300.0)
        .with_context(|| format!("--window must look like 1600x1000, got {:?}", args.window))?;
    let config = AppConfig {
        launch,
        screenshot: args.screenshot.clone(),
        mode,
        select: args.select,
        raw_suspect: args.raw_suspect,
        loupe: args.loupe,
        autosave_dir: None,
        fresh_prefs: args.screenshot.is_some(),
    };
    crate::app::run(config, [w, h]).map_err(|e| {
        anyhow::anyhow!(
            "could not open the window: {e}. The app needs a display (X11 or Wayland) and a \
             Vulkan or OpenGL driver; headless, use `boarddiff compare`."
        )
    })?;
    Ok(0)
}

/// Rebuilds every export of a saved session without a window.
pub fn export(args: &ExportArgs) -> Result<u8> {
    use crate::engine::review_export::{export_review, ExportOptions, ImageFormat, ImageOn};
    use crate::engine::session::Session;
    let on = match args.on.to_ascii_lowercase().as_str() {
        "reference" => ImageOn::Reference,
        "suspect" => ImageOn::Suspect,
        other => bail!("--on {other:?}: use reference or suspect"),
    };
    let format = match args.format.to_ascii_lowercase().as_str() {
        "png" => ImageFormat::Png,
        "jpg" | "jpeg" => ImageFormat::Jpeg,
        other => bail!("--format {other:?}: use png or jpeg"),
    };
    let session = Session::load(&args.session)?;
    for w in session.changed_images() {
        eprintln!("warning: {w}");
    }
    let alignment = session.alignment.clone().with_context(|| {
        format!(
            "{}: the session has no alignment (it failed); open it in the app and align by hand",
            args.session.display()
        )
    })?;
    let (reference, suspect) = load_pair(
        Path::new(&session.reference.path),
        Path::new(&session.suspect.path),
    )?;
    let cmp = crate::engine::pipeline::compare_with_alignment(
        reference.rgb,
        suspect.rgb,
        alignment,
        session.settings.clone(),
        session.masks.clone(),
        &crate::engine::pipeline::NoProgress,
    )?;
    let options = ExportOptions {
        on,
        format,
        include_benign: args.include_benign,
        ..ExportOptions::default()
    };
    let written = export_review(&cmp, &session, &args.out, &options)?;
    eprintln!(
        "wrote {} files to {} ({} regions, {} reviewed)",
        written.len(),
        args.out.display(),
        session.regions.len(),
        session.reviewed_count()
    );
    Ok(0)
}

/// Runs the comparison over a set of cases, prints a table and writes JSON.
pub fn eval(args: &EvalArgs) -> Result<u8> {
    use crate::engine::datasets::{detect_layout, list_cases, load_case};
    use crate::engine::eval::{evaluate_case, summarize, CaseResult, Tally};
    let layout = detect_layout(&args.path)?;
    let mut cases = list_cases(&args.path, layout)?;
    cases.truncate(args.limit.unwrap_or(usize::MAX));
    let settings = args.detect.settings()?;
    eprintln!(
        "evaluating {} cases ({layout:?} layout{})",
        cases.len(),
        args.warp
            .map_or(String::new(), |s| format!(", warped with seed {s}"))
    );
    let mut results: Vec<CaseResult> = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let result = match load_case(case, args.warp, i) {
            Ok(mut loaded) => {
                loaded.prealigned &= !args.realign;
                evaluate_case(&case.name, loaded, &settings)
            }
            Err(e) => CaseResult {
                name: case.name.clone(),
                truth: Vec::new(),
                found: Vec::new(),
                regions: 0,
                false_regions: 0,
                region_boxes: Vec::new(),
                align_error_px: None,
                refused: Some(e.to_string()),
                seconds: 0.0,
                megapixels: 0.0,
                image_width: 0,
            },
        };
        let found = result.found.iter().filter(|f| **f).count();
        eprintln!(
            "[{}/{}] {}: found {found}/{}, {} false, align {}{}",
            i + 1,
            cases.len(),
            result.name,
            result.truth.len(),
            result.false_regions,
            result
                .align_error_px
                .map_or("-".into(), |e| format!("{e:.3} px")),
            result
                .refused
                .as_ref()
                .map_or(String::new(), |r| format!(", REFUSED: {r}"))
        );
        results.push(result);
    }
    let summary = summarize(&results);
    let pct = |t: &Tally| {
        t.rate().map_or("-".to_string(), |r| {
            format!("{:5.1}% ({}/{})", 100.0 * r, t.found, t.total)
        })
    };
    let px = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3} px"));
    println!(
        "cases                      {} ({} clean, {} refused)",
        summary.cases, summary.clean_cases, summary.refused
    );
    println!("alignment error median     {}", px(summary.align_median_px));
    println!("alignment error max        {}", px(summary.align_max_px));
    println!("recall                     {}", pct(&summary.recall));
    for (k, t) in &summary.recall_by_kind {
        println!("  {k:<24} {}", pct(t));
    }
    for (b, t) in &summary.recall_by_size {
        println!("  {b:<24} {}", pct(t));
    }
    println!(
        "precision                  {}",
        summary
            .precision
            .map_or("-".into(), |p| format!("{:5.1}%", 100.0 * p))
    );
    println!(
        "false regions per pair     {:.2}",
        summary.false_regions_per_pair
    );
    println!(
        "false regions/clean pair   {}",
        summary
            .false_regions_per_clean_pair
            .map_or("-".into(), |v| format!("{v:.2}"))
    );
    println!(
        "seconds per megapixel      {:.3}",
        summary.seconds_per_megapixel
    );
    #[derive(serde::Serialize)]
    struct Out<'a> {
        path: String,
        layout: String,
        warp: Option<u64>,
        summary: &'a crate::engine::eval::EvalSummary,
        cases: &'a [CaseResult],
    }
    write_json(
        &args.json,
        &Out {
            path: args.path.display().to_string(),
            layout: format!("{layout:?}"),
            warp: args.warp,
            summary: &summary,
            cases: &results,
        },
    )?;
    eprintln!("wrote {}", args.json.display());
    Ok(0)
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
        SynthCommand::Implant {
            reference,
            out,
            count,
            seed,
            difficulty,
            kinds,
        } => {
            use crate::engine::synth::implant::{simulate, Difficulty, ImplantSpec};
            let difficulty = Difficulty::parse(difficulty).with_context(|| {
                format!("--difficulty {difficulty:?}: use easy, medium or hard")
            })?;
            let kinds = kinds
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(|k| {
                    crate::engine::report::RegionKind::parse(k).with_context(|| {
                        format!("--kinds: {k:?} is not one of added, removed, altered")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if *count == 0 || *count > 50 {
                bail!("--count must be between 1 and 50, got {count}");
            }
            let photo = crate::engine::load::load_rgb(reference)?;
            let (suspect, truth) = simulate(
                &photo.rgb,
                &ImplantSpec {
                    seed: *seed,
                    count: *count,
                    difficulty,
                    kinds,
                },
            );
            std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
            let ext = reference.extension().map_or("jpg".to_string(), |e| {
                e.to_string_lossy().to_ascii_lowercase()
            });
            let copy = out.join(format!("reference.{ext}"));
            let same = std::fs::canonicalize(&copy).ok() == std::fs::canonicalize(reference).ok();
            if !same {
                let bytes = std::fs::read(reference)
                    .with_context(|| format!("reading {}", reference.display()))?;
                write_atomic(&copy, &bytes)?;
            }
            write_jpeg(&out.join("suspect.jpg"), &suspect, 95)?;
            write_json(&out.join("truth.json"), &truth)?;
            eprintln!(
                "planted {} of {count} modification(s); wrote {}",
                truth.modifications.len(),
                out.display()
            );
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
