//! Anti-aliased drawing for the board renderer: every shape is a rotated rounded rectangle
//! evaluated through its signed distance, which gives soft shadows, capsules (traces),
//! circles (vias, holes) and bevel shading from one primitive.
use ab_glyph::{Font, PxScale, ScaleFont};
use boarddiff_output::draw::font;
use image::{GrayImage, RgbImage};

/// A rotated rounded rectangle. `half` is the half extent along the shape's own axes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub(crate) centre: [f64; 2],
    pub(crate) angle: f64,
    pub(crate) half: [f64; 2],
    pub(crate) radius: f64,
}

impl Shape {
    pub(crate) fn rect(centre: [f64; 2], angle: f64, half: [f64; 2]) -> Self {
        Self {
            centre,
            angle,
            half,
            radius: 0.0,
        }
    }

    pub(crate) fn circle(centre: [f64; 2], r: f64) -> Self {
        Self {
            centre,
            angle: 0.0,
            half: [r, r],
            radius: r,
        }
    }

    /// A capsule from a to b: traces and wires.
    pub(crate) fn segment(a: [f64; 2], b: [f64; 2], width: f64) -> Self {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        Self {
            centre: [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0],
            angle: dy.atan2(dx),
            half: [len / 2.0 + width / 2.0, width / 2.0],
            radius: width / 2.0,
        }
    }

    /// Local coordinates of a point, in the shape's own axes.
    #[inline]
    pub(crate) fn local(&self, p: [f64; 2]) -> [f64; 2] {
        let (s, c) = self.angle.sin_cos();
        let (dx, dy) = (p[0] - self.centre[0], p[1] - self.centre[1]);
        [c * dx + s * dy, -s * dx + c * dy]
    }

    /// Point in board space from local shape coordinates.
    pub(crate) fn to_world(self, l: [f64; 2]) -> [f64; 2] {
        let (s, c) = self.angle.sin_cos();
        [
            self.centre[0] + c * l[0] - s * l[1],
            self.centre[1] + s * l[0] + c * l[1],
        ]
    }

    #[inline]
    fn sdf(&self, l: [f64; 2]) -> f64 {
        let r = self.radius.min(self.half[0]).min(self.half[1]);
        let qx = l[0].abs() - self.half[0] + r;
        let qy = l[1].abs() - self.half[1] + r;
        let outside = qx.max(0.0).hypot(qy.max(0.0));
        outside + qx.max(qy).min(0.0) - r
    }

    /// Axis-aligned bounds in board space, grown by `pad`.
    pub(crate) fn bounds(&self, pad: f64) -> [f64; 4] {
        let corners = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
            .map(|s| self.to_world([s[0] * self.half[0], s[1] * self.half[1]]));
        let xs = corners.map(|c| c[0]);
        let ys = corners.map(|c| c[1]);
        [
            xs.iter().cloned().fold(f64::MAX, f64::min) - pad,
            ys.iter().cloned().fold(f64::MAX, f64::min) - pad,
            xs.iter().cloned().fold(f64::MIN, f64::max) + pad,
            ys.iter().cloned().fold(f64::MIN, f64::max) + pad,
        ]
    }
}

pub(crate) struct Canvas {
    pub(crate) img: RgbImage,
}

