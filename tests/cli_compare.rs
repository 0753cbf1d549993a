//! End to end: the CLI on generated cases, checked against their truth.
mod common;
use boarddiff_core::geometry::mean_grid_error;
use boarddiff_core::report::RegionKind;
use boarddiff_synth::case::CaseSpec;
use boarddiff_synth::eval::score_case;
use common::*;

#[test]
fn finds_planted_changes_and_aligns_subpixel() {
    let dir = temp_dir("e2e");
    let mut spec = CaseSpec::new(2400, 1800, 41);
    spec.modifications = 3;
    spec.difficulty = 0.2;
    // Altered parts on a second board are scored over many cases (second_board.rs and
    // `eval`): a smaller look-alike of a 1 mm part is still missed at this size.
    spec.kinds = vec![RegionKind::Added, RegionKind::Removed];
    let case = write_case(&dir, &spec);
    let (output, report) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &dir.join("suspect.jpg"),
        &[],
    );
    let report = report.expect("report.json written");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(report.alignment.status, "ok");
    let h = report.alignment.homography.unwrap();
    let err = mean_grid_error(2400, 1800, 20, |p| case.true_map(p), |p| h.apply(p));
    assert!(err < 0.3, "alignment error {err} px");
    let score = score_case(&case.truth.modifications, &report.regions);
    assert!(
        score.found.iter().all(|f| *f),
        "missed: {:?} regions {:?}",
        case.truth.modifications,
        report.regions
    );
    assert!(
        score.false_regions <= 3,
        "false regions {}",
        score.false_regions
    );
    let out = dir.join("out");
    assert!(out.join("annotated.png").exists());
    for r in &report.regions {
        assert!(out.join(format!("regions/{:03}.png", r.id)).exists());
    }
}

#[test]
fn ignore_mask_removes_a_region() {
    let dir = temp_dir("mask");
    let mut spec = CaseSpec::new(2000, 1500, 43);
    spec.modifications = 1;
    spec.kinds = vec![RegionKind::Added];
    spec.difficulty = 0.0;
    let case = write_case(&dir, &spec);
    let (_, before) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &dir.join("suspect.jpg"),
        &[],
    );
    let truth = case.truth.modifications[0].bbox;
    assert!(score_case(&case.truth.modifications, &before.unwrap().regions).found[0]);
    let pad = 30;
    let rect = [
        truth.x.saturating_sub(pad),
        truth.y.saturating_sub(pad),
        truth.w + 2 * pad,
        truth.h + 2 * pad,
    ];
    let mask = dir.join("mask.json");
    std::fs::write(&mask, format!("{{\"rects\": [{:?}]}}", rect)).unwrap();
    let (_, after) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &dir.join("suspect.jpg"),
        &["--mask", mask.to_str().unwrap()],
    );
    let after = after.unwrap();
    assert!(
        !score_case(&case.truth.modifications, &after.regions).found[0],
        "masked region still reported: {:?}",
        after.regions
    );
    assert_eq!(after.ignore_masks, vec![common::rect(rect)]);
}

#[test]
fn clean_pair_exits_zero_or_reports_few_regions() {
    let dir = temp_dir("clean");
    let mut spec = CaseSpec::new(2000, 1500, 45);
    spec.modifications = 0;
    write_case(&dir, &spec);
    let (output, report) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &dir.join("suspect.jpg"),
        &[],
    );
    let report = report.unwrap();
    assert!(report.regions.len() <= 2, "{:?}", report.regions);
    assert_eq!(
        output.status.code(),
        Some(u8::from(!report.regions.is_empty()) as i32)
    );
}
