//! `boarddiff export`: every output of a saved session, rebuilt without a window.
use super::ExportArgs;
use anyhow::{bail, Context, Result};
use boarddiff_core::compare::{compare, Start};
use boarddiff_core::load::{colour_mismatch, load_pair};
use boarddiff_core::progress::NoProgress;
use boarddiff_output::export_options::{ExportOptions, ImageFormat, ImageOn};
use boarddiff_output::review_folder::write_review_folder;
use boarddiff_output::session::Session;
use std::path::Path;

pub fn export(args: &ExportArgs) -> Result<u8> {
    let on = match args.on.to_ascii_lowercase().as_str() {
        "reference" => ImageOn::Reference,
        "suspect" => ImageOn::Suspect,
        other => bail!("--on {other:?}: use reference or suspect"),
    };
    let format = match args.format.to_ascii_lowercase().as_str() {
        "png" => ImageFormat::Png,
        "jpg" | "jpeg" => ImageFormat::Jpeg,
        other => bail!("--format {other:?}: use png or jpeg"),
    };
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
    if let Some(w) = colour_mismatch(&reference, &suspect) {
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
        on,
        format,
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
    Ok(0)
}
