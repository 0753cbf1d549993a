//! The shape a tone curve may take. Lighting, exposure, gamma and white balance map levels
//! monotonically and with a bounded slope; a level whose median says otherwise is
//! dominated by pixels that really changed (a white pin-hole in black copper teaches
//! "light grey means black" when those greys occur nowhere else). The fit keeps the
//! well-populated levels and bends the rare ones back into a plausible curve.

/// Steepest plausible tone curve, in reference levels per suspect level. A gamma of 0.5
/// reaches it only in the darkest 4 levels; a pinhole's levels mapped to black need ~30.
pub(crate) const MAX_SLOPE: f64 = 4.0;

/// Steepest correction a later curve may add to the first: their slopes multiply.
pub(crate) const MAX_REFINE_SLOPE: f64 = 2.0;

/// Weighted least-squares fit of `values` (at increasing `positions`) by a curve that
/// never falls and rises at most `max_slope` per unit of position: Dykstra's alternating
/// projections between the two constraint sets, each an isotonic regression.
pub(crate) fn monotone_bounded_slope(
    positions: &[f64],
    values: &[f64],
    weights: &[f64],
    max_slope: f64,
) -> Vec<f64> {
    let n = values.len();
    let mut x = values.to_vec();
    let (mut p, mut q) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..500 {
        let a = isotonic_increasing(
            &x.iter().zip(&p).map(|(x, p)| x + p).collect::<Vec<_>>(),
            weights,
        );
        for i in 0..n {
            p[i] += x[i] - a[i];
        }
        // Slope <= max_slope: f - max_slope * s never rises.
        let shifted: Vec<f64> = (0..n)
            .map(|i| -(a[i] + q[i] - max_slope * positions[i]))
            .collect();
        let b: Vec<f64> = isotonic_increasing(&shifted, weights)
            .iter()
            .enumerate()
            .map(|(i, g)| max_slope * positions[i] - g)
            .collect();
        let mut change = 0f64;
        for i in 0..n {
            q[i] += a[i] - b[i];
            change = change.max((b[i] - x[i]).abs());
        }
        x = b;
        if change < 1e-3 {
            break;
        }
    }
    x
}

/// Pool-adjacent-violators: the weighted least-squares non-decreasing fit.
fn isotonic_increasing(values: &[f64], weights: &[f64]) -> Vec<f64> {
    // Blocks of (mean, weight, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(values.len());
    for (v, w) in values.iter().zip(weights) {
        let w = w.max(1e-12);
        blocks.push((*v, w, 1));
        while blocks.len() > 1 {
            let (m1, w1, l1) = blocks[blocks.len() - 1];
            let (m0, w0, l0) = blocks[blocks.len() - 2];
            if m0 <= m1 {
                break;
            }
            blocks.pop();
            let merged = ((m0 * w0 + m1 * w1) / (w0 + w1), w0 + w1, l0 + l1);
            *blocks.last_mut().expect("two blocks") = merged;
        }
    }
    blocks
        .iter()
        .flat_map(|(m, _, l)| std::iter::repeat_n(*m, *l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators() {
        let fit = isotonic_increasing(&[1.0, 3.0, 2.0, 4.0], &[1.0, 1.0, 1.0, 1.0]);
        assert_eq!(fit, vec![1.0, 2.5, 2.5, 4.0]);
    }

    #[test]
    fn plausible_curve_is_kept() {
        let s: Vec<f64> = (0..=255).step_by(5).map(f64::from).collect();
        let r: Vec<f64> = s.iter().map(|v| 255.0 * (v / 255.0).powf(0.8)).collect();
        let w = vec![100.0; s.len()];
        let fit = monotone_bounded_slope(&s, &r, &w, MAX_SLOPE);
        for (a, b) in fit.iter().zip(&r) {
            assert!((a - b).abs() < 0.05, "{a} vs {b}");
        }
    }

    #[test]
    fn rare_level_cannot_drag_the_curve() {
        // Binarised scan: black and white well populated, a few light greys (a pinhole
        // over black copper) whose median says black.
        let s = [0.0, 5.0, 230.0, 240.0, 250.0, 255.0];
        let r = [0.0, 0.0, 0.0, 0.0, 255.0, 255.0];
        let w = [1e6, 50.0, 30.0, 30.0, 40.0, 1e6];
        let fit = monotone_bounded_slope(&s, &r, &w, MAX_SLOPE);
        assert!(
            fit[0].abs() < 0.5 && (fit[5] - 255.0).abs() < 0.5,
            "{fit:?}"
        );
        // 15 levels below white, at most 60 levels darker.
        assert!(fit[3] >= 255.0 - 15.0 * MAX_SLOPE - 0.5, "{fit:?}");
        for pair in fit.windows(2) {
            assert!(pair[1] >= pair[0] - 1e-6);
        }
    }
}
