//! `boarddiff export`: every output of a saved session, rebuilt without a window.
use super::ExportArgs;
use anyhow::{Context, Result};
use boarddiff_core::compare::{compare, Start};
use boarddiff_core::load::{colour_mismatch, load_pair};
use boarddiff_core::progress::NoProgress;
use boarddiff_core::report::Verdict;
use boarddiff_output::export_options::ExportOptions;
use boarddiff_output::review_folder::write_review_folder;
use boarddiff_output::session::Session;
use std::path::Path;

pub fn export(args: &ExportArgs) -> Result<u8> {
    let mut session = Session::load(&args.session)?;
    let alignment = session.alignment.clone().with_context(|| {
        format!(
            "{}: the session has no alignment (it failed); open it in the app and align by hand",
            args.session.display()
        )
    })?;
    let (reference, suspect) = load_pair(
        Path::new(&session.reference.path),
        Path::new(&session.suspect.path),
    )?;
    // The report states the hash of the bytes decoded here, and refuses to vouch for a
    // review of other bytes unless told to.
    session.check_images(&reference, &suspect, args.allow_changed_images)?;
    if let Some(w) = colour_mismatch(reference.grey, suspect.grey) {
        if !session.warnings.contains(&w) {
            session.warnings.push(w);
        }
    }
    for w in &session.warnings {
        eprintln!("warning: {w}");
    }
    // The session's regions are what is exported: the comparison is only the images.
    let cmp = compare(
        reference.rgb,
        suspect.rgb,
        Start::Aligned(alignment),
        &session.settings,
        &session.ignore_masks,
        &NoProgress,
    )?
    .comparison;
    let options = ExportOptions {
        on: args.on.into(),
        format: args.format.into(),
        include_benign: args.include_benign,
        ..ExportOptions::default()
    };
    let written = write_review_folder(&cmp, &session, &args.out, &options)?;
    eprintln!(
        "wrote {} files to {} ({} regions, {} reviewed)",
        written.len(),
        args.out.display(),
        session.regions.len(),
        session.reviewed_count()
    );
    // A gate: a reviewed session with a finding a person called bad fails the ticket.
    let flagged = session
        .regions
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Suspicious | Verdict::ConfirmedImplant))
        .count();
    if flagged > 0 {
        eprintln!("{flagged} region(s) marked suspicious or confirmed implant");
    }
    Ok(u8::from(flagged > 0))
}
