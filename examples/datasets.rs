//! Runs the engine on the public datasets in ../shared/datasets (research-only data, not in
//! the repo) and prints recall, precision and alignment error.
//!
//! cargo run --release --example datasets -- deeppcb ../shared/datasets/deeppcb [LIMIT]
//! cargo run --release --example datasets -- pku ../shared/datasets/pku_pcb [--warp SEED]
use boarddiff::engine::align::Alignment;
use boarddiff::engine::eval::{matches, score_case};
use boarddiff::engine::geometry::{mean_grid_error, Homography};
use boarddiff::engine::load::load_rgb;
use boarddiff::engine::pipeline::{compare, compare_with_alignment, NoProgress};
use boarddiff::engine::regions::DetectSettings;
use boarddiff::engine::report::{RegionKind, TruthRegion};
use boarddiff::engine::rng::Rng;
use boarddiff::engine::synth::camera::{jpeg_roundtrip, Camera};
use image::RgbImage;
use std::path::{Path, PathBuf};

struct Totals {
    cases: usize,
    truth: usize,
    found: usize,
    regions: usize,
    true_regions: usize,
    refused: usize,
    align_errors: Vec<f64>,
    seconds: f64,
    megapixels: f64,
}

fn truth_box(x0: u32, y0: u32, x1: u32, y1: u32) -> TruthRegion {
    TruthRegion {
        kind: RegionKind::Altered,
        bbox: [
            x0,
            y0,
            x1.saturating_sub(x0).max(1),
            y1.saturating_sub(y0).max(1),
        ],
        note: None,
    }
}

/// `truth_map` None: the pair is pre-registered and compared with the identity alignment.
fn run_case(
    t: &mut Totals,
    reference: RgbImage,
    test: RgbImage,
    truth: &[TruthRegion],
    truth_map: Option<Homography>,
) {
    let (w, h) = reference.dimensions();
    t.cases += 1;
    t.megapixels += (w * h) as f64 / 1e6;
    let start = std::time::Instant::now();
    let result = match truth_map {
        Some(_) => compare(
            reference,
            test,
            DetectSettings::default(),
            vec![],
            &NoProgress,
        ),
        None => compare_with_alignment(
            reference,
            test,
            Alignment::identity(w, h),
            DetectSettings::default(),
            vec![],
            &NoProgress,
        ),
    };
    t.seconds += start.elapsed().as_secs_f64();
    t.truth += truth.len();
    let cmp = match result {
        Ok(c) => c,
        Err(e) => {
            t.refused += 1;
            eprintln!("  refused: {e}");
            return;
        }
    };
    if let Some(hm) = truth_map {
        t.align_errors.push(mean_grid_error(
            w,
            h,
            20,
            |p| hm.apply(p),
            |p| cmp.alignment.map(p),
        ));
    }
    let s = score_case(truth, &cmp.regions);
    t.found += s.found.iter().filter(|f| **f).count();
    t.regions += cmp.regions.len();
    t.true_regions += cmp
        .regions
        .iter()
        .filter(|r| truth.iter().any(|b| matches(&b.bbox, &r.bbox)))
        .count();
}

fn summary(name: &str, t: &mut Totals) {
    t.align_errors.sort_by(f64::total_cmp);
    let align = if t.align_errors.is_empty() {
        String::from("n/a (pre-aligned)")
    } else {
        format!(
            "median {:.3} px, max {:.3} px",
            t.align_errors[t.align_errors.len() / 2],
            t.align_errors[t.align_errors.len() - 1]
        )
    };
    println!(
        "{name}: {} pairs ({} refused) | recall {}/{} = {:.1}% | precision {}/{} = {:.1}% | alignment {align} | {:.3} s/MP",
        t.cases,
        t.refused,
        t.found,
        t.truth,
        100.0 * t.found as f64 / t.truth.max(1) as f64,
        t.true_regions,
        t.regions,
        100.0 * t.true_regions as f64 / t.regions.max(1) as f64,
        t.seconds / t.megapixels.max(1e-9)
    );
}

