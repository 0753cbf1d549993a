//! Quiz scoring for trainers: a trainee's boxes against a case's hidden truth, with the
//! tool's own result beside it, and the scorecard as a self-contained HTML page.
use crate::eval::{matches, score_case};
use crate::truth::TruthRegion;
use boarddiff_core::compare::Comparison;
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::Region;
use boarddiff_core::write::write_atomic;
use boarddiff_output::annotate::{annotated, reference_marks};
use boarddiff_output::draw::stroke_rect;
use boarddiff_output::encode::encode_jpeg;
use boarddiff_output::html_report::{data_uri, escape};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuizScore {
    pub hits: usize,
    pub misses: usize,
    pub false_alarms: usize,
    pub seconds: f64,
    /// Per truth box: found by the trainee, found by the tool.
    pub truth: Vec<(TruthRegion, bool, bool)>,
    pub tool_false_regions: usize,
}

/// Uses the evaluation rule: a truth box is hit when a box overlaps it with IoU >= 0.1 or
/// has its centre inside the truth box grown by 10 px.
pub fn score_quiz(
    truth: &[TruthRegion],
    guesses: &[RectInReference],
    tool: &[Region],
    seconds: f64,
) -> QuizScore {
    let trainee: Vec<bool> = truth
        .iter()
        .map(|t| guesses.iter().any(|g| matches(&t.bbox, g)))
        .collect();
    let false_alarms = guesses
        .iter()
        .filter(|g| !truth.iter().any(|t| matches(&t.bbox, g)))
        .count();
    let tool_score = score_case(truth, tool);
    let hits = trainee.iter().filter(|h| **h).count();
    QuizScore {
        hits,
        misses: truth.len() - hits,
        false_alarms,
        seconds,
        truth: truth
            .iter()
            .zip(trainee.iter().zip(&tool_score.found))
            .map(|(t, (a, b))| (t.clone(), *a, *b))
            .collect(),
        tool_false_regions: tool_score.false_regions,
    }
}

/// The scorecard page; `overview_jpeg` shows truth, the trainee's boxes and the tool's.
pub(crate) fn scorecard_html(score: &QuizScore, case_name: &str, overview_jpeg: &[u8]) -> String {
    let img = data_uri("image/jpeg", overview_jpeg);
    let rows: String = score
        .truth
        .iter()
        .enumerate()
        .map(|(i, (t, you, tool))| {
            let yes = |b: &bool| if *b { "found" } else { "missed" };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                t.kind.label(),
                escape(t.note.as_deref().unwrap_or("")),
                t.bbox.to_array(),
                yes(you),
                yes(tool)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>boarddiff quiz scorecard</title>\
         <style>body{{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:24px auto}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccd;padding:3px 8px}}\
         .big{{font-size:20px;font-weight:600}}img{{max-width:100%;border:1px solid #ccd}}</style></head><body>\
         <h1>Quiz scorecard</h1><p>Case: {}</p>\
         <p class=\"big\">{} hit(s), {} miss(es), {} false alarm(s) in {:.0} s</p>\
         <p>The tool found {} of {} with {} false region(s).</p>\
         <table><tr><th>#</th><th>kind</th><th>what changed</th><th>box [x, y, w, h]</th><th>you</th><th>tool</th></tr>{rows}</table>\
         <h2>Overview</h2><p>Green: truth. Cyan: your boxes. Red/blue/orange: the tool's regions.</p>\
         <img alt=\"overview\" src=\"{img}\"></body></html>\n",
        escape(case_name),
        score.hits,
        score.misses,
        score.false_alarms,
        score.seconds,
        score.truth.iter().filter(|t| t.2).count(),
        score.truth.len(),
        score.tool_false_regions,
    )
}

/// Writes `scorecard.html` into `dir`: the score, and an overview of the reference with
/// the truth (green), the trainee's boxes (cyan) and the tool's regions in their colours.
pub fn write_scorecard(
    cmp: &Comparison,
    tool: &[Region],
    score: &QuizScore,
    guesses: &[RectInReference],
    case_name: &str,
    dir: &Path,
) -> Result<PathBuf> {
    let tool: Vec<&Region> = tool.iter().collect();
    let mut overview = annotated(&cmp.reference, &reference_marks(&tool), 1600);
    let s = overview.width() as f64 / cmp.reference.width() as f64;
    let mut draw = |b: &RectInReference, color: [u8; 3]| {
        let [x, y, w, h] = b.to_array().map(|v| (v as f64 * s) as i64);
        stroke_rect(&mut overview, x - 4, y - 4, w + 8, h + 8, 2, color);
    };
    for (t, _, _) in &score.truth {
        draw(&t.bbox, [40, 220, 90]);
    }
    for g in guesses {
        draw(g, [0, 230, 255]);
    }
    let html = scorecard_html(score, case_name, &encode_jpeg(&overview, 88));
    std::fs::create_dir_all(dir).map_err(|e| EngineError::Write {
        path: dir.to_owned(),
        detail: e.to_string(),
    })?;
    let path = dir.join("scorecard.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use boarddiff_core::report::RegionKind;

    fn r(a: [u32; 4]) -> RectInReference {
        a.try_into().unwrap()
    }

    #[test]
    fn hits_misses_and_false_alarms() {
        let t = |bbox| TruthRegion {
            kind: RegionKind::Added,
            bbox: r(bbox),
            note: Some("<chip>".into()),
        };
        let truth = vec![t([100, 100, 20, 20]), t([500, 500, 30, 10])];
        let guesses = [[95, 98, 30, 25], [900, 900, 10, 10], [1, 1, 5, 5]].map(r);
        let tool = vec![Region::new(
            1,
            r([502, 498, 28, 14]),
            RegionKind::Added,
            0.9,
            300,
        )];
        let s = score_quiz(&truth, &guesses, &tool, 42.0);
        assert_eq!((s.hits, s.misses, s.false_alarms), (1, 1, 2));
        assert!(s.truth[0].1);
        assert!(!s.truth[1].1);
        assert_eq!((s.truth[0].2, s.truth[1].2), (false, true));
        assert_eq!(s.tool_false_regions, 0);
        let html = scorecard_html(&s, "case <1>", b"jpeg");
        assert!(html.contains("1 hit(s), 1 miss(es), 2 false alarm(s) in 42 s"));
        assert!(html.contains("&lt;chip&gt;") && html.contains("case &lt;1&gt;"));
    }
}
