//! Planar projective geometry. A [`Homography`] maps pixel positions between two named
//! frames; pixel centres sit at integer coordinates (the OpenCV convention).
use nalgebra::{DMatrix, Matrix3, Vector3};
use serde::{Deserialize, Serialize};

/// Serialised as row-major 3x3 rows, the shape `report.json` promises.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "[[f64; 3]; 3]", into = "[[f64; 3]; 3]")]
pub struct Homography(pub Matrix3<f64>);

impl From<[[f64; 3]; 3]> for Homography {
    fn from(rows: [[f64; 3]; 3]) -> Self {
        Homography::from_rows(rows)
    }
}

impl From<Homography> for [[f64; 3]; 3] {
    fn from(h: Homography) -> Self {
        h.to_rows()
    }
}

impl Homography {
    pub fn identity() -> Self {
        Self(Matrix3::identity())
    }

    pub fn from_rows(rows: [[f64; 3]; 3]) -> Self {
        let mut m = Matrix3::zeros();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                m[(r, c)] = *v;
            }
        }
        Self(m).normalized()
    }

    pub fn to_rows(&self) -> [[f64; 3]; 3] {
        let m = self.normalized().0;
        [
            [m[(0, 0)], m[(0, 1)], m[(0, 2)]],
            [m[(1, 0)], m[(1, 1)], m[(1, 2)]],
            [m[(2, 0)], m[(2, 1)], m[(2, 2)]],
        ]
    }

    /// Maps pixel centres of an image to those of a copy resized by (sx, sy):
    /// x' = (x + 0.5) * sx - 0.5.
    pub(crate) fn resize(sx: f64, sy: f64) -> Self {
        Self(Matrix3::new(
            sx,
            0.0,
            0.5 * sx - 0.5,
            0.0,
            sy,
            0.5 * sy - 0.5,
            0.0,
            0.0,
            1.0,
        ))
    }

    pub fn translation(tx: f64, ty: f64) -> Self {
        Self(Matrix3::new(1.0, 0.0, tx, 0.0, 1.0, ty, 0.0, 0.0, 1.0))
    }

    pub fn similarity(scale: f64, angle_rad: f64, tx: f64, ty: f64) -> Self {
        let (s, c) = angle_rad.sin_cos();
        Self(Matrix3::new(
            scale * c,
            -scale * s,
            tx,
            scale * s,
            scale * c,
            ty,
            0.0,
            0.0,
            1.0,
        ))
    }

    /// `a.then(b)` applies `a` first, then `b`.
    pub fn then(&self, next: &Homography) -> Homography {
        Homography(next.0 * self.0).normalized()
    }

    pub fn inverse(&self) -> Option<Homography> {
        self.0.try_inverse().map(|m| Homography(m).normalized())
    }

    pub(crate) fn normalized(&self) -> Homography {
        let s = self.0[(2, 2)];
        if s.abs() > 1e-12 {
            Homography(self.0 / s)
        } else {
            *self
        }
    }

    #[inline]
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let m = &self.0;
        let w = m[(2, 0)] * p[0] + m[(2, 1)] * p[1] + m[(2, 2)];
        let x = m[(0, 0)] * p[0] + m[(0, 1)] * p[1] + m[(0, 2)];
        let y = m[(1, 0)] * p[0] + m[(1, 1)] * p[1] + m[(1, 2)];
        [x / w, y / w]
    }

    /// Local linear scale (sqrt of the Jacobian determinant) at a point.
    pub fn local_scale(&self, p: [f64; 2]) -> f64 {
        let e = 0.5;
        let a = self.apply([p[0] - e, p[1]]);
        let b = self.apply([p[0] + e, p[1]]);
        let c = self.apply([p[0], p[1] - e]);
        let d = self.apply([p[0], p[1] + e]);
        let (jx, jy) = ([b[0] - a[0], b[1] - a[1]], [d[0] - c[0], d[1] - c[1]]);
        (jx[0] * jy[1] - jx[1] * jy[0]).abs().sqrt()
    }

    pub(crate) fn is_finite(&self) -> bool {
        self.0.iter().all(|v| v.is_finite())
    }
}

/// Least-squares homography from >= 4 correspondences `dst ~ H src`, with Hartley
/// normalisation and optional per-point weights. None when degenerate.
pub(crate) fn fit_homography(
    src: &[[f64; 2]],
    dst: &[[f64; 2]],
    weights: Option<&[f64]>,
) -> Option<Homography> {
    let n = src.len();
    if n < 4 || dst.len() != n {
        return None;
    }
    let ts = normalizer(src)?;
    let td = normalizer(dst)?;
    let mut a = DMatrix::<f64>::zeros(2 * n, 9);
    for i in 0..n {
        let w = weights.map_or(1.0, |w| w[i]).sqrt();
        let s = ts.apply(src[i]);
        let d = td.apply(dst[i]);
        let (x, y, u, v) = (s[0], s[1], d[0], d[1]);
        let r0 = [-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u];
        let r1 = [0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v];
        for c in 0..9 {
            a[(2 * i, c)] = r0[c] * w;
            a[(2 * i + 1, c)] = r1[c] * w;
        }
    }
    // The null vector of A is the eigenvector of A^T A with the smallest eigenvalue; the 9x9
    // normal matrix keeps the SVD cheap for thousands of points.
    let ata = a.transpose() * &a;
    let eig = nalgebra::SymmetricEigen::new(ata);
    let (min_idx, _) = eig
        .eigenvalues
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))?;
    let h = eig.eigenvectors.column(min_idx);
    let hn = Matrix3::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
    let td_inv = td.0.try_inverse()?;
    let m = td_inv * hn * ts.0;
    let out = Homography(m).normalized();
    out.is_finite().then_some(out)
}

