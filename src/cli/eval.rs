//! `boarddiff eval`: the detector scored against truth on a set of cases.
use super::EvalArgs;
use anyhow::Result;
use boarddiff_core::write::{write_atomic, write_json};
use boarddiff_output::encode::encode_png;
use boarddiff_synth::datasets::{detect_layout, list_cases, load_case};
use boarddiff_synth::eval::{
    evaluate_case_at, froc_curve, summarize, CaseResult, EvalSummary, FrocPoint, Tally,
};
use boarddiff_synth::froc_plot::froc_plot;
use std::path::{Path, PathBuf};

/// Runs the comparison over a set of cases, prints a table and writes JSON.
pub fn eval(args: &EvalArgs) -> Result<u8> {
    let layout = detect_layout(&args.path)?;
    let mut cases = list_cases(&args.path, layout)?;
    cases.truncate(args.limit.unwrap_or(usize::MAX));
    let base = args.detect.settings()?;
    // One settings per sensitivity of the sweep, each checked like a flag; the first is
    // the run's main result.
    let settings: Vec<_> = if args.sweep.is_empty() {
        vec![base]
    } else {
        // Through the flags' own check, so a sweep value is refused as --sensitivity is.
        args.sweep
            .iter()
            .map(|&sensitivity| {
                super::DetectArgs {
                    sensitivity: Some(sensitivity),
                    ..args.detect.clone()
                }
                .settings()
                .map_err(|e| anyhow::anyhow!("--sweep {sensitivity}: {e}"))
            })
            .collect::<Result<_>>()?
    };
    eprintln!(
        "evaluating {} cases ({layout:?} layout{})",
        cases.len(),
        args.warp
            .map_or(String::new(), |s| format!(", warped with seed {s}"))
    );
    let mut sweep_results: Vec<Vec<CaseResult>> = vec![Vec::new(); settings.len()];
    // A case that cannot be read is not a clean pair with nothing found: it is listed,
    // left out of every figure, and the exit code says so.
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let at_each = match load_case(case, args.warp, i) {
            Ok(mut loaded) => {
                loaded.prealigned &= !args.realign;
                evaluate_case_at(&case.name, loaded, &settings)
            }
            Err(e) => {
                eprintln!(
                    "[{}/{}] {}: UNREADABLE, not scored: {e}",
                    i + 1,
                    cases.len(),
                    case.name
                );
                unreadable.push(Unreadable {
                    name: case.name.clone(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        let result = &at_each[0];
        let found = result.found.iter().filter(|f| **f).count();
        eprintln!(
            "[{}/{}] {}: found {found}/{}, {} false, align {}{}",
            i + 1,
            cases.len(),
            result.name,
            result.truth.len(),
            result.false_regions,
            result
                .align_error_px
                .map_or("-".into(), |e| format!("{e:.3} px")),
            result
                .refused
                .as_ref()
                .map_or(String::new(), |r| format!(", REFUSED: {r}"))
        );
        // What a miss was, so that a weak spot can be looked at without a script.
        for (t, _) in result.truth.iter().zip(&result.found).filter(|(_, f)| !**f) {
            let b = &t.bbox;
            // The truth's note names the kind itself ("removed C48").
            let what = t.note.clone().unwrap_or_else(|| t.kind.label().to_string());
            eprintln!(
                "    missed {what} at x {} y {} ({}x{} px)",
                b.x, b.y, b.w, b.h
            );
        }
        for (all, r) in sweep_results.iter_mut().zip(at_each) {
            all.push(r);
        }
    }
    let results = &sweep_results[0];
    // Each sensitivity of a sweep: its summary, and its whole FROC curve for the plot;
    // the first is the run's main result.
    let sweep: Vec<SweepPoint> = settings
        .iter()
        .zip(&sweep_results)
        .map(|(s, r)| SweepPoint {
            sensitivity: s.sensitivity,
            summary: summarize(r),
            curve: froc_curve(r),
        })
        .collect();
    let summary = &sweep[0].summary;
    let pct = |t: &Tally| {
        t.rate().map_or("-".to_string(), |r| {
            format!("{:5.1}% ({}/{})", 100.0 * r, t.found, t.total)
        })
    };
    let px = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3} px"));
    println!(
        "cases                      {} ({} clean, {} refused, {} unreadable and not scored)",
        summary.cases,
        summary.clean_cases,
        summary.refused,
        unreadable.len()
    );
    println!("alignment error median     {}", px(summary.align_median_px));
    println!("alignment error max        {}", px(summary.align_max_px));
    println!("recall                     {}", pct(&summary.recall));
    for (k, t) in &summary.recall_by_kind {
        println!("  {k:<24} {}", pct(t));
    }
    for (b, t) in &summary.recall_by_size {
        println!("  {b:<24} {}", pct(t));
    }
    println!(
        "precision                  {}",
        summary
            .precision
            .map_or("-".into(), |p| format!("{:5.1}%", 100.0 * p))
    );
    println!(
        "false regions per pair     {:.2}",
        summary.false_regions_per_pair
    );
    println!(
        "false regions/clean pair   {}",
        summary
            .false_regions_per_clean_pair
            .map_or("-".into(), |v| format!("{v:.2}"))
    );
    println!("recall at a false-region budget per pair (FROC)");
    for p in &summary.froc {
        println!(
            "  <= {:<4} false per pair  {:5.1}%{}",
            p.false_regions_per_pair,
            100.0 * p.recall,
            if p.min_score.is_finite() {
                format!(" (score >= {:.3})", p.min_score)
            } else {
                String::new()
            }
        );
    }
    println!(
        "seconds per megapixel      {:.3}",
        summary.seconds_per_megapixel
    );
    if sweep.len() > 1 {
        print_sweep(&sweep);
    }
    #[derive(serde::Serialize)]
    struct Out<'a> {
        path: String,
        layout: String,
        warp: Option<u64>,
        summary: &'a EvalSummary,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        sweep: Vec<(f64, &'a EvalSummary)>,
        cases: &'a [CaseResult],
        unreadable: &'a [Unreadable],
    }
    if let Some(json) = &args.json {
        write_json(
            json,
            &Out {
                path: args.path.display().to_string(),
                layout: format!("{layout:?}"),
                warp: args.warp,
                summary,
                sweep: if sweep.len() > 1 {
                    sweep.iter().map(|p| (p.sensitivity, &p.summary)).collect()
                } else {
                    Vec::new()
                },
                cases: results,
                unreadable: &unreadable,
            },
        )?;
        eprintln!("wrote {}", json.display());
        let plot = plot_path(json);
        write_plot(&plot, &args.path, &sweep)?;
        eprintln!("wrote {}", plot.display());
    }
    if unreadable.is_empty() {
        Ok(0)
    } else {
        eprintln!(
            "error: {} case(s) could not be read and were not scored: {}",
            unreadable.len(),
            unreadable
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(2)
    }
}

#[derive(serde::Serialize)]
struct Unreadable {
    name: String,
    error: String,
}

struct SweepPoint {
    sensitivity: f64,
    summary: EvalSummary,
    curve: Vec<FrocPoint>,
}

fn print_sweep(sweep: &[SweepPoint]) {
    println!(
        "sweep: sensitivity, recall, false regions per pair and per clean pair, FROC at 0.5/1/2/5"
    );
    for p in sweep {
        let s = &p.summary;
        println!(
            "  {:>6}  {:>6}  {:6.2}  {:>6}  {}",
            p.sensitivity,
            s.recall
                .rate()
                .map_or("-".into(), |r| format!("{:.1}%", 100.0 * r)),
            s.false_regions_per_pair,
            s.false_regions_per_clean_pair
                .map_or("-".into(), |v| format!("{v:.2}")),
            s.froc
                .iter()
                .map(|f| format!("{:5.1}%", 100.0 * f.recall))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

/// `NAME.json` -> `NAME-froc.png`, in the same folder.
fn plot_path(json: &Path) -> PathBuf {
    let stem = json
        .file_stem()
        .map_or("eval".into(), |s| s.to_string_lossy().into_owned());
    json.with_file_name(format!("{stem}-froc.png"))
}

fn write_plot(path: &Path, data: &Path, sweep: &[SweepPoint]) -> Result<()> {
    let curves: Vec<(String, Vec<FrocPoint>)> = sweep
        .iter()
        .map(|p| (format!("sensitivity {}", p.sensitivity), p.curve.clone()))
        .collect();
    let name = data.file_name().map_or(data.display().to_string(), |n| {
        n.to_string_lossy().into_owned()
    });
    let cases = sweep.first().map_or(0, |p| p.summary.cases);
    let img = froc_plot(&format!("FROC: {name}, {cases} pairs"), &curves)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    write_atomic(path, &encode_png(&img))?;
    Ok(())
}
