//! `boarddiff export`: every output of a saved session, rebuilt without a window.
mod common;
use boarddiff_core::compare::{compare as compare_pair, Start};
use boarddiff_core::load::load_pair;
use boarddiff_core::progress::NoProgress;
use boarddiff_core::report::{Report, Verdict};
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::session::{image_info, Session, SESSION_SCHEMA};
use boarddiff_synth::case::CaseSpec;
use common::*;

#[test]
fn export_rebuilds_a_session_and_rejects_a_bad_one() {
    let dir = temp_dir("export");
    let mut spec = CaseSpec::new(2000, 1500, 44);
    spec.modifications = 2;
    spec.difficulty = 0.2;
    write_case(&dir, &spec);
    let (r, s) = (dir.join("reference.jpg"), dir.join("suspect.jpg"));
    let (ri, si) = load_pair(&r, &s).unwrap();
    let settings = DetectSettings::default();
    let compared = compare_pair(ri.rgb, si.rgb, Start::Fresh, &settings, &[], &NoProgress).unwrap();
    let cmp = compared.comparison;
    let mut regions = compared.regions;
    assert!(regions.len() >= 2);
    regions[0].verdict = Verdict::Benign;
    regions[1].verdict = Verdict::ConfirmedImplant;
    regions[1].note = "<script>alert(1)</script> & extra part".into();
    let session = Session {
        schema: SESSION_SCHEMA,
        reference: image_info(&r, cmp.reference.dimensions()).unwrap(),
        suspect: image_info(&s, cmp.suspect.dimensions()).unwrap(),
        alignment: Some(cmp.alignment.clone()),
        manual_points: vec![],
        settings,
        ignore_masks: vec![],
        regions: regions.clone(),
    };
    let path = dir.join("case.boarddiff");
    session.save(&path).unwrap();
    let out = dir.join("export");
    let o = run(&[
        "export",
        "--session",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--on",
        "suspect",
        "--format",
        "jpeg",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in [
        "annotated.jpg",
        "crop_sheet.jpg",
        "report.html",
        "report.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let annotated = image::open(out.join("annotated.jpg")).unwrap();
    assert_eq!(
        (annotated.width(), annotated.height()),
        cmp.suspect.dimensions()
    );
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.regions, regions);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(
        html.contains("confirmed implant") && html.contains("Regions marked benign are not drawn")
    );

    std::fs::write(&path, "{\"schema\": 1, \"reference\": 3}").unwrap();
    let o = run(&[
        "export",
        "--session",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("case.boarddiff") && stderr(&o).contains("invalid session file"),
        "{}",
        stderr(&o)
    );
}
