//! The review app driven through egui_kittest: no display needed. kittest's
//! max_texture_side is 2048, so every image here goes through the tiled path.
mod common;
use boarddiff_app::actions::{Action, FileAction, ManualAction, ReviewAction};
use boarddiff_app::prefs::ViewMode;
use boarddiff_app::{AppConfig, BoardDiffApp, Launch};
use boarddiff_core::align::PointPair;
use boarddiff_core::report::{RegionKind, Verdict};
use boarddiff_output::profile::GoldenProfile;
use boarddiff_output::session::Session;
use boarddiff_synth::case::CaseSpec;
use common::*;
use egui::Key;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One generated case shared by the tests of this binary (2400x1800, 3 changes).
fn case_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("gui-case");
        let mut spec = CaseSpec::new(2400, 1800, 41);
        spec.modifications = 3;
        spec.difficulty = 0.2;
        write_case(&dir, &spec);
        dir
    })
}

fn config(dir: &Path, launch: Launch) -> AppConfig {
    AppConfig {
        launch,
        autosave_dir: Some(dir.join("autosave")),
        fresh_prefs: true,
        ..AppConfig::default()
    }
}

fn pair(dir: &Path) -> Launch {
    Launch::Pair {
        reference: dir.join("reference.jpg"),
        suspect: dir.join("suspect.jpg"),
    }
}

fn harness(config: AppConfig) -> Harness<'static, BoardDiffApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| BoardDiffApp::new(cc, config))
}

/// Steps frames until the worker is idle and every visible tile is uploaded.
fn settle(h: &mut Harness<'static, BoardDiffApp>) {
    let start = Instant::now();
    loop {
        h.step();
        if !h.state().is_busy() && h.state().tiles_pending() == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "app never settled"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
}

/// A real primary-button drag from `a` to `b`, in screen points, over several frames.
fn mouse_drag(h: &mut Harness<'static, BoardDiffApp>, a: egui::Pos2, b: egui::Pos2) {
    let press = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    h.event(egui::Event::PointerMoved(a));
    h.event(press(a, true));
    h.step();
    for i in 1..=6 {
        h.event(egui::Event::PointerMoved(a + (b - a) * (i as f32 / 6.0)));
        h.step();
    }
    h.event(press(b, false));
    h.run_steps(2);
}

fn apply(h: &mut Harness<'static, BoardDiffApp>, action: impl Into<Action>) {
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, action);
    h.step();
}

#[test]
fn opens_on_the_samples_and_lists_regions() {
    let dir = temp_dir("gui-samples");
    let samples = samples_dir();
    let mut h = harness(config(&dir, pair(&samples)));
    settle(&mut h);
    let doc = h.state().document().expect("samples open");
    let n = doc.session.regions.len();
    assert!(n >= 2, "{n} regions on the samples");
    h.get_by_label(&format!("{} / {n} reviewed", 0));
    h.get_by_label_contains("#1 ");
    h.get_by_label_contains("#2 ");
    // The detection panel's histogram counts the candidates against the thresholds.
    h.get_by_label_contains(&format!(
        "over the seed threshold, {n} not a part that moved"
    ));
    assert!(h.state().messages().iter().all(|m| !m.is_error));
}

#[test]
fn clicking_a_region_centres_and_zooms_the_view() {
    let dir = temp_dir("gui-click");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    let before = h.state().view();
    let region = h.state().document().unwrap().session.regions[0].clone();
    h.get_by_label_contains(&format!("#{} ", region.id)).click();
    h.run_steps(2);
    settle(&mut h);
    let after = h.state().view();
    let [x, y, w, hh] = region.bbox.to_array().map(f64::from);
    assert_eq!(after.center_in_reference, [x + w / 2.0, y + hh / 2.0]);
    assert!(after.scale > before.scale * 2.0, "{before:?} -> {after:?}");
    assert_eq!(h.state().viewer_state().selected, Some(region.id));
    // N and P walk the list.
    h.key_press(Key::N);
    h.run_steps(2);
    assert_ne!(h.state().viewer_state().selected, Some(region.id));
    h.key_press(Key::P);
    h.run_steps(2);
    assert_eq!(h.state().viewer_state().selected, Some(region.id));
    // F1 opens the Help window with every key; F1 again closes it.
    h.key_press(Key::F1);
    h.run_steps(2);
    assert!(h.state().viewer_state().help_open);
    h.get_by_label("mark the selected region confirmed implant");
    h.get_by_label("Heatmap view");
    h.key_press(Key::F1);
    h.run_steps(2);
    assert!(!h.state().viewer_state().help_open);
}

