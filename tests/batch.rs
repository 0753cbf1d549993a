//! `boarddiff batch` and `batch-merge` end to end on small generated boards: one folder
//! per suspect, the four summaries, exit codes, duplicates, shards merged back into the
//! whole, golden profiles, and the inputs a batch must refuse before writing anything.
mod common;
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::batch::{BatchSummary, RowStatus};
use boarddiff_output::profile::GoldenProfile;
use boarddiff_synth::case::CaseSpec;
use common::*;
use std::path::{Path, PathBuf};

/// A reference, and a folder of suspects: an exact copy of the reference (clean), a
/// second board with two changes, and a cut JPEG.
fn fixture(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(tag);
    let mut spec = CaseSpec::new(1200, 900, 31);
    spec.modifications = 2;
    spec.difficulty = 0.0;
    write_case(&dir, &spec);
    let suspects = dir.join("suspects");
    std::fs::create_dir_all(&suspects).unwrap();
    std::fs::copy(dir.join("reference.jpg"), suspects.join("clean.jpg")).unwrap();
    std::fs::copy(dir.join("suspect.jpg"), suspects.join("changed.jpg")).unwrap();
    let bytes = std::fs::read(dir.join("suspect.jpg")).unwrap();
    std::fs::write(suspects.join("cut.jpg"), &bytes[..bytes.len() / 2]).unwrap();
    (dir.clone(), dir.join("reference.jpg"), suspects)
}

fn batch(args: &[&str]) -> std::process::Output {
    let mut all = vec!["batch", "--quiet"];
    all.extend_from_slice(args);
    run(&all)
}

