//! Development probe: generated cases through the engine, with alignment error and hits.
//! Usage: quick_case FIRST_SEED COUNT MODS [QUARTER_TURNS] [WIDTH HEIGHT]
use boarddiff_core::compare::{compare, Start};
use boarddiff_core::geometry::mean_grid_error;
use boarddiff_core::progress::NoProgress;
use boarddiff_core::settings::DetectSettings;
use boarddiff_synth::case::{generate, CaseSpec};
use boarddiff_synth::eval::{matches, score_case};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (first, count, mods, turns) = (arg(1, 1), arg(2, 1), arg(3, 3) as usize, arg(4, 0) as u8);
    let (w, h) = (arg(5, 4000) as u32, arg(6, 3000) as u32);
    let verbose = std::env::var("VERBOSE").is_ok();
    let (mut errs, mut found, mut total, mut false_regions) = (Vec::new(), 0, 0, 0);
    for seed in first..first + count {
        let mut spec = CaseSpec::new(w, h, seed);
        spec.modifications = mods;
        spec.quarter_turns = turns;
        let case = generate(&spec);
        if std::env::var("SAVE").is_ok() {
            case.reference.save("/tmp/ref.png").unwrap();
            case.suspect.save("/tmp/sus.png").unwrap();
        }
        let t = std::time::Instant::now();
        let mut settings = DetectSettings::default();
        if let Some(j) = std::env::var("JITTER").ok().and_then(|v| v.parse().ok()) {
            settings.jitter_px = j;
        }
        let (cmp, regions) = match compare(
            case.reference.clone(),
            case.suspect.clone(),
            Start::Fresh,
            &settings,
            &[],
            &NoProgress,
        ) {
            Ok(c) => (c.comparison, c.regions),
            Err(e) => {
                println!("seed {seed}: ERROR {e}");
                continue;
            }
        };
        let secs = t.elapsed().as_secs_f64();
        let err = mean_grid_error(w, h, 20, |p| case.true_map(p), |p| cmp.alignment.map(p));
        errs.push(err);
        let s = score_case(&case.truth.modifications, &regions);
        found += s.found.iter().filter(|f| **f).count();
        total += s.found.len();
        false_regions += s.false_regions;
        let q = &cmp.alignment.quality;
        println!(
            "seed {seed}: err {err:.3}px rms {:.2} inl {} patches {}/{} noise {:.2} found {}/{} false {} ({secs:.1}s)",
            q.rms_residual_px, q.inliers, q.patches_matched, q.patches_textured, cmp.score_map(settings.tolerance_px).noise_sigma,
            s.found.iter().filter(|f| **f).count(), s.found.len(), s.false_regions
        );
        for (t, f) in case.truth.modifications.iter().zip(&s.found) {
            if verbose || !f {
                let q = case.true_map(t.bbox.centre());
                let (sw, sh) = case.suspect.dimensions();
                let visible = q[0] >= 0.0 && q[1] >= 0.0 && q[0] < sw as f64 && q[1] < sh as f64;
                println!(
                    "    truth {:?} {:?} {:?} found={f} in_suspect_frame={visible} at {q:.0?}",
                    t.kind, t.bbox, t.note
                );
            }
        }
        for r in &regions {
            let hit = case
                .truth
                .modifications
                .iter()
                .any(|t| matches(&t.bbox, &r.bbox));
            if verbose || !hit {
                println!(
                    "    region {} {:?} {:?} score {:.3} area {} {}",
                    r.id,
                    r.kind,
                    r.bbox,
                    r.score,
                    r.area_px,
                    if hit { "HIT" } else { "FALSE" }
                );
            }
        }
        if std::env::var("SAVE").is_ok() {
            cmp.work_reference.save("/tmp/work_ref.png").unwrap();
            cmp.work_suspect.image.save("/tmp/work_sus.png").unwrap();
            let m = cmp.score_map(settings.tolerance_px);
            let vis = image::GrayImage::from_fn(m.width, m.height, |x, y| {
                image::Luma([(m.at(x, y) * 16.0).min(255.0) as u8])
            });
            vis.save("/tmp/score.png").unwrap();
        }
    }
    errs.sort_by(f64::total_cmp);
    if !errs.is_empty() {
        println!(
            "SUMMARY cases {} align median {:.3} max {:.3} | recall {}/{} | false regions {} ({:.2}/pair)",
            errs.len(), errs[errs.len() / 2], errs[errs.len() - 1], found, total, false_regions, false_regions as f64 / errs.len() as f64
        );
    }
}
