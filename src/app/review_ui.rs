//! The review panel: the region list (sortable, filterable), and the selected region's
//! verdict and note.
use crate::app::actions::Action;
use crate::app::viewer_ui::kind_color;
use crate::engine::report::{Region, RegionKind, Verdict};
use egui::{Color32, RichText, Ui};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Score,
    Area,
    Kind,
    Id,
}

impl SortKey {
    const ALL: [SortKey; 4] = [SortKey::Score, SortKey::Area, SortKey::Kind, SortKey::Id];
    fn label(self) -> &'static str {
        match self {
            SortKey::Score => "score",
            SortKey::Area => "area",
            SortKey::Kind => "kind",
            SortKey::Id => "id",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListState {
    pub sort: SortKey,
    pub kinds: [bool; 3],
    pub verdicts: [bool; 4],
}

impl Default for ListState {
    fn default() -> Self {
        Self {
            sort: SortKey::Score,
            kinds: [true; 3],
            verdicts: [true; 4],
        }
    }
}

fn kind_index(k: RegionKind) -> usize {
    RegionKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

fn verdict_index(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

/// The regions the list shows, in its order. N and P walk this order.
pub fn ordered_regions<'a>(regions: &'a [Region], list: &ListState) -> Vec<&'a Region> {
    let mut out: Vec<&Region> = regions
        .iter()
        .filter(|r| list.kinds[kind_index(r.kind)] && list.verdicts[verdict_index(r.verdict)])
        .collect();
    match list.sort {
        SortKey::Score => out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id))),
        SortKey::Area => out.sort_by(|a, b| b.area_px.cmp(&a.area_px).then(a.id.cmp(&b.id))),
        SortKey::Kind => out.sort_by_key(|r| (r.kind, r.id)),
        SortKey::Id => out.sort_by_key(|r| r.id),
    }
    out
}

pub fn review_ui(
    ui: &mut Ui,
    regions: &[Region],
    selected: Option<u32>,
    list: &mut ListState,
    actions: &mut Vec<Action>,
) {
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
    ui.separator();
    let shown = ordered_regions(regions, list);
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
                    actions.push(Action::Select(Some(r.id)));
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

fn region_detail_ui(ui: &mut Ui, r: &Region, actions: &mut Vec<Action>) {
    let [x, y, w, h] = r.bbox;
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
                actions.push(Action::SetVerdict(r.id, v));
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
        actions.push(Action::SetNote(r.id, note));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_filters() {
        let mut regions = vec![
            Region::new(1, [0, 0, 10, 10], RegionKind::Altered, 0.6, 100),
            Region::new(2, [0, 0, 30, 30], RegionKind::Added, 0.9, 900),
            Region::new(3, [0, 0, 20, 20], RegionKind::Removed, 0.7, 400),
        ];
        regions[2].verdict = Verdict::Benign;
        let mut list = ListState::default();
        let ids = |l: &ListState| {
            ordered_regions(&regions, l)
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&list), vec![2, 3, 1]);
        list.sort = SortKey::Kind;
        assert_eq!(ids(&list), vec![2, 3, 1]);
        list.sort = SortKey::Id;
        list.verdicts[verdict_index(Verdict::Benign)] = false;
        assert_eq!(ids(&list), vec![1, 2]);
        list.kinds[kind_index(RegionKind::Added)] = false;
        assert_eq!(ids(&list), vec![1]);
    }
}
