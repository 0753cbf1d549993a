//! Time per suspect of `batch` against one `compare` per suspect, on the same files in the
//! same run, with the peak RSS of each (Linux). Quote the ratio: the machine is shared.
//!
//! cargo run --release --example batch_bench                 # 10 suspects planted in the
//!                                                           # bundled 24 MP reference
//! cargo run --release --example batch_bench -- REF.jpg SUSPECT.jpg...
//! BATCH_JOBS=1 sets the suspects in flight (default: as `batch` chooses); BENCH_RUNS=5
//! (default 3) how many runs the medians come from.
use boarddiff_core::progress::NoProgress;
use boarddiff_core::report::RegionKind;
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::batch::{run_batch, suspect_names, BatchJob};
use boarddiff_output::compare_folder::{compare_files, CompareFiles};
use boarddiff_output::encode::encode_jpeg;
use boarddiff_synth::implant::{simulate, Difficulty, ImplantSpec};
use boarddiff_synth::variation::VariationLevel;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    boarddiff_core::memory::peak_rss_bytes().map_or(f64::NAN, |b| b as f64 / 1048576.0)
}

/// Lets the next peak be measured on its own: the heap the last run kept goes back to the
/// system, then the peak is reset to what is left (Linux: 5 to clear_refs).
fn reset_peak_rss() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Ten suspects of the bundled reference, each a second board with two planted changes.
fn generated_suspects(reference: &Path, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let photo = boarddiff_core::load::load_rgb(reference)?;
    (1..=10u64)
        .map(|seed| {
            let path = dir.join(format!("board{seed:02}.jpg"));
            if !path.exists() {
                eprintln!("planting changes in {} ...", path.display());
                let spec = ImplantSpec {
                    seed,
                    count: 2,
                    difficulty: Difficulty::Medium,
                    kinds: RegionKind::ALL.to_vec(),
                    variation: VariationLevel::Typical,
                    px_per_mm: None,
                };
                let (suspect, _) = simulate(&photo.rgb, &spec);
                std::fs::write(&path, encode_jpeg(&suspect, 90))?;
            }
            Ok(path)
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    boarddiff_core::memory::tune_allocator();
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let (reference, suspects) = match args.split_first() {
        Some((r, s)) if !s.is_empty() => (r.clone(), s.to_vec()),
        _ => {
            let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_boards");
            let reference = samples.join("reference.jpg");
            let dir = std::env::temp_dir().join("boarddiff-batch-bench");
            let suspects = generated_suspects(&reference, &dir)?;
            (reference, suspects)
        }
    };
    let settings = DetectSettings::default();
    let jobs = std::env::var("BATCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // Interleaved, so that both see the same background load; medians.
    let (mut singles, mut batches) = (Vec::new(), Vec::new());
    let (mut singles_rss, mut batch_rss, mut in_flight) = (0f64, 0f64, 0);
    for run in 0..runs {
        let out = std::env::temp_dir().join(format!(
            "boarddiff-batch-bench-out-{}-{run}",
            std::process::id()
        ));
        reset_peak_rss();
        let start = Instant::now();
        for (i, suspect) in suspects.iter().enumerate() {
            let job = CompareFiles {
                reference: reference.clone(),
                suspect: suspect.clone(),
                out: out.join(format!("single{i}")),
                settings: settings.clone(),
                ignore_masks: Vec::new(),
                registered: false,
                other_inputs: Vec::new(),
                save_session: None,
                dump_score_map: None,
            };
            match compare_files(&job, &NoProgress) {
                Ok(_) | Err(boarddiff_core::error::EngineError::AlignmentRefused { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        singles.push(start.elapsed().as_secs_f64());
        singles_rss = singles_rss.max(peak_rss_mib());

        reset_peak_rss();
        let start = Instant::now();
        let summary = run_batch(
            &BatchJob {
                reference: reference.clone(),
                reference_sha256: None,
                suspects: suspect_names(&suspects),
                shard: None,
                out: out.join("batch"),
                settings: settings.clone(),
                ignore_masks: Vec::new(),
                jobs,
                html: false,
                other_inputs: Vec::new(),
            },
            &NoProgress,
        )?;
        batches.push(start.elapsed().as_secs_f64());
        batch_rss = batch_rss.max(peak_rss_mib());
        in_flight = summary.jobs;
        let _ = std::fs::remove_dir_all(&out);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (singles, batch) = (median(&mut singles), median(&mut batches));
    let n = suspects.len() as f64;
    let image = image::image_dimensions(&reference)?;
    println!(
        "{} suspects of {:.1} MP against {}",
        suspects.len(),
        f64::from(image.0) * f64::from(image.1) / 1e6,
        reference.display()
    );
    println!(
        "  one compare each   {:.3} s per suspect, peak RSS {singles_rss:.0} MiB",
        singles / n
    );
    println!(
        "  batch, {in_flight} in flight {:.3} s per suspect, peak RSS {batch_rss:.0} MiB",
        batch / n
    );
    println!(
        "ratio batch / compare per suspect: {:.2} (medians of {runs} interleaved runs)",
        batch / singles
    );
    Ok(())
}