#[test]
fn verdict_keys_notes_and_autosave() {
    let dir = temp_dir("gui-verdict");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    let n = h.state().document().unwrap().session.regions.len();
    h.key_press(Key::N);
    h.run_steps(2);
    let id = h
        .state()
        .viewer_state()
        .selected
        .expect("N selects the first region");
    h.key_press(Key::Num4);
    h.run_steps(2);
    h.key_press(Key::Num3);
    h.run_steps(2);
    let verdict = |h: &Harness<'static, BoardDiffApp>| {
        let doc = h.state().document().unwrap();
        doc.session
            .regions
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(verdict(&h).verdict, Verdict::Suspicious);
    h.get_by_label(&format!("1 / {n} reviewed"));
    h.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Note")
        .focus();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Note")
        .type_text("pads look reworked 1234");
    h.run_steps(2);
    assert_eq!(verdict(&h).note, "pads look reworked 1234");
    // Keys typed into the note must not change the verdict.
    assert_eq!(verdict(&h).verdict, Verdict::Suspicious);
    std::thread::sleep(Duration::from_millis(400));
    h.run_steps(3);
    let path = h.state().autosave_path().expect("autosave path");
    let saved = Session::load(&path).expect("autosaved session");
    let r = saved.regions.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (r.verdict, r.note.as_str()),
        (Verdict::Suspicious, "pads look reworked 1234")
    );
}

#[test]
fn modes_switch_from_toolbar_and_keys() {
    let dir = temp_dir("gui-modes");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    for (label, mode) in [
        ("Overlay", ViewMode::Overlay),
        ("Swipe", ViewMode::Swipe),
        ("Heatmap", ViewMode::Heatmap),
        ("Side by side", ViewMode::SideBySide),
    ] {
        h.get_by_label(label).click();
        h.run_steps(3);
        assert_eq!(h.state().prefs().view.mode, mode);
    }
    h.key_press(Key::B);
    h.run_steps(2);
    assert_eq!(h.state().prefs().view.mode, ViewMode::Blink);
    let shown = h.state().viewer_state().blink_shows_suspect;
    h.key_press(Key::Space);
    h.run_steps(2);
    assert_ne!(h.state().viewer_state().blink_shows_suspect, shown);
    h.key_press(Key::H);
    h.run_steps(2);
    assert_eq!(h.state().prefs().view.mode, ViewMode::Heatmap);
    // F fits, 0 is 1:1.
    h.key_press(Key::Num0);
    h.run_steps(2);
    assert!((h.state().view().scale - 1.0).abs() < 1e-9);
    h.key_press(Key::F);
    h.run_steps(2);
    assert!(h.state().view().scale < 0.5);
}

#[test]
fn export_writes_every_file() {
    let dir = temp_dir("gui-export");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    let out = dir.join("export");
    apply(
        &mut h,
        FileAction::SetExportDirText(out.display().to_string()),
    );
    h.run_steps(2);
    h.get_by_label("Export report").click();
    h.run_steps(2);
    settle(&mut h);
    let regions = h.state().document().unwrap().session.regions.len();
    for f in [
        "annotated.png",
        "crop_sheet.png",
        "report.html",
        "report.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    for id in 1..=regions {
        assert!(out.join(format!("regions/{id:03}.png")).exists());
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("class=\"region\"").count(), regions);
    assert!(html.contains("data:image/png;base64,") && html.contains("SHA-256"));
    let report: boarddiff_core::report::Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.regions.len(), regions);
    assert!(h
        .state()
        .messages()
        .iter()
        .any(|m| m.text.starts_with("Exported")));
}

