//! Everything the user can ask for. View functions return these; `apply` is the one place
//! that changes state, so every change is testable and autosaves in one spot.
use crate::app::prefs::ViewPrefs;
use crate::app::view_transform::ViewTransform;
use crate::engine::regions::DetectSettings;
use crate::engine::report::Verdict;
use crate::engine::review_export::ExportOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewMode {
    #[default]
    SideBySide,
    Overlay,
    Blink,
    Swipe,
    Heatmap,
}

impl ViewMode {
    pub const ALL: [ViewMode; 5] = [
        ViewMode::SideBySide,
        ViewMode::Overlay,
        ViewMode::Blink,
        ViewMode::Swipe,
        ViewMode::Heatmap,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ViewMode::SideBySide => "Side by side",
            ViewMode::Overlay => "Overlay",
            ViewMode::Blink => "Blink",
            ViewMode::Swipe => "Swipe",
            ViewMode::Heatmap => "Heatmap",
        }
    }

    /// The keyboard shortcut shown in tooltips.
    pub fn key(self) -> egui::Key {
        match self {
            ViewMode::SideBySide => egui::Key::S,
            ViewMode::Overlay => egui::Key::O,
            ViewMode::Blink => egui::Key::B,
            ViewMode::Swipe => egui::Key::W,
            ViewMode::Heatmap => egui::Key::H,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        Self::ALL
            .into_iter()
            .find(|m| m.label().to_ascii_lowercase().replace(' ', "") == s)
    }
}

/// What a drag on the image does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tool {
    #[default]
    Pan,
    /// Drag a rectangle to ignore (stickers, serial labels).
    Mask,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Reference,
    Suspect,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenPair {
        reference: PathBuf,
        suspect: PathBuf,
    },
    /// One image chosen (dialog, drop, recent); the comparison starts when both are known.
    SetImage(Role, PathBuf),
    OpenSession(PathBuf),
    /// Native dialogs run on their own thread and come back as actions.
    PickImage(Role),
    PickSession,
    PickSessionSaveAs,
    PickExportDir,
    SaveSessionAs(PathBuf),
    Export {
        dir: PathBuf,
        options: ExportOptions,
    },
    SetExportOptions(ExportOptions),
    Cancel,
    DismissMessages,

    SetView(ViewTransform),
    Fit,
    ActualSize,
    SetMode(ViewMode),
    SetViewPrefs(ViewPrefs),
    FlipBlink,
    SetSwipe(f32),
    SetTool(Tool),
    ToggleRawSuspect,

    Select(Option<u32>),
    /// +1 next region, -1 previous (in the list's current order).
    Step(i32),
    SetVerdict(u32, Verdict),
    SetNote(u32, String),

    SetDetect(DetectSettings),
    AddMask([u32; 4]),
    RemoveMask(usize),

    StartManualAlignment,
    /// A clicked point: on the reference pane or on the raw suspect pane.
    ManualPoint(Role, [f64; 2]),
    RemoveManualPoint(usize),
    SetSuspectView(ViewTransform),
    ApplyManualAlignment,
    CancelManualAlignment,

    /// Generate a quiz case from a reference photo, or open a prepared case folder.
    StartQuiz {
        reference: PathBuf,
        difficulty: crate::engine::synth::implant::Difficulty,
        seed: u64,
    },
    OpenQuizCase(PathBuf),
    PickQuizReference(crate::engine::synth::implant::Difficulty),
    PickQuizCase,
    RemoveGuess(usize),
    SubmitQuiz,
    ExportScorecard(PathBuf),
    EndQuiz,
}