/// Least-squares affine map from >= 3 correspondences, optionally weighted: the model for
/// registered pairs, where a few textured patches cannot pin down perspective terms.
pub(crate) fn fit_affine(
    src: &[[f64; 2]],
    dst: &[[f64; 2]],
    weights: Option<&[f64]>,
) -> Option<Homography> {
    let n = src.len();
    if n < 3 || dst.len() != n {
        return None;
    }
    let ts = normalizer(src)?;
    let mut ata = Matrix3::<f64>::zeros();
    let (mut atu, mut atv) = (Vector3::<f64>::zeros(), Vector3::<f64>::zeros());
    for i in 0..n {
        let w = weights.map_or(1.0, |w| w[i]);
        let row = vec3(ts.apply(src[i]));
        ata += w * row * row.transpose();
        atu += w * dst[i][0] * row;
        atv += w * dst[i][1] * row;
    }
    let inv = ata.try_inverse()?;
    let (a, b) = (inv * atu, inv * atv);
    let m = Matrix3::new(a[0], a[1], a[2], b[0], b[1], b[2], 0.0, 0.0, 1.0) * ts.0;
    let out = Homography(m);
    out.is_finite().then_some(out)
}

fn normalizer(pts: &[[f64; 2]]) -> Option<Homography> {
    let n = pts.len() as f64;
    let (mx, my) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p[0], a.1 + p[1]));
    let (mx, my) = (mx / n, my / n);
    let mean_dist = pts
        .iter()
        .map(|p| ((p[0] - mx).powi(2) + (p[1] - my).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    if mean_dist < 1e-9 {
        return None;
    }
    let s = std::f64::consts::SQRT_2 / mean_dist;
    Some(Homography(Matrix3::new(
        s,
        0.0,
        -s * mx,
        0.0,
        s,
        -s * my,
        0.0,
        0.0,
        1.0,
    )))
}

/// Mean distance between two mappings over an n x n grid of reference points inside
/// `width x height`: the accuracy measure used in tests and evaluation.
pub fn mean_grid_error(
    width: u32,
    height: u32,
    n: usize,
    truth: impl Fn([f64; 2]) -> [f64; 2],
    estimate: impl Fn([f64; 2]) -> [f64; 2],
) -> f64 {
    let mut sum = 0.0;
    for j in 0..n {
        for i in 0..n {
            let p = [
                (i as f64 + 0.5) / n as f64 * (width as f64 - 1.0),
                (j as f64 + 0.5) / n as f64 * (height as f64 - 1.0),
            ];
            let a = truth(p);
            let b = estimate(p);
            sum += ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        }
    }
    sum / (n * n) as f64
}

pub(crate) fn vec3(p: [f64; 2]) -> Vector3<f64> {
    Vector3::new(p[0], p[1], 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_known_homography() {
        let truth =
            Homography::from_rows([[1.02, 0.05, 12.0], [-0.03, 0.98, -7.0], [1e-5, -2e-5, 1.0]]);
        let src: Vec<[f64; 2]> = (0..30)
            .map(|i| [(i * 37 % 500) as f64, (i * 91 % 400) as f64])
            .collect();
        let dst: Vec<[f64; 2]> = src.iter().map(|p| truth.apply(*p)).collect();
        let fit = fit_homography(&src, &dst, None).unwrap();
        for p in &src {
            let a = truth.apply(*p);
            let b = fit.apply(*p);
            assert!((a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6);
        }
    }

    #[test]
    fn resize_maps_pixel_centres() {
        let h = Homography::resize(0.5, 0.5);
        // Full-res pixels 0 and 1 average into half-res pixel 0, whose centre is 0.5 full-res.
        let p = h.apply([0.5, 0.5]);
        assert!(p[0].abs() < 1e-12 && p[1].abs() < 1e-12);
        let back = h.inverse().unwrap().apply([0.0, 0.0]);
        assert!((back[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn then_composes_in_order() {
        let a = Homography::translation(3.0, 0.0);
        let b = Homography::similarity(2.0, 0.0, 0.0, 0.0);
        let p = a.then(&b).apply([1.0, 1.0]);
        assert!((p[0] - 8.0).abs() < 1e-12 && (p[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn affine_fit_recovers_an_affine_map() {
        let truth =
            Homography::from_rows([[1.01, 0.02, 3.5], [-0.015, 0.99, -2.25], [0.0, 0.0, 1.0]]);
        let src: Vec<[f64; 2]> = (0..5)
            .flat_map(|j| (0..5).map(move |i| [i as f64 * 100.0, j as f64 * 80.0]))
            .collect();
        let dst: Vec<[f64; 2]> = src.iter().map(|p| truth.apply(*p)).collect();
        let fit = fit_affine(&src, &dst, None).expect("well-posed");
        for p in &src {
            let (a, b) = (fit.apply(*p), truth.apply(*p));
            assert!((a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6);
        }
        assert!(fit_affine(&src[..2], &dst[..2], None).is_none());
    }
}
