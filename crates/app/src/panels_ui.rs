//! Toolbar, side-panel sections (detection, masks, alignment, export) and the status bar.
use crate::actions::{
    Actions, FileAction, ManualAction, QuizAction, ReviewAction, Role, Tool, ViewAction,
};
use crate::document::Document;
use crate::prefs::Prefs;
use crate::prefs::ViewMode;
use crate::viewer_ui::ViewerState;
use crate::widgets_ui::{folder_field_ui, rect_list_ui};
use boarddiff_output::export_options::{ExportOptions, ImageFormat, ImageOn};
use egui::{Color32, RichText, Ui};
use std::path::PathBuf;

pub(crate) fn toolbar_ui(
    ui: &mut Ui,
    prefs: &Prefs,
    viewer: &ViewerState,
    has_doc: bool,
    actions: &mut Actions,
) {
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("Open", |ui| {
            if ui.button("Reference image…").clicked() {
                actions.push(FileAction::PickImage(Role::Reference));
            }
            if ui.button("Suspect image…").clicked() {
                actions.push(FileAction::PickImage(Role::Suspect));
            }
            if ui.button("Session…").clicked() {
                actions.push(FileAction::PickSession);
            }
            ui.separator();
            ui.label("Recent");
            if prefs.recent.is_empty() {
                ui.label(RichText::new("nothing yet").weak());
            }
            for r in &prefs.recent {
                if ui.button(r.label()).clicked() {
                    actions.push(match r {
                        crate::prefs::Recent::Pair { reference, suspect } => FileAction::OpenPair {
                            reference: reference.clone(),
                            suspect: suspect.clone(),
                        },
                        crate::prefs::Recent::Session(p) => FileAction::OpenSession(p.clone()),
                    });
                }
            }
        });
        ui.menu_button("Quiz", |ui| {
            use boarddiff_synth::implant::Difficulty;
            for (label, d) in [
                ("New quiz, easy…", Difficulty::Easy),
                ("New quiz, medium…", Difficulty::Medium),
                ("New quiz, hard…", Difficulty::Hard),
            ] {
                if ui
                    .button(label)
                    .on_hover_text("Plant implants in a reference photo of your choice")
                    .clicked()
                {
                    actions.push(QuizAction::PickReference(d));
                }
            }
            if ui.button("Open quiz case…").clicked() {
                actions.push(QuizAction::PickCase);
            }
        });
        if ui
            .add_enabled(has_doc, egui::Button::new("Save session…"))
            .clicked()
        {
            actions.push(FileAction::PickSessionSaveAs);
        }
        if ui
            .selectable_label(viewer.help_open, "Help")
            .on_hover_text("Every key (F1)")
            .clicked()
        {
            actions.push(ViewAction::ToggleHelp);
        }
        ui.separator();
        let mut view = prefs.view.clone();
        for m in ViewMode::ALL {
            let response = ui
                .selectable_label(view.mode == m, m.label())
                .on_hover_text(format!("{} view (key {:?})", m.label(), m.key()));
            if response.clicked() {
                actions.push(ViewAction::SetMode(m));
            }
        }
        ui.separator();
        match view.mode {
            ViewMode::SideBySide => {
                ui.checkbox(&mut view.raw_suspect, "raw suspect")
                    .on_hover_text(
                    "Show the suspect as photographed; the cursor is mapped through the homography",
                );
            }
            ViewMode::Overlay => {
                ui.label("alpha");
                ui.add(egui::Slider::new(&mut view.overlay_alpha, 0.0..=1.0))
                    .on_hover_text("Overlay opacity of the suspect");
            }
            ViewMode::Blink => {
                if ui.button("Flip").on_hover_text("Flip (Space)").clicked() {
                    actions.push(ViewAction::FlipBlink);
                }
                ui.checkbox(&mut view.blink_auto, "auto");
                ui.add(
                    egui::Slider::new(&mut view.blink_hz, 0.5..=8.0)
                        .suffix(" Hz")
                        .logarithmic(true),
                )
                .on_hover_text("Blink rate");
            }
            ViewMode::Swipe => {
                ui.label("drag the divider");
            }
            ViewMode::Heatmap => {
                ui.label("opacity");
                ui.add(egui::Slider::new(&mut view.heat_opacity, 0.0..=1.0))
                    .on_hover_text("Heatmap opacity");
            }
        }
        ui.separator();
        ui.checkbox(&mut view.show_boxes, "boxes");
        ui.checkbox(&mut view.loupe, "loupe (L)");
        if view != prefs.view {
            actions.push(ViewAction::SetViewPrefs(view));
        }
        let mask_tool = viewer.tool == Tool::Mask;
        if ui
            .selectable_label(mask_tool, "Mask")
            .on_hover_text("Drag rectangles to ignore (M)")
            .clicked()
        {
            actions.push(ViewAction::SetTool(if mask_tool {
                Tool::Pan
            } else {
                Tool::Mask
            }));
        }
        if ui
            .button("Fit")
            .on_hover_text("Fit the image (F)")
            .clicked()
        {
            actions.push(ViewAction::Fit);
        }
        if ui
            .button("1:1")
            .on_hover_text("Actual pixels (0)")
            .clicked()
        {
            actions.push(ViewAction::ActualSize);
        }
        ui.label("?").on_hover_text(
            "Wheel: zoom at cursor · drag: pan · arrows: pan · F fit · 0 1:1\n\
             S/O/B/W/H: side by side, overlay, blink, swipe, heatmap · Space: blink\n\
             N/P: next/previous region · 1-4: verdict · L loupe · M mask tool",
        );
    });
}

