//! Small widgets shared by the side panels and the quiz panel.
use crate::actions::{Actions, FileAction};
use boarddiff_core::rect::RectInReference;
use egui::Ui;

/// Each rectangle with a Delete button; the index whose Delete was clicked.
pub(crate) fn rect_list_ui(ui: &mut Ui, rects: &[RectInReference], noun: &str) -> Option<usize> {
    let mut remove = None;
    for (i, r) in rects.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(format!("{}: {}, {}  {}×{}", i + 1, r.x, r.y, r.w, r.h));
            if ui
                .small_button("Delete")
                .on_hover_text(format!("Delete {noun} {}", i + 1))
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    remove
}

/// A labelled one-line field for the folder that exports go to (shared by the export
/// panel and the quiz's scorecard).
pub(crate) fn folder_field_ui(ui: &mut Ui, label: &str, dir_text: &str, actions: &mut Actions) {
    let mut dir = dir_text.to_string();
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(&mut dir).desired_width(150.0))
        .labelled_by(label.id);
    if dir != dir_text {
        actions.push(FileAction::SetExportDirText(dir));
    }
}
