//! Per-stage timing of one comparison, against the decode-only time of the same two files
//! measured in the same run, plus peak RSS. Quote ratios, not seconds: the machine is shared.
//!
//! BENCH_RUNS=5 (default 3) sets how many runs the medians come from.
//! cargo run --release --example bench                      # the bundled 24 MP sample pair
//! cargo run --release --example bench -- REF.jpg SUS.jpg
//! cargo run --release --example bench -- --generate 12000x8400 /tmp/bench100
use boarddiff_core::load::load_rgb;
use boarddiff_core::progress::NoProgress;
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::compare_folder::{compare_files, CompareFiles};
use boarddiff_synth::case::{generate, CaseSpec};
use boarddiff_synth::case_folder::{write_case_folder, CaseReference};
use std::path::PathBuf;
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    // As the boarddiff binary does.
    boarddiff_core::memory::tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (reference, suspect) = match args.as_slice() {
        [flag, size, dir] if flag == "--generate" => {
            let out = PathBuf::from(dir);
            if !out.join("reference.jpg").exists() {
                eprintln!("generating a {size} pair in {dir} ...");
                let (w, h) = size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| anyhow::anyhow!("--generate WIDTHxHEIGHT DIR"))?;
                let mut spec = CaseSpec::new(w, h, 3);
                spec.difficulty = 0.3;
                let case = generate(&spec);
                write_case_folder(
                    &out,
                    CaseReference::Jpeg(&case.reference, 90),
                    &case.suspect,
                    90,
                    &case.truth,
                )?;
            }
            (out.join("reference.jpg"), out.join("suspect.jpg"))
        }
        [r, s] => (PathBuf::from(r), PathBuf::from(s)),
        _ => {
            let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_boards");
            (samples.join("reference.jpg"), samples.join("suspect.jpg"))
        }
    };
    // The machine is shared: each measurement is the median of `runs`, with decode-only
    // and the full comparison interleaved so that both see the same background load.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut decode_runs = Vec::new();
    let mut total_runs = Vec::new();
    let mut stage_runs: Vec<Vec<(String, f64)>> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let (a, b) = rayon::join(|| load_rgb(&reference), || load_rgb(&suspect));
        let (a, b) = (a?, b?);
        decode_runs.push(start.elapsed().as_secs_f64());
        let mp = (a.rgb.width() as f64 * a.rgb.height() as f64) / 1e6;
        drop((a, b));
        let out = std::env::temp_dir().join(format!("boarddiff-bench-{}", std::process::id()));
        let start = Instant::now();
        let report = compare_files(
            &CompareFiles {
                reference: reference.clone(),
                suspect: suspect.clone(),
                out: out.clone(),
                settings: DetectSettings::default(),
                ignore_masks: Vec::new(),
                registered: false,
                other_inputs: Vec::new(),
                save_session: None,
                dump_score_map: None,
            },
            &NoProgress,
        )?;
        let code = u8::from(!report.regions.is_empty());
        total_runs.push(start.elapsed().as_secs_f64());
        stage_runs.push(report.timings_s.clone());
        last = Some((mp, code, report.regions.len()));
        let _ = std::fs::remove_dir_all(out);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mp, code, regions) = last.expect("at least one run");
    let decode_only = median(decode_runs);
    let total = median(total_runs);
    println!("image: {mp:.1} MP, exit code {code}, {regions} regions; medians of {runs} runs");
    for (k, (stage, _)) in stage_runs[0].iter().enumerate() {
        let secs = median(stage_runs.iter().map(|r| r[k].1).collect());
        println!(
            "  {stage:<8} {secs:>7.3} s  ({:.2}x decode-only)",
            secs / decode_only
        );
    }
    println!("  total    {total:>7.3} s");
    println!("decode-only of the same two files: {decode_only:.3} s");
    println!("ratio total / decode-only: {:.2}", total / decode_only);
    println!("peak RSS: {:.0} MiB", peak_rss_mib());
    Ok(())
}
