//! What a pixel of a board photo is made of: the solder mask (bare board), metal, a
//! part's surface, and whether two pixels show the same surface under another light.
use crate::diff::is_metal;
use image::RgbImage;

/// The solder mask's colour: the most common chromaticity of the reference.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BareBoard {
    chroma: [f32; 3],
    lum: f32,
}

#[inline]
fn chroma_lum(p: [u8; 3]) -> ([f32; 3], f32) {
    let [r, g, b] = p.map(f32::from);
    let l = (r + g + b) / 3.0;
    // The offset keeps dark pixels, whose hue is mostly noise, near grey.
    let k = 1.0 / (l + 16.0);
    ([(r - l) * k, (g - l) * k, (b - l) * k], l)
}

impl BareBoard {
    pub(crate) fn of(reference: &RgbImage) -> Self {
        const BIN: f32 = 0.05;
        let raw = reference.as_raw();
        let n = raw.len() / 3;
        let step = (n / 200_000).max(1);
        let key = |c: [f32; 3]| {
            let q = |v: f32| ((v / BIN).round() as i32).clamp(-40, 40) + 40;
            (q(c[0]) * 81 + q(c[1])) as usize
        };
        let mut counts = vec![0u32; 81 * 81];
        let samples: Vec<([f32; 3], f32)> = (0..n)
            .step_by(step)
            .map(|i| chroma_lum([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]]))
            .filter(|(_, l)| *l >= 20.0)
            .collect();
        for (c, _) in &samples {
            counts[key(*c)] += 1;
        }
        let Some(mode) = (0..counts.len()).max_by_key(|&k| counts[k]) else {
            return Self {
                chroma: [0.0; 3],
                lum: 128.0,
            };
        };
        let mut chroma = [0f32; 3];
        let mut lums: Vec<f32> = Vec::new();
        for (c, l) in samples.iter().filter(|(c, _)| key(*c) == mode) {
            for k in 0..3 {
                chroma[k] += c[k];
            }
            lums.push(*l);
        }
        let m = lums.len().max(1) as f32;
        lums.sort_by(f32::total_cmp);
        Self {
            chroma: chroma.map(|v| v / m),
            lum: lums.get(lums.len() / 2).copied().unwrap_or(128.0),
        }
    }

    /// The share of the reference that is part bodies: neither mask (nor traces under
    /// it), metal, nor silkscreen. A bare PCB has almost none; nothing on it can move.
    pub(crate) fn part_share(&self, reference: &RgbImage) -> f64 {
        let raw = reference.as_raw();
        let n = raw.len() / 3;
        let step = (n / 100_000).max(1);
        let (mut parts, mut total) = (0usize, 0usize);
        for i in (0..n).step_by(step) {
            let p = [raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]];
            total += 1;
            let lum = p.iter().map(|&v| v as u32).sum::<u32>() / 3;
            if !self.is_bare(p) && !is_metal(p) && lum < 180 {
                parts += 1;
            }
        }
        parts as f64 / total.max(1) as f64
    }

    /// Mask colour under any light a second photo brings: the same hue, brighter or
    /// darker. Shadows wash hue out (noise and JPEG's shared chroma), so the hue's
    /// direction must match and its strength may drop to a third.
    #[inline]
    pub(super) fn is_bare(&self, p: [u8; 3]) -> bool {
        let (chroma, lum) = chroma_lum(p);
        self.is_bare_hue(chroma, lum)
    }

    #[inline]
    pub(super) fn is_bare_surface(&self, s: &Surface) -> bool {
        self.is_bare_hue(s.chroma, s.lum)
    }

    #[inline]
    fn is_bare_hue(&self, c: [f32; 3], l: f32) -> bool {
        let ratio = (l + 8.0) / (self.lum + 8.0);
        if !(0.2..=2.2).contains(&ratio) {
            return false;
        }
        let dot: f32 = (0..3).map(|k| c[k] * self.chroma[k]).sum();
        let (n, nb) = (norm(c), norm(self.chroma));
        if nb < 0.1 {
            // A grey or black mask: only the brightness tells.
            return n < 0.1;
        }
        n >= 0.3 * nb && n <= 1.6 * nb && dot >= 0.9 * n * nb
    }
}

/// What the material tests read of one pixel, worked out once per window: the shift
/// search asks them of the same pixels hundreds of times.
#[derive(Clone, Copy)]
pub(super) struct Surface {
    chroma: [f32; 3],
    pub(super) lum: f32,
    pub(super) metal: bool,
    bright: bool,
}

impl Surface {
    #[inline]
    pub(super) fn of(p: [u8; 3]) -> Self {
        let (chroma, lum) = chroma_lum(p);
        Self {
            chroma,
            lum,
            metal: is_metal(p),
            bright: p.iter().map(|&v| v as u32).sum::<u32>() >= 3 * 120,
        }
    }
}

/// A surface under another light: a metal can, a gold pad, a part's body. The same hue
/// in both photos, one of them lit, within the brightness a turned light makes. Dark
/// material on dark material is not relit: that is where a chip glued on a chip hides.
#[inline]
pub(super) fn relit(r: &Surface, s: &Surface) -> bool {
    let (cr, lr) = (r.chroma, r.lum);
    let (cs, ls) = (s.chroma, s.lum);
    let ratio = (ls + 8.0) / (lr + 8.0);
    let d = norm([cr[0] - cs[0], cr[1] - cs[1], cr[2] - cs[2]]);
    d < 0.1 && lr.max(ls) >= 100.0 && (0.45..=2.2).contains(&ratio)
}

/// The same surface once the part moved: relit, or metal that is bright in the other
/// photo too, whose glint took the colour of whatever the light now reflects.
#[inline]
pub(super) fn same_material(r: &Surface, s: &Surface) -> bool {
    (r.metal && s.bright) || (r.bright && s.metal) || relit(r, s)
}

#[inline]
fn norm(c: [f32; 3]) -> f32 {
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
}
