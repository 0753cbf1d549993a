//! Where and how the images are shown.
use crate::actions::{ReviewAction, ViewAction};
use crate::prefs::ViewMode;
use crate::view_transform::ViewTransform;
use crate::BoardDiffApp;

impl BoardDiffApp {
    pub(super) fn apply_view(&mut self, ctx: &egui::Context, action: ViewAction) {
        match action {
            ViewAction::SetView(v) => self.view = v,
            ViewAction::Fit => {
                if let Some(size) = self.reference_size() {
                    self.view = ViewTransform::fit(size, self.pane_size);
                }
                if let Some(m) = &mut self.manual {
                    m.suspect_view = ViewTransform::fit(m.suspect.size_in_space(), self.pane_size);
                }
            }
            ViewAction::FitOpened => {
                if !self.fit_pending {
                    return;
                }
                self.fit_pending = false;
                self.apply_view(ctx, ViewAction::Fit);
                if let Some(id) = self.pending_select.take() {
                    self.apply_review(ReviewAction::Select(Some(id)));
                }
            }
            ViewAction::ActualSize => self.view.actual_size(ctx.pixels_per_point()),
            ViewAction::SetMode(ViewMode::Heatmap)
                if self.quiz.as_ref().is_some_and(|q| q.hides_detections()) =>
            {
                self.notice("The heatmap shows the detector's answer: it opens after Submit.")
            }
            ViewAction::SetMode(m) => self.prefs.view.mode = m,
            ViewAction::SetViewPrefs(v) => self.prefs.view = v,
            ViewAction::FlipBlink => {
                if self.prefs.view.mode != ViewMode::Blink {
                    self.prefs.view.mode = ViewMode::Blink;
                } else {
                    self.viewer.blink_shows_suspect = !self.viewer.blink_shows_suspect;
                }
            }
            ViewAction::SetSwipe(x) => self.viewer.swipe = x,
            ViewAction::SetTool(t) => self.viewer.tool = t,
            ViewAction::ToggleHelp => self.viewer.help_open = !self.viewer.help_open,
            ViewAction::ToggleRawSuspect => {
                self.prefs.view.raw_suspect = !self.prefs.view.raw_suspect
            }
            ViewAction::Measured {
                pane_size,
                viewer_rect,
                hover_in_reference,
            } => {
                self.pane_size = pane_size;
                self.viewer_rect = viewer_rect;
                self.hover = hover_in_reference;
            }
        }
    }

    pub(crate) fn blink_timer(&mut self, ctx: &egui::Context) {
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
}
