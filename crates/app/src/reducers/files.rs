//! Opening, saving and exporting.
use super::IMAGE_EXTENSIONS;
use crate::actions::{Action, FileAction, Role};
use crate::prefs::Recent;
use crate::worker::Job;
use crate::BoardDiffApp;
use boarddiff_core::run_folder::RunFolder;
use boarddiff_output::profile::{GoldenProfile, PROFILE_EXTENSION};
use boarddiff_output::session::SESSION_EXTENSION;
use std::path::Path;

impl BoardDiffApp {
    pub(super) fn apply_file(&mut self, ctx: &egui::Context, action: FileAction) {
        match action {
            FileAction::OpenPair { reference, suspect } => {
                self.pending_images = (Some(reference.clone()), Some(suspect.clone()));
                self.send(Job::Open {
                    reference,
                    suspect,
                    settings: self.prefs.detect.clone(),
                    ignore_masks: Vec::new(),
                    reference_sha256: None,
                });
            }
            FileAction::OpenWithProfile { profile, suspect } => {
                let reference = std::path::PathBuf::from(&profile.reference.path);
                self.pending_images = (Some(reference.clone()), Some(suspect.clone()));
                self.send(Job::Open {
                    reference,
                    suspect,
                    settings: profile.settings,
                    ignore_masks: profile.ignore_masks,
                    reference_sha256: profile.reference.sha256,
                });
            }
            FileAction::SetImage(role, path) => {
                let (mut r, mut s) = self.pending_images.clone();
                if let Some(doc) = &self.doc {
                    r = r.or_else(|| Some(doc.session.reference.path.clone().into()));
                    s = s.or_else(|| Some(doc.session.suspect.path.clone().into()));
                }
                match role {
                    Role::Reference => r = Some(path),
                    Role::Suspect => s = Some(path),
                }
                self.pending_images = (r.clone(), s.clone());
                match (r, s) {
                    (Some(reference), Some(suspect)) => {
                        self.apply_file(ctx, FileAction::OpenPair { reference, suspect })
                    }
                    (Some(_), None) => self.notice("Reference chosen; now open the suspect image."),
                    _ => self.notice("Suspect chosen; now open the reference image."),
                }
            }
            FileAction::OpenSession(path) => self.send(Job::OpenSession(path)),
            FileAction::PickImage(role) => self.dialog(ctx, move || {
                let title = match role {
                    Role::Reference => "Open the reference (known-good) board photo",
                    Role::Suspect => "Open the suspect board photo",
                };
                rfd::FileDialog::new()
                    .set_title(title)
                    .add_filter("Images", &IMAGE_EXTENSIONS)
                    .pick_file()
                    .map(|p| FileAction::SetImage(role, p).into())
            }),
            FileAction::PickSession => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .add_filter("boarddiff session", &[SESSION_EXTENSION])
                    .pick_file()
                    .map(|p| FileAction::OpenSession(p).into())
            }),
            FileAction::PickSessionSaveAs => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .add_filter("boarddiff session", &[SESSION_EXTENSION])
                    .set_file_name(format!("inspection.{SESSION_EXTENSION}"))
                    .save_file()
                    .map(|p| FileAction::SaveSessionAs(p).into())
            }),
            FileAction::PickProfileSaveAs => self.dialog(ctx, || {
                rfd::FileDialog::new()
                    .set_title("Save the reference, its masks and settings as a golden profile")
                    .add_filter("boarddiff golden profile", &[PROFILE_EXTENSION])
                    .set_file_name(format!("board.{PROFILE_EXTENSION}"))
                    .save_file()
                    .map(|p| FileAction::SaveProfileAs(p).into())
            }),
            FileAction::SaveProfileAs(mut path) => {
                if path.extension().is_none() {
                    path.set_extension(PROFILE_EXTENSION);
                }
                let Some(doc) = &self.doc else { return };
                let s = &doc.session;
                let profile = GoldenProfile::new(
                    s.reference.clone(),
                    s.settings.clone(),
                    s.ignore_masks.clone(),
                );
                match profile.save(&path) {
                    Ok(()) => self.notice(format!(
                        "Golden profile saved to {}: `boarddiff batch --profile {} --out DIR PHOTOS...`",
                        path.display(),
                        path.display()
                    )),
                    Err(e) => self.error(format!("{e}; the previous file is kept")),
                }
            }
            FileAction::PickExportDir => {
                let options = self.prefs.export.clone();
                self.dialog(ctx, move || {
                    rfd::FileDialog::new()
                        .set_title("Export the report into this folder")
                        .pick_folder()
                        .map(|dir| Action::File(FileAction::Export { dir, options }))
                })
            }
            FileAction::SaveSessionAs(mut path) => {
                if path.extension().is_none() {
                    path.set_extension(SESSION_EXTENSION);
                }
                let Some(doc) = &mut self.doc else { return };
                match doc.session.save(&path) {
                    Ok(()) => {
                        doc.session_path = Some(path.clone());
                        self.prefs.remember(Recent::Session(path.clone()));
                        self.notice(format!("Session saved to {}", path.display()));
                    }
                    Err(e) => self.error(format!("{e}; the previous file is kept")),
                }
            }
            FileAction::Export { dir, options } => {
                let Some(doc) = &self.doc else {
                    self.error("Nothing to export: open a reference and a suspect first.");
                    return;
                };
                let stem = Path::new(&doc.session.suspect.path)
                    .file_stem()
                    .map_or_else(|| "suspect".into(), |s| s.to_string_lossy().into_owned());
                let dir = RunFolder::target_in(&dir, &format!("boarddiff-{stem}"));
                let job = Job::Export {
                    cmp: doc.cmp.clone(),
                    session: doc.session.clone(),
                    dir: dir.clone(),
                    options,
                };
                self.export_dir_text = dir.display().to_string();
                self.prefs.last_export_dir = Some(dir);
                self.send(job);
            }
            FileAction::SetExportOptions(o) => self.prefs.export = o,
            FileAction::SetExportDirText(text) => self.export_dir_text = text,
            FileAction::Cancel => self.worker.cancel(),
            FileAction::DismissMessages => self.messages.clear(),
        }
    }
}
