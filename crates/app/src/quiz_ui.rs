//! Quiz mode: the trainee marks where they think the board was changed, with detections
//! hidden; Submit reveals the truth and the tool's regions and scores the attempt.
use crate::actions::{Actions, QuizAction};
use crate::widgets_ui::{folder_field_ui, rect_list_ui};
use boarddiff_core::rect::RectInReference;
use boarddiff_synth::quiz::QuizScore;
use boarddiff_synth::truth::TruthRegion;
use egui::{Color32, RichText, Ui};
use std::time::Instant;

pub struct QuizState {
    pub(crate) case_name: String,
    pub(crate) truth: Vec<TruthRegion>,
    /// The trainee's boxes.
    pub guesses: Vec<RectInReference>,
    pub(crate) started: Instant,
    pub score: Option<QuizScore>,
}

impl QuizState {
    pub(crate) fn hides_detections(&self) -> bool {
        self.score.is_none()
    }
}

pub(crate) fn quiz_ui(ui: &mut Ui, quiz: &QuizState, dir_text: &str, actions: &mut Actions) {
    ui.heading("Quiz");
    ui.label(format!("Case: {}", quiz.case_name));
    match &quiz.score {
        None => {
            ui.label(
                "Find what was added, removed or altered on the suspect. Every view mode but \
                 the heatmap is available. Drag boxes on the image (Mark tool, M) where you \
                 see a change, then Submit.",
            );
            ui.label(format!(
                "time {:.0} s",
                quiz.started.elapsed().as_secs_f64()
            ));
            ui.separator();
            ui.label(format!("Your boxes ({})", quiz.guesses.len()));
            if let Some(i) = rect_list_ui(ui, &quiz.guesses, "box") {
                actions.push(QuizAction::RemoveGuess(i));
            }
            if ui.button("Submit").clicked() {
                actions.push(QuizAction::Submit);
            }
        }
        Some(s) => {
            ui.label(
                RichText::new(format!(
                    "{} hit(s), {} miss(es), {} false alarm(s) in {:.0} s",
                    s.hits, s.misses, s.false_alarms, s.seconds
                ))
                .strong()
                .size(16.0),
            );
            ui.label(format!(
                "The tool found {} of {} with {} false region(s).",
                s.truth.iter().filter(|t| t.2).count(),
                s.truth.len(),
                s.tool_false_regions
            ));
            egui::Grid::new("quiz-truth").striped(true).show(ui, |ui| {
                ui.strong("#");
                ui.strong("what changed");
                ui.strong("you");
                ui.strong("tool");
                ui.end_row();
                for (i, (t, you, tool)) in s.truth.iter().enumerate() {
                    let mark = |b: bool| {
                        if b {
                            RichText::new("found").color(Color32::from_rgb(90, 200, 90))
                        } else {
                            RichText::new("missed").color(Color32::from_rgb(240, 90, 80))
                        }
                    };
                    ui.label((i + 1).to_string());
                    ui.label(t.note.clone().unwrap_or_else(|| t.kind.label().to_string()));
                    ui.label(mark(*you));
                    ui.label(mark(*tool));
                    ui.end_row();
                }
            });
            ui.label("Green boxes: truth. Cyan: yours. The tool's regions in their colours.");
            ui.horizontal(|ui| folder_field_ui(ui, "scorecard folder", dir_text, actions));
            if ui.button("Export scorecard").clicked() {
                actions.push(QuizAction::ExportScorecard(dir_text.trim().into()));
            }
        }
    }
    ui.separator();
    if ui.button("End quiz").clicked() {
        actions.push(QuizAction::End);
    }
}
