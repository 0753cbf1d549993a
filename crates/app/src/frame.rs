//! The frame layout: which panels and panes are shown, and what each is given to draw.
//! It only reads state; everything it has to say (what the user asked for, and what it
//! measured, such as the pane size and the cursor) comes back as actions.
use crate::actions::{Actions, FileAction, ManualAction, Role, ViewAction};
use crate::document::Document;
use crate::manual_ui::{manual_panel_ui, manual_panes_ui, ManualState};
use crate::panels_ui::{
    alignment_ui, detection_ui, export_ui, masks_ui, status_ui, toolbar_ui, StatusModel,
};
use crate::prefs::{Prefs, ViewMode};
use crate::quiz_ui::{quiz_ui, QuizState};
use crate::review_list::ListState;
use crate::review_ui::review_ui;
use crate::tiles::TileCache;
use crate::view_transform::ViewTransform;
use crate::viewer_ui::{viewer_ui, ViewerModel, ViewerState};
use crate::Message;
use boarddiff_output::session::SESSION_EXTENSION;
use std::path::PathBuf;

/// What one frame shows, borrowed from the app's state.
pub(crate) struct FrameModel<'a> {
    pub(crate) prefs: &'a Prefs,
    pub(crate) doc: Option<&'a Document>,
    pub(crate) manual: Option<&'a ManualState>,
    pub(crate) unaligned: bool,
    pub(crate) quiz: Option<&'a QuizState>,
    pub(crate) view: &'a ViewTransform,
    pub(crate) viewer: &'a ViewerState,
    pub(crate) list: &'a ListState,
    pub(crate) messages: &'a [Message],
    pub(crate) busy: Option<(String, f32)>,
    pub(crate) frame_ms: (f64, f64),
    pub(crate) hover_in_reference: Option<[f64; 2]>,
    pub(crate) autosave: Option<String>,
    pub(crate) export_dir_text: &'a str,
    pub(crate) last_redetect_ms: Option<f64>,
    /// Something opened and has not been fitted to the panes yet.
    pub(crate) fit_pending: bool,
}

pub(crate) fn frame_ui(ui: &mut egui::Ui, m: &FrameModel, tiles: &mut TileCache) -> Actions {
    let mut actions = Actions::default();
    egui::Panel::top("toolbar").show(ui, |ui| {
        toolbar_ui(ui, m.prefs, m.viewer, m.doc.is_some(), &mut actions);
    });
    let hover = m.hover_in_reference.map(|r| {
        let s = m.doc.map(|d| d.cmp.alignment.map(r));
        (r, s)
    });
    let pending_tiles = tiles.pending;
    egui::Panel::bottom("status").show(ui, |ui| {
        let model = StatusModel {
            busy: m.busy.clone(),
            frame_ms: m.frame_ms,
            hover,
            zoom: m.view.scale,
            pending_tiles,
            autosave: m.autosave.as_deref(),
        };
        status_ui(ui, &model, &mut actions);
    });
    if !m.messages.is_empty() {
        egui::Panel::top("messages").show(ui, |ui| {
            for msg in m.messages {
                let color = if msg.is_error {
                    egui::Color32::from_rgb(255, 110, 90)
                } else {
                    egui::Color32::from_rgb(140, 200, 255)
                };
                ui.colored_label(color, &msg.text);
            }
            if ui.button("Dismiss").clicked() {
                actions.push(FileAction::DismissMessages);
            }
        });
    }
    egui::Panel::right("side")
        .resizable(true)
        .default_size(360.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("side-scroll")
                .show(ui, |ui| side_ui(ui, m, &mut actions));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        let central = ui.max_rect();
        dropped_files(ui.ctx(), central, &mut actions);
        central_ui(ui, m, tiles, &mut actions);
    });
    if m.viewer.help_open {
        help_ui(ui.ctx(), &mut actions);
    }
    actions
}

/// The Help window: every key the app answers to.
fn help_ui(ctx: &egui::Context, actions: &mut Actions) {
    let mut open = true;
    egui::Window::new("Help: keys")
        .open(&mut open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::Grid::new("keys").striped(true).show(ui, |ui| {
                for (key, what) in crate::input::key_help() {
                    ui.strong(key);
                    ui.label(what);
                    ui.end_row();
                }
            });
            ui.label(egui::RichText::new("Keys act when no text field has the keyboard.").weak());
        });
    if !open {
        actions.push(ViewAction::ToggleHelp);
    }
}

