//! The review panel: the region list (sortable, filterable), and the selected region's
//! verdict and note.
use crate::actions::{Actions, ReviewAction};
use crate::review_list::{kind_index, ordered_regions, verdict_index, ListState, SortKey};
use crate::viewer_ui::kind_color;
use boarddiff_core::report::{Region, RegionKind, Verdict};
use egui::{Color32, RichText, Ui};

pub(crate) fn review_ui(
    ui: &mut Ui,
    regions: &[Region],
    selected: Option<u32>,
    current: &ListState,
    actions: &mut Actions,
) {
    let mut list = current.clone();
    let reviewed = regions
        .iter()
        .filter(|r| r.verdict != Verdict::Unreviewed)
        .count();
    ui.horizontal(|ui| {
        ui.heading("Regions");
        ui.label(RichText::new(format!("{reviewed} / {} reviewed", regions.len())).strong());
    });
    egui::ComboBox::from_label("sort order")
        .selected_text(list.sort.label())
        .show_ui(ui, |ui| {
            for k in SortKey::ALL {
                ui.selectable_value(&mut list.sort, k, k.label());
            }
        });
    ui.horizontal_wrapped(|ui| {
        for k in RegionKind::ALL {
            ui.checkbox(&mut list.kinds[kind_index(k)], k.label());
        }
    });
    ui.horizontal_wrapped(|ui| {
        for v in Verdict::ALL {
            ui.checkbox(&mut list.verdicts[verdict_index(v)], v.label());
        }
    });
    if list != *current {
        actions.push(ReviewAction::SetList(list.clone()));
    }
    ui.separator();
    let shown = ordered_regions(regions, &list);
    egui::ScrollArea::vertical()
        .id_salt("region-list")
        .max_height((ui.available_height() - 190.0).max(120.0))
        .show(ui, |ui| {
            if shown.is_empty() {
                ui.label(if regions.is_empty() {
                    "No differences found."
                } else {
                    "No region matches the filters."
                });
            }
            for r in &shown {
                let text = RichText::new(format!(
                    "#{} {} · {:.2} · {} px · {}",
                    r.id,
                    r.kind.label(),
                    r.score,
                    r.area_px,
                    r.verdict.label()
                ));
                let text = if selected == Some(r.id) {
                    text.color(Color32::WHITE)
                } else {
                    text.color(kind_color(r))
                };
                let response = ui.selectable_label(selected == Some(r.id), text);
                if selected == Some(r.id) && response.gained_focus() {
                    response.scroll_to_me(None);
                }
                if response.clicked() {
                    actions.push(ReviewAction::Select(Some(r.id)));
                }
            }
        });
    ui.separator();
    match selected.and_then(|id| regions.iter().find(|r| r.id == id)) {
        Some(r) => region_detail_ui(ui, r, actions),
        None => {
            ui.label("Select a region: click it in the list or on the image, or press N.");
        }
    }
}

fn region_detail_ui(ui: &mut Ui, r: &Region, actions: &mut Actions) {
    let [x, y, w, h] = r.bbox.to_array();
    ui.label(
        RichText::new(format!("Region #{} — {}", r.id, r.kind.label()))
            .strong()
            .color(kind_color(r)),
    );
    ui.label(format!(
        "score {:.2}, area {} px, box {x}, {y}, {w}×{h}",
        r.score, r.area_px
    ));
    ui.horizontal_wrapped(|ui| {
        for (i, v) in Verdict::ALL.into_iter().enumerate() {
            let color = match v {
                Verdict::Unreviewed => Color32::GRAY,
                Verdict::Benign => Color32::from_rgb(90, 180, 90),
                Verdict::Suspicious => Color32::from_rgb(240, 170, 40),
                Verdict::ConfirmedImplant => Color32::from_rgb(240, 70, 70),
            };
            let button = egui::Button::selectable(
                r.verdict == v,
                RichText::new(format!("{} {}", i + 1, v.label())).color(color),
            );
            if ui
                .add(button)
                .on_hover_text(format!("Mark as {} (key {})", v.label(), i + 1))
                .clicked()
            {
                actions.push(ReviewAction::SetVerdict(r.id, v));
            }
        }
    });
    let mut note = r.note.clone();
    let label = ui.label("Note");
    let response = ui.add(
        egui::TextEdit::multiline(&mut note)
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text("What you saw, part number, next step…"),
    );
    let response = response.labelled_by(label.id);
    if response.changed() {
        actions.push(ReviewAction::SetNote(r.id, note));
    }
}
