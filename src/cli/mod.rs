//! The command line: argument types, and the commands behind them in one module each.
//! Each command calls the core, output and synth crates; errors are turned into messages
//! and exit codes once, in `main`.
mod batch;
mod choices;
mod compare;
mod eval;
mod export;
#[cfg(feature = "gui")]
mod gui;
mod progress_bar;
mod synth;

pub use batch::{batch, batch_merge};
pub use compare::{compare, compare_samples};
pub use eval::eval;
pub use export::export;
#[cfg(feature = "gui")]
pub use gui::gui;
pub use synth::synth;

use anyhow::Result;
use boarddiff_core::settings::{
    check_range, DetectSettings, BOARD_WIDTH_MM_RANGE, PX_PER_MM_RANGE,
};
#[cfg(feature = "gui")]
use choices::Mode;
pub use choices::Shell;
use choices::{Difficulty, Format, Kind, On, Variation};
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "boarddiff",
    version,
    about = "Golden-board inspection: find added, removed or altered components between a reference and a suspect board photo",
    after_help = "Examples:
  boarddiff                                   the review app on the bundled sample boards
  boarddiff compare --reference good.jpg --suspect board7.jpg --out board7
  boarddiff gui --session board7.boarddiff    review a saved session
  boarddiff export --session board7.boarddiff --out board7-report
  boarddiff batch --profile good.golden --out shipment12 shipment12/photos/

Exit codes: 0 nothing found, 1 regions found (export: a region marked suspicious or
confirmed implant), 2 error."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compare a suspect photo against a reference photo and write a report.
    Compare(CompareArgs),
    /// Compare many suspect photos against one golden board, into one folder with a summary.
    Batch(BatchArgs),
    /// Merge the folders of `batch --shard` runs into one batch folder.
    BatchMerge(BatchMergeArgs),
    /// Open the review app (a bare `boarddiff` opens it on the bundled sample boards).
    #[cfg(feature = "gui")]
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
    /// Print a shell completion script: `boarddiff completions bash > ~/.local/share/bash-completion/completions/boarddiff`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff): `boarddiff man > boarddiff.1; man ./boarddiff.1`.
    Man,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  boarddiff compare --reference good.jpg --suspect board7.jpg --out board7
  boarddiff compare --reference good.jpg --suspect board7.jpg --out board7 \\
      --mask sticker.json --px-per-mm 38 --save-session board7.boarddiff
  boarddiff compare --reference a.png --suspect b.png --out ab --registered --json > ab.json