pub(crate) fn detection_ui(
    ui: &mut Ui,
    doc: &Document,
    last_redetect_ms: Option<f64>,
    actions: &mut Actions,
) {
    let mut s = doc.session.settings.clone();
    ui.add(
        egui::Slider::new(&mut s.sensitivity, 0.25..=4.0)
            .logarithmic(true)
            .text("sensitivity"),
    );
    let width = doc.session.reference.width as f64;
    let mut area = s.min_area_px_of(width);
    let mut auto = s.min_area_px.is_none();
    ui.horizontal(|ui| {
        ui.add_enabled(
            !auto,
            egui::Slider::new(&mut area, 10..=20_000)
                .logarithmic(true)
                .suffix(" px")
                .text("min area"),
        );
        ui.checkbox(&mut auto, "auto").on_hover_text(
            "Follow the board's scale: the area of the smallest part worth planting",
        );
    });
    s.min_area_px = (!auto).then_some(area);
    let mut tol = s.tolerance_px as u32;
    ui.add(
        egui::Slider::new(&mut tol, 0..=3)
            .suffix(" px")
            .text("tolerance"),
    );
    s.tolerance_px = tol as usize;
    if s != doc.session.settings {
        actions.push(ReviewAction::SetDetect(s));
    }
    crate::histogram_ui::score_histogram_ui(
        ui,
        &doc.candidate_peaks,
        &doc.session.settings,
        doc.session.regions.len(),
    );
    if let Some(ms) = last_redetect_ms {
        ui.label(RichText::new(format!("last re-detection {ms:.0} ms")).weak());
    }
    if ui
        .button("Save as golden profile…")
        .on_hover_text(
            "The reference, its ignore masks and these settings, for checking many boards: \
             boarddiff batch --profile FILE, or boarddiff gui --profile FILE --suspect PHOTO",
        )
        .clicked()
    {
        actions.push(FileAction::PickProfileSaveAs);
    }
}

pub(crate) fn masks_ui(ui: &mut Ui, doc: &Document, tool: Tool, actions: &mut Actions) {
    if doc.session.ignore_masks.is_empty() {
        ui.label(if tool == Tool::Mask {
            "Drag on the image to add an ignore rectangle."
        } else {
            "None. Turn on Mask in the toolbar, then drag on the image."
        });
    }
    if let Some(i) = rect_list_ui(ui, &doc.session.ignore_masks, "mask") {
        actions.push(ReviewAction::RemoveMask(i));
    }
}

pub(crate) fn alignment_ui(ui: &mut Ui, doc: &Document, actions: &mut Actions) {
    let a = &doc.cmp.alignment;
    let q = &a.quality;
    let manual = !doc.session.manual_points.is_empty();
    egui::Grid::new("alignment-grid").show(ui, |ui| {
        ui.label("source");
        ui.label(if manual { "manual points" } else { "automatic" });
        ui.end_row();
        ui.label("inliers");
        ui.label(q.inliers.to_string());
        ui.end_row();
        ui.label("RMS residual");
        let color = if q.rms_residual_px <= 0.5 {
            Color32::from_rgb(90, 200, 90)
        } else if q.rms_residual_px <= 1.5 {
            Color32::from_rgb(240, 190, 40)
        } else {
            Color32::from_rgb(240, 80, 80)
        };
        ui.colored_label(color, format!("{:.3} px", q.rms_residual_px));
        ui.end_row();
        ui.label("overlap");
        ui.label(format!("{:.1} %", q.overlap * 100.0));
        ui.end_row();
        ui.label("patches");
        ui.label(format!("{} / {}", q.patches_matched, q.patches_textured));
        ui.end_row();
    });
    residual_picture(ui, doc);
    if ui
        .button("Align by hand…")
        .on_hover_text("Pick corresponding points yourself")
        .clicked()
    {
        actions.push(ManualAction::Start);
    }
}

