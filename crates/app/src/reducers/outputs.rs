//! What the worker sends back.
use crate::prefs::ViewMode;
use crate::quiz_ui::QuizState;
use crate::worker::Output;
use crate::BoardDiffApp;
use boarddiff_output::session::carry_verdicts;
use std::sync::Arc;
use std::time::Instant;

impl BoardDiffApp {
    pub(crate) fn handle_output(&mut self, out: Output) {
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
                    self.viewer.tool = crate::actions::Tool::Mask;
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
                // Settings or masks changed again since: a newer re-detection is coming.
                if r.settings != doc.session.settings || r.ignore_masks != doc.session.ignore_masks
                {
                    return;
                }
                let mut regions = r.regions;
                carry_verdicts(&doc.session.regions, &mut regions);
                if let Some(heat) = r.heat {
                    doc.images.heat = Arc::new(heat);
                }
                if let Some(sel) = self.viewer.selected {
                    if !regions.iter().any(|x| x.id == sel) {
                        self.viewer.selected = None;
                    }
                }
                doc.session.regions = regions;
                doc.candidate_peaks = r.candidate_peaks;
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
}
