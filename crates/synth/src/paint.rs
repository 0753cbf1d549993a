//! Paints a [`Layout`] into a board-space image that looks like an assembled board seen
//! from a [`Viewpoint`]: textured solder mask, copper showing through it, tinned or gold
//! pads, silkscreen, and parts whose tops lean with the camera, whose side walls show on
//! one side, shaded and casting contact shadows by the light's direction, with glints on
//! the solder that differ from board to board.
use crate::canvas::{Canvas, Shape};
use crate::layout::{Layout, Part, PartKind};
use crate::variation::{Finish, Viewpoint};
use boarddiff_core::rng::Rng;
use image::RgbImage;
use rayon::prelude::*;

/// Smooth value noise on a lattice; `cell` is the feature size in px.
pub(crate) struct ValueNoise {
    cols: usize,
    cell: f64,
    values: Vec<f32>,
}

impl ValueNoise {
    pub fn new(width: u32, height: u32, cell: f64, rng: &mut Rng) -> Self {
        let cols = (width as f64 / cell).ceil() as usize + 2;
        let rows = (height as f64 / cell).ceil() as usize + 2;
        let values = (0..cols * rows)
            .map(|_| rng.range(-1.0, 1.0) as f32)
            .collect();
        Self { cols, cell, values }
    }

    #[inline]
    pub(crate) fn at(&self, x: f64, y: f64) -> f32 {
        let gx = x / self.cell;
        let gy = y / self.cell;
        let (x0, y0) = (gx as usize, gy as usize);
        let smooth = |t: f64| (t * t * (3.0 - 2.0 * t)) as f32;
        let (fx, fy) = (smooth(gx - x0 as f64), smooth(gy - y0 as f64));
        let v = |i: usize, j: usize| self.values[j * self.cols + i];
        let top = v(x0, y0) + (v(x0 + 1, y0) - v(x0, y0)) * fx;
        let bottom = v(x0, y0 + 1) + (v(x0 + 1, y0 + 1) - v(x0, y0 + 1)) * fx;
        top + (bottom - top) * fy
    }
}

/// The board straight from above under the plain light; `board_seed` varies the fine
/// mask texture and the glints on solder.
pub fn paint(layout: &Layout, board_seed: u64) -> RgbImage {
    paint_seen(
        layout,
        board_seed,
        &Viewpoint::top_down(),
        &Finish::plain(board_seed),
    )
}

/// One physical board (`board_seed`, its surface `finish`) seen from `view`.
pub fn paint_seen(layout: &Layout, board_seed: u64, view: &Viewpoint, finish: &Finish) -> RgbImage {
    let mut rng = Rng::new(board_seed);
    let mut glints = Rng::new(finish.glint_seed);
    let (w, h) = (layout.width, layout.height);
    let ppm = layout.px_per_mm;
    let mottling = ValueNoise::new(w, h, 40.0 * ppm, &mut Rng::new(7));
    let grain = ValueNoise::new(w, h, 0.25 * ppm, &mut rng.fork(1));
    let mask = [0, 1, 2].map(|c| layout.mask_rgb[c] * finish.mask_gain[c]);
    let b = layout.board;
    let table = ValueNoise::new(w, h, 8.0 * ppm, &mut Rng::new(11));
    let mut img = RgbImage::new(w, h);
    img.par_chunks_mut(3 * w as usize)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let (xf, yf) = (x as f64, y as f64);
                let on_board = xf >= b[0] && xf <= b[2] && yf >= b[1] && yf <= b[3];
                let rgb = if on_board {
                    let m = 1.0 + 0.07 * mottling.at(xf, yf) + 0.035 * grain.at(xf, yf);
                    [mask[0] * m as f64, mask[1] * m as f64, mask[2] * m as f64]
                } else {
                    let t = 1.0 + 0.08 * table.at(xf, yf) as f64;
                    [58.0 * t, 56.0 * t, 54.0 * t]
                };
                for c in 0..3 {
                    px[c] = rgb[c].clamp(0.0, 255.0) as u8;
                }
            }
        });
    let mut canvas = Canvas { img };
    let board_shape = Shape::rect(
        [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0],
        0.0,
        [(b[2] - b[0]) / 2.0, (b[3] - b[1]) / 2.0],
    );
    // The board edge: a darker bevel, the fibreglass showing.
    canvas.fill(&board_shape, 1.0, |_, depth| {
        let edge = (1.0 - depth / (0.4 * ppm)).clamp(0.0, 1.0);
        ([150.0, 150.0, 110.0], 0.5 * edge)
    });
    let copper = [mask[0] * 1.55 + 8.0, mask[1] * 1.45, mask[2] * 1.4];
    for (points, width) in &layout.traces {
        for seg in points.windows(2) {
            canvas.fill_solid(&Shape::segment(seg[0], seg[1], *width), copper, 0.85);
        }
    }
    let pad_rgb = if layout.gold_finish {
        [214.0, 172.0, 92.0]
    } else {
        [196.0, 196.0, 188.0]
    };
    for v in &layout.vias {
        canvas.fill_solid(&Shape::circle(*v, 0.33 * ppm), copper, 0.95);
        canvas.fill_solid(&Shape::circle(*v, 0.14 * ppm), [18.0, 24.0, 18.0], 0.95);
    }
    for hole in &layout.holes {
        canvas.fill_solid(&Shape::circle(*hole, 3.2 * ppm), pad_rgb, 1.0);
        canvas.fill_solid(&Shape::circle(*hole, 1.6 * ppm), [30.0, 30.0, 32.0], 1.0);
    }
    // Parts without a designator are not in the design (implants): no pads, no silkscreen.
    let designed = || layout.parts.iter().filter(|p| !p.designator.is_empty());
    for part in designed() {
        paint_pads(&mut canvas, &part.as_designed(), ppm, pad_rgb);
    }
    let silk = [236.0, 238.0, 230.0].map(|v| v * finish.silk_gain[1]);
    for part in designed() {
        paint_silkscreen(&mut canvas, &part.as_designed(), ppm, silk);
    }
    for (text, c, height) in &layout.labels {
        let ink = [232.0, 234.0, 226.0].map(|v| v * finish.silk_gain[1]);
        canvas.text(text, *c, 0.0, *height, ink, 0.92);
    }
    let populated: Vec<Part> = layout
        .parts
        .iter()
        .filter(|p| p.populated)
        .map(Part::placed)
        .collect();
    // Every shadow first, so that no shadow darkens a part drawn before it.
    for part in &populated {
        paint_shadow(&mut canvas, part, ppm, view);
    }
    for part in &populated {
        paint_part(&mut canvas, part, ppm, view, &mut glints);
    }
    canvas.img
}