impl Canvas {
    /// Paints `shape` with `shader(local_norm, depth_px) -> (rgb, alpha)`, where local_norm is
    /// in [-1, 1] along each axis and depth_px is how far inside the edge the pixel lies.
    /// `softness` widens the anti-aliased edge (large values give soft shadows).
    pub(crate) fn fill(
        &mut self,
        shape: &Shape,
        softness: f64,
        shader: impl Fn([f64; 2], f64) -> ([f64; 3], f64),
    ) {
        let b = shape.bounds(softness + 1.0);
        let (w, h) = self.img.dimensions();
        let x0 = b[0].floor().max(0.0) as u32;
        let y0 = b[1].floor().max(0.0) as u32;
        let x1 = (b[2].ceil().max(0.0) as u32).min(w);
        let y1 = (b[3].ceil().max(0.0) as u32).min(h);
        for y in y0..y1 {
            for x in x0..x1 {
                let l = shape.local([x as f64, y as f64]);
                let d = shape.sdf(l);
                let coverage = (0.5 - d / softness.max(1.0)).clamp(0.0, 1.0);
                if coverage <= 0.0 {
                    continue;
                }
                let norm = [
                    l[0] / shape.half[0].max(1e-9),
                    l[1] / shape.half[1].max(1e-9),
                ];
                let (rgb, alpha) = shader(norm, -d);
                let a = (alpha * coverage).clamp(0.0, 1.0);
                let px = self.img.get_pixel_mut(x, y);
                for c in 0..3 {
                    let v = px[c] as f64 * (1.0 - a) + rgb[c] * a;
                    px[c] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }

    pub(crate) fn fill_solid(&mut self, shape: &Shape, rgb: [f64; 3], alpha: f64) {
        self.fill(shape, 1.0, |_, _| (rgb, alpha));
    }

    /// Paints the union of `shape` moved by every fraction of `offset` (a part's side
    /// wall as the camera sees it, leaning from its footprint to its top) with `shader`.
    pub(crate) fn fill_swept(
        &mut self,
        shape: &Shape,
        offset: [f64; 2],
        shader: impl Fn([f64; 2], f64) -> ([f64; 3], f64),
    ) {
        self.sweep(shape, offset, 1.0, |px, coverage, norm, depth| {
            let (rgb, alpha) = shader(norm, depth);
            let a = (alpha * coverage).clamp(0.0, 1.0);
            for c in 0..3 {
                px[c] = (px[c] as f64 * (1.0 - a) + rgb[c] * a)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        });
    }

    /// Multiplies the colour under `shape` swept along `offset` by `factor`, with soft
    /// edges: a contact shadow cast away from the light.
    pub(crate) fn shadow(&mut self, shape: &Shape, offset: [f64; 2], softness: f64, factor: f64) {
        self.sweep(shape, offset, softness, |px, coverage, _, _| {
            let f = 1.0 - (1.0 - factor) * coverage;
            for c in 0..3 {
                px[c] = (px[c] as f64 * f).round() as u8;
            }
        });
    }

    /// Visits every pixel under the sweep of `shape` along `offset` with its coverage,
    /// its normalised position in the nearest copy, and its depth inside the edge.
    fn sweep(
        &mut self,
        shape: &Shape,
        offset: [f64; 2],
        softness: f64,
        mut visit: impl FnMut(&mut image::Rgb<u8>, f64, [f64; 2], f64),
    ) {
        let len = offset[0].hypot(offset[1]);
        let step = (0.5 * shape.half[0].min(shape.half[1])).max(0.5);
        let copies = ((len / step).ceil() as usize).clamp(1, 24);
        let moved = |t: f64| Shape {
            centre: [
                shape.centre[0] + t * offset[0],
                shape.centre[1] + t * offset[1],
            ],
            ..*shape
        };
        let (a, b) = (
            moved(0.0).bounds(softness + 1.0),
            moved(1.0).bounds(softness + 1.0),
        );
        let (w, h) = self.img.dimensions();
        let x0 = a[0].min(b[0]).floor().max(0.0) as u32;
        let y0 = a[1].min(b[1]).floor().max(0.0) as u32;
        let x1 = (a[2].max(b[2]).ceil().max(0.0) as u32).min(w);
        let y1 = (a[3].max(b[3]).ceil().max(0.0) as u32).min(h);
        for y in y0..y1 {
            for x in x0..x1 {
                let p = [x as f64, y as f64];
                let (mut d, mut l) = (f64::MAX, [0.0; 2]);
                for k in 0..=copies {
                    let s = moved(k as f64 / copies as f64);
                    let lk = s.local(p);
                    let dk = s.sdf(lk);
                    if dk < d {
                        (d, l) = (dk, lk);
                    }
                }
                let coverage = (0.5 - d / softness.max(1.0)).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    let norm = [
                        l[0] / shape.half[0].max(1e-9),
                        l[1] / shape.half[1].max(1e-9),
                    ];
                    visit(self.img.get_pixel_mut(x, y), coverage, norm, -d);
                }
            }
        }
    }

    /// Multiplies the colour under a soft shape: shadows.
    pub(crate) fn darken(&mut self, shape: &Shape, softness: f64, factor: f64) {
        let b = shape.bounds(softness + 1.0);
        let (w, h) = self.img.dimensions();
        let x0 = b[0].floor().max(0.0) as u32;
        let y0 = b[1].floor().max(0.0) as u32;
        let x1 = (b[2].ceil().max(0.0) as u32).min(w);
        let y1 = (b[3].ceil().max(0.0) as u32).min(h);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = shape.sdf(shape.local([x as f64, y as f64]));
                let coverage = (0.5 - d / softness.max(1.0)).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    let f = 1.0 - (1.0 - factor) * coverage;
                    let px = self.img.get_pixel_mut(x, y);
                    for c in 0..3 {
                        px[c] = (px[c] as f64 * f).round() as u8;
                    }
                }
            }
        }
    }

    /// Draws text centred on `centre`, rotated by `angle`, `height` px tall.
    pub(crate) fn text(
        &mut self,
        text: &str,
        centre: [f64; 2],
        angle: f64,
        height: f64,
        rgb: [f64; 3],
        alpha: f64,
    ) {
        if text.is_empty() || height < 3.0 {
            return;
        }
        let mask = text_mask(text, height);
        let (mw, mh) = mask.dimensions();
        let shape = Shape::rect(centre, angle, [mw as f64 / 2.0, mh as f64 / 2.0]);
        self.fill(&shape, 1.0, |n, _| {
            let mx = (n[0] + 1.0) / 2.0 * (mw as f64 - 1.0);
            let my = (n[1] + 1.0) / 2.0 * (mh as f64 - 1.0);
            let v =
                boarddiff_core::sample::bilinear_gray(&mask, mx, my).unwrap_or(0.0) as f64 / 255.0;
            (rgb, alpha * v)
        });
    }
}

/// Width in px of `text` at `height`.
pub(crate) fn text_width(text: &str, height: f64) -> f64 {
    let scaled = font().as_scaled(PxScale::from(height as f32));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)) as f64)
        .sum()
}

pub(crate) fn text_mask(text: &str, height: f64) -> GrayImage {
    let w = (text_width(text, height).ceil() as u32).max(1) + 2;
    let h = (height.ceil() as u32).max(1) + 2;
    let mut mask = GrayImage::new(w, h);
    imageproc::drawing::draw_text_mut(
        &mut mask,
        image::Luma([255]),
        1,
        1,
        PxScale::from(height as f32),
        font(),
        text,
    );
    mask
}