fn summary(out: &Path) -> BatchSummary {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_batch_writes_a_folder_per_suspect_and_four_summaries() {
    let (dir, reference, suspects) = fixture("batch");
    let out = dir.join("out");
    let changed = suspects.join("changed.jpg");
    // The folder and one of its photos again: compared once.
    let o = batch(&[
        "--reference",
        s(&reference),
        "--out",
        s(&out),
        s(&suspects),
        s(&changed),
        "--html",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a cut photo is an error: {}",
        stderr(&o)
    );
    let sum = summary(&out);
    let status = |name: &str| sum.rows.iter().find(|r| r.name == name).unwrap().status;
    assert_eq!(sum.rows.len(), 3, "{:?}", sum.rows);
    assert_eq!(status("clean"), RowStatus::Clean);
    assert_eq!(status("changed"), RowStatus::Regions);
    assert_eq!(status("cut"), RowStatus::Error);
    let cut = sum.rows.iter().find(|r| r.name == "cut").unwrap();
    assert!(
        cut.reason.as_deref().unwrap().contains("cut.jpg"),
        "{cut:?}"
    );
    let changed_row = sum.rows.iter().find(|r| r.name == "changed").unwrap();
    assert_eq!(changed_row.sha256.as_ref().unwrap().len(), 64);
    assert!(changed_row.regions() >= 1 && changed_row.top_score.is_some());
    for f in [
        "changed/report.json",
        "changed/annotated.png",
        "changed/report.html",
        "changed/session.boarddiff",
        "changed/thumbnail.jpg",
        "clean/report.json",
        "summary.csv",
        "junit.xml",
        "index.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("cut").exists());
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.lines().next().unwrap().contains("sha256"));
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("tests=\"3\" failures=\"1\" errors=\"1\""),
        "{junit}"
    );
    assert!(junit.contains("<failure") && junit.contains("<error"));
    // Worst first: the photo that could not be checked, then the one with regions.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let at = |name: &str| index.find(&format!(">{name}<")).unwrap_or(usize::MAX);
    assert!(
        at("cut") < at("changed") && at("changed") < at("clean"),
        "order"
    );
    assert!(index.contains("data:image/jpeg;base64,"));
    // The prepared reference gives what a single compare gives.
    let (o, single) = compare(&dir.join("single"), &reference, &changed, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let batch_report: boarddiff_core::report::Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("changed/report.json")).unwrap())
            .unwrap();
    let single = single.unwrap();
    assert_eq!(batch_report.regions, single.regions);
    assert_eq!(
        batch_report.alignment.homography,
        single.alignment.homography
    );
    // The session opens for review as any other.
    let export = dir.join("export");
    let o = run(&[
        "export",
        "--session",
        s(&out.join("changed/session.boarddiff")),
        "--out",
        s(&export),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Without the cut photo: regions in one suspect -> 1; only the clean one -> 0.
    let o = batch(&[
        "--reference",
        s(&reference),
        "--out",
        s(&out),
        s(&changed),
        s(&suspects.join("clean.jpg")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(summary(&out).rows.len(), 2);
    assert!(!out.join("cut").exists(), "the folder holds one run");
    let o = batch(&[
        "--reference",
        s(&reference),
        "--out",
        s(&out),
        s(&suspects.join("clean.jpg")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn shards_merge_back_into_the_whole_batch() {
    let (dir, reference, suspects) = fixture("shards");
    let glob = format!("{}/*.jpg", suspects.display());
    let whole = dir.join("whole");
    let o = batch(&["--reference", s(&reference), "--out", s(&whole), &glob]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = dir.join(format!("part{k}"));
        let shard = format!("{k}/2");
        let o = batch(&[
            "--reference",
            s(&reference),
            "--out",
            s(&part),
            "--shard",
            &shard,
            &glob,
        ]);
        assert!(matches!(o.status.code(), Some(0..=2)), "{}", stderr(&o));
        assert_eq!(summary(&part).shard.unwrap().of_suspects, 3);
        parts.push(part);
    }
    let merged = dir.join("merged");
    let o = run(&[
        "batch-merge",
        "--out",
        s(&merged),
        s(&parts[0]),
        s(&parts[1]),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let (w, m) = (summary(&whole), summary(&merged));
    let key = |b: &BatchSummary| {
        let mut v: Vec<(String, RowStatus, usize)> = b
            .rows
            .iter()
            .map(|r| (r.name.clone(), r.status, r.regions()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(key(&w), key(&m));
    assert_eq!(m.merged_shards, [1, 2]);
    assert!(merged.join("changed/annotated.png").is_file());
    // One shard alone: merged, and the missing one named.
    let o = run(&["batch-merge", "--out", s(&merged), s(&parts[1])]);
    assert!(
        stderr(&o).contains("shard(s) 1 are missing"),
        "{}",
        stderr(&o)
    );
    // The same shard twice is refused.
    let o = run(&[
        "batch-merge",
        "--out",
        s(&dir.join("twice")),
        s(&parts[0]),
        s(&parts[0]),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
}

#[test]
fn a_golden_profile_carries_masks_and_settings_and_refuses_a_changed_reference() {
    let (dir, reference, suspects) = fixture("profile");
    let loaded = boarddiff_core::load::load_rgb(&reference).unwrap();
    let info = boarddiff_output::session::image_info(&reference, &loaded);
    let settings = DetectSettings {
        sensitivity: 0.8,
        ..DetectSettings::default()
    };
    let profile = GoldenProfile::new(info, settings, vec![rect([0, 0, 40, 40])]);
    let path = dir.join("board.golden");
    profile.save(&path).unwrap();
    let out = dir.join("out");
    let clean = suspects.join("clean.jpg");
    let o = batch(&["--profile", s(&path), "--out", s(&out), s(&clean)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sum = summary(&out);
    assert_eq!(sum.ignore_masks, 1);
    assert_eq!(sum.settings.sensitivity, 0.8);
    // A flag overrides the profile's setting.
    let o = batch(&[
        "--profile",
        s(&path),
        "--out",
        s(&out),
        s(&clean),
        "--sensitivity",
        "1.5",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(summary(&out).settings.sensitivity, 1.5);

    // The reference replaced by another photo of the same size.
    let mut changed = profile.clone();
    changed.reference.sha256 = Some("0".repeat(64));
    let stale = dir.join("stale.golden");
    changed.save(&stale).unwrap();
    let fresh = dir.join("fresh-out");
    let o = batch(&["--profile", s(&stale), "--out", s(&fresh), s(&clean)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("changed since the profile was saved"),
        "{}",
        stderr(&o)
    );
    assert!(!fresh.exists(), "nothing written");
    assert!(
        !dir.join(".fresh-out.lock").exists(),
        "not even the lock beside it"
    );
}

#[test]
fn bad_batch_input_is_refused_before_anything_is_written() {
    let (dir, reference, suspects) = fixture("batch-refusals");
    let out = dir.join("never");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let corrupt = dir.join("corrupt.golden");
    std::fs::write(&corrupt, b"{\"schema\": 1, \"reference\": ").unwrap();
    let clean = suspects.join("clean.jpg");
    let none = format!("{}/*.tif", suspects.display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--reference", s(&reference), "--shard", "3/2", s(&clean)],
            "K in",
        ),
        (
            vec!["--reference", s(&reference), "--shard", "0/2", s(&clean)],
            "K in",
        ),
        (
            vec!["--reference", s(&reference), "--shard", "1/0", s(&clean)],
            "N in",
        ),
        (
            vec!["--reference", s(&reference), s(&empty)],
            "holds no photos",
        ),
        (vec!["--reference", s(&reference), &none], "matches no file"),
        (
            vec!["--reference", s(&reference), s(&reference)],
            "suspect list is empty",
        ),
        (vec!["--profile", s(&corrupt), s(&clean)], "corrupt.golden"),
    ];
    for (args, says) in cases {
        let mut all = vec!["--out", s(&out)];
        all.extend(args);
        let o = batch(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{all:?}: {}", stderr(&o));
        assert!(!out.exists(), "{all:?} wrote {}", out.display());
    }
    let o = run(&["batch", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "no suspects at all");
}
