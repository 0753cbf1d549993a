//! A smooth, bounded correction on top of the homography, for lens distortion and board
//! flex. It is fitted to patch residuals with heavy smoothing and a magnitude cap, so that
//! it can bend the mapping by a few pixels over large areas but never move one part.
use super::refine::PatchMatch;
use crate::geometry::Homography;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ResidualField {
    pub(crate) cols: usize,
    pub(crate) rows: usize,
    /// Spacing of the grid nodes in reference pixels; node (0, 0) is at reference (0, 0).
    pub(crate) cell_w: f64,
    pub(crate) cell_h: f64,
    /// Row-major displacement, in suspect pixels, added after the homography.
    pub(crate) offsets: Vec<[f32; 2]>,
}

pub(crate) const MAX_FIELD_PX: f64 = 6.0;

impl ResidualField {
    pub(crate) fn fit(
        width: u32,
        height: u32,
        matches: &[PatchMatch],
        model: &Homography,
    ) -> Option<Self> {
        if matches.len() < 30 {
            return None;
        }
        let (cols, rows) = (17usize, 13usize);
        let cell_w = (width as f64 - 1.0) / (cols - 1) as f64;
        let cell_h = (height as f64 - 1.0) / (rows - 1) as f64;
        let res: Vec<([f64; 2], [f64; 2])> = matches
            .iter()
            .map(|m| {
                let p = model.apply(m.pos_in_reference);
                (
                    m.pos_in_reference,
                    [m.pos_in_suspect[0] - p[0], m.pos_in_suspect[1] - p[1]],
                )
            })
            .collect();
        // Residuals far from the typical magnitude are mismatches, not distortion.
        let mut mags: Vec<f64> = res.iter().map(|(_, r)| r[0].hypot(r[1])).collect();
        mags.sort_by(f64::total_cmp);
        let cutoff = (4.0 * mags[mags.len() / 2]).max(1.0);
        let sigma_x = 1.5 * cell_w;
        let sigma_y = 1.5 * cell_h;
        // The prior weight pulls nodes without nearby evidence back to zero.
        let prior = 1.5;
        let mut offsets = Vec::with_capacity(cols * rows);
        for j in 0..rows {
            for i in 0..cols {
                let node = [i as f64 * cell_w, j as f64 * cell_h];
                let (mut sx, mut sy, mut sw) = (0.0, 0.0, prior);
                for (p, r) in &res {
                    if r[0].hypot(r[1]) > cutoff {
                        continue;
                    }
                    let dx = (p[0] - node[0]) / sigma_x;
                    let dy = (p[1] - node[1]) / sigma_y;
                    let w = (-0.5 * (dx * dx + dy * dy)).exp();
                    sx += w * r[0];
                    sy += w * r[1];
                    sw += w;
                }
                let (mut ox, mut oy) = (sx / sw, sy / sw);
                let mag = ox.hypot(oy);
                if mag > MAX_FIELD_PX {
                    ox *= MAX_FIELD_PX / mag;
                    oy *= MAX_FIELD_PX / mag;
                }
                offsets.push([ox as f32, oy as f32]);
            }
        }
        Some(Self {
            cols,
            rows,
            cell_w,
            cell_h,
            offsets,
        })
    }

    /// A field from a file: a grid of at least 2x2 nodes with one finite offset each, no
    /// larger than fitting makes them.
    pub(crate) fn check(&self) -> Result<(), String> {
        let bad = |what: &str| Err(format!("the residual field {what}"));
        if self.cols < 2 || self.rows < 2 || self.cols > 1000 || self.rows > 1000 {
            return bad("needs between 2x2 and 1000x1000 nodes");
        }
        if self.offsets.len() != self.cols * self.rows {
            return bad("has a different number of offsets than nodes");
        }
        if !(self.cell_w.is_finite() && self.cell_h.is_finite())
            || self.cell_w < 1.0
            || self.cell_h < 1.0
        {
            return bad("has a node spacing that is not a number of at least 1 px");
        }
        let limit = MAX_FIELD_PX as f32 * 1.001;
        if self
            .offsets
            .iter()
            .any(|o| !(o[0].is_finite() && o[1].is_finite()) || o[0].hypot(o[1]) > limit)
        {
            return bad(&format!(
                "has an offset that is not a number up to {MAX_FIELD_PX} px"
            ));
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn offset_at(&self, pos_in_reference: [f64; 2]) -> [f64; 2] {
        let gx = (pos_in_reference[0] / self.cell_w).clamp(0.0, (self.cols - 1) as f64);
        let gy = (pos_in_reference[1] / self.cell_h).clamp(0.0, (self.rows - 1) as f64);
        let (x0, y0) = (
            (gx as usize).min(self.cols - 2),
            (gy as usize).min(self.rows - 2),
        );
        let (fx, fy) = (gx - x0 as f64, gy - y0 as f64);
        let at = |x: usize, y: usize| self.offsets[y * self.cols + x];
        let mut out = [0.0; 2];
        for (k, o) in out.iter_mut().enumerate() {
            let a = at(x0, y0)[k] as f64;
            let b = at(x0 + 1, y0)[k] as f64;
            let c = at(x0, y0 + 1)[k] as f64;
            let d = at(x0 + 1, y0 + 1)[k] as f64;
            *o = (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy;
        }
        out
    }

    pub(crate) fn max_offset(&self) -> f64 {
        self.offsets
            .iter()
            .map(|o| (o[0] as f64).hypot(o[1] as f64))
            .fold(0.0, f64::max)
    }
}
