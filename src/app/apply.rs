//! The one place where state changes: actions from the views, outputs from the worker,
//! and the frame layout that gathers the actions.
use super::actions::{Action, Role, ViewMode};
use super::manual_ui::{manual_panel_ui, manual_panes_ui, ManualState};
use super::panels_ui::{
    alignment_ui, detection_ui, export_ui, masks_ui, status_ui, toolbar_ui, StatusModel,
};
use super::prefs::Recent;
use super::quiz_ui::{quiz_ui, QuizState};
use super::review_ui::{ordered_regions, review_ui};
use super::view_transform::ViewTransform;
use super::viewer_ui::{viewer_ui, ViewerModel};
use super::worker::{Job, Output};
use super::BoardDiffApp;
use crate::engine::align::PointPair;
use crate::engine::quiz::score_quiz;
use crate::engine::session::{carry_verdicts, SESSION_EXTENSION};
use std::sync::Arc;
use std::time::Instant;

const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp", "JPG"];

impl BoardDiffApp {
    fn send(&mut self, job: Job) {
        if !matches!(job, Job::Redetect { .. }) {
            self.busy_label = Some(job.label());
        }
        self.in_flight += 1;
        self.worker.send(job);
    }

    fn mark_dirty(&mut self) {
        self.dirty_since = Some(Instant::now());
    }

    fn dialog(&self, ctx: &egui::Context, pick: impl FnOnce() -> Option<Action> + Send + 'static) {
        let tx = self.dialog_tx.clone();
        let ctx = ctx.clone();
        // Native dialogs block; they run beside the UI and come back as actions.
        let spawned = std::thread::Builder::new()
            .name("boarddiff-dialog".into())
            .spawn(move || {
                if let Some(a) = pick() {
                    let _ = tx.send(a);
                    ctx.request_repaint();
                }
            });
        if spawned.is_err() {
            eprintln!("could not open a file dialog thread");
        }
    }

    fn redetect(&mut self) {
        if let Some(doc) = &self.doc {
            let job = Job::Redetect {
                cmp: doc.cmp.clone(),
                settings: doc.session.settings.clone(),
                masks: doc.session.masks.clone(),
            };
            self.send(job);
        }
    }