Exit codes: 0 no regions, 1 regions found, 2 error (unreadable photo, alignment refused).")]
pub struct CompareArgs {
    /// The known-good board's photo.
    #[arg(long)]
    pub reference: PathBuf,
    /// The photo of the board under inspection.
    #[arg(long)]
    pub suspect: PathBuf,
    /// Folder for report.json, annotated.png and regions/; replaced whole by each run.
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
    /// Also print report.json on standard output.
    #[arg(long)]
    pub json: bool,
    /// Also write a review session (`.boarddiff`) that the app and `boarddiff export` open.
    #[arg(long, value_name = "FILE")]
    pub save_session: Option<PathBuf>,
    /// Also write the score map (noise sigmas per working pixel, float32, rows x columns)
    /// as a numpy .npy file: `numpy.load(F)`.
    #[arg(long, value_name = "F.npy")]
    pub dump_score_map: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  boarddiff batch --reference good.jpg --out shipment12 photos/*.jpg
  boarddiff batch --profile good.golden --out shipment12 photos/ --html
  boarddiff batch --profile good.golden --out part2 --shard 2/4 'photos/*.jpg'
  boarddiff batch-merge --out shipment12 part1 part2 part3 part4

Writes one folder per suspect (as `compare` does, plus session.boarddiff for the app),
summary.json, summary.csv, junit.xml and index.html (worst first).
Exit codes: 0 every suspect clean, 1 regions found in any, 2 any suspect could not be
read or aligned, or the batch could not run.")]
pub struct BatchArgs {
    /// The known-good board's photo.
    #[arg(long, conflicts_with = "profile", required_unless_present = "profile")]
    pub reference: Option<PathBuf>,
    /// A golden profile saved from the app: the reference, its ignore masks and the
    /// detection settings. Detection flags given here override its settings.
    #[arg(long, value_name = "FILE.golden")]
    pub profile: Option<PathBuf>,
    /// Folder for the batch: one folder per suspect and the summaries; replaced whole.
    #[arg(long)]
    pub out: PathBuf,
    /// Suspect photos: files, folders (the photos in them) or quoted globs ('dir/*.jpg').
    /// A photo named twice is compared once.
    #[arg(required = true, num_args = 1.., value_name = "SUSPECT")]
    pub suspects: Vec<String>,
    /// JSON file with more rectangles to ignore, in reference pixels (added to a profile's).
    #[arg(long)]
    pub mask: Option<PathBuf>,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Compare only the K-th of N shares of the suspect list (K from 1), for fanning a
    /// batch out over machines; `batch-merge` joins the shards' folders.
    #[arg(long, value_name = "K/N", value_parser = batch::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Suspects compared at once (default: one per core up to 4, fewer when memory is short).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Also write each suspect's self-contained report.html.
    #[arg(long)]
    pub html: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Example:
  boarddiff batch-merge --out shipment12 part1 part2 part3 part4

Exit codes as for batch, over every merged suspect.")]
pub struct BatchMergeArgs {
    /// Folder for the merged batch; replaced whole.
    #[arg(long)]
    pub out: PathBuf,
    /// The batch folders to merge (shards of one batch: same reference and settings).
    #[arg(required = true, num_args = 1.., value_name = "BATCH")]
    pub batches: Vec<PathBuf>,
}

#[cfg(feature = "gui")]
#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  boarddiff gui --reference good.jpg --suspect board7.jpg
  boarddiff gui --session board7.boarddiff --mode blink --select 2
  boarddiff gui --profile good.golden --suspect board8.jpg
  boarddiff gui --quiz class/case3")]
pub struct GuiArgs {
    /// The known-good board's photo (with --suspect).
    #[arg(long, requires = "suspect", conflicts_with = "session")]
    pub reference: Option<PathBuf>,
    /// The photo of the board under inspection (with --reference or --profile).
    #[arg(long)]
    pub suspect: Option<PathBuf>,
    /// A golden profile (saved from the app): its reference, ignore masks and settings,
    /// against --suspect.
    #[arg(long, value_name = "FILE.golden", requires = "suspect", conflicts_with_all = ["reference", "session"])]
    pub profile: Option<PathBuf>,
    /// A saved `.boarddiff` session.
    #[arg(long)]
    pub session: Option<PathBuf>,
    /// A case folder (reference, suspect, truth.json, e.g. from `synth implant`) as a quiz.
    #[arg(long, conflicts_with_all = ["reference", "session", "profile", "suspect"])]
    pub quiz: Option<PathBuf>,
    /// Render once after loading, save the window to this PNG and exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Start in this view.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
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
#[command(after_help = "Examples:
  boarddiff export --session board7.boarddiff --out board7-report
  boarddiff export --session board7.boarddiff --out r --on suspect --format jpeg

Exit codes: 0 no region marked suspicious or confirmed implant, 1 at least one is (a gate
for a ticket or a CI job), 2 error (including photos changed since review).")]
pub struct ExportArgs {
    /// The reviewed session.
    #[arg(long)]
    pub session: PathBuf,
    /// Folder for the report; replaced whole by each export.
    #[arg(long)]
    pub out: PathBuf,
    /// Draw the annotated image on this photo.
    #[arg(long, value_enum, default_value_t = On::Reference)]
    pub on: On,
    /// Format of the annotated image and crop sheet.
    #[arg(long, value_enum, default_value_t = Format::Png)]
    pub format: Format,
    /// Also draw regions marked benign.
    #[arg(long)]
    pub include_benign: bool,
    /// Export even though a photo changed since the session was saved; the report then
    /// states the new hash and carries a warning that the review was of other bytes.
    #[arg(long)]
    pub allow_changed_images: bool,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  boarddiff eval held-out/                         folders from `synth pair`
  boarddiff eval DeepPCB/PCBData --json deeppcb.json
  boarddiff eval PCB_DATASET --warp 7              PKU photos, warped by a known homography

Exit code 2 when a case could not be read; it is listed and not scored.")]
pub struct EvalArgs {
    /// A case folder, a folder of case folders, a DeepPCB root or a PKU/VOC root.
    pub path: PathBuf,
    /// Warp registered test images by a random known homography plus light changes, so
    /// that aligned datasets exercise alignment too.
    #[arg(long, value_name = "SEED")]
    pub warp: Option<u64>,
    /// Evaluate at most this many cases.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Align registered pairs too, instead of comparing them as registered.
    #[arg(long, conflicts_with = "warp")]
    pub realign: bool,
    /// Also write the results, per case and in summary, as JSON to this file, and the
    /// FROC curve as a PNG plot beside it (NAME-froc.png).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Evaluate at several sensitivities in one go (comma-separated, e.g. 0.5,1,2): each
    /// pair is aligned once and only detection runs again.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SENSITIVITIES",
        conflicts_with = "sensitivity"
    )]
    pub sweep: Vec<f64>,
    #[command(flatten)]
    pub detect: DetectArgs,
}

/// Detector settings shared by `compare`, `batch` and `eval`. Only sensitivity is for everyday
/// use; the rest let an engineer tune the detector on a dataset with `eval`.
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct DetectArgs {
    /// Higher finds fainter changes (0.05-20; default 1, or a golden profile's).
    #[arg(long)]
    pub sensitivity: Option<f64>,
    /// Neighbourhood (working px, 0-8) in which a pixel may find its match in the other photo.
    #[arg(long)]
    pub tolerance_px: Option<usize>,
    /// How far (working px, 0-8) a part may have moved and still count as the same part;
    /// 0 turns the placement-jitter check off.
    #[arg(long)]
    pub jitter_px: Option<usize>,
    /// Smallest region kept, in reference pixels (default: 0.25 mm² at the board's scale).
    #[arg(long)]
    pub min_area_px: Option<u64>,
    /// Hysteresis seed threshold, in noise sigmas.
    #[arg(long)]
    pub seed_sigma: Option<f64>,
    /// Hysteresis grow threshold, in noise sigmas (at most the seed threshold).
    #[arg(long)]
    pub grow_sigma: Option<f64>,
    /// Scale of the reference photo in px per mm, when known (a ruler in the shot, the
    /// board's drawing). Bounds how far a part of a second board may sit off.
    #[arg(long, value_parser = parse_px_per_mm, conflicts_with = "board_width_mm")]
    pub px_per_mm: Option<f64>,
    /// Width in mm that the reference photo's width spans, as an alternative to
    /// --px-per-mm (default: a 250 mm board filling the frame).
    #[arg(long, value_parser = parse_board_width_mm)]
    pub board_width_mm: Option<f64>,
}

impl DetectArgs {
    pub fn settings(&self) -> Result<DetectSettings> {
        self.settings_over(DetectSettings::default())
    }

    /// `base` (the defaults, or a golden profile's settings) with the flags given.
    pub fn settings_over(&self, d: DetectSettings) -> Result<DetectSettings> {
        // A scale given on the command line replaces the base's, in either form.
        let scale_given = self.px_per_mm.is_some() || self.board_width_mm.is_some();
        let settings = DetectSettings {
            sensitivity: self.sensitivity.unwrap_or(d.sensitivity),
            tolerance_px: self.tolerance_px.unwrap_or(d.tolerance_px),
            jitter_px: self.jitter_px.unwrap_or(d.jitter_px),
            min_area_px: self.min_area_px.or(d.min_area_px),
            seed_sigma: self.seed_sigma.unwrap_or(d.seed_sigma),
            grow_sigma: self.grow_sigma.unwrap_or(d.grow_sigma),
            px_per_mm: if scale_given {
                self.px_per_mm
            } else {
                d.px_per_mm
            },
            board_width_mm: if scale_given {
                self.board_width_mm
            } else {
                d.board_width_mm
            },
            ..d
        };
        settings.check().map_err(|e| anyhow::anyhow!("--{e}"))?;
        Ok(settings)
    }
}

#[derive(Subcommand, Debug)]
pub enum SynthCommand {
    /// Render a procedural board photo.
    Board {
        /// Random seed: the same seed gives the same board.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// WIDTHxHEIGHT, e.g. 6000x4000.
        #[arg(long, default_value = "6000x4000")]
        size: String,
        /// The JPEG file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Plant implants in a real board photo and re-photograph it: writes suspect.jpg,
    /// truth.json and a copy of the reference into OUT.
    #[command(after_help = "Example:
  boarddiff synth implant --reference our-board.jpg --out class/case1 --count 2 \\
      --difficulty hard --kinds added,altered")]
    Implant {
        /// The real photo to plant implants in.
        #[arg(long)]
        reference: PathBuf,
        /// The case folder to write.
        #[arg(long)]
        out: PathBuf,
        /// How many changes to plant (1-50).
        #[arg(long, default_value_t = 3)]
        count: usize,
        /// Random seed: the same seed plants the same changes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Part size and strength of the changes.
        #[arg(long, value_enum, default_value_t = Difficulty::Medium)]
        difficulty: Difficulty,
        /// Kinds of change to plant, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', num_args = 1.., default_value = "added,removed,altered")]
        kinds: Vec<Kind>,
        /// How the second board differs from the first: every part placed again, the
        /// camera leaning, the light turned.
        #[arg(long, value_enum, default_value_t = Variation::Typical)]
        variation: Variation,
        /// Scale of the photo in px per mm, when known (otherwise estimated from its parts).
        #[arg(long, value_parser = parse_px_per_mm)]
        px_per_mm: Option<f64>,
    },
    /// Render a reference/suspect pair with planted changes and truth.json.
    Pair {
        /// Random seed: the same seed gives the same pair.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// WIDTHxHEIGHT of both photos.
        #[arg(long, default_value = "6000x4000")]
        size: String,
        /// Number of planted modifications (0 = a clean pair, at most 50).
        #[arg(long, default_value_t = 3)]
        modifications: usize,
        /// JPEG quality of the written photos (1-100).
        #[arg(long, default_value_t = 90)]
        quality: u8,
        /// 0 (large parts, strong changes) to 1 (0402 parts, subtle changes).
        #[arg(long, default_value_t = 0.5)]
        difficulty: f64,
        /// How the second board differs from the first: every part placed again, the
        /// camera leaning, the light turned.
        #[arg(long, value_enum, default_value_t = Variation::Typical)]
        variation: Variation,
        /// Scale of the photos in px per mm (default: a 250 mm board across the frame).
        #[arg(long, value_parser = parse_px_per_mm)]
        px_per_mm: Option<f64>,
        /// The case folder to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// A photo's scale, px per mm, within the limits settings are checked against.
pub fn parse_px_per_mm(text: &str) -> Result<f64, String> {
    parse_in("px-per-mm", text, PX_PER_MM_RANGE)
}

pub fn parse_board_width_mm(text: &str) -> Result<f64, String> {
    parse_in("board-width-mm", text, BOARD_WIDTH_MM_RANGE)
}

fn parse_in(name: &str, text: &str, range: (f64, f64)) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    check_range(name, v, range)
}

/// The bundled sample pair: in the working directory, beside the binary (or in
/// `../share/boarddiff` from it, as a package installs it), or in the source tree the
/// binary was built from; an installed binary without them says how to get a pair.
pub fn samples_dir() -> Result<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let mut candidates = vec![PathBuf::from("sample_boards")];
    if let Some(bin) = beside_binary {
        candidates.push(bin.join("sample_boards"));
        candidates.push(bin.join("../share/boarddiff/sample_boards"));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_boards"));
    let found = candidates
        .iter()
        .find(|d| d.join("reference.jpg").is_file() && d.join("suspect.jpg").is_file());
    match found {
        Some(dir) => Ok(dir.clone()),
        None => anyhow::bail!(
            "the bundled sample boards are not here (looked in {}). They ship in the \
             source tree: run boarddiff from a checkout, copy its sample_boards/ beside the \
             binary, or make a pair with `boarddiff synth pair --seed 11 --size 4000x3000 \
             --out DIR` and open it with `boarddiff gui --reference DIR/reference.jpg \
             --suspect DIR/suspect.jpg`",
            candidates
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every subcommand says what it does and every flag what it means, so `--help`,
    /// the man page and completions are useful.
    #[test]
    fn every_subcommand_and_flag_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(name.clone());
                }
                walk(sub, &name, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Args::command(), "boarddiff", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
        Args::command().debug_assert();
    }
}