#[test]
fn session_round_trips_and_warns_when_an_image_changed() {
    let dir = temp_dir("gui-session");
    for f in ["reference.jpg", "suspect.jpg"] {
        std::fs::copy(case_dir().join(f), dir.join(f)).unwrap();
    }
    let mut h = harness(config(&dir, pair(&dir)));
    settle(&mut h);
    let id = h.state().document().unwrap().session.regions[0].id;
    apply(
        &mut h,
        ReviewAction::SetVerdict(id, Verdict::ConfirmedImplant),
    );
    apply(
        &mut h,
        ReviewAction::SetNote(id, "extra SOT-23 on the SPI lines".into()),
    );
    apply(&mut h, ReviewAction::AddMask(rect([10, 10, 100, 50])));
    settle(&mut h);
    let path = dir.join("case.boarddiff");
    apply(&mut h, FileAction::SaveSessionAs(path.clone()));
    let saved = h.state().document().unwrap().session.clone();
    drop(h);

    let mut h = harness(config(&dir, Launch::Session(path.clone())));
    settle(&mut h);
    let doc = h.state().document().expect("session opens");
    assert_eq!(doc.session.regions, saved.regions);
    assert_eq!(doc.session.ignore_masks, saved.ignore_masks);
    assert_eq!(doc.session.alignment, saved.alignment);
    assert!(h.state().messages().iter().all(|m| !m.is_error));
    drop(h);

    // The suspect changes on disk: the session still opens, with a warning.
    let mut bytes = std::fs::read(dir.join("suspect.jpg")).unwrap();
    bytes.extend_from_slice(b"trailing");
    std::fs::write(dir.join("suspect.jpg"), bytes).unwrap();
    let mut h = harness(config(&dir, Launch::Session(path)));
    settle(&mut h);
    assert!(h
        .state()
        .messages()
        .iter()
        .any(|m| m.is_error && m.text.contains("not the file that was reviewed")));
    // The warning travels with the session into every report exported from it.
    assert!(h.state().document().unwrap().session.warnings[0].contains("suspect"));
}

#[test]
fn a_golden_profile_saved_in_the_app_opens_the_next_board_and_feeds_batch() {
    let dir = temp_dir("gui-profile");
    for f in ["reference.jpg", "suspect.jpg"] {
        std::fs::copy(case_dir().join(f), dir.join(f)).unwrap();
    }
    let mut h = harness(config(&dir, pair(&dir)));
    settle(&mut h);
    apply(&mut h, ReviewAction::AddMask(rect([10, 10, 100, 50])));
    let mut settings = h.state().document().unwrap().session.settings.clone();
    settings.sensitivity = 1.3;
    apply(&mut h, ReviewAction::SetDetect(settings));
    settle(&mut h);
    let path = dir.join("board");
    apply(&mut h, FileAction::SaveProfileAs(path.clone()));
    let path = path.with_extension("golden");
    let profile = GoldenProfile::load(&path).expect("profile saved with its extension");
    assert_eq!(profile.ignore_masks, vec![rect([10, 10, 100, 50])]);
    assert_eq!(profile.settings.sensitivity, 1.3);
    drop(h);

    // `gui --profile` opens the next board with the masks and settings.
    let launch = Launch::Profile {
        profile: Box::new(profile.clone()),
        suspect: dir.join("suspect.jpg"),
    };
    let mut h = harness(config(&dir, launch));
    settle(&mut h);
    let doc = h.state().document().expect("opens");
    assert_eq!(doc.session.ignore_masks, profile.ignore_masks);
    assert_eq!(doc.session.settings.sensitivity, 1.3);
    drop(h);
    // And `batch --profile` checks boards with them.
    let out = dir.join("batch");
    let suspect = dir.join("suspect.jpg");
    let o = run(&[
        "batch",
        "--quiet",
        "--profile",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        suspect.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"ignore_masks\": 1"), "{summary}");

    // A reference replaced since: refused with the reason, nothing opened.
    let mut bytes = std::fs::read(dir.join("reference.jpg")).unwrap();
    bytes.extend_from_slice(b"trailing");
    std::fs::write(dir.join("reference.jpg"), bytes).unwrap();
    let launch = Launch::Profile {
        profile: Box::new(profile),
        suspect: dir.join("suspect.jpg"),
    };
    let mut h = harness(config(&dir, launch));
    settle(&mut h);
    assert!(h.state().document().is_none());
    assert!(h
        .state()
        .messages()
        .iter()
        .any(|m| m.is_error && m.text.contains("changed since the profile was saved")));
}

