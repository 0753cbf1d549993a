//! Why FAST, ORB, RANSAC, the warp and the tone fit are written here rather than taken
//! from a crate: each against the crate it replaces, on the bundled sample board; and
//! what the JPEG integrity walk costs against decoding.
//!
//! cargo bench -p boarddiff-core --features internals
//!
//! Times are medians of 5 runs, as ratios to the crate's time in the same run (the machine
//! may be shared). Quality is measured where it is the reason: matches that survive a
//! quarter turn, model error with outliers, the grey a pin-hole keeps.
use boarddiff_core::align::Alignment;
use boarddiff_core::geometry::{mean_grid_error, Homography};
use boarddiff_core::internals;
use boarddiff_core::pyramid::{fit_gray, resize_rgb, to_gray};
use boarddiff_core::rect::Rect;
use boarddiff_core::rng::Rng;
use boarddiff_core::warp::warp_rect;
use image::{GrayImage, Rgb, RgbImage};
use imageproc::binary_descriptors::brief::brief;
use imageproc::binary_descriptors::{match_binary_descriptors, BinaryDescriptor};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use std::time::Instant;

fn median_secs<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[2], out.expect("five runs"))
}

fn sample_reference() -> RgbImage {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_boards/reference.jpg");
    image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_rgb8()
}

/// Share of matches that land within 3 px of where `truth` puts them.
fn correct_share(matches: &[([f64; 2], [f64; 2])], truth: impl Fn([f64; 2]) -> [f64; 2]) -> f64 {
    let good = matches
        .iter()
        .filter(|(a, b)| {
            let t = truth(*a);
            (t[0] - b[0]).hypot(t[1] - b[1]) < 3.0
        })
        .count();
    good as f64 / matches.len().max(1) as f64
}

/// imageproc's route: FAST-9 corners, unsteered BRIEF, its LSH matcher.
fn imageproc_matches(a: &GrayImage, b: &GrayImage) -> Vec<([f64; 2], [f64; 2])> {
    let points = |img: &GrayImage| -> Vec<imageproc::point::Point<u32>> {
        let (w, h) = img.dimensions();
        let mut c = imageproc::corners::corners_fast9(img, 20);
        c.sort_by(|x, y| y.score.total_cmp(&x.score));
        c.into_iter()
            .filter(|c| c.x > 20 && c.y > 20 && c.x + 20 < w && c.y + 20 < h)
            .take(3000)
            .map(|c| imageproc::point::Point::new(c.x, c.y))
            .collect()
    };
    let (pa, pb) = (points(a), points(b));
    let Ok((da, pairs)) = brief(a, &pa, 256, None) else {
        return Vec::new();
    };
    let Ok((db, _)) = brief(b, &pb, 256, Some(&pairs)) else {
        return Vec::new();
    };
    match_binary_descriptors(&da, &db, 40, Some(7))
        .into_iter()
        .map(|(x, y)| {
            let (p, q) = (x.position(), y.position());
            ([p.x as f64, p.y as f64], [q.x as f64, q.y as f64])
        })
        .collect()
}