fn paint_pads(canvas: &mut Canvas, part: &Part, ppm: f64, pad_rgb: [f64; 3]) {
    let frame = Shape::rect(part.centre, part.angle, [1.0, 1.0]);
    for (c, half) in part.footprint(ppm).pads {
        let shape = Shape {
            centre: frame.to_world(c),
            angle: part.angle,
            half,
            radius: 0.08 * ppm,
        };
        canvas.fill(&shape, 1.0, |n, _| {
            let shade = 1.0 - 0.12 * (n[0] * n[0] + n[1] * n[1]);
            (pad_rgb.map(|v| v * shade), 1.0)
        });
    }
}

fn paint_silkscreen(canvas: &mut Canvas, part: &Part, ppm: f64, silk: [f64; 3]) {
    let ext = part.extent_half(ppm);
    let outline = [ext[0] + 0.35 * ppm, ext[1] + 0.35 * ppm];
    let frame = Shape::rect(part.centre, part.angle, outline);
    let line = 0.15 * ppm;
    let corners = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
        .map(|s| frame.to_world([s[0] * outline[0], s[1] * outline[1]]));
    let big = matches!(
        part.kind,
        PartKind::Soic { .. }
            | PartKind::Qfp { .. }
            | PartKind::Header { .. }
            | PartKind::Sot23
            | PartKind::Crystal
            | PartKind::Electrolytic { .. }
    );
    if big {
        for i in 0..4 {
            canvas.fill_solid(
                &Shape::segment(corners[i], corners[(i + 1) % 4], line),
                silk,
                0.9,
            );
        }
        if matches!(part.kind, PartKind::Soic { .. } | PartKind::Qfp { .. }) {
            let dot = frame.to_world([-outline[0] - 0.5 * ppm, -outline[1] - 0.5 * ppm]);
            canvas.fill_solid(&Shape::circle(dot, 0.3 * ppm), silk, 0.9);
        }
    }
    let text_h = if big { 1.4 * ppm } else { 0.9 * ppm };
    let upright = (part.angle / std::f64::consts::FRAC_PI_2).round() as i64 % 2 == 0;
    let offset = if upright {
        [0.0, -(outline[1] + text_h * 0.6).max(ext[1])]
    } else {
        [0.0, -(outline[0] + text_h * 0.6)]
    };
    let pos = [part.centre[0] + offset[0], part.centre[1] + offset[1]];
    canvas.text(&part.designator, pos, 0.0, text_h, silk, 0.88);
}

