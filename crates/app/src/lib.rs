//! The boarddiff review app (eframe/egui): a thin layer over the core, output and synth
//! crates. View functions (`*_ui`) read state and return [`Action`]s; the reducers in
//! `reducers/`, one per family of actions, are the one place that changes state; the
//! frame layout (`frame`) only reads it. Heavy work runs on the worker thread.
pub mod actions;
pub(crate) mod document;
mod frame;
pub(crate) mod histogram_ui;
mod input;
pub(crate) mod manual_ui;
pub(crate) mod panels_ui;
pub mod prefs;
pub(crate) mod quiz_ui;
mod reducers;
mod review_list;
pub(crate) mod review_ui;
pub(crate) mod tiles;
pub mod view_transform;
pub(crate) mod viewer_ui;
pub(crate) mod widgets_ui;
mod worker;

use actions::{Action, FileAction, QuizAction};
use document::{Document, Unaligned};
use manual_ui::ManualState;
use prefs::{Prefs, ViewMode};
use review_list::ListState;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tiles::TileCache;
use view_transform::ViewTransform;
use viewer_ui::ViewerState;
use worker::Worker;

/// What the app opens at start.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Launch {
    #[default]
    Nothing,
    Pair {
        reference: PathBuf,
        suspect: PathBuf,
    },
    Session(PathBuf),
    /// A suspect against a golden profile (loaded and checked by the caller).
    Profile {
        profile: Box<boarddiff_output::profile::GoldenProfile>,
        suspect: PathBuf,
    },
    /// A case folder (reference, suspect, truth.json) opened as a quiz.
    Quiz(PathBuf),
}

#[derive(Clone, Debug, Default)]
pub struct AppConfig {
    pub launch: Launch,
    /// Render once after loading, save the window to this PNG, and exit.
    pub screenshot: Option<PathBuf>,
    /// View mode to start in (overrides the remembered one).
    pub mode: Option<ViewMode>,
    /// Select this region at start (screenshots of a zoomed finding).
    pub select: Option<u32>,
    /// Start with the raw suspect in side by side, and with the loupe on.
    pub raw_suspect: bool,
    pub loupe: bool,
    /// Where sessions without a file of their own are autosaved; None = the app's data dir.
    pub autosave_dir: Option<PathBuf>,
    /// Ignore remembered preferences (tests, screenshots).
    pub fresh_prefs: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
}

/// Opens the window and runs until it closes.
pub fn run(config: AppConfig, size: [f32; 2]) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size(size)
            .with_min_inner_size([640.0, 400.0])
            .with_title("boarddiff — golden-board inspection")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "boarddiff",
        options,
        Box::new(move |cc| Ok(Box::new(BoardDiffApp::new(cc, config)))),
    )
}

pub struct BoardDiffApp {
    prefs: Prefs,
    config: AppConfig,
    doc: Option<Document>,
    manual: Option<ManualState>,
    unaligned: Option<Unaligned>,
    view: ViewTransform,
    viewer: ViewerState,
    list: ListState,
    worker: Worker,
    /// Jobs sent and not yet answered, and the label of the last heavy one.
    in_flight: usize,
    busy_label: Option<&'static str>,
    tiles: TileCache,
    messages: Vec<Message>,
    pending_images: (Option<PathBuf>, Option<PathBuf>),
    dialog_tx: Sender<Action>,
    dialog_rx: Receiver<Action>,
    export_dir_text: String,
    pane_size: egui::Vec2,
    fit_pending: bool,
    frame_ms: VecDeque<f64>,
    last_redetect_ms: Option<f64>,
    dirty_since: Option<Instant>,
    autosaved_to: Option<PathBuf>,
    hover: Option<[f64; 2]>,
    pending_select: Option<u32>,
    quiz: Option<quiz_ui::QuizState>,
    viewer_rect: egui::Rect,
    screenshot: ScreenshotState,
}

#[derive(Default)]
struct ScreenshotState {
    ready_frames: u32,
    requested: bool,
    image: Arc<Mutex<Option<Arc<egui::ColorImage>>>>,
}