#[test]
fn a_session_saved_by_compare_opens_in_the_app() {
    let dir = temp_dir("gui-saved-session");
    for f in ["reference.jpg", "suspect.jpg"] {
        std::fs::copy(case_dir().join(f), dir.join(f)).unwrap();
    }
    let path = dir.join("run.boarddiff");
    let o = compare_saving_session(&dir, &path);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let saved = Session::load(&path).unwrap();
    assert!(!saved.regions.is_empty());
    let mut h = harness(config(&dir, Launch::Session(path)));
    settle(&mut h);
    let doc = h.state().document().expect("session opens");
    assert_eq!(doc.session.regions, saved.regions);
    assert_eq!(doc.session.alignment, saved.alignment);
    assert!(h.state().messages().iter().all(|m| !m.is_error));
}

#[test]
fn corrupt_file_shows_an_error_and_the_app_stays_usable() {
    let dir = temp_dir("gui-corrupt");
    let bad = dir.join("broken.jpg");
    let good = std::fs::read(case_dir().join("reference.jpg")).unwrap();
    std::fs::write(&bad, &good[..good.len() / 3]).unwrap();
    let mut h = harness(config(
        &dir,
        Launch::Pair {
            reference: case_dir().join("reference.jpg"),
            suspect: bad.clone(),
        },
    ));
    settle(&mut h);
    assert!(h.state().document().is_none());
    let msg = &h.state().messages()[0];
    assert!(msg.is_error && msg.text.contains("broken.jpg"), "{msg:?}");
    h.get_by_label_contains("broken.jpg");
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().messages().is_empty());
    apply(
        &mut h,
        FileAction::OpenPair {
            reference: case_dir().join("reference.jpg"),
            suspect: case_dir().join("suspect.jpg"),
        },
    );
    settle(&mut h);
    assert!(h.state().document().is_some());
}

#[test]
fn rethreshold_keeps_verdicts_and_masks_remove_regions() {
    let dir = temp_dir("gui-rethreshold");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    let doc = h.state().document().unwrap();
    let first = doc
        .session
        .regions
        .iter()
        .max_by_key(|r| r.area_px)
        .unwrap()
        .clone();
    let mut settings = doc.session.settings.clone();
    apply(&mut h, ReviewAction::SetVerdict(first.id, Verdict::Benign));
    settings.min_area_px = Some(120);
    settings.sensitivity = 1.2;
    apply(&mut h, ReviewAction::SetDetect(settings.clone()));
    settle(&mut h);
    let doc = h.state().document().unwrap();
    let same = doc
        .session
        .regions
        .iter()
        .find(|r| r.bbox.iou(&first.bbox) > 0.3)
        .unwrap_or_else(|| panic!("{first:?} not in {:?}", doc.session.regions));
    assert_eq!(same.verdict, Verdict::Benign);
    let [x, y, w, hh] = same.bbox.to_array();
    let before = doc.session.regions.len();
    apply(
        &mut h,
        ReviewAction::AddMask(rect([
            x.saturating_sub(5),
            y.saturating_sub(5),
            w + 10,
            hh + 10,
        ])),
    );
    settle(&mut h);
    let doc = h.state().document().unwrap();
    assert_eq!(doc.session.regions.len(), before - 1);
    assert_eq!(doc.session.ignore_masks.len(), 1);
    apply(&mut h, ReviewAction::RemoveMask(0));
    settle(&mut h);
    assert_eq!(h.state().document().unwrap().session.regions.len(), before);
}

#[test]
fn manual_alignment_from_points() {
    let dir = temp_dir("gui-manual");
    let mut spec = CaseSpec::new(2400, 1800, 43);
    spec.modifications = 2;
    spec.difficulty = 0.2;
    let case = write_case(&dir, &spec);
    let mut h = harness(config(&dir, pair(&dir)));
    settle(&mut h);
    apply(&mut h, ManualAction::Start);
    assert!(h.state().manual().is_some());
    h.get_by_label("Apply alignment");
    // Four spread points, placed about a pixel off as a person would click them.
    let picks = [
        [400.0, 300.0],
        [2000.0, 350.0],
        [1900.0, 1500.0],
        [500.0, 1400.0],
        [1200.0, 900.0],
    ];
    for (i, p) in picks.iter().enumerate() {
        let q = case.true_map(*p);
        let wobble = if i % 2 == 0 { 0.8 } else { -0.7 };
        apply(
            &mut h,
            ManualAction::Point(boarddiff_app::actions::Role::Reference, *p),
        );
        apply(
            &mut h,
            ManualAction::Point(boarddiff_app::actions::Role::Suspect, [q[0] + wobble, q[1]]),
        );
    }
    let residuals = h.state().manual().unwrap().residuals().expect("fit");
    assert!(residuals.iter().all(|r| *r < 2.0), "{residuals:?}");
    h.get_by_label("Apply alignment").click();
    h.run_steps(2);
    settle(&mut h);
    assert!(h.state().manual().is_none());
    let doc = h.state().document().unwrap();
    assert_eq!(doc.session.manual_points.len(), picks.len());
    let err = boarddiff_core::geometry::mean_grid_error(
        2400,
        1800,
        20,
        |p| case.true_map(p),
        |p| doc.cmp.alignment.map(p),
    );
    assert!(
        err < 0.3,
        "manual alignment error after refinement {err} px"
    );
    let _: &[PointPair] = &doc.session.manual_points;
}