fn side_ui(ui: &mut egui::Ui, m: &FrameModel, actions: &mut Actions) {
    if let Some(manual) = m.manual {
        manual_panel_ui(ui, manual, actions);
        return;
    }
    if let Some(q) = m.quiz {
        quiz_ui(ui, q, m.export_dir_text, actions);
        return;
    }
    let Some(doc) = m.doc else {
        ui.heading("boarddiff");
        ui.label("Open a known-good reference photo and a suspect photo of the same board model.");
        return;
    };
    review_ui(ui, &doc.session.regions, m.viewer.selected, m.list, actions);
    egui::CollapsingHeader::new("Detection")
        .default_open(true)
        .show(ui, |ui| detection_ui(ui, doc, m.last_redetect_ms, actions));
    egui::CollapsingHeader::new(format!("Ignore masks ({})", doc.session.ignore_masks.len()))
        .default_open(false)
        .show(ui, |ui| masks_ui(ui, doc, m.viewer.tool, actions));
    egui::CollapsingHeader::new("Alignment")
        .default_open(false)
        .show(ui, |ui| alignment_ui(ui, doc, actions));
    egui::CollapsingHeader::new("Export")
        .default_open(true)
        .show(ui, |ui| {
            export_ui(ui, &m.prefs.export, m.export_dir_text, actions)
        });
}

fn central_ui(ui: &mut egui::Ui, m: &FrameModel, tiles: &mut TileCache, actions: &mut Actions) {
    let size = ui.available_size();
    let side_by_side = m.manual.is_some() || m.prefs.view.mode == ViewMode::SideBySide;
    let pane_size = if side_by_side {
        egui::vec2((size.x - 4.0) / 2.0, size.y)
    } else {
        size
    };
    let viewer_rect = ui.available_rect_before_wrap();
    let mut hover_in_reference = None;
    if let Some(manual) = m.manual {
        manual_panes_ui(ui, manual, m.view, tiles, actions);
    } else if let Some(doc) = m.doc {
        let model = ViewerModel {
            doc,
            prefs: &m.prefs.view,
            view: m.view,
            state: m.viewer,
            quiz: m.quiz,
        };
        hover_in_reference = viewer_ui(ui, &model, tiles, actions).hover_in_reference;
    } else {
        empty_ui(ui, m, actions);
    }
    if size.x > 10.0 && size.y > 10.0 {
        actions.push(ViewAction::Measured {
            pane_size,
            viewer_rect,
            hover_in_reference,
        });
    }
    if m.fit_pending && (m.doc.is_some() || m.manual.is_some()) {
        actions.push(ViewAction::FitOpened);
    }
}

fn empty_ui(ui: &mut egui::Ui, m: &FrameModel, actions: &mut Actions) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.25);
        if m.busy.is_some() {
            ui.heading("Working…");
            ui.spinner();
            return;
        }
        if m.unaligned {
            ui.heading("The photos could not be aligned automatically");
            if ui.button("Align by hand…").clicked() {
                actions.push(ManualAction::Start);
            }
            return;
        }
        ui.heading("Golden-board comparison");
        ui.label("Drop two photos here (left half: reference, right half: suspect), or:");
        if ui.button("Open reference…").clicked() {
            actions.push(FileAction::PickImage(Role::Reference));
        }
        if ui.button("Open suspect…").clicked() {
            actions.push(FileAction::PickImage(Role::Suspect));
        }
        if ui.button("Open session…").clicked() {
            actions.push(FileAction::PickSession);
        }
    });
}

/// Files dropped on the window: two at once are a pair; one goes to the half it was
/// dropped on; a session file opens the session.
fn dropped_files(ctx: &egui::Context, central: egui::Rect, actions: &mut Actions) {
    let (files, pos) = ctx.input(|i| (i.raw.dropped_files.clone(), i.pointer.hover_pos()));
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|f| f.path().to_owned())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if let [a, b] = paths.as_slice() {
        actions.push(FileAction::OpenPair {
            reference: a.clone(),
            suspect: b.clone(),
        });
        return;
    }
    for p in paths {
        let is_session = p.extension().is_some_and(|e| e == SESSION_EXTENSION);
        if is_session {
            actions.push(FileAction::OpenSession(p));
        } else {
            let left = pos.is_none_or(|p| p.x < central.center().x);
            let role = if left { Role::Reference } else { Role::Suspect };
            actions.push(FileAction::SetImage(role, p));
        }
    }
}
