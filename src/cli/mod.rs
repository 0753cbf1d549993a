//! The command line: argument types, and the commands behind them in one module each.
//! Each command calls the core, output and synth crates; errors are turned into messages
//! and exit codes once, in `main`.
mod compare;
mod eval;
mod export;
#[cfg(feature = "gui")]
mod gui;
mod progress_bar;
mod synth;

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
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::PathBuf;

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
    /// Also write a review session (`.boarddiff`) that the app and `boarddiff export` open.
    #[arg(long, value_name = "FILE")]
    pub save_session: Option<PathBuf>,
}

#[cfg(feature = "gui")]
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
    /// Export even though a photo changed since the session was saved; the report then
    /// states the new hash and carries a warning that the review was of other bytes.
    #[arg(long)]
    pub allow_changed_images: bool,
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
        let d = DetectSettings::default();
        let settings = DetectSettings {
            sensitivity: self.sensitivity,
            tolerance_px: self.tolerance_px.unwrap_or(d.tolerance_px),
            jitter_px: self.jitter_px.unwrap_or(d.jitter_px),
            min_area_px: self.min_area_px.or(d.min_area_px),
            seed_sigma: self.seed_sigma.unwrap_or(d.seed_sigma),
            grow_sigma: self.grow_sigma.unwrap_or(d.grow_sigma),
            px_per_mm: self.px_per_mm,
            board_width_mm: self.board_width_mm,
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
        /// How the second board differs from the first: every part placed again, the
        /// camera leaning, the light turned.
        #[arg(long, value_enum, default_value_t = Variation::Typical)]
        variation: Variation,
        /// Scale of the photos in px per mm (default: a 250 mm board across the frame).
        #[arg(long, value_parser = parse_px_per_mm)]
        px_per_mm: Option<f64>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// How a simulated second board differs from the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Variation {
    /// The same board photographed again.
    None,
    /// A second board from the same line: placement 0.03 mm and 0.4 deg, camera 2-4 deg
    /// off, light turned by 30-45 deg.
    Typical,
    /// Placement 0.05 mm and 0.6 deg, camera 4-5 deg off, light turned by 45 deg.
    Harsh,
}

impl From<Variation> for boarddiff_synth::variation::VariationLevel {
    fn from(v: Variation) -> Self {
        match v {
            Variation::None => Self::None,
            Variation::Typical => Self::Typical,
            Variation::Harsh => Self::Harsh,
        }
    }
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

/// The bundled sample pair: in the working directory, or beside the source tree the
/// binary was built from.
pub fn samples_dir() -> PathBuf {
    let here = PathBuf::from("sample_boards");
    if here.join("reference.jpg").exists() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_boards")
}
