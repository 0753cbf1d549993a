//! `boarddiff eval`: the detector scored against truth on a set of cases.
use super::EvalArgs;
use anyhow::Result;
use boarddiff_core::write::write_json;
use boarddiff_synth::datasets::{detect_layout, list_cases, load_case};
use boarddiff_synth::eval::{evaluate_case, summarize, CaseResult, EvalSummary, Tally};

/// Runs the comparison over a set of cases, prints a table and writes JSON.
pub fn eval(args: &EvalArgs) -> Result<u8> {
    let layout = detect_layout(&args.path)?;
    let mut cases = list_cases(&args.path, layout)?;
    cases.truncate(args.limit.unwrap_or(usize::MAX));
    let settings = args.detect.settings()?;
    eprintln!(
        "evaluating {} cases ({layout:?} layout{})",
        cases.len(),
        args.warp
            .map_or(String::new(), |s| format!(", warped with seed {s}"))
    );
    let mut results: Vec<CaseResult> = Vec::new();
    // A case that cannot be read is not a clean pair with nothing found: it is listed,
    // left out of every figure, and the exit code says so.
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let result = match load_case(case, args.warp, i) {
            Ok(mut loaded) => {
                loaded.prealigned &= !args.realign;
                evaluate_case(&case.name, loaded, &settings)
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
        results.push(result);
    }
    let summary = summarize(&results);
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
    #[derive(serde::Serialize)]
    struct Out<'a> {
        path: String,
        layout: String,
        warp: Option<u64>,
        summary: &'a EvalSummary,
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
                summary: &summary,
                cases: &results,
                unreadable: &unreadable,
            },
        )?;
        eprintln!("wrote {}", json.display());
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
