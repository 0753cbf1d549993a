//! Aligning by hand: points picked on both photos, then a comparison from them.
use crate::actions::{ManualAction, Role};
use crate::manual_ui::ManualState;
use crate::view_transform::ViewTransform;
use crate::worker::Job;
use crate::BoardDiffApp;
use boarddiff_core::align::PointPair;

impl BoardDiffApp {
    pub(super) fn apply_manual(&mut self, action: ManualAction) {
        match action {
            ManualAction::Start => self.start_manual(),
            ManualAction::Point(role, p) => {
                let Some(m) = &mut self.manual else { return };
                match (role, m.pending_reference) {
                    (Role::Reference, _) => m.pending_reference = Some(p),
                    (Role::Suspect, Some(r)) => {
                        m.points.push(PointPair {
                            in_reference: r,
                            in_suspect: p,
                        });
                        m.pending_reference = None;
                    }
                    (Role::Suspect, None) => {
                        self.notice("Click the point on the reference first, then on the suspect.")
                    }
                }
            }
            ManualAction::RemovePoint(i) => {
                if let Some(m) = &mut self.manual {
                    if i < m.points.len() {
                        m.points.remove(i);
                    }
                }
            }
            ManualAction::SetSuspectView(v) => {
                if let Some(m) = &mut self.manual {
                    m.suspect_view = v;
                }
            }
            ManualAction::Apply => {
                let Some(m) = &self.manual else { return };
                let (settings, ignore_masks) = match &m.previous {
                    Some(s) => (s.settings.clone(), s.ignore_masks.clone()),
                    None => (self.prefs.detect.clone(), Vec::new()),
                };
                let job = Job::ManualAlign {
                    reference: m.reference_path.clone(),
                    suspect: m.suspect_path.clone(),
                    points: m.points.clone(),
                    settings,
                    ignore_masks,
                    previous: m.previous.clone(),
                };
                self.send(job);
            }
            ManualAction::Cancel => {
                self.manual = None;
                self.fit_pending = true;
            }
        }
    }

    fn start_manual(&mut self) {
        let state = if let Some(doc) = &self.doc {
            ManualState {
                points: doc.session.manual_points.clone(),
                pending_reference: None,
                suspect_view: ViewTransform::fit(
                    doc.images.raw_suspect.size_in_space(),
                    self.pane_size,
                ),
                reference: doc.images.reference.clone(),
                suspect: doc.images.raw_suspect.clone(),
                reference_path: doc.session.reference.path.clone().into(),
                suspect_path: doc.session.suspect.path.clone().into(),
                reason: None,
                previous: Some(doc.session.clone()),
            }
        } else if let Some(u) = &self.unaligned {
            ManualState {
                points: Vec::new(),
                pending_reference: None,
                suspect_view: ViewTransform::fit(u.suspect.size_in_space(), self.pane_size),
                reference: u.reference.clone(),
                suspect: u.suspect.clone(),
                reference_path: u.reference_path.clone(),
                suspect_path: u.suspect_path.clone(),
                reason: Some(u.reason.clone()),
                previous: u.previous.clone(),
            }
        } else {
            self.error("Open a reference and a suspect first.");
            return;
        };
        self.view = ViewTransform::fit(state.reference.size_in_space(), self.pane_size);
        self.manual = Some(state);
    }
}
