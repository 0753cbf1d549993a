//! The one place where state changes: one reducer per family of actions, and one for
//! what the worker sends back.
mod files;
mod manual;
mod outputs;
mod quiz;
mod review;
mod view;

use crate::actions::Action;
use crate::worker::Job;
use crate::BoardDiffApp;
use std::time::Instant;

/// Image files the Open dialogs offer.
const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp", "JPG"];

impl BoardDiffApp {
    pub fn apply(&mut self, ctx: &egui::Context, action: impl Into<Action>) {
        match action.into() {
            Action::File(a) => self.apply_file(ctx, a),
            Action::View(a) => self.apply_view(ctx, a),
            Action::Review(a) => self.apply_review(a),
            Action::Manual(a) => self.apply_manual(a),
            Action::Quiz(a) => self.apply_quiz(ctx, a),
        }
    }

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

    /// Runs a native dialog beside the UI (it blocks); its answer comes back as an action.
    fn dialog(&self, ctx: &egui::Context, pick: impl FnOnce() -> Option<Action> + Send + 'static) {
        let tx = self.dialog_tx.clone();
        let ctx = ctx.clone();
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

    /// Re-detection at the session's settings and masks, on the worker.
    fn redetect(&mut self, heat_changed: bool) {
        if let Some(doc) = &self.doc {
            let job = Job::Redetect {
                cmp: doc.cmp.clone(),
                settings: doc.session.settings.clone(),
                ignore_masks: doc.session.ignore_masks.clone(),
                heat_changed,
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
}