/// Snapshots render through wgpu on a CPU Vulkan device (lavapipe), which `.ci/run`
/// installs. The status bar holds timings and temp paths, so it is masked.
fn snapshot(mode: ViewMode, select: Option<u32>, name: &str) {
    let dir = temp_dir(&format!("gui-snap-{name}"));
    let mut cfg = config(&dir, pair(case_dir()));
    cfg.mode = Some(mode);
    cfg.select = select;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 760.0))
        .wgpu()
        .build_eframe(move |cc| BoardDiffApp::new(cc, cfg));
    settle(&mut h);
    // Let the autosave happen, then hide the status bar (timings, temp paths).
    std::thread::sleep(Duration::from_millis(400));
    settle(&mut h);
    let status = h.get_by_label_contains("zoom ").rect();
    h.mask(egui::Rect::from_min_max(
        egui::pos2(0.0, status.min.y - 4.0),
        egui::pos2(1200.0, 760.0),
    ));
    h.snapshot(name);
}

#[test]
fn snapshot_side_by_side_zoomed_on_a_region() {
    snapshot(ViewMode::SideBySide, Some(1), "side_by_side_region");
}

#[test]
fn snapshot_heatmap_overview() {
    snapshot(ViewMode::Heatmap, None, "heatmap_overview");
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'static, BoardDiffApp>, path: PathBuf, at: egui::Pos2) {
    h.hover_at(at);
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path)));
    h.run_steps(2);
}

#[test]
fn images_dropped_on_the_panes_open_the_pair() {
    let dir = temp_dir("gui-drop");
    let mut h = harness(config(&dir, Launch::Nothing));
    h.run_steps(2);
    h.get_by_label("Open reference…");
    drop_file(
        &mut h,
        case_dir().join("reference.jpg"),
        egui::pos2(200.0, 400.0),
    );
    assert!(h.state().document().is_none());
    assert!(h.state().messages()[0]
        .text
        .contains("now open the suspect"));
    drop_file(
        &mut h,
        case_dir().join("suspect.jpg"),
        egui::pos2(800.0, 400.0),
    );
    settle(&mut h);
    let doc = h.state().document().expect("the dropped pair opens");
    assert!(doc.session.reference.path.ends_with("reference.jpg"));
    assert!(doc.session.suspect.path.ends_with("suspect.jpg"));
    assert!(!doc.session.regions.is_empty());
}

#[test]
fn refused_alignment_offers_manual_alignment() {
    let dir = temp_dir("gui-refused");
    write_case(&dir, &CaseSpec::new(1600, 1200, 51));
    let other = temp_dir("gui-refused-b");
    write_case(&other, &CaseSpec::new(1600, 1200, 52));
    let mut h = harness(config(
        &dir,
        Launch::Pair {
            reference: dir.join("reference.jpg"),
            suspect: other.join("reference.jpg"),
        },
    ));
    settle(&mut h);
    assert!(h.state().document().is_none());
    assert!(h.state().unaligned_reason().is_some());
    let msg = &h.state().messages()[0];
    assert!(
        msg.is_error && msg.text.contains("Automatic alignment failed"),
        "{msg:?}"
    );
    h.get_by_label("Align by hand…").click();
    h.run_steps(3);
    let manual = h.state().manual().expect("manual alignment opens");
    assert!(manual.reason.is_some());
    h.get_by_label_contains("Automatic alignment failed:");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().manual().is_none());
}