/// The contact shadow: the part's footprint swept away from the light, as far as its
/// height casts it.
fn paint_shadow(canvas: &mut Canvas, part: &Part, ppm: f64, view: &Viewpoint) {
    let fp = part.footprint(ppm);
    let frame = Shape::rect(part.centre, part.angle, fp.body_half);
    let h = part.height_mm();
    let reach = h * view.shadow_per_mm() * ppm;
    let away = view.towards_light().map(|v| -v * reach);
    let widest = (0.6 * fp.body_half[0].min(fp.body_half[1])).max(1.5);
    let softness = (0.25 * h * ppm).clamp(1.5, widest);
    canvas.shadow(&frame, away, softness, 0.55);
}

/// The light's direction in a part's own axes.
fn light_in_part(view: &Viewpoint, part: &Part) -> [f64; 2] {
    let [lx, ly] = view.towards_light();
    let (s, c) = part.angle.sin_cos();
    [c * lx + s * ly, -s * lx + c * ly]
}

fn paint_part(canvas: &mut Canvas, part: &Part, ppm: f64, view: &Viewpoint, rng: &mut Rng) {
    let fp = part.footprint(ppm);
    let h = part.height_mm();
    // Where the top appears: it leans with the camera, by its height.
    let lean = view.lean_per_mm.map(|v| v * h * ppm);
    let base = Shape::rect(part.centre, part.angle, fp.body_half);
    let frame = Shape {
        centre: [part.centre[0] + lean[0], part.centre[1] + lean[1]],
        ..base
    };
    let metal = [178.0, 178.0, 174.0];
    let ll = light_in_part(view, part);
    let lit = |n: [f64; 2]| n[0] * ll[0] + n[1] * ll[1];
    // Leads sit low: a quarter of the lean.
    let lead_lean = lean.map(|v| 0.25 * v);
    for (c, half) in &fp.leads {
        let centre = base.to_world(*c);
        let shape = Shape {
            centre: [centre[0] + lead_lean[0], centre[1] + lead_lean[1]],
            angle: part.angle,
            half: *half,
            radius: 0.0,
        };
        canvas.fill(&shape, 1.0, |n, _| {
            (metal.map(|v| v * (1.08 - 0.18 * n[1].abs())), 1.0)
        });
    }
    // The side wall facing the camera: the body from its footprint up to its top, in the
    // body's colour, lit by how the wall faces the light.
    if lean[0].hypot(lean[1]) >= 0.3 {
        let wall_rgb = match part.kind {
            PartKind::Electrolytic { .. } => [168.0, 170.0, 176.0],
            _ => part.body_rgb,
        };
        let facing = {
            let len = lean[0].hypot(lean[1]);
            let [lx, ly] = view.towards_light();
            -(lean[0] * lx + lean[1] * ly) / len
        };
        let shade = 0.62 + 0.2 * facing;
        let radius = match part.kind {
            PartKind::Electrolytic { .. } => fp.body_half[0] * 0.95,
            PartKind::Crystal => 0.8 * ppm,
            _ => 0.1 * ppm,
        };
        canvas.fill_swept(&Shape { radius, ..base }, lean, |n, _| {
            (wall_rgb.map(|v| v * shade * (1.0 - 0.08 * n[1].abs())), 1.0)
        });
    }
    let body_rgb = part.body_rgb;
    match &part.kind {
        PartKind::Resistor(_) | PartKind::Capacitor(_) => {
            let cap = 0.22;
            // Where the fillet's highlight sits: its own shape, and the light.
            let glint = rng.range(0.0, 1.0) + 0.3 * ll[1];
            canvas.fill(
                &Shape {
                    radius: 0.05 * ppm,
                    ..frame
                },
                1.0,
                |n, _| {
                    if n[0].abs() > 1.0 - cap {
                        // Tinned end cap with a fillet whose highlight differs from board to board.
                        let g = (-(n[1] - (glint - 0.5)).powi(2) * 8.0).exp() * 40.0;
                        (
                            metal.map(|v| (v * (1.05 - 0.2 * n[1].abs()) + g).min(255.0)),
                            1.0,
                        )
                    } else {
                        (
                            body_rgb.map(|v| v * (1.1 - 0.25 * n[1].abs() + 0.06 * lit(n))),
                            1.0,
                        )
                    }
                },
            );
            if !part.marking.is_empty() && fp.body_half[1] > 0.5 * ppm * 0.7 {
                canvas.text(
                    &part.marking,
                    frame.centre,
                    part.angle,
                    fp.body_half[1] * 1.5,
                    [225.0, 225.0, 220.0],
                    0.9,
                );
            }
        }
        PartKind::Electrolytic { .. } => {
            canvas.fill(
                &Shape {
                    radius: 0.3 * ppm,
                    ..frame
                },
                1.0,
                |_, _| ([35.0, 35.0, 38.0], 1.0),
            );
            let r = fp.body_half[0] * 0.92;
            let [lx, ly] = view.towards_light();
            canvas.fill(&Shape::circle(frame.centre, r), 1.0, |n, _| {
                let light = 0.975 + 0.175 * (n[0] * lx + n[1] * ly);
                // The can's top catches the light where it faces it.
                let (gx, gy) = (n[0] - 0.5 * lx, n[1] - 0.5 * ly);
                let glint = (-(gx * gx + gy * gy) * 10.0).exp() * 45.0;
                if n[0] < -0.55 {
                    ([25.0, 25.0, 60.0], 1.0)
                } else {
                    (body_rgb.map(|v| (v * light + glint).min(255.0)), 1.0)
                }
            });
            let s = r * 0.5;
            canvas.fill_solid(
                &Shape::segment(
                    [frame.centre[0] - s, frame.centre[1]],
                    [frame.centre[0] + s, frame.centre[1]],
                    0.15 * ppm,
                ),
                [120.0, 120.0, 125.0],
                0.9,
            );
            canvas.fill_solid(
                &Shape::segment(
                    [frame.centre[0], frame.centre[1] - s],
                    [frame.centre[0], frame.centre[1] + s],
                    0.15 * ppm,
                ),
                [120.0, 120.0, 125.0],
                0.9,
            );
        }
        PartKind::Header { cols, rows } => {
            canvas.fill(
                &Shape {
                    radius: 0.2 * ppm,
                    ..frame
                },
                1.0,
                |n, _| {
                    (
                        body_rgb.map(|v| v * (1.2 - 0.3 * n[1].abs() + 0.05 * lit(n))),
                        1.0,
                    )
                },
            );
            let pitch = 2.54 * ppm * part.body_scale;
            for j in 0..*rows {
                for i in 0..*cols {
                    let l = [
                        (i as f64 - (*cols as f64 - 1.0) / 2.0) * pitch,
                        (j as f64 - (*rows as f64 - 1.0) / 2.0) * pitch,
                    ];
                    let pin = Shape {
                        centre: frame.to_world(l),
                        angle: part.angle,
                        half: [0.35 * ppm, 0.35 * ppm],
                        radius: 0.05 * ppm,
                    };
                    canvas.fill(&pin, 1.0, |n, _| {
                        ([214.0, 176.0, 96.0].map(|v| v * (1.0 + 0.15 * lit(n))), 1.0)
                    });
                }
            }
        }
        _ => {
            let radius = if matches!(part.kind, PartKind::Crystal) {
                0.8 * ppm
            } else {
                0.15 * ppm
            };
            let bevel = 0.25 * ppm;
            canvas.fill(&Shape { radius, ..frame }, 1.0, |n, depth| {
                let edge = (depth / bevel).clamp(0.0, 1.0);
                let light = 0.75 + 0.25 * edge + 0.06 * lit(n);
                (
                    body_rgb.map(|v| (v * light + 6.0 * (1.0 - edge)).min(255.0)),
                    1.0,
                )
            });
            let lines: Vec<&str> = part.marking.split('\n').collect();
            let text_h = (fp.body_half[1] * 0.45)
                .min(fp.body_half[0] * 2.0 / (part.marking.len().max(3) as f64 * 0.7))
                .min(1.8 * ppm);
            let ink = if matches!(part.kind, PartKind::Crystal) {
                [70.0, 70.0, 75.0]
            } else {
                [170.0, 172.0, 170.0]
            };
            for (k, line) in lines.iter().enumerate() {
                let dy = (k as f64 - (lines.len() as f64 - 1.0) / 2.0) * text_h * 1.2;
                canvas.text(
                    line,
                    frame.to_world([0.0, dy]),
                    part.angle,
                    text_h,
                    ink,
                    0.85,
                );
            }
            if matches!(part.kind, PartKind::Soic { .. } | PartKind::Qfp { .. }) {
                let dot = frame.to_world([-fp.body_half[0] * 0.75, fp.body_half[1] * 0.6]);
                canvas.fill_solid(
                    &Shape::circle(dot, (fp.body_half[1] * 0.1).max(1.5)),
                    [14.0, 14.0, 15.0],
                    1.0,
                );
            }
        }
    }
}
