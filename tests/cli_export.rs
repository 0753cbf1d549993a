//! `boarddiff export`: every output of a saved session, rebuilt without a window.
mod common;
use boarddiff_core::report::{Report, Verdict};
use boarddiff_output::session::Session;
use boarddiff_synth::case::CaseSpec;
use common::*;

#[test]
fn export_rebuilds_a_session_and_rejects_a_bad_one() {
    let dir = temp_dir("export");
    // Two changes the detector finds: an added 0402 and a resistor swapped for a capacitor.
    let mut spec = CaseSpec::new(2000, 1500, 45);
    spec.modifications = 2;
    spec.difficulty = 0.2;
    write_case(&dir, &spec);
    let path = dir.join("case.boarddiff");
    let o = compare_saving_session(&dir, &path);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A review, as the app would save it.
    let mut session = Session::load(&path).unwrap();
    let regions = &mut session.regions;
    assert!(regions.len() >= 2);
    regions[0].verdict = Verdict::Benign;
    regions[1].verdict = Verdict::ConfirmedImplant;
    regions[1].note = "<script>alert(1)</script> & extra part".into();
    let regions = regions.clone();
    session.save(&path).unwrap();
    let suspect_size = (session.suspect.width, session.suspect.height);
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
        "jpg",
    ]);
    // A region confirmed as an implant fails the gate.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    for f in [
        "annotated.jpg",
        "crop_sheet.jpg",
        "report.html",
        "report.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let annotated = image::open(out.join("annotated.jpg")).unwrap();
    assert_eq!((annotated.width(), annotated.height()), suspect_size);
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.regions, regions);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(
        html.contains("confirmed implant") && html.contains("Regions marked benign are not drawn")
    );

    // All benign: the gate passes.
    let mut all_benign = Session::load(&path).unwrap();
    for r in &mut all_benign.regions {
        r.verdict = Verdict::Benign;
    }
    all_benign.save(&path).unwrap();
    let o = run(&[
        "export",
        "--session",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

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