/// Where alignment is weak: each matched patch as a dot, green to red by residual.
fn residual_picture(ui: &mut Ui, doc: &Document) {
    let (w, h) = doc.cmp.reference.dimensions();
    let width = ui.available_width().min(260.0);
    let height = width * h as f32 / w as f32;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(30));
    for (p, e) in &doc.cmp.alignment.quality.residuals {
        let at = rect.min + egui::vec2(p[0] / w as f32 * width, p[1] / h as f32 * height);
        let t = (e / 1.5).clamp(0.0, 1.0);
        let color = Color32::from_rgb((60.0 + 195.0 * t) as u8, (220.0 - 160.0 * t) as u8, 60);
        painter.circle_filled(at, 2.0 + 3.0 * t, color);
    }
    painter.text(
        rect.left_bottom() + egui::vec2(4.0, -4.0),
        egui::Align2::LEFT_BOTTOM,
        "patch residuals (red ≥ 1.5 px)",
        egui::FontId::proportional(10.0),
        Color32::from_gray(200),
    );
}

pub(crate) fn export_ui(
    ui: &mut Ui,
    options: &ExportOptions,
    dir_text: &str,
    actions: &mut Actions,
) {
    let mut o = options.clone();
    ui.horizontal(|ui| {
        ui.label("image on");
        ui.radio_value(&mut o.on, ImageOn::Reference, "reference");
        ui.radio_value(&mut o.on, ImageOn::Suspect, "suspect");
    });
    ui.horizontal(|ui| {
        ui.label("format");
        ui.radio_value(&mut o.format, ImageFormat::Png, "PNG");
        ui.radio_value(&mut o.format, ImageFormat::Jpeg, "JPEG");
    });
    ui.checkbox(&mut o.include_benign, "include benign regions");
    if o != *options {
        actions.push(FileAction::SetExportOptions(o.clone()));
    }
    ui.horizontal(|ui| {
        folder_field_ui(ui, "folder", dir_text, actions);
        if ui.button("Browse…").clicked() {
            actions.push(FileAction::PickExportDir);
        }
    });
    let ready = !dir_text.trim().is_empty();
    if ui
        .add_enabled(ready, egui::Button::new("Export report"))
        .on_hover_text("Annotated image, crop sheet, HTML report and JSON")
        .clicked()
    {
        actions.push(FileAction::Export {
            dir: PathBuf::from(dir_text.trim()),
            options: o,
        });
    }
}

pub(crate) struct StatusModel<'a> {
    pub(crate) busy: Option<(String, f32)>,
    pub(crate) frame_ms: (f64, f64),
    pub(crate) hover: Option<([f64; 2], Option<[f64; 2]>)>,
    pub(crate) zoom: f64,
    pub(crate) pending_tiles: usize,
    pub(crate) autosave: Option<&'a str>,
}

pub(crate) fn status_ui(ui: &mut Ui, m: &StatusModel, actions: &mut Actions) {
    ui.horizontal(|ui| {
        if let Some((stage, fraction)) = &m.busy {
            ui.add(
                egui::ProgressBar::new(*fraction)
                    .desired_width(220.0)
                    .text(stage.as_str()),
            );
            if ui.button("Cancel").clicked() {
                actions.push(FileAction::Cancel);
            }
            ui.separator();
        }
        ui.label(format!("zoom {:.0}%", m.zoom * 100.0));
        if let Some((r, s)) = m.hover {
            let sus = s.map_or(String::new(), |s| {
                format!("  suspect {:.1}, {:.1}", s[0], s[1])
            });
            ui.label(format!("reference {:.1}, {:.1}{sus}", r[0], r[1]));
        }
        if m.pending_tiles > 0 {
            ui.label(RichText::new(format!("loading {} tiles", m.pending_tiles)).weak());
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(
                RichText::new(format!(
                    "frame {:.1} ms (max {:.1})",
                    m.frame_ms.0, m.frame_ms.1
                ))
                .weak(),
            );
            if let Some(p) = m.autosave {
                ui.label(RichText::new(format!("autosaved to {p}")).weak());
            }
        });
    });
}
