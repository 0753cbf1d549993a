//! The command line's enumerations as clap value enums, so that `--help` and shell
//! completions list their values, and their conversions to the crates' own types.
use clap::ValueEnum;

/// How a simulated second board differs from the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Variation {
    /// The same board photographed again.
    None,
    /// A second board from the same line: placement 0.03 mm and 0.4 deg, camera 3-5 deg
    /// off, light turned by 30-45 deg.
    Typical,
    /// Placement 0.05 mm and 0.6 deg, camera 5 deg off, light turned by 45 deg.
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

/// The app's view at start.
#[cfg(feature = "gui")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    SideBySide,
    Overlay,
    Blink,
    Swipe,
    Heatmap,
}

#[cfg(feature = "gui")]
impl From<Mode> for boarddiff_app::prefs::ViewMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::SideBySide => Self::SideBySide,
            Mode::Overlay => Self::Overlay,
            Mode::Blink => Self::Blink,
            Mode::Swipe => Self::Swipe,
            Mode::Heatmap => Self::Heatmap,
        }
    }
}

/// Which photo the annotated image is drawn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum On {
    Reference,
    Suspect,
}

impl From<On> for boarddiff_output::export_options::ImageOn {
    fn from(o: On) -> Self {
        match o {
            On::Reference => Self::Reference,
            On::Suspect => Self::Suspect,
        }
    }
}

/// Image format of the exported pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Png,
    #[value(alias = "jpg")]
    Jpeg,
}

impl From<Format> for boarddiff_output::export_options::ImageFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Png => Self::Png,
            Format::Jpeg => Self::Jpeg,
        }
    }
}

/// Size of planted parts and strength of the changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl From<Difficulty> for boarddiff_synth::implant::Difficulty {
    fn from(d: Difficulty) -> Self {
        match d {
            Difficulty::Easy => Self::Easy,
            Difficulty::Medium => Self::Medium,
            Difficulty::Hard => Self::Hard,
        }
    }
}

/// A kind of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Added,
    Removed,
    Altered,
}

impl From<Kind> for boarddiff_core::report::RegionKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Added => Self::Added,
            Kind::Removed => Self::Removed,
            Kind::Altered => Self::Altered,
        }
    }
}

/// Shells `boarddiff completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => Self::Bash,
            Shell::Zsh => Self::Zsh,
            Shell::Fish => Self::Fish,
            Shell::Powershell => Self::PowerShell,
        }
    }
}
