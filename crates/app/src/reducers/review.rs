//! Reviewing: selection, verdicts, notes, the list's order, detection settings and ignore
//! masks. The session owns all of it; re-detection runs on the worker.
use crate::actions::ReviewAction;
use crate::review_list::ordered_regions;
use crate::view_transform::ViewTransform;
use crate::BoardDiffApp;
use boarddiff_core::report::Region;

impl BoardDiffApp {
    pub(super) fn apply_review(&mut self, action: ReviewAction) {
        match action {
            ReviewAction::Select(id) => {
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
                    self.view = ViewTransform::focus(b.to_array().map(f64::from), self.pane_size);
                }
            }
            ReviewAction::Step(delta) => {
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
                self.apply_review(ReviewAction::Select(Some(order[next as usize])));
            }
            ReviewAction::SetVerdict(id, v) => self.edit_region(id, |r| r.verdict = v),
            ReviewAction::SetNote(id, text) => self.edit_region(id, |r| r.note = text),
            ReviewAction::SetList(list) => self.list = list,
            ReviewAction::SetDetect(s) => {
                let Some(doc) = &mut self.doc else { return };
                let old = std::mem::replace(&mut doc.session.settings, s.clone());
                let heat_changed = s.tolerance_px != old.tolerance_px
                    || s.sensitivity != old.sensitivity
                    || s.seed_sigma != old.seed_sigma;
                self.prefs.detect = s;
                self.redetect(heat_changed);
            }
            ReviewAction::AddMask(r) => {
                if let Some(q) = self.quiz.as_mut().filter(|q| q.hides_detections()) {
                    q.guesses.push(r);
                    return;
                }
                if let Some(doc) = &mut self.doc {
                    doc.session.ignore_masks.push(r);
                    self.redetect(false);
                }
            }
            ReviewAction::RemoveMask(i) => {
                if let Some(doc) = &mut self.doc {
                    if i < doc.session.ignore_masks.len() {
                        doc.session.ignore_masks.remove(i);
                        self.redetect(false);
                    }
                }
            }
        }
    }

    /// Changes one region of the session (a verdict, a note) and schedules the autosave.
    fn edit_region(&mut self, id: u32, edit: impl FnOnce(&mut Region)) {
        if let Some(r) = self
            .doc
            .as_mut()
            .and_then(|d| d.session.regions.iter_mut().find(|r| r.id == id))
        {
            edit(r);
            self.mark_dirty();
        }
    }
}
