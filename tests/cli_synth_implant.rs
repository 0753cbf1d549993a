//! `boarddiff synth implant` on a photo: deterministic, and its truth matches the pixels
//! (the planted changes are found, everything else aligns to the true homography).
mod common;
use boarddiff_synth::truth::Truth;
use common::*;

#[test]
fn implant_is_deterministic_and_its_truth_holds() {
    let dir = temp_dir("implant");
    let photo = dir.join("board.jpg");
    let o = run(&[
        "synth",
        "board",
        "--seed",
        "12",
        "--size",
        "2400x1800",
        "--out",
        photo.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plant = |out: &str| {
        let out = dir.join(out);
        let o = run(&[
            "synth",
            "implant",
            "--reference",
            photo.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--count",
            "3",
            "--seed",
            "9",
            "--difficulty",
            "easy",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        out
    };
    let (a, b) = (plant("a"), plant("b"));
    for f in ["suspect.jpg", "truth.json", "reference.jpg"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(a.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth.modifications.len(), 3);

    let json = dir.join("eval.json");
    let o = run(&[
        "eval",
        a.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s = &v["summary"];
    assert!(s["align_median_px"].as_f64().unwrap() < 0.3, "{s}");
    assert_eq!(s["recall"]["found"], 3, "{s}");
    assert!(s["false_regions_per_pair"].as_f64().unwrap() <= 2.0, "{s}");

    let o = run(&[
        "synth",
        "implant",
        "--reference",
        photo.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "--difficulty",
        "brutal",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("easy, medium, hard"), "{}", stderr(&o));
}
