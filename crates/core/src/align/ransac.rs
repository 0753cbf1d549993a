//! Robust homography from putative matches: RANSAC on minimal samples scored with a
//! truncated quadratic (MSAC), then iterated least-squares refits on the inliers.
use crate::geometry::{fit_homography, Homography};
use crate::rng::Rng;

pub(crate) struct RansacResult {
    pub(crate) model: Homography,
    pub(crate) inliers: Vec<usize>,
}

pub(crate) fn ransac_homography(
    src: &[[f64; 2]],
    dst: &[[f64; 2]],
    threshold: f64,
    seed: u64,
) -> Option<RansacResult> {
    let n = src.len();
    if n < 8 {
        return None;
    }
    let mut rng = Rng::new(seed);
    let t2 = threshold * threshold;
    let cost = |h: &Homography| -> f64 {
        src.iter()
            .zip(dst)
            .map(|(s, d)| reprojection_sq(h, s, d).min(t2))
            .sum()
    };
    let mut best: Option<(f64, Homography)> = None;
    let mut best_inliers = 0usize;
    let mut max_iter = 4000usize;
    let mut iter = 0;
    while iter < max_iter {
        iter += 1;
        let idx: [usize; 4] = std::array::from_fn(|_| rng.below(n));
        if has_duplicates(&idx) {
            continue;
        }
        let s: Vec<[f64; 2]> = idx.iter().map(|&i| src[i]).collect();
        let d: Vec<[f64; 2]> = idx.iter().map(|&i| dst[i]).collect();
        if degenerate(&s) || degenerate(&d) {
            continue;
        }
        let Some(h) = fit_homography(&s, &d, None) else {
            continue;
        };
        if !plausible(&h, &s) {
            continue;
        }
        let c = cost(&h);
        if best.as_ref().is_none_or(|(bc, _)| c < *bc) {
            let inl = count_inliers(&h, src, dst, t2);
            best = Some((c, h));
            if inl > best_inliers {
                best_inliers = inl;
                let ratio = inl as f64 / n as f64;
                let needed = (1.0 - 0.999f64).ln() / (1.0 - ratio.powi(4)).max(1e-12).ln();
                max_iter = max_iter.min((needed.ceil() as usize).max(200));
            }
        }
    }
    let (_, mut model) = best?;
    let mut inliers = Vec::new();
    for _ in 0..4 {
        inliers = (0..n)
            .filter(|&i| reprojection_sq(&model, &src[i], &dst[i]) < t2)
            .collect();
        if inliers.len() < 8 {
            return None;
        }
        let s: Vec<[f64; 2]> = inliers.iter().map(|&i| src[i]).collect();
        let d: Vec<[f64; 2]> = inliers.iter().map(|&i| dst[i]).collect();
        model = fit_homography(&s, &d, None)?;
    }
    Some(RansacResult { model, inliers })
}

pub(crate) fn reprojection_sq(h: &Homography, s: &[f64; 2], d: &[f64; 2]) -> f64 {
    let p = h.apply(*s);
    (p[0] - d[0]).powi(2) + (p[1] - d[1]).powi(2)
}

fn count_inliers(h: &Homography, src: &[[f64; 2]], dst: &[[f64; 2]], t2: f64) -> usize {
    src.iter()
        .zip(dst)
        .filter(|(s, d)| reprojection_sq(h, s, d) < t2)
        .count()
}

fn has_duplicates(idx: &[usize; 4]) -> bool {
    (0..4).any(|i| (i + 1..4).any(|j| idx[i] == idx[j]))
}

/// Three nearly collinear points make the 4-point solve unstable.
fn degenerate(p: &[[f64; 2]]) -> bool {
    let area = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| {
        ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])).abs()
    };
    let min_area = 4.0;
    area(p[0], p[1], p[2]) < min_area
        || area(p[0], p[1], p[3]) < min_area
        || area(p[0], p[2], p[3]) < min_area
        || area(p[1], p[2], p[3]) < min_area
}

/// Physical cameras never mirror the board or squash it by 10x; such samples are noise.
fn plausible(h: &Homography, sample: &[[f64; 2]]) -> bool {
    let m = &h.0;
    let det = m[(0, 0)] * m[(1, 1)] - m[(0, 1)] * m[(1, 0)];
    if det <= 0.0 {
        return false;
    }
    sample.iter().all(|p| {
        let s = h.local_scale(*p);
        (0.2..5.0).contains(&s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_model_among_outliers() {
        let truth = Homography::similarity(1.1, 0.3, 40.0, -20.0);
        let mut rng = Rng::new(3);
        let mut src = Vec::new();
        let mut dst = Vec::new();
        for i in 0..200 {
            let p = [rng.range(0.0, 800.0), rng.range(0.0, 600.0)];
            src.push(p);
            if i % 2 == 0 {
                dst.push(truth.apply(p));
            } else {
                dst.push([rng.range(0.0, 900.0), rng.range(0.0, 700.0)]);
            }
        }
        let r = ransac_homography(&src, &dst, 2.0, 1).unwrap();
        assert!(r.inliers.len() >= 100);
        let q = r.model.apply([400.0, 300.0]);
        let t = truth.apply([400.0, 300.0]);
        assert!((q[0] - t[0]).abs() < 1e-3 && (q[1] - t[1]).abs() < 1e-3);
    }
}
