//! `boarddiff synth`: procedural boards, generated pairs and implants planted in a photo.
use super::SynthCommand;
use anyhow::{bail, Context, Result};
use boarddiff_core::geometry::Homography;
use boarddiff_core::load::load_rgb;
use boarddiff_core::report::RegionKind;
use boarddiff_core::write::write_atomic;
use boarddiff_output::encode::{encode_jpeg, encode_png};
use boarddiff_synth::case_folder::{write_case_folder, CaseReference, SUSPECT_QUALITY};
use boarddiff_synth::implant::{simulate, ImplantSpec};

fn parse_size(size: &str) -> Result<(u32, u32)> {
    let (w, h) = size
        .split_once(['x', 'X'])
        .with_context(|| format!("--size must look like 6000x4000, got {size:?}"))?;
    let (w, h): (u32, u32) = (
        w.trim().parse().context("--size width")?,
        h.trim().parse().context("--size height")?,
    );
    if !(256..=20000).contains(&w) || !(256..=20000).contains(&h) {
        bail!("--size {w}x{h}: each side must be between 256 and 20000 pixels");
    }
    Ok((w, h))
}

/// Most changes planted in one case: a trainee's case has a handful, and each one is
/// placed by trial on a free spot of the board.
const MAX_MODIFICATIONS: usize = 50;

pub fn synth(cmd: &SynthCommand) -> Result<()> {
    match cmd {
        SynthCommand::Board { seed, size, out } => {
            let (w, h) = parse_size(size)?;
            let layout = boarddiff_synth::layout::Layout::generate(w, h, *seed);
            let board = boarddiff_synth::paint::paint(&layout, *seed);
            let camera = boarddiff_synth::camera::Camera::plain(w, h, Homography::identity());
            let photo = camera.shoot(&board, *seed);
            let is_png = out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if is_png {
                write_atomic(out, &encode_png(&photo))?;
            } else {
                write_atomic(out, &encode_jpeg(&photo, 92))?;
            }
        }
        SynthCommand::Implant {
            reference,
            out,
            count,
            seed,
            difficulty,
            kinds,
            variation,
            px_per_mm,
        } => {
            let difficulty = (*difficulty).into();
            let mut kinds: Vec<RegionKind> = kinds.iter().map(|&k| k.into()).collect();
            kinds.sort();
            kinds.dedup();
            if *count == 0 || *count > MAX_MODIFICATIONS {
                bail!("--count must be from 1 to {MAX_MODIFICATIONS}, got {count}");
            }
            let photo = load_rgb(reference)?;
            let (suspect, truth) = simulate(
                &photo.rgb,
                &ImplantSpec {
                    seed: *seed,
                    count: *count,
                    difficulty,
                    kinds,
                    variation: (*variation).into(),
                    px_per_mm: *px_per_mm,
                },
            );
            write_case_folder(
                out,
                CaseReference::File(reference),
                &suspect,
                SUSPECT_QUALITY,
                &truth,
            )?;
            eprintln!(
                "planted {} of {count} modification(s); wrote {}",
                truth.modifications.len(),
                out.display()
            );
        }
        SynthCommand::Pair {
            seed,
            size,
            modifications,
            quality,
            difficulty,
            variation,
            px_per_mm,
            out,
        } => {
            let (w, h) = parse_size(size)?;
            if !(0.0..=1.0).contains(difficulty) {
                bail!("--difficulty must be between 0 and 1, got {difficulty}");
            }
            if *modifications > MAX_MODIFICATIONS {
                bail!("--modifications must be from 0 to {MAX_MODIFICATIONS}, got {modifications}");
            }
            if !(1..=100).contains(quality) {
                bail!("--quality must be from 1 to 100, got {quality}");
            }
            let mut spec = boarddiff_synth::case::CaseSpec::new(w, h, *seed);
            spec.modifications = *modifications;
            spec.difficulty = *difficulty;
            spec.variation = (*variation).into();
            spec.px_per_mm = *px_per_mm;
            spec.kinds = vec![RegionKind::Added, RegionKind::Altered, RegionKind::Removed];
            let case = boarddiff_synth::case::generate(&spec);
            write_case_folder(
                out,
                CaseReference::Jpeg(&case.reference, *quality),
                &case.suspect,
                *quality,
                &case.truth,
            )?;
        }
    }
    Ok(())
}
