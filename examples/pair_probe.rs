//! Development probe: one registered pair through the engine (identity or automatic
//! alignment), printing the noise level and regions and saving the score map as a PNG.
//! Usage: pair_probe REFERENCE TEST OUT.png [realign] ; env MIN_AREA, JITTER, TOL.
use boarddiff::engine::align::Alignment;
use boarddiff::engine::load::load_rgb;
use boarddiff::engine::pipeline::{compare, compare_with_alignment, NoProgress};
use boarddiff::engine::regions::DetectSettings;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut settings = DetectSettings::default();
    if let Some(v) = env("MIN_AREA") {
        settings.min_area_px = v;
    }
    if let Some(v) = env("JITTER") {
        settings.jitter_px = v as usize;
    }
    if let Some(v) = env("TOL") {
        settings.tolerance_px = v as usize;
    }
    let r = load_rgb(args[1].as_ref())?.rgb;
    let t = load_rgb(args[2].as_ref())?.rgb;
    let (w, h) = r.dimensions();
    let cmp = if args.get(4).map(String::as_str) == Some("reg") {
        let a = boarddiff::engine::align::registered(&r, &t);
        compare_with_alignment(r, t, a, settings, vec![], &NoProgress)?
    } else if args.get(4).is_some() {
        compare(r, t, settings, vec![], &NoProgress)?
    } else {
        compare_with_alignment(
            r,
            t,
            Alignment::identity(w, h),
            settings,
            vec![],
            &NoProgress,
        )?
    };
    println!(
        "alignment {:?} field {:?} rms {:.3}",
        cmp.alignment.suspect_from_reference,
        cmp.alignment.field.is_some(),
        cmp.alignment.quality.rms_residual_px
    );
    cmp.work_suspect
        .image
        .save(format!("{}-suspect.png", args[3]))?;
    println!("noise sigma {:.2}", cmp.score.noise_sigma);
    for reg in &cmp.regions {
        println!(
            "{:?} {:?} score {:.2} area {}",
            reg.bbox, reg.kind, reg.score, reg.area_px
        );
    }
    let map = &cmp.score;
    let img = image::GrayImage::from_fn(map.width, map.height, |x, y| {
        image::Luma([(map.at(x, y) * 5.0).min(255.0) as u8])
    });
    img.save(&args[3])?;
    Ok(())
}
