//! Trainer quizzes: a generated or prepared case, the trainee's boxes, the score.
use super::IMAGE_EXTENSIONS;
use crate::actions::{Action, QuizAction};
use crate::worker::Job;
use crate::BoardDiffApp;
use boarddiff_synth::quiz::score_quiz;

impl BoardDiffApp {
    pub(super) fn apply_quiz(&mut self, ctx: &egui::Context, action: QuizAction) {
        match action {
            QuizAction::Start {
                reference,
                difficulty,
                seed,
            } => self.send(Job::Quiz {
                reference,
                difficulty,
                seed,
                settings: self.prefs.detect.clone(),
            }),
            QuizAction::OpenCase(dir) => self.send(Job::QuizCase {
                dir,
                settings: self.prefs.detect.clone(),
            }),
            QuizAction::PickReference(difficulty) => self.dialog(ctx, move || {
                let seed = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs());
                rfd::FileDialog::new()
                    .set_title("Reference photo for the quiz")
                    .add_filter("Images", &IMAGE_EXTENSIONS)
                    .pick_file()
                    .map(|reference| {
                        Action::Quiz(QuizAction::Start {
                            reference,
                            difficulty,
                            seed,
                        })
                    })
            }),
            QuizAction::PickCase => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .set_title("Quiz case folder (reference, suspect, truth.json)")
                    .pick_folder()
                    .map(|dir| QuizAction::OpenCase(dir).into())
            }),
            QuizAction::RemoveGuess(i) => {
                if let Some(q) = &mut self.quiz {
                    if i < q.guesses.len() && q.score.is_none() {
                        q.guesses.remove(i);
                    }
                }
            }
            QuizAction::Submit => {
                if let (Some(q), Some(doc)) = (&mut self.quiz, &self.doc) {
                    if q.score.is_none() {
                        q.score = Some(score_quiz(
                            &q.truth,
                            &q.guesses,
                            &doc.session.regions,
                            q.started.elapsed().as_secs_f64(),
                        ));
                    }
                }
            }
            QuizAction::ExportScorecard(dir) => {
                let (Some(q), Some(doc)) = (&self.quiz, &self.doc) else {
                    return;
                };
                let Some(score) = q.score.clone() else { return };
                let job = Job::Scorecard {
                    cmp: doc.cmp.clone(),
                    tool: doc.session.regions.clone(),
                    score,
                    guesses: q.guesses.clone(),
                    case_name: q.case_name.clone(),
                    dir,
                };
                self.send(job);
            }
            QuizAction::End => self.quiz = None,
        }
    }
}
