//! Everything the user can ask for. View functions return these; the reducers
//! (`reducers/`, one per family of actions) are the one place that changes state, so
//! every change is testable and autosaves in one spot.
use crate::prefs::{ViewMode, ViewPrefs};
use crate::review_list::ListState;
use crate::view_transform::ViewTransform;
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::Verdict;
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::export_options::ExportOptions;
use boarddiff_output::profile::GoldenProfile;
use boarddiff_synth::implant::Difficulty;
use std::path::PathBuf;

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
    File(FileAction),
    View(ViewAction),
    Review(ReviewAction),
    Manual(ManualAction),
    Quiz(QuizAction),
}

/// Opening, saving and exporting; the worker's jobs and the native dialogs.
#[derive(Clone, Debug, PartialEq)]
pub enum FileAction {
    OpenPair {
        reference: PathBuf,
        suspect: PathBuf,
    },
    /// One image chosen (dialog, drop, recent); the comparison starts when both are known.
    SetImage(Role, PathBuf),
    OpenSession(PathBuf),
    /// A suspect against a golden profile's reference, masks and settings.
    OpenWithProfile {
        profile: Box<GoldenProfile>,
        suspect: PathBuf,
    },
    /// Native dialogs run on their own thread and come back as actions.
    PickImage(Role),
    PickSession,
    PickSessionSaveAs,
    PickProfileSaveAs,
    /// Save the open reference, its ignore masks and the detection settings as a golden
    /// profile, for `boarddiff batch --profile` and `gui --profile`.
    SaveProfileAs(PathBuf),
    PickExportDir,
    SaveSessionAs(PathBuf),
    Export {
        dir: PathBuf,
        options: ExportOptions,
    },
    SetExportOptions(ExportOptions),
    SetExportDirText(String),
    Cancel,
    DismissMessages,
}

/// Where and how the images are shown.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewAction {
    SetView(ViewTransform),
    Fit,
    /// The first frame after something opened: fit, then select a region asked for at
    /// start.
    FitOpened,
    ActualSize,
    SetMode(ViewMode),
    SetViewPrefs(ViewPrefs),
    FlipBlink,
    SetSwipe(f32),
    SetTool(Tool),
    ToggleRawSuspect,
    ToggleHelp,
    /// What the frame layout measured: the size of one image pane, where the panes are,
    /// and the cursor in reference pixels.
    Measured {
        pane_size: egui::Vec2,
        viewer_rect: egui::Rect,
        hover_in_reference: Option<[f64; 2]>,
    },
}

/// Reviewing regions: selection, verdicts, notes, detection settings and ignore masks.
#[derive(Clone, Debug, PartialEq)]
pub enum ReviewAction {
    Select(Option<u32>),
    /// +1 next region, -1 previous (in the list's current order).
    Step(i32),
    SetVerdict(u32, Verdict),
    SetNote(u32, String),
    SetList(ListState),
    SetDetect(DetectSettings),
    /// A rectangle dragged with the mask tool: an ignore mask, or in a quiz a guess.
    AddMask(RectInReference),
    RemoveMask(usize),
}

/// Aligning by hand.
#[derive(Clone, Debug, PartialEq)]
pub enum ManualAction {
    Start,
    /// A clicked point: on the reference pane or on the raw suspect pane.
    Point(Role, [f64; 2]),
    RemovePoint(usize),
    SetSuspectView(ViewTransform),
    Apply,
    Cancel,
}

/// Trainer quizzes.
#[derive(Clone, Debug, PartialEq)]
pub enum QuizAction {
    /// Generate a quiz case from a reference photo, or open a prepared case folder.
    Start {
        reference: PathBuf,
        difficulty: Difficulty,
        seed: u64,
    },
    OpenCase(PathBuf),
    PickReference(Difficulty),
    PickCase,
    RemoveGuess(usize),
    Submit,
    ExportScorecard(PathBuf),
    End,
}

impl From<FileAction> for Action {
    fn from(a: FileAction) -> Self {
        Action::File(a)
    }
}
impl From<ViewAction> for Action {
    fn from(a: ViewAction) -> Self {
        Action::View(a)
    }
}
impl From<ReviewAction> for Action {
    fn from(a: ReviewAction) -> Self {
        Action::Review(a)
    }
}
impl From<ManualAction> for Action {
    fn from(a: ManualAction) -> Self {
        Action::Manual(a)
    }
}
impl From<QuizAction> for Action {
    fn from(a: QuizAction) -> Self {
        Action::Quiz(a)
    }
}

/// What the view functions of one frame asked for, in order.
#[derive(Debug, Default)]
pub(crate) struct Actions(Vec<Action>);

impl Actions {
    pub(crate) fn push(&mut self, action: impl Into<Action>) {
        self.0.push(action.into());
    }
}

impl IntoIterator for Actions {
    type Item = Action;
    type IntoIter = std::vec::IntoIter<Action>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