impl BoardDiffApp {
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> Self {
        let prefs: Prefs = if config.fresh_prefs {
            Prefs::default()
        } else {
            cc.storage
                .and_then(|s| eframe::get_value(s, prefs::STORAGE_KEY))
                .unwrap_or_default()
        };
        let (dialog_tx, dialog_rx) = channel();
        let export_dir_text = prefs
            .last_export_dir
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "boarddiff-export".into());
        let mut app = Self {
            prefs,
            doc: None,
            manual: None,
            unaligned: None,
            view: ViewTransform::default(),
            viewer: ViewerState::default(),
            list: ListState::default(),
            worker: Worker::spawn(cc.egui_ctx.clone()),
            in_flight: 0,
            busy_label: None,
            tiles: TileCache::default(),
            messages: Vec::new(),
            pending_images: (None, None),
            dialog_tx,
            dialog_rx,
            export_dir_text,
            pane_size: egui::vec2(800.0, 600.0),
            fit_pending: true,
            frame_ms: VecDeque::new(),
            last_redetect_ms: None,
            dirty_since: None,
            autosaved_to: None,
            hover: None,
            pending_select: None,
            quiz: None,
            viewer_rect: egui::Rect::NOTHING,
            screenshot: ScreenshotState::default(),
            config,
        };
        if let Some(mode) = app.config.mode {
            app.prefs.view.mode = mode;
        }
        app.prefs.view.raw_suspect |= app.config.raw_suspect;
        app.prefs.view.loupe |= app.config.loupe;
        let ctx = cc.egui_ctx.clone();
        match app.config.launch.clone() {
            Launch::Nothing => {}
            Launch::Pair { reference, suspect } => {
                app.apply(&ctx, FileAction::OpenPair { reference, suspect })
            }
            Launch::Session(path) => app.apply(&ctx, FileAction::OpenSession(path)),
            Launch::Profile { profile, suspect } => {
                app.apply(&ctx, FileAction::OpenWithProfile { profile, suspect })
            }
            Launch::Quiz(dir) => app.apply(&ctx, QuizAction::OpenCase(dir)),
        }
        app
    }

    pub fn document(&self) -> Option<&Document> {
        self.doc.as_ref()
    }

    pub fn is_busy(&self) -> bool {
        self.in_flight > 0
    }

    pub fn view(&self) -> ViewTransform {
        self.view
    }

    pub fn viewer_state(&self) -> &ViewerState {
        &self.viewer
    }

    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn manual(&self) -> Option<&ManualState> {
        self.manual.as_ref()
    }

    pub fn quiz(&self) -> Option<&quiz_ui::QuizState> {
        self.quiz.as_ref()
    }

    /// Where the image panes were drawn last frame, in screen points.
    pub fn viewer_rect(&self) -> egui::Rect {
        self.viewer_rect
    }

    pub fn unaligned_reason(&self) -> Option<&str> {
        self.unaligned.as_ref().map(|u| u.reason.as_str())
    }

    pub fn autosave_path(&self) -> Option<PathBuf> {
        let doc = self.doc.as_ref()?;
        if let Some(p) = &doc.session_path {
            return Some(p.clone());
        }
        let dir = self
            .config
            .autosave_dir
            .clone()
            .or_else(|| eframe::storage_dir("boarddiff").map(|d| d.join("autosave")))?;
        let short = |s: &Option<String>| {
            s.as_deref()
                .unwrap_or("unknown")
                .chars()
                .take(12)
                .collect::<String>()
        };
        Some(dir.join(format!(
            "{}-{}.{}",
            short(&doc.session.reference.sha256),
            short(&doc.session.suspect.sha256),
            boarddiff_output::session::SESSION_EXTENSION
        )))
    }

    /// CPU time of the last frame's UI code and the maximum over the last 120 frames, ms.
    pub fn frame_ms(&self) -> (f64, f64) {
        let last = self.frame_ms.back().copied().unwrap_or(0.0);
        let max = self.frame_ms.iter().copied().fold(0.0, f64::max);
        (last, max)
    }

    pub fn tiles_pending(&self) -> usize {
        self.tiles.pending
    }

    fn error(&mut self, text: impl Into<String>) {
        self.messages.push(Message {
            text: text.into(),
            is_error: true,
        });
    }

    fn notice(&mut self, text: impl Into<String>) {
        self.messages.push(Message {
            text: text.into(),
            is_error: false,
        });
    }

    fn autosave(&mut self) {
        let Some(since) = self.dirty_since else {
            return;
        };
        if since.elapsed().as_millis() < 300 {
            return;
        }
        self.dirty_since = None;
        let (Some(doc), Some(path)) = (&self.doc, self.autosave_path()) else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        match doc.session.save(&path) {
            Ok(()) => self.autosaved_to = Some(path),
            Err(e) => self.error(format!(
                "autosave failed, the previous session file is kept: {e}"
            )),
        }
    }

    /// Lays out one frame from the state as it is; what it asks for comes back.
    fn frame(&mut self, ui: &mut egui::Ui) -> actions::Actions {
        let busy = self.busy_label.map(|label| {
            let p = self
                .worker
                .progress
                .lock()
                .map(|p| p.clone())
                .unwrap_or_default();
            (format!("{label}: {}", p.stage), p.fraction)
        });
        let frame_ms = self.frame_ms();
        let Self {
            prefs,
            doc,
            manual,
            unaligned,
            quiz,
            view,
            viewer,
            list,
            messages,
            hover,
            autosaved_to,
            export_dir_text,
            last_redetect_ms,
            fit_pending,
            tiles,
            ..
        } = self;
        let model = frame::FrameModel {
            prefs,
            doc: doc.as_ref(),
            manual: manual.as_ref(),
            unaligned: unaligned.is_some(),
            quiz: quiz.as_ref(),
            view,
            viewer,
            list,
            messages,
            busy,
            frame_ms,
            hover_in_reference: *hover,
            autosave: autosaved_to.as_ref().map(|p| p.display().to_string()),
            export_dir_text,
            last_redetect_ms: *last_redetect_ms,
            fit_pending: *fit_pending,
        };
        frame::frame_ui(ui, &model, tiles)
    }

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let Some(path) = self.config.screenshot.clone() else {
            return;
        };
        let taken = self.screenshot.image.lock().ok().and_then(|mut g| g.take());
        if let Some(img) = taken {
            let [w, h] = img.size;
            let rgba: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
            let result =
                image::RgbaImage::from_raw(w as u32, h as u32, rgba).map(|buf| buf.save(&path));
            match result {
                Some(Ok(())) => eprintln!("screenshot written to {}", path.display()),
                _ => eprintln!(
                    "error: could not write the screenshot to {}",
                    path.display()
                ),
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let settled = !self.is_busy()
            && (self.doc.is_some() || self.unaligned.is_some() || !self.messages.is_empty())
            && self.tiles.pending == 0;
        self.screenshot.ready_frames = if settled {
            self.screenshot.ready_frames + 1
        } else {
            0
        };
        if self.screenshot.ready_frames >= 5 && !self.screenshot.requested {
            self.screenshot.requested = true;
            let slot = self.screenshot.image.clone();
            let repaint = ctx.clone();
            ctx.request_screenshot(move |img| {
                if let Ok(mut g) = slot.lock() {
                    *g = Some(img);
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint();
    }
}

impl eframe::App for BoardDiffApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let start = Instant::now();
        let ctx = ui.ctx().clone();
        while let Some(out) = self.worker.poll() {
            self.handle_output(out);
        }
        let mut actions: Vec<Action> = Vec::new();
        while let Ok(a) = self.dialog_rx.try_recv() {
            actions.push(a);
        }
        self.tiles.begin_frame(ctx.input(|i| i.max_texture_side));
        actions.extend(input::keyboard_actions(
            &ctx,
            &self.view,
            &self.prefs.view,
            &self.viewer,
        ));
        self.blink_timer(&ctx);
        actions.extend(self.frame(ui));
        for a in actions {
            self.apply(&ctx, a);
        }
        self.autosave();
        if self.dirty_since.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(350));
        }
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if self.quiz.as_ref().is_some_and(|q| q.hides_detections()) {
            // The quiz clock in the side panel.
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        self.screenshot_step(&ctx);
        self.frame_ms
            .push_back(start.elapsed().as_secs_f64() * 1000.0);
        if self.frame_ms.len() > 120 {
            self.frame_ms.pop_front();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // Screenshots and tests start from defaults; they must not overwrite a user's prefs.
        if !self.config.fresh_prefs {
            eframe::set_value(storage, prefs::STORAGE_KEY, &self.prefs);
        }
    }
}
