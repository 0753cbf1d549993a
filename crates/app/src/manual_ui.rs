//! Manual alignment: the reviewer clicks a point on the reference, then the same feature
//! on the raw suspect, four times or more. Residuals update live; Apply re-runs the
//! comparison from those points.
use crate::actions::{Action, Actions, ManualAction, Role, ViewAction};
use crate::tiles::{Pyramid, TileCache};
use crate::view_transform::ViewTransform;
use crate::viewer_ui::wheel_zoom;
use boarddiff_core::align::{point_residuals, points_homography, PointPair};
use boarddiff_output::session::Session;
use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, Vec2};
use std::path::PathBuf;
use std::sync::Arc;

pub struct ManualState {
    pub(crate) points: Vec<PointPair>,
    /// A reference point waiting for its suspect partner.
    pub(crate) pending_reference: Option<[f64; 2]>,
    pub(crate) suspect_view: ViewTransform,
    pub(crate) reference: Arc<Pyramid>,
    pub(crate) suspect: Arc<Pyramid>,
    pub(crate) reference_path: PathBuf,
    pub(crate) suspect_path: PathBuf,
    /// Why automatic alignment failed, when that is how we got here.
    pub reason: Option<String>,
    pub(crate) previous: Option<Session>,
}

impl ManualState {
    /// Residual of each pair in suspect px, once there are enough points for a fit.
    pub fn residuals(&self) -> Option<Vec<f64>> {
        let model = points_homography(&self.points)?;
        Some(point_residuals(&model, &self.points))
    }
}

pub(crate) fn manual_panes_ui(
    ui: &mut Ui,
    state: &ManualState,
    view: &ViewTransform,
    tiles: &mut TileCache,
    actions: &mut Actions,
) -> Vec2 {
    let full = ui.available_rect_before_wrap();
    ui.allocate_rect(full, Sense::hover());
    let gap = 4.0;
    let half = (full.width() - gap) / 2.0;
    let left = Rect::from_min_size(full.min, Vec2::new(half, full.height()));
    let right = Rect::from_min_size(
        Pos2::new(left.max.x + gap, full.min.y),
        Vec2::new(half, full.height()),
    );
    let ctx = ui.ctx().clone();
    let painter = ui.painter().clone();
    painter.rect_filled(full, 0.0, Color32::from_gray(24));
    tiles.paint(&ctx, &painter, left, view, &state.reference, Color32::WHITE);
    tiles.paint(
        &ctx,
        &painter,
        right,
        &state.suspect_view,
        &state.suspect,
        Color32::WHITE,
    );
    pane(ui, "manual-ref", left, view, Role::Reference, actions);
    pane(
        ui,
        "manual-sus",
        right,
        &state.suspect_view,
        Role::Suspect,
        actions,
    );
    let residuals = state.residuals();
    let p_left = painter.with_clip_rect(left);
    let p_right = painter.with_clip_rect(right);
    for (i, pair) in state.points.iter().enumerate() {
        let bad = residuals.as_ref().is_some_and(|r| r[i] > 3.0);
        let color = if bad {
            Color32::RED
        } else {
            Color32::from_rgb(0, 230, 120)
        };
        mark(
            &p_left,
            view.screen_from_reference(left, pair.in_reference),
            i + 1,
            color,
        );
        mark(
            &p_right,
            state
                .suspect_view
                .screen_from_reference(right, pair.in_suspect),
            i + 1,
            color,
        );
    }
    if let Some(p) = state.pending_reference {
        mark(
            &p_left,
            view.screen_from_reference(left, p),
            state.points.len() + 1,
            Color32::YELLOW,
        );
    }
    for (rect, text) in [
        (left, "reference: click a distinctive point"),
        (right, "suspect (raw): click the same point"),
    ] {
        painter.text(
            rect.min + Vec2::new(8.0, 8.0),
            egui::Align2::LEFT_TOP,
            text,
            egui::FontId::proportional(13.0),
            Color32::WHITE,
        );
    }
    left.size()
}