#[test]
fn dragging_with_the_mask_tool_adds_an_ignore_rectangle() {
    let dir = temp_dir("gui-mask-drag");
    let mut h = harness(config(&dir, pair(case_dir())));
    settle(&mut h);
    h.key_press(Key::H); // one pane, so screen and reference map simply
    h.key_press(Key::M);
    h.run_steps(2);
    let view = h.state().view();
    let (a, b) = (egui::pos2(300.0, 300.0), egui::pos2(420.0, 380.0));
    mouse_drag(&mut h, a, b);
    settle(&mut h);
    let doc = h.state().document().unwrap();
    assert_eq!(
        doc.session.ignore_masks.len(),
        1,
        "{:?}",
        doc.session.ignore_masks
    );
    let [x, y, w, hh] = doc.session.ignore_masks[0].to_array().map(f64::from);
    let expected_w = (b.x - a.x) as f64 / view.scale;
    assert!(
        (w - expected_w).abs() / expected_w < 0.1,
        "{w} vs {expected_w}"
    );
    assert!(hh > 0.0 && x >= 0.0 && y >= 0.0);
    h.get_by_label("Ignore masks (1)");
}

#[test]
fn cancel_stops_a_comparison_and_keeps_the_app_usable() {
    let dir = temp_dir("gui-cancel");
    let mut h = harness(config(&dir, pair(case_dir())));
    h.step();
    assert!(h.state().is_busy());
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(h.state().document().is_none());
    assert!(
        h.state().messages().iter().any(|m| m.text == "Cancelled."),
        "{:?}",
        h.state().messages()
    );
    apply(
        &mut h,
        FileAction::OpenPair {
            reference: case_dir().join("reference.jpg"),
            suspect: case_dir().join("suspect.jpg"),
        },
    );
    settle(&mut h);
    assert!(h.state().document().is_some());
}

#[test]
fn quiz_hides_detections_scores_a_drawn_box_and_exports_a_scorecard() {
    let dir = temp_dir("gui-quiz");
    let mut spec = CaseSpec::new(2400, 1800, 41);
    spec.modifications = 3;
    spec.difficulty = 0.2;
    // As in tests/cli_compare.rs: altered parts are scored in tests/second_board.rs.
    spec.kinds = vec![RegionKind::Added, RegionKind::Removed];
    let case = write_case(&dir, &spec);
    boarddiff_core::write::write_json(&dir.join("truth.json"), &case.truth).unwrap();
    let mut h = harness(config(&dir, Launch::Quiz(dir.clone())));
    settle(&mut h);
    assert!(h.state().quiz().is_some());
    assert!(
        h.query_by_label_contains("#1 ").is_none(),
        "regions must stay hidden"
    );
    h.key_press(Key::H);
    h.run_steps(2);
    assert_ne!(h.state().prefs().view.mode, ViewMode::Heatmap);
    h.key_press(Key::O);
    h.run_steps(2);
    // Drag a box over the first truth box, on screen, with the Mark tool.
    let view = h.state().view();
    let pane = h.state().viewer_rect();
    let [x, y, w, hh] = case.truth.modifications[0].bbox.to_array().map(f64::from);
    let a = view.screen_from_reference(pane, [x - 4.0, y - 4.0]);
    let b = view.screen_from_reference(pane, [x + w + 4.0, y + hh + 4.0]);
    let b = egui::pos2(b.x.max(a.x + 6.0), b.y.max(a.y + 6.0));
    mouse_drag(&mut h, a, b);
    assert_eq!(h.state().quiz().unwrap().guesses.len(), 1);
    h.get_by_label("Submit").click();
    h.run_steps(2);
    h.get_by_label_contains("1 hit(s), 2 miss(es), 0 false alarm(s)");
    let score = h.state().quiz().unwrap().score.clone().unwrap();
    assert_eq!((score.hits, score.misses, score.false_alarms), (1, 2, 0));
    assert_eq!(
        score.truth.iter().filter(|t| t.2).count(),
        3,
        "the tool finds all three"
    );
    let out = dir.join("scorecard");
    apply(
        &mut h,
        FileAction::SetExportDirText(out.display().to_string()),
    );
    h.get_by_label("Export scorecard").click();
    h.run_steps(2);
    settle(&mut h);
    let html = std::fs::read_to_string(out.join("scorecard.html")).unwrap();
    assert!(html.contains("1 hit(s), 2 miss(es), 0 false alarm(s)"));
}