fn totals() -> Totals {
    Totals {
        cases: 0,
        truth: 0,
        found: 0,
        regions: 0,
        true_regions: 0,
        refused: 0,
        align_errors: vec![],
        seconds: 0.0,
        megapixels: 0.0,
    }
}

fn deeppcb(root: &Path, limit: usize) {
    let base = root.join("PCBData");
    let pairs = std::fs::read_to_string(base.join("pairs.txt")).expect("pairs.txt");
    let mut t = totals();
    for line in pairs.lines().take(limit) {
        let mut parts = line.split_whitespace();
        let (Some(img), Some(ann)) = (parts.next(), parts.next()) else {
            continue;
        };
        let stem = img.trim_end_matches(".jpg");
        let reference = load_rgb(&base.join(format!("{stem}_temp.jpg")))
            .expect("template")
            .rgb;
        let test = load_rgb(&base.join(format!("{stem}_test.jpg")))
            .expect("test")
            .rgb;
        let truth: Vec<TruthRegion> = std::fs::read_to_string(base.join(ann))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let v: Vec<u32> = l
                    .split([' ', ','])
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                (v.len() >= 4).then(|| truth_box(v[0], v[1], v[2], v[3]))
            })
            .collect();
        run_case(&mut t, reference, test, &truth, None);
    }
    summary("DeepPCB", &mut t);
}

fn voc_boxes(xml: &str) -> Vec<TruthRegion> {
    let tag = |s: &str, name: &str| -> Option<u32> {
        let open = format!("<{name}>");
        let a = s.find(&open)? + open.len();
        let b = s[a..].find('<')? + a;
        s[a..b].trim().parse::<f64>().ok().map(|v| v as u32)
    };
    xml.split("<bndbox>")
        .skip(1)
        .filter_map(|chunk| {
            Some(truth_box(
                tag(chunk, "xmin")?,
                tag(chunk, "ymin")?,
                tag(chunk, "xmax")?,
                tag(chunk, "ymax")?,
            ))
        })
        .collect()
}

fn pku(root: &Path, warp_seed: Option<u64>) {
    let mut t = totals();
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("images"))
        .expect("images/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let board = &name[..2];
        let Ok(xml) = std::fs::read_to_string(root.join("annotations").join(format!("{name}.xml")))
        else {
            continue;
        };
        let truth = voc_boxes(&xml);
        let reference = load_rgb(&root.join("templates").join(format!("{board}.jpg")))
            .expect("template")
            .rgb;
        let mut test = load_rgb(&path).expect("test image").rgb;
        let mut truth_map = None;
        if let Some(seed) = warp_seed {
            let mut rng = Rng::new(seed ^ t.cases as u64);
            let (w, h) = test.dimensions();
            let c = [(w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0];
            let sim = Homography::translation(-c[0], -c[1])
                .then(&Homography::similarity(
                    rng.range(0.92, 1.08),
                    rng.range(-5.0f64, 5.0).to_radians(),
                    0.0,
                    0.0,
                ))
                .then(&Homography::from_rows([
                    [1.0, 0.0, 0.0],
                    [0.0, 1.0, 0.0],
                    [rng.range(-2e-5, 2e-5), rng.range(-2e-5, 2e-5), 1.0],
                ]))
                .then(&Homography::translation(
                    c[0] + rng.range(-40.0, 40.0),
                    c[1] + rng.range(-40.0, 40.0),
                ));
            let mut camera = Camera::plain(w, h, sim).random_lighting(&mut rng, 0.8);
            camera.noise_sigma = 2.0;
            test = jpeg_roundtrip(&camera.shoot(&test, seed), 90);
            truth_map = Some(sim);
        }
        run_case(&mut t, reference, test, &truth, truth_map);
    }
    summary(
        if warp_seed.is_some() {
            "PKU 01+05 --warp"
        } else {
            "PKU 01+05"
        },
        &mut t,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("deeppcb") => deeppcb(
            Path::new(&args[1]),
            args.get(2)
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX),
        ),
        Some("pku") => pku(
            Path::new(&args[1]),
            args.iter()
                .position(|a| a == "--warp")
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse().ok()),
        ),
        _ => eprintln!("usage: datasets deeppcb DIR [LIMIT] | datasets pku DIR [--warp SEED]"),
    }
}
