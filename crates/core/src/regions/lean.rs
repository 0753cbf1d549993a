//! Which way a second viewpoint leans the parts of one pair. A camera that looks from a
//! slightly different direction moves every part's top along one direction, by an
//! amount that grows with its height; placement moves parts a little in any direction.
//! The pieces a first judgement explained by a shift are the evidence.

/// Pieces whose shift counts as evidence, and the share of the evidence (by length)
/// whose direction must agree.
const MIN_LEAN_PIECES: usize = 3;
const MIN_LEAN_AGREEMENT: f64 = 0.4;
/// Directions within this angle (cosine of 20 degrees) agree.
const LEAN_COS: f64 = 0.94;

/// The direction tall parts lean in this pair (a unit vector, suspect minus reference),
/// from the shifts of explained pieces: only shifts longer than placement makes
/// (`floor`) are evidence, and the direction is the one most of their length agrees
/// with.
pub(crate) fn lean_direction<'a>(
    shifts: impl Iterator<Item = &'a [i64; 2]>,
    floor: f64,
) -> Option<[f64; 2]> {
    let long: Vec<(f64, [f64; 2])> = shifts
        .map(|d| [d[0] as f64, d[1] as f64])
        .map(|d| (d[0].hypot(d[1]), d))
        .filter(|(n, _)| *n > floor.max(2.0))
        .map(|(n, d)| (n, [d[0] / n, d[1] / n]))
        .collect();
    let total: f64 = long.iter().map(|(n, _)| n).sum();
    let agreeing = |u: [f64; 2]| {
        long.iter()
            .filter(move |(_, v)| u[0] * v[0] + u[1] * v[1] >= LEAN_COS)
    };
    let (_, best) = long
        .iter()
        .map(|(_, u)| (agreeing(*u).map(|(n, _)| n).sum::<f64>(), *u))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let (mut sum, mut weight, mut count) = ([0f64; 2], 0f64, 0usize);
    for (n, v) in agreeing(best) {
        sum = [sum[0] + n * v[0], sum[1] + n * v[1]];
        weight += n;
        count += 1;
    }
    let norm = sum[0].hypot(sum[1]);
    (count >= MIN_LEAN_PIECES && weight >= MIN_LEAN_AGREEMENT * total && norm > 0.0)
        .then(|| [sum[0] / norm, sum[1] / norm])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_shifts_that_agree_give_the_lean() {
        let shifts = [[20, -20], [14, -15], [30, -28], [1, 1], [-2, 0]];
        let lean = lean_direction(shifts.iter(), 3.0).expect("a lean");
        let expect = std::f64::consts::FRAC_1_SQRT_2;
        assert!((lean[0] - expect).abs() < 0.03 && (lean[1] + expect).abs() < 0.03);
    }

    #[test]
    fn placement_alone_gives_no_lean() {
        // Short shifts in every direction: what placement makes.
        let shifts = [[2, 1], [-2, 2], [1, -2], [-1, -1], [2, 2], [0, 3]];
        assert_eq!(lean_direction(shifts.iter(), 3.0), None);
    }

    #[test]
    fn long_shifts_that_disagree_give_no_lean() {
        let shifts = [[20, 0], [0, 20], [-20, 0], [0, -20], [14, 14], [-14, -14]];
        assert_eq!(lean_direction(shifts.iter(), 3.0), None);
    }

    #[test]
    fn two_pieces_are_not_enough() {
        assert_eq!(lean_direction([[20, 0], [22, 1]].iter(), 3.0), None);
    }
}