fn pane(
    ui: &mut Ui,
    name: &str,
    rect: Rect,
    view: &ViewTransform,
    role: Role,
    actions: &mut Actions,
) {
    let response = ui.interact(rect, ui.scope_id().with(name), Sense::click_and_drag());
    let set = |v: ViewTransform| -> Action {
        match role {
            Role::Reference => ViewAction::SetView(v).into(),
            Role::Suspect => ManualAction::SetSuspectView(v).into(),
        }
    };
    if response.dragged() && response.drag_delta() != Vec2::ZERO {
        let mut v = *view;
        v.pan(response.drag_delta());
        actions.push(set(v));
    }
    if response.hovered() {
        if let Some(v) = wheel_zoom(ui, rect, view, true) {
            actions.push(set(v));
        }
    }
    if response.clicked() {
        if let Some(p) = response.interact_pointer_pos() {
            actions.push(ManualAction::Point(
                role,
                view.reference_from_screen(rect, p),
            ));
        }
    }
}

fn mark(painter: &egui::Painter, at: Pos2, n: usize, color: Color32) {
    let s = Stroke::new(2.0, color);
    painter.line_segment([at - Vec2::new(9.0, 0.0), at + Vec2::new(9.0, 0.0)], s);
    painter.line_segment([at - Vec2::new(0.0, 9.0), at + Vec2::new(0.0, 9.0)], s);
    painter.circle_stroke(at, 5.0, Stroke::new(1.0, Color32::BLACK));
    painter.text(
        at + Vec2::new(8.0, -18.0),
        egui::Align2::LEFT_TOP,
        n.to_string(),
        egui::FontId::proportional(13.0),
        color,
    );
}

/// The side panel of manual alignment: the pairs with their residuals, Apply and Cancel.
pub(crate) fn manual_panel_ui(ui: &mut Ui, state: &ManualState, actions: &mut Actions) {
    ui.heading("Manual alignment");
    if let Some(reason) = &state.reason {
        ui.colored_label(
            Color32::from_rgb(255, 170, 60),
            format!("Automatic alignment failed: {reason}"),
        );
    }
    ui.label(
        "Click a sharp feature (a via, a pin corner) on the reference, then the same feature on \
         the suspect. Four pairs or more, spread over the board.",
    );
    ui.separator();
    let residuals = state.residuals();
    egui::Grid::new("manual-points")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("#");
            ui.strong("reference");
            ui.strong("suspect");
            ui.strong("residual");
            ui.label("");
            ui.end_row();
            for (i, p) in state.points.iter().enumerate() {
                ui.label((i + 1).to_string());
                ui.label(format!(
                    "{:.0}, {:.0}",
                    p.in_reference[0], p.in_reference[1]
                ));
                ui.label(format!("{:.0}, {:.0}", p.in_suspect[0], p.in_suspect[1]));
                match &residuals {
                    Some(r) => ui.label(format!("{:.2} px", r[i])),
                    None => ui.label("-"),
                };
                if ui
                    .small_button("Delete")
                    .on_hover_text(format!("Remove pair {}", i + 1))
                    .clicked()
                {
                    actions.push(ManualAction::RemovePoint(i));
                }
                ui.end_row();
            }
        });
    if state.pending_reference.is_some() {
        ui.colored_label(Color32::YELLOW, "Now click the same point on the suspect.");
    }
    if let Some(r) = &residuals {
        let rms = (r.iter().map(|e| e * e).sum::<f64>() / r.len() as f64).sqrt();
        ui.label(format!("RMS residual {rms:.2} px over {} pairs", r.len()));
    } else {
        ui.label(format!("{} of at least 4 pairs", state.points.len()));
    }
    ui.horizontal(|ui| {
        let ready = residuals.is_some();
        if ui
            .add_enabled(ready, egui::Button::new("Apply alignment"))
            .clicked()
        {
            actions.push(ManualAction::Apply);
        }
        if ui.button("Cancel").clicked() {
            actions.push(ManualAction::Cancel);
        }
    });
}
