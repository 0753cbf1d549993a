//! Writes a set of generated cases for `boarddiff eval`, spread the way the second-board
//! figures in the README are measured: sizes, scales, difficulties and clean pairs vary
//! with the seed, so one seed range is a tuning set and another a held-out one.
//!
//! cargo run --release --example eval_sets -- OUT FIRST_SEED LAST_SEED [none|typical|harsh]
//!
//! The README's sets: tune 1000-1023, validation 2000-2031 and held-out 6000-6063
//! (typical), harsh 3000-3023.
use anyhow::{bail, Context, Result};
use boarddiff_core::report::RegionKind;
use boarddiff_synth::case::{generate, CaseSpec};
use boarddiff_synth::case_folder::{write_case_folder, CaseReference};
use boarddiff_synth::variation::VariationLevel;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const JPEG_QUALITY: u8 = 90;

/// The case of one seed: every fourth a clean pair, the rest 1-4 changes; 4000x3000 and
/// 6000x4000 in turn; 20-70 px/mm; difficulty 0.2-0.8.
fn spec_of(seed: u64, variation: VariationLevel) -> CaseSpec {
    let (w, h) = if seed.is_multiple_of(2) {
        (4000, 3000)
    } else {
        (6000, 4000)
    };
    let mut spec = CaseSpec::new(w, h, seed);
    spec.modifications = if seed.is_multiple_of(4) {
        0
    } else {
        1 + (7 * seed % 4) as usize
    };
    spec.difficulty = ((13 * seed) % 7 + 2) as f64 / 10.0;
    spec.px_per_mm = Some((20 + (37 * seed) % 51) as f64);
    spec.variation = variation;
    spec.kinds = vec![RegionKind::Added, RegionKind::Altered, RegionKind::Removed];
    spec
}

fn write_one(out: &Path, seed: u64, variation: VariationLevel) -> Result<PathBuf> {
    let case = generate(&spec_of(seed, variation));
    let dir = out.join(format!("case-{seed}"));
    write_case_folder(
        &dir,
        CaseReference::Jpeg(&case.reference, JPEG_QUALITY),
        &case.suspect,
        JPEG_QUALITY,
        &case.truth,
    )
    .with_context(|| format!("writing {}", dir.display()))?;
    Ok(dir)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, first, last, variation) = match args.as_slice() {
        [out, first, last, rest @ ..] if rest.len() <= 1 => {
            let seed = |s: &str| {
                s.parse::<u64>()
                    .with_context(|| format!("a seed must be a whole number, got {s:?}"))
            };
            let variation = match rest.first() {
                Some(v) => VariationLevel::parse(v).with_context(|| {
                    format!("variation must be none, typical or harsh, got {v:?}")
                })?,
                None => VariationLevel::Typical,
            };
            (PathBuf::from(out), seed(first)?, seed(last)?, variation)
        }
        _ => bail!("usage: eval_sets OUT FIRST_SEED LAST_SEED [none|typical|harsh]"),
    };
    if last < first {
        bail!("the last seed ({last}) comes before the first ({first})");
    }
    // Cases are independent; each one's generation is single-threaded.
    let next = AtomicU64::new(first);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed > last {
                            return Ok(());
                        }
                        let dir = write_one(&out, seed, variation)?;
                        println!("{}", dir.display());
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => bail!("a case generator panicked"),
            }
        }
        Ok(())
    })
}
