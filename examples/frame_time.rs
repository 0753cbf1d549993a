//! Frame times of the review app while panning and zooming a big pair, headless through
//! egui_kittest (max_texture_side 2048, so the tiled path).
//!
//! cargo run --release --example frame_time -- [REF SUS] [--wgpu]
//!
//! Prints, per scripted phase, the CPU time of the app's own UI code per frame (what
//! `BoardDiffApp` measures and shows in its status bar) and the wall time of a whole
//! kittest step (egui layout + tessellation, and with --wgpu a lavapipe render too).
use boarddiff_app::actions::ViewAction;
use boarddiff_app::prefs::ViewMode;
use boarddiff_app::view_transform::ViewTransform;
use boarddiff_app::{AppConfig, BoardDiffApp, Launch};
use egui_kittest::Harness;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The view at frame i of a scripted phase.
type ViewAt = Box<dyn Fn(usize) -> ViewTransform>;

fn stats(v: &mut [f64]) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    format!(
        "median {:6.2}  p95 {:6.2}  max {:6.2} ms",
        q(0.5),
        q(0.95),
        v[v.len() - 1]
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let samples_dir = || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_boards");
    let wgpu = args.iter().any(|a| a == "--wgpu");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (reference, suspect) = match files.as_slice() {
        [r, s] => (PathBuf::from(r), PathBuf::from(s)),
        _ => {
            let d = samples_dir();
            (d.join("reference.jpg"), d.join("suspect.jpg"))
        }
    };
    let config = AppConfig {
        launch: Launch::Pair {
            reference: reference.clone(),
            suspect,
        },
        autosave_dir: Some(std::env::temp_dir().join("boarddiff-frame-time")),
        fresh_prefs: true,
        ..AppConfig::default()
    };
    let mut builder = Harness::builder().with_size(egui::vec2(1600.0, 1000.0));
    if wgpu {
        builder = builder.wgpu();
    }
    let mut h = builder.build_eframe(move |cc| BoardDiffApp::new(cc, config));
    let start = Instant::now();
    let mut load_frames = Vec::new();
    while h.state().is_busy() || h.state().document().is_none() {
        let t = Instant::now();
        h.step();
        load_frames.push(t.elapsed().as_secs_f64() * 1000.0);
        if !h.state().is_busy() && h.state().document().is_none() {
            eprintln!("load failed: {:?}", h.state().messages());
            std::process::exit(2);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let (w, hgt) = h.state().document().unwrap().cmp.reference.dimensions();
    println!(
        "{}: {w}x{hgt} ({:.0} MP) loaded in {:.1} s; while loading, {} frames, {}",
        reference.display(),
        w as f64 * hgt as f64 / 1e6,
        start.elapsed().as_secs_f64(),
        load_frames.len(),
        stats(&mut load_frames)
    );
    // Re-thresholding from the cached score map, as the Detection sliders do.
    {
        let doc = h.state().document().unwrap();
        let cmp = &doc.cmp;
        let t = Instant::now();
        cmp.precompute_tolerances();
        println!(
            "score maps for the other tolerances ready {:.2} s after loading (background)",
            t.elapsed().as_secs_f64()
        );
        let base = doc.session.settings.clone();
        let variants = [
            ("sensitivity 1.5", {
                let mut s = base.clone();
                s.sensitivity = 1.5;
                s
            }),
            ("sensitivity 0.7", {
                let mut s = base.clone();
                s.sensitivity = 0.7;
                s
            }),
            ("min area 400 px", {
                let mut s = base.clone();
                s.min_area_px = Some(400);
                s
            }),
            ("tolerance 2 px (new score map)", {
                let mut s = base.clone();
                s.tolerance_px = 2;
                s
            }),
        ];
        // Several runs each: the machine is shared, and a slider is dragged, not set once.
        for (name, settings) in variants {
            let masks = [boarddiff_core::rect::Rect::from_corners(
                0,
                0,
                w / 10,
                hgt / 10,
            )];
            let mut times = Vec::new();
            let mut found = 0;
            for _ in 0..7 {
                let t = Instant::now();
                found = cmp.regions(&settings, &masks).len();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            println!(
                "re-detect, {name:<30} median {:6.1} ms  min {:6.1}  max {:6.1}, {found} regions",
                times[times.len() / 2],
                times[0],
                times[times.len() - 1]
            );
        }
    }
    let ctx = h.ctx.clone();
    let apply = |h: &mut Harness<'_, BoardDiffApp>, a: ViewAction| h.state_mut().apply(&ctx, a);
    apply(&mut h, ViewAction::Fit);
    for _ in 0..10 {
        h.step();
    }
    let fit = h.state().view();
    let centre = [w as f64 * 0.37, hgt as f64 * 0.61];
    let phases: Vec<(&str, ViewMode, ViewAt)> = vec![
        (
            "zoom in, fit -> 4:1",
            ViewMode::SideBySide,
            Box::new(move |i| ViewTransform {
                center_in_reference: centre,
                scale: fit.scale * (4.0 / fit.scale).powf(i as f64 / 89.0),
            }),
        ),
        (
            "pan at 1:1, 40 pt/frame",
            ViewMode::SideBySide,
            Box::new(move |i| ViewTransform {
                center_in_reference: [centre[0] + 40.0 * i as f64, centre[1] + 12.0 * i as f64],
                scale: 1.0,
            }),
        ),
        (
            "zoom out, 4:1 -> fit",
            ViewMode::SideBySide,
            Box::new(move |i| ViewTransform {
                center_in_reference: centre,
                scale: 4.0 * (fit.scale / 4.0).powf(i as f64 / 89.0),
            }),
        ),
        (
            "overlay pan at 1:2",
            ViewMode::Overlay,
            Box::new(move |i| ViewTransform {
                center_in_reference: [centre[0] - 60.0 * i as f64, centre[1]],
                scale: 0.5,
            }),
        ),
        (
            "heatmap pan at 1:2",
            ViewMode::Heatmap,
            Box::new(move |i| ViewTransform {
                center_in_reference: [centre[0], centre[1] - 40.0 * i as f64],
                scale: 0.5,
            }),
        ),
    ];
    let mut all_ui = Vec::new();
    for (name, mode, view_at) in &phases {
        apply(&mut h, ViewAction::SetMode(*mode));
        let mut ui_ms = Vec::new();
        let mut step_ms = Vec::new();
        let mut blurry = 0;
        for i in 0..90 {
            apply(&mut h, ViewAction::SetView(view_at(i)));
            let t = Instant::now();
            h.step();
            step_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            ui_ms.push(h.state().frame_ms().0);
            if h.state().tiles_pending() > 0 {
                blurry += 1;
            }
        }
        all_ui.extend_from_slice(&ui_ms);
        println!("{name:<26} app ui {}", stats(&mut ui_ms));
        println!(
            "{:<26} whole step {}   frames with tiles still loading: {blurry}/90",
            "",
            stats(&mut step_ms)
        );
    }
    println!("all phases               app ui {}", stats(&mut all_ui));
}