fn main() {
    let photo = sample_reference();
    let (level, _) = fit_gray(&to_gray(&photo), 800_000);
    let (w, h) = level.dimensions();
    println!(
        "sample board: {}x{}, coarse level {w}x{h}",
        photo.width(),
        photo.height()
    );

    // FAST-9.
    let (t_ours, ours) = median_secs(|| internals::fast_corners(&level, 20));
    let (t_crate, theirs) = median_secs(|| imageproc::corners::corners_fast9(&level, 20));
    println!(
        "FAST-9 at threshold 20: ours {:.1} ms ({} corners), imageproc {:.1} ms ({} corners): {:.2}x",
        t_ours * 1e3,
        ours.len(),
        t_crate * 1e3,
        theirs.len(),
        t_ours / t_crate
    );

    // ORB: steered descriptors survive a quarter turn; unsteered BRIEF does not.
    let turned = image::imageops::rotate90(&level);
    let quarter = |p: [f64; 2]| [h as f64 - 1.0 - p[1], p[0]];
    let (t_ours, ours0) = median_secs(|| internals::orb_matches(&level, &level));
    let ours90 = internals::orb_matches(&level, &turned);
    let (t_crate, theirs0) = median_secs(|| imageproc_matches(&level, &level));
    let theirs90 = imageproc_matches(&level, &turned);
    println!(
        "ORB detect+match: ours {:.0} ms, imageproc FAST+BRIEF {:.0} ms ({:.2}x); correct matches \
         at 0 deg: ours {} ({:.0}%), imageproc {} ({:.0}%); at 90 deg: ours {} ({:.0}%), imageproc {} ({:.0}%)",
        t_ours * 1e3,
        t_crate * 1e3,
        t_ours / t_crate,
        ours0.len(),
        100.0 * correct_share(&ours0, |p| p),
        theirs0.len(),
        100.0 * correct_share(&theirs0, |p| p),
        ours90.len(),
        100.0 * correct_share(&ours90, quarter),
        theirs90.len(),
        100.0 * correct_share(&theirs90, quarter),
    );

    // RANSAC against a least-squares fit through every match, with 40% outliers.
    let truth =
        Homography::from_rows([[1.03, 0.05, 12.0], [-0.04, 0.99, -7.0], [2e-5, -1e-5, 1.0]]);
    let mut rng = Rng::new(11);
    let (mut src, mut dst) = (Vec::new(), Vec::new());
    for i in 0..1000 {
        let p = [rng.range(0.0, w as f64), rng.range(0.0, h as f64)];
        let q = if i % 5 < 2 {
            [rng.range(0.0, w as f64), rng.range(0.0, h as f64)]
        } else {
            let t = truth.apply(p);
            [t[0] + rng.normal() * 0.5, t[1] + rng.normal() * 0.5]
        };
        src.push(p);
        dst.push(q);
    }
    let err = |m: &Homography| mean_grid_error(w, h, 20, |p| truth.apply(p), |p| m.apply(p));
    let (t_ransac, fitted) = median_secs(|| internals::ransac(&src, &dst, 3.0));
    let (model, inliers) = fitted.expect("a model");
    let plain = internals::least_squares(&src, &dst).expect("a fit");
    println!(
        "RANSAC, 1000 matches, 40% outliers: {:.1} ms, {inliers} inliers, error {:.2} px; \
         least squares through all: error {:.0} px",
        t_ransac * 1e3,
        err(&model),
        err(&plain)
    );

    // Warp of an 8 MP photo through a homography.
    let (work, _) = resize_rgb(&photo, 3464, 2309);
    let (ww, wh) = work.dimensions();
    let map = Homography::from_rows([
        [0.998, 0.02, 14.3],
        [-0.021, 1.001, -9.7],
        [1e-6, 2e-6, 1.0],
    ]);
    let mut alignment = Alignment::identity(ww, wh);
    alignment.suspect_from_reference = map;
    let whole = Rect::from_corners(0, 0, ww, wh);
    let (t_ours, ours) = median_secs(|| warp_rect(&work, &alignment, whole).image);
    // imageproc maps input to output: the inverse of reference -> suspect.
    let inverse = map.inverse().expect("invertible");
    let m = inverse.to_rows();
    let projection = Projection::from_matrix([
        m[0][0] as f32,
        m[0][1] as f32,
        m[0][2] as f32,
        m[1][0] as f32,
        m[1][1] as f32,
        m[1][2] as f32,
        m[2][0] as f32,
        m[2][1] as f32,
        m[2][2] as f32,
    ])
    .expect("invertible");
    let mut theirs = RgbImage::new(ww, wh);
    let (t_crate, _) = median_secs(|| {
        warp_into(
            &work,
            &projection,
            Interpolation::Bilinear,
            Rgb([0, 0, 0]),
            &mut theirs,
        )
    });
    let mut diffs: Vec<u8> = ours
        .pixels()
        .zip(theirs.pixels())
        .enumerate()
        .filter(|(i, _)| {
            let (x, y) = (*i as u32 % ww, *i as u32 / ww);
            x > 40 && y > 40 && x + 40 < ww && y + 40 < wh
        })
        .map(|(_, (a, b))| (0..3).map(|c| a[c].abs_diff(b[c])).max().unwrap_or(0))
        .collect();
    diffs.sort_unstable();
    println!(
        "warp {ww}x{wh} RGB: ours {:.0} ms, imageproc warp_into {:.0} ms ({:.2}x); \
         pixel difference median {}, 99th percentile {}",
        t_ours * 1e3,
        t_crate * 1e3,
        t_ours / t_crate,
        diffs[diffs.len() / 2],
        diffs[diffs.len() * 99 / 100]
    );

    // Tone fit: a white pin-hole in a black pour, in a grey that occurs nowhere else.
    let mut pairs = Vec::new();
    pairs.extend(std::iter::repeat_n((0u8, 0u8), 400_000));
    pairs.extend(std::iter::repeat_n((255u8, 255u8), 400_000));
    pairs.extend(std::iter::repeat_n((0u8, 225u8), 64));
    let (t_fit, bounded) = median_secs(|| internals::tone_curve(&pairs, 4.0));
    let unbounded = internals::tone_curve(&pairs, 1e9);
    println!(
        "tone curve, pin-hole grey 225 in black copper: monotone with slope <= 4 maps it to \
         {} ({:.2} ms), without the slope bound to {} (the per-level median is 0): the \
         pin-hole is {} against black",
        bounded[225],
        t_fit * 1e3,
        unbounded[225],
        if bounded[225] > 60 { "kept" } else { "erased" }
    );

    // The JPEG integrity walk, against decoding the same file: it runs beside the
    // decoder, on another core, so its cost is this share of a core, not of wall time.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_boards/reference.jpg");
    let bytes = std::fs::read(&path).expect("sample reference");
    let (t_walk, whole) = median_secs(|| internals::jpeg_entropy_check(&bytes));
    let (t_decode, _) = median_secs(|| image::load_from_memory(&bytes).map(|i| i.into_rgb8()));
    println!(
        "JPEG entropy walk {:.0} ms against decoding {:.0} ms ({:.2}x); sample reference {}",
        t_walk * 1e3,
        t_decode * 1e3,
        t_walk / t_decode,
        if whole.is_ok() { "whole" } else { "refused" }
    );
}