    fn reference_size(&self) -> Option<[f64; 2]> {
        if let Some(m) = &self.manual {
            return Some(m.reference.size_in_space());
        }
        self.doc.as_ref().map(|d| {
            let (w, h) = d.cmp.reference.dimensions();
            [w as f64, h as f64]
        })
    }

    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::OpenPair { reference, suspect } => {
                self.pending_images = (Some(reference.clone()), Some(suspect.clone()));
                self.send(Job::Open {
                    reference,
                    suspect,
                    settings: self.prefs.detect.clone(),
                    masks: Vec::new(),
                });
            }
            Action::SetImage(role, path) => {
                let (mut r, mut s) = self.pending_images.clone();
                if let Some(doc) = &self.doc {
                    r = r.or_else(|| Some(doc.session.reference.path.clone().into()));
                    s = s.or_else(|| Some(doc.session.suspect.path.clone().into()));
                }
                match role {
                    Role::Reference => r = Some(path),
                    Role::Suspect => s = Some(path),
                }
                self.pending_images = (r.clone(), s.clone());
                match (r, s) {
                    (Some(reference), Some(suspect)) => {
                        self.apply(ctx, Action::OpenPair { reference, suspect })
                    }
                    (Some(_), None) => self.notice("Reference chosen; now open the suspect image."),
                    _ => self.notice("Suspect chosen; now open the reference image."),
                }
            }
            Action::OpenSession(path) => self.send(Job::OpenSession(path)),
            Action::PickImage(role) => self.dialog(ctx, move || {
                let title = match role {
                    Role::Reference => "Open the reference (known-good) board photo",
                    Role::Suspect => "Open the suspect board photo",
                };
                rfd::FileDialog::new()
                    .set_title(title)
                    .add_filter("Images", &IMAGE_EXTENSIONS)
                    .pick_file()
                    .map(|p| Action::SetImage(role, p))
            }),
            Action::PickSession => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .add_filter("boarddiff session", &[SESSION_EXTENSION])
                    .pick_file()
                    .map(Action::OpenSession)
            }),
            Action::PickSessionSaveAs => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .add_filter("boarddiff session", &[SESSION_EXTENSION])
                    .set_file_name(format!("inspection.{SESSION_EXTENSION}"))
                    .save_file()
                    .map(Action::SaveSessionAs)
            }),
            Action::PickExportDir => {
                let options = self.prefs.export.clone();
                self.dialog(ctx, move || {
                    rfd::FileDialog::new()
                        .set_title("Export the report into this folder")
                        .pick_folder()
                        .map(|dir| Action::Export { dir, options })
                })
            }
            Action::SaveSessionAs(mut path) => {
                if path.extension().is_none() {
                    path.set_extension(SESSION_EXTENSION);
                }
                let Some(doc) = &mut self.doc else { return };
                match doc.session.save(&path) {
                    Ok(()) => {
                        doc.session_path = Some(path.clone());
                        self.prefs.remember(Recent::Session(path.clone()));
                        self.notice(format!("Session saved to {}", path.display()));
                    }
                    Err(e) => self.error(format!("{e}; the previous file is kept")),
                }
            }
            Action::Export { dir, options } => {
                let Some(doc) = &self.doc else {
                    self.error("Nothing to export: open a reference and a suspect first.");
                    return;
                };
                let job = Job::Export {
                    cmp: doc.cmp.clone(),
                    session: doc.session.clone(),
                    dir: dir.clone(),
                    options,
                };
                self.export_dir_text = dir.display().to_string();
                self.prefs.last_export_dir = Some(dir);
                self.send(job);
            }
            Action::SetExportOptions(o) => self.prefs.export = o,
            Action::Cancel => self.worker.cancel(),
            Action::DismissMessages => self.messages.clear(),
            Action::SetView(v) => self.view = v,
            Action::Fit => {
                if let Some(size) = self.reference_size() {
                    self.view = ViewTransform::fit(size, self.pane_size);
                }
                if let Some(m) = &mut self.manual {
                    m.suspect_view = ViewTransform::fit(m.suspect.size_in_space(), self.pane_size);
                }
            }
            Action::ActualSize => self.view.actual_size(ctx.pixels_per_point()),
            Action::SetMode(ViewMode::Heatmap)
                if self.quiz.as_ref().is_some_and(|q| q.hides_detections()) =>
            {
                self.notice("The heatmap shows the detector's answer: it opens after Submit.")
            }
            Action::SetMode(m) => self.prefs.view.mode = m,
            Action::SetViewPrefs(v) => self.prefs.view = v,
            Action::FlipBlink => {
                if self.prefs.view.mode != ViewMode::Blink {
                    self.prefs.view.mode = ViewMode::Blink;
                } else {
                    self.viewer.blink_shows_suspect = !self.viewer.blink_shows_suspect;
                }
            }
            Action::SetSwipe(x) => self.viewer.swipe = x,
            Action::SetTool(t) => self.viewer.tool = t,
            Action::ToggleRawSuspect => self.prefs.view.raw_suspect = !self.prefs.view.raw_suspect,
            Action::Select(id) => {
                self.viewer.selected = id;
                let bbox = id.and_then(|id| {
                    let doc = self.doc.as_ref()?;
                    doc.session
                        .regions
                        .iter()
                        .find(|r| r.id == id)
                        .map(|r| r.bbox)
                });
                if let Some(b) = bbox {
                    self.view = ViewTransform::focus(b.map(f64::from), self.pane_size);
                }
            }
            Action::Step(delta) => {
                let Some(doc) = &self.doc else { return };
                let order: Vec<u32> = ordered_regions(&doc.session.regions, &self.list)
                    .iter()
                    .map(|r| r.id)
                    .collect();
                if order.is_empty() {
                    return;
                }
                let n = order.len() as i64;
                let next = match self
                    .viewer
                    .selected
                    .and_then(|s| order.iter().position(|id| *id == s))
                {
                    Some(i) => (i as i64 + delta as i64).rem_euclid(n),
                    None if delta >= 0 => 0,
                    None => n - 1,
                };
                self.apply(ctx, Action::Select(Some(order[next as usize])));
            }
            Action::SetVerdict(id, v) => {
                if let Some(r) = self
                    .doc
                    .as_mut()
                    .and_then(|d| d.session.regions.iter_mut().find(|r| r.id == id))
                {
                    r.verdict = v;
                    self.mark_dirty();
                }
            }
            Action::SetNote(id, text) => {
                if let Some(r) = self
                    .doc
                    .as_mut()
                    .and_then(|d| d.session.regions.iter_mut().find(|r| r.id == id))
                {
                    r.note = text;
                    self.mark_dirty();
                }
            }
            Action::SetDetect(s) => {
                if let Some(doc) = &mut self.doc {
                    doc.session.settings = s.clone();
                    self.prefs.detect = s;
                    self.redetect();
                }
            }
            Action::AddMask(r) => {
                if let Some(q) = self.quiz.as_mut().filter(|q| q.hides_detections()) {
                    q.guesses.push(r);
                    return;
                }
                if let Some(doc) = &mut self.doc {
                    doc.session.masks.push(r);
                    self.redetect();
                }
            }
            Action::RemoveMask(i) => {
                if let Some(doc) = &mut self.doc {
                    if i < doc.session.masks.len() {
                        doc.session.masks.remove(i);
                        self.redetect();
                    }
                }
            }
            Action::StartManualAlignment => self.start_manual(),
            Action::ManualPoint(role, p) => {
                let Some(m) = &mut self.manual else { return };
                match (role, m.pending_reference) {
                    (Role::Reference, _) => m.pending_reference = Some(p),
                    (Role::Suspect, Some(r)) => {
                        m.points.push(PointPair {
                            in_reference: r,
                            in_suspect: p,
                        });
                        m.pending_reference = None;
                    }
                    (Role::Suspect, None) => {
                        self.notice("Click the point on the reference first, then on the suspect.")
                    }
                }
            }
            Action::RemoveManualPoint(i) => {
                if let Some(m) = &mut self.manual {
                    if i < m.points.len() {
                        m.points.remove(i);
                    }
                }
            }
            Action::SetSuspectView(v) => {
                if let Some(m) = &mut self.manual {
                    m.suspect_view = v;
                }
            }
            Action::ApplyManualAlignment => {
                let Some(m) = &self.manual else { return };
                let (settings, masks) = match &m.previous {
                    Some(s) => (s.settings.clone(), s.masks.clone()),
                    None => (self.prefs.detect.clone(), Vec::new()),
                };
                let job = Job::ManualAlign {
                    reference: m.reference_path.clone(),
                    suspect: m.suspect_path.clone(),
                    points: m.points.clone(),
                    settings,
                    masks,
                    previous: m.previous.clone(),
                };
                self.send(job);
            }
            Action::CancelManualAlignment => {
                self.manual = None;
                self.fit_pending = true;
            }
            Action::StartQuiz {
                reference,
                difficulty,
                seed,
            } => self.send(Job::Quiz {
                reference,
                difficulty,
                seed,
                settings: self.prefs.detect.clone(),
            }),
            Action::OpenQuizCase(dir) => self.send(Job::QuizCase {
                dir,
                settings: self.prefs.detect.clone(),
            }),
            Action::PickQuizReference(difficulty) => self.dialog(ctx, move || {
                let seed = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs());
                rfd::FileDialog::new()
                    .set_title("Reference photo for the quiz")
                    .add_filter("Images", &IMAGE_EXTENSIONS)
                    .pick_file()
                    .map(|reference| Action::StartQuiz {
                        reference,
                        difficulty,
                        seed,
                    })
            }),
            Action::PickQuizCase => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .set_title("Quiz case folder (reference, suspect, truth.json)")
                    .pick_folder()
                    .map(Action::OpenQuizCase)
            }),
            Action::RemoveGuess(i) => {
                if let Some(q) = &mut self.quiz {
                    if i < q.guesses.len() && q.score.is_none() {
                        q.guesses.remove(i);
                    }
                }
            }
            Action::SubmitQuiz => {
                if let (Some(q), Some(doc)) = (&mut self.quiz, &self.doc) {
                    if q.score.is_none() {
                        q.score = Some(score_quiz(
                            &q.truth,
                            &q.guesses,
                            &doc.session.regions,
                            q.started.elapsed().as_secs_f64(),
                        ));
                    }
                }
            }
            Action::ExportScorecard(dir) => {
                let (Some(q), Some(doc)) = (&self.quiz, &self.doc) else {
                    return;
                };
                let Some(score) = q.score.clone() else { return };
                let job = Job::Scorecard {
                    cmp: doc.cmp.clone(),
                    score,
                    guesses: q.guesses.clone(),
                    case_name: q.case_name.clone(),
                    dir,
                };
                self.send(job);
            }
            Action::EndQuiz => self.quiz = None,
        }
    }

    fn start_manual(&mut self) {
        let state = if let Some(doc) = &self.doc {
            ManualState {
                points: doc.session.manual_points.clone(),
                pending_reference: None,
                suspect_view: ViewTransform::fit(
                    doc.images.raw_suspect.size_in_space(),
                    self.pane_size,
                ),
                reference: doc.images.reference.clone(),
                suspect: doc.images.raw_suspect.clone(),
                reference_path: doc.session.reference.path.clone().into(),
                suspect_path: doc.session.suspect.path.clone().into(),
                reason: None,
                previous: Some(doc.session.clone()),
            }
        } else if let Some(u) = &self.unaligned {
            ManualState {
                points: Vec::new(),
                pending_reference: None,
                suspect_view: ViewTransform::fit(u.suspect.size_in_space(), self.pane_size),
                reference: u.reference.clone(),
                suspect: u.suspect.clone(),
                reference_path: u.reference_path.clone(),
                suspect_path: u.suspect_path.clone(),
                reason: Some(u.reason.clone()),
                previous: u.previous.clone(),
            }
        } else {
            self.error("Open a reference and a suspect first.");
            return;
        };
        self.view = ViewTransform::fit(state.reference.size_in_space(), self.pane_size);
        self.manual = Some(state);
    }

    pub(super) fn handle_output(&mut self, _ctx: &egui::Context, out: Output) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            self.busy_label = None;
        }
        match out {
            Output::Opened(o) => {
                let o = *o;
                self.prefs.remember(o.recent);
                for w in o.warnings {
                    self.error(format!("Warning: {w}"));
                }
                let fresh_session = o.doc.session_path.is_none() && o.quiz.is_none();
                self.quiz = o.quiz.map(|(case_name, truth)| QuizState {
                    case_name,
                    truth,
                    guesses: Vec::new(),
                    started: Instant::now(),
                    score: None,
                });
                if self.quiz.is_some() {
                    self.viewer.tool = super::actions::Tool::Mask;
                    if self.prefs.view.mode == ViewMode::Heatmap {
                        self.prefs.view.mode = ViewMode::SideBySide;
                    }
                }
                self.doc = Some(o.doc);
                self.manual = None;
                self.unaligned = None;
                self.pending_images = (None, None);
                self.viewer.selected = None;
                self.fit_pending = true;
                if fresh_session {
                    self.mark_dirty();
                }
                if let Some(id) = self.config.select.take() {
                    self.pending_select = Some(id);
                }
            }
            Output::Unaligned(u) => {
                self.error(format!(
                    "Automatic alignment failed for {} and {}: {}. You can align by hand.",
                    u.reference_path.display(),
                    u.suspect_path.display(),
                    u.reason
                ));
                self.unaligned = Some(*u);
            }
            Output::Redetected(r) => {
                let r = *r;
                self.last_redetect_ms = Some(r.elapsed.as_secs_f64() * 1000.0);
                let Some(doc) = &mut self.doc else { return };
                let mut regions = r.regions;
                carry_verdicts(&doc.session.regions, &mut regions);
                if let Some(cmp) = Arc::get_mut(&mut doc.cmp) {
                    if let Some(score) = r.score {
                        cmp.score = score;
                    }
                    cmp.settings = r.settings;
                    cmp.ignore = r.masks;
                    cmp.regions = regions.clone();
                }
                if let Some(heat) = r.heat {
                    doc.images.heat = Arc::new(heat);
                }
                if let Some(sel) = self.viewer.selected {
                    if !regions.iter().any(|x| x.id == sel) {
                        self.viewer.selected = None;
                    }
                }
                doc.session.regions = regions;
                self.mark_dirty();
            }
            Output::Exported(paths) => {
                let dir = paths
                    .first()
                    .and_then(|p| p.parent())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                self.notice(format!("Exported {} files to {dir}", paths.len()));
            }
            Output::Failed(e) => self.error(e),
            Output::Cancelled => self.notice("Cancelled."),
            Output::Superseded => {}
        }
    }

    pub(super) fn blink_timer(&mut self, ctx: &egui::Context) {
        let v = &self.prefs.view;
        if v.mode != ViewMode::Blink || !v.blink_auto || self.doc.is_none() {
            return;
        }
        let now = ctx.input(|i| i.time);
        let period = 1.0 / v.blink_hz.clamp(0.1, 30.0) as f64;
        if now - self.viewer.last_blink_flip >= period {
            self.viewer.last_blink_flip = now;
            self.viewer.blink_shows_suspect = !self.viewer.blink_shows_suspect;
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(period / 2.0));
    }

    pub(super) fn layout(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            toolbar_ui(ui, &self.prefs, &self.viewer, self.doc.is_some(), actions);
        });
        let busy = self.busy_label.map(|label| {
            let p = self
                .worker
                .progress
                .lock()
                .map(|p| p.clone())
                .unwrap_or_default();
            (format!("{label}: {}", p.stage), p.fraction)
        });
        let hover = self.hover.map(|r| {
            let s = self.doc.as_ref().map(|d| d.cmp.alignment.map(r));
            (r, s)
        });
        let autosave = self.autosaved_to.as_ref().map(|p| p.display().to_string());
        egui::Panel::bottom("status").show(ui, |ui| {
            let model = StatusModel {
                busy: busy.clone(),
                frame_ms: self.frame_ms(),
                hover,
                zoom: self.view.scale,
                pending_tiles: self.tiles.pending,
                autosave: autosave.as_deref(),
            };
            status_ui(ui, &model, actions);
        });
        if !self.messages.is_empty() {
            egui::Panel::top("messages").show(ui, |ui| {
                for m in &self.messages {
                    let color = if m.is_error {
                        egui::Color32::from_rgb(255, 110, 90)
                    } else {
                        egui::Color32::from_rgb(140, 200, 255)
                    };
                    ui.colored_label(color, &m.text);
                }
                if ui.button("Dismiss").clicked() {
                    actions.push(Action::DismissMessages);
                }
            });
        }
        egui::Panel::right("side")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("side-scroll")
                    .show(ui, |ui| {
                        self.side_ui(ui, actions);
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let central = ui.max_rect();
            self.dropped_files(ui.ctx(), central, actions);
            self.central_ui(ui, actions);
        });
    }

    fn side_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(m) = &self.manual {
            manual_panel_ui(ui, m, actions);
            return;
        }
        if let Some(q) = &self.quiz {
            quiz_ui(ui, q, &mut self.export_dir_text, actions);
            return;
        }
        let Some(doc) = &self.doc else {
            ui.heading("boarddiff");
            ui.label(
                "Open a known-good reference photo and a suspect photo of the same board model.",
            );
            return;
        };
        review_ui(
            ui,
            &doc.session.regions,
            self.viewer.selected,
            &mut self.list,
            actions,
        );
        egui::CollapsingHeader::new("Detection")
            .default_open(true)
            .show(ui, |ui| {
                detection_ui(ui, doc, self.last_redetect_ms, actions)
            });
        egui::CollapsingHeader::new(format!("Ignore masks ({})", doc.session.masks.len()))
            .default_open(false)
            .show(ui, |ui| masks_ui(ui, doc, self.viewer.tool, actions));
        egui::CollapsingHeader::new("Alignment")
            .default_open(false)
            .show(ui, |ui| alignment_ui(ui, doc, actions));
        egui::CollapsingHeader::new("Export")
            .default_open(true)
            .show(ui, |ui| {
                export_ui(ui, &self.prefs.export, &mut self.export_dir_text, actions)
            });
    }

    fn central_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let size = ui.available_size();
        if size.x > 10.0 && size.y > 10.0 {
            let panes = if self.manual.is_some() || self.prefs.view.mode == ViewMode::SideBySide {
                egui::vec2((size.x - 4.0) / 2.0, size.y)
            } else {
                size
            };
            self.pane_size = panes;
        }
        if self.fit_pending && self.reference_size().is_some() {
            self.fit_pending = false;
            self.apply(ui.ctx(), Action::Fit);
            if let Some(id) = self.pending_select.take() {
                self.apply(ui.ctx(), Action::Select(Some(id)));
            }
        }
        if let Some(m) = &self.manual {
            manual_panes_ui(ui, m, &self.view, &mut self.tiles, actions);
            self.hover = None;
            return;
        }
        if let Some(doc) = &self.doc {
            self.viewer_rect = ui.available_rect_before_wrap();
            let model = ViewerModel {
                doc,
                prefs: &self.prefs.view,
                view: &self.view,
                state: &self.viewer,
                quiz: self.quiz.as_ref(),
            };
            let out = viewer_ui(ui, &model, &mut self.tiles, actions);
            self.hover = out.hover_in_reference;
            return;
        }
        self.hover = None;
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.25);
            if self.is_busy() {
                ui.heading("Working…");
                ui.spinner();
                return;
            }
            if self.unaligned.is_some() {
                ui.heading("The photos could not be aligned automatically");
                if ui.button("Align by hand…").clicked() {
                    actions.push(Action::StartManualAlignment);
                }
                return;
            }
            ui.heading("Golden-board comparison");
            ui.label("Drop two photos here (left half: reference, right half: suspect), or:");
            if ui.button("Open reference…").clicked() {
                actions.push(Action::PickImage(Role::Reference));
            }
            if ui.button("Open suspect…").clicked() {
                actions.push(Action::PickImage(Role::Suspect));
            }
            if ui.button("Open session…").clicked() {
                actions.push(Action::PickSession);
            }
        });
    }
}
