//! A procedural PCB layout: where parts, pads, traces, vias and silkscreen go, in board
//! pixels. The layout is pure data, so a "second board of the same model" is the same
//! layout with placement jitter, and an implant is one more part.
use boarddiff_core::rng::Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum ChipSize {
    C0201,
    C0402,
    C0603,
    C0805,
    C1206,
}

impl ChipSize {
    pub(crate) fn mm(self) -> [f64; 2] {
        match self {
            ChipSize::C0201 => [0.6, 0.3],
            ChipSize::C0402 => [1.0, 0.5],
            ChipSize::C0603 => [1.6, 0.8],
            ChipSize::C0805 => [2.0, 1.25],
            ChipSize::C1206 => [3.2, 1.6],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum PartKind {
    Resistor(ChipSize),
    Capacitor(ChipSize),
    Sot23,
    Soic { pins: usize },
    Qfp { per_side: usize, body_mm: f64 },
    Header { cols: usize, rows: usize },
    Electrolytic { diameter_mm: f64 },
    Crystal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Part {
    pub(crate) kind: PartKind,
    pub(crate) centre: [f64; 2],
    pub(crate) angle: f64,
    pub(crate) marking: String,
    pub(crate) designator: String,
    pub(crate) body_rgb: [f64; 3],
    pub(crate) populated: bool,
    /// Multiplies the body size: an "altered" part can be a look-alike of another size.
    pub(crate) body_scale: f64,
    /// Where pick-and-place put this board's part relative to its footprint (board px,
    /// radians). Pads and silkscreen stay put; only the body moves.
    #[serde(default)]
    pub(crate) placement_offset: [f64; 2],
    #[serde(default)]
    pub(crate) placement_rotation: f64,
}

/// Geometry of one part in its own axes, in board pixels.
pub(crate) struct Footprint {
    pub(crate) body_half: [f64; 2],
    /// Pads (centre, half size) in part-local coordinates.
    pub(crate) pads: Vec<([f64; 2], [f64; 2])>,
    /// Leads from the body to the pads (centre, half size), for gull-wing packages.
    pub(crate) leads: Vec<([f64; 2], [f64; 2])>,
}

impl Part {
    /// The part as the design drew it: the pads and silkscreen a look-alike of another
    /// size is soldered onto, which the board printed before any part was chosen.
    pub(crate) fn as_designed(&self) -> Part {
        Part {
            body_scale: 1.0,
            ..self.clone()
        }
    }

    /// The part as it sits on this board, with its placement error applied.
    pub(crate) fn placed(&self) -> Part {
        Part {
            centre: [
                self.centre[0] + self.placement_offset[0],
                self.centre[1] + self.placement_offset[1],
            ],
            angle: self.angle + self.placement_rotation,
            placement_offset: [0.0; 2],
            placement_rotation: 0.0,
            ..self.clone()
        }
    }

    /// Height of the body above the board, mm: what leans into a tilted camera and casts
    /// a shadow.
    pub(crate) fn height_mm(&self) -> f64 {
        match &self.kind {
            PartKind::Resistor(c) | PartKind::Capacitor(c) => match c {
                ChipSize::C0201 => 0.25,
                ChipSize::C0402 => 0.35,
                ChipSize::C0603 => 0.45,
                ChipSize::C0805 => 0.5,
                ChipSize::C1206 => 0.6,
            },
            PartKind::Sot23 => 1.0,
            PartKind::Soic { .. } => 1.5,
            PartKind::Qfp { .. } => 1.4,
            PartKind::Header { .. } => 8.5,
            // Aluminium electrolytics: 5 x 5.4, 6.3 x 7.7, 8 x 10.2 mm.
            PartKind::Electrolytic { diameter_mm } => (diameter_mm * 1.25).clamp(5.4, 10.2),
            PartKind::Crystal => 1.1,
        }
    }

    pub(crate) fn footprint(&self, ppm: f64) -> Footprint {
        let s = self.body_scale;
        match &self.kind {
            PartKind::Resistor(c) | PartKind::Capacitor(c) => {
                let [l, w] = c.mm();
                let pad = [0.35 * l * ppm, 0.6 * w * ppm];
                let px = 0.55 * l * ppm;
                Footprint {
                    body_half: [l / 2.0 * ppm * s, w / 2.0 * ppm * s],
                    pads: vec![([-px, 0.0], pad), ([px, 0.0], pad)],
                    leads: vec![],
                }
            }
            PartKind::Sot23 => {
                let body = [1.45 * ppm * s, 0.65 * ppm * s];
                let lead = [0.2 * ppm, 0.35 * ppm];
                let pad = [0.3 * ppm, 0.4 * ppm];
                let ly = 1.0 * ppm;
                let pos = [[-0.95 * ppm, ly], [0.95 * ppm, ly], [0.0, -ly]];
                Footprint {
                    body_half: body,
                    pads: pos
                        .iter()
                        .map(|p| ([p[0], p[1] + p[1].signum() * 0.15 * ppm], pad))
                        .collect(),
                    leads: pos.iter().map(|p| (*p, lead)).collect(),
                }
            }
            PartKind::Soic { pins } => gull_wing_two_sides(*pins, 1.27, [2.45 * s, 1.95 * s], ppm),
            PartKind::Qfp { per_side, body_mm } => {
                let pitch = (body_mm - 1.5) / (*per_side as f64 - 1.0);
                let half = body_mm / 2.0 * s;
                let mut f = gull_wing_two_sides(per_side * 2, pitch, [half, half], ppm);
                let other = gull_wing_two_sides(per_side * 2, pitch, [half, half], ppm);
                let rot = |p: [f64; 2]| [p[1], p[0]];
                let swap = |h: [f64; 2]| [h[1], h[0]];
                f.pads
                    .extend(other.pads.iter().map(|(c, h)| (rot(*c), swap(*h))));
                f.leads
                    .extend(other.leads.iter().map(|(c, h)| (rot(*c), swap(*h))));
                f
            }
            PartKind::Header { cols, rows } => {
                let half = [*cols as f64 * 1.27 * ppm * s, *rows as f64 * 1.27 * ppm * s];
                Footprint {
                    body_half: half,
                    pads: vec![],
                    leads: vec![],
                }
            }
            PartKind::Electrolytic { diameter_mm } => {
                let r = diameter_mm / 2.0 * ppm;
                Footprint {
                    body_half: [r * 1.05 * s, r * 1.05 * s],
                    pads: vec![
                        ([-r * 0.9, 0.0], [0.6 * ppm, 0.4 * ppm]),
                        ([r * 0.9, 0.0], [0.6 * ppm, 0.4 * ppm]),
                    ],
                    leads: vec![],
                }
            }
            PartKind::Crystal => Footprint {
                body_half: [2.5 * ppm * s, 1.6 * ppm * s],
                pads: vec![
                    ([-2.2 * ppm, 0.0], [0.9 * ppm, 1.3 * ppm]),
                    ([2.2 * ppm, 0.0], [0.9 * ppm, 1.3 * ppm]),
                ],
                leads: vec![],
            },
        }
    }

    /// Half extent of everything the part puts on the board (body, leads, pads).
    pub(crate) fn extent_half(&self, ppm: f64) -> [f64; 2] {
        let f = self.footprint(ppm);
        let mut h = f.body_half;
        for (c, s) in f.pads.iter().chain(&f.leads) {
            h[0] = h[0].max(c[0].abs() + s[0]);
            h[1] = h[1].max(c[1].abs() + s[1]);
        }
        h
    }

    /// Axis-aligned bounds [x0, y0, x1, y1] in board pixels.
    pub(crate) fn bounds(&self, ppm: f64) -> [f64; 4] {
        let h = self.extent_half(ppm);
        crate::canvas::Shape::rect(self.centre, self.angle, h).bounds(0.0)
    }
}

fn gull_wing_two_sides(pins: usize, pitch_mm: f64, body_half_mm: [f64; 2], ppm: f64) -> Footprint {
    let per_side = pins / 2;
    let lead_len = 0.9;
    let mut pads = Vec::new();
    let mut leads = Vec::new();
    for side in [-1.0, 1.0] {
        for i in 0..per_side {
            let x = (i as f64 - (per_side as f64 - 1.0) / 2.0) * pitch_mm;
            let ly = side * (body_half_mm[1] + lead_len / 2.0);
            leads.push((
                [x * ppm, ly * ppm],
                [0.2 * pitch_mm.min(1.27) * ppm, lead_len / 2.0 * ppm],
            ));
            let py = side * (body_half_mm[1] + lead_len * 0.7);
            pads.push((
                [x * ppm, py * ppm],
                [0.3 * pitch_mm.min(1.27) * ppm, 0.75 * ppm],
            ));
        }
    }
    Footprint {
        body_half: [body_half_mm[0] * ppm, body_half_mm[1] * ppm],
        pads,
        leads,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Layout {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) px_per_mm: f64,
    /// Board outline [x0, y0, x1, y1] inside the canvas.
    pub(crate) board: [f64; 4],
    pub(crate) parts: Vec<Part>,
    pub(crate) traces: Vec<(Vec<[f64; 2]>, f64)>,
    pub(crate) vias: Vec<[f64; 2]>,
    pub(crate) holes: Vec<[f64; 2]>,
    pub(crate) labels: Vec<(String, [f64; 2], f64)>,
    pub(crate) gold_finish: bool,
    pub(crate) mask_rgb: [f64; 3],
}

const IC_MARKINGS: &[&str] = &[
    "STM32F407",
    "ATMEGA328P",
    "LM358",
    "74HC595",
    "TPS54331",
    "MAX3232",
    "W25Q128",
    "SN65HVD",
    "LAN8720A",
    "AT24C02",
    "CH340G",
    "NE555",
];
const SOT_MARKINGS: &[&str] = &["A1W", "J3Y", "1AM", "K72", "M6", "3BW", "L43"];
const RES_CODES: &[&str] = &["103", "472", "101", "222", "4R7", "000", "330", "1001"];

impl Layout {
    /// A board filling `width x height` px at 250 mm across.
    pub fn generate(width: u32, height: u32, seed: u64) -> Layout {
        Self::generate_at(width, height, width as f64 / 250.0, seed)
    }

    /// A board filling `width x height` px at `ppm` px per mm: the larger the scale, the
    /// smaller the board and the fewer its parts.
    pub fn generate_at(width: u32, height: u32, ppm: f64, seed: u64) -> Layout {
        let mut rng = Rng::new(seed);
        // Part counts are for a 250 mm board: a closer view holds fewer of them.
        let density = (width as f64 / ppm) * (height as f64 / ppm)
            / (250.0 * 250.0 * height as f64 / width as f64);
        let scaled = |count: usize| ((count as f64 * density).round() as usize).max(1);
        let m = 0.085 * width as f64;
        let board = [m, m, width as f64 - m, height as f64 - m];
        let mask_rgb = *rng.pick(&[[22.0, 84.0, 46.0], [18.0, 70.0, 40.0], [28.0, 92.0, 52.0]]);
        let mut layout = Layout {
            width,
            height,
            px_per_mm: ppm,
            board,
            parts: Vec::new(),
            traces: Vec::new(),
            vias: Vec::new(),
            holes: Vec::new(),
            labels: Vec::new(),
            gold_finish: rng.chance(0.5),
            mask_rgb,
        };
        let inset = 4.0 * ppm;
        for (x, y) in [
            (board[0], board[1]),
            (board[2], board[1]),
            (board[0], board[3]),
            (board[2], board[3]),
        ] {
            layout.holes.push([
                x + inset * (if x == board[0] { 1.0 } else { -1.0 }),
                y + inset * (if y == board[1] { 1.0 } else { -1.0 }),
            ]);
        }
        let mut counters = [0usize; 8];
        let mut next_designator = |prefix: &str, slot: usize| {
            counters[slot] += 1;
            format!("{prefix}{}", counters[slot])
        };
        let ic_rgb = [28.0, 28.0, 30.0];
        // Large parts first, then smaller parts around them.
        for _ in 0..scaled(rng.below(2) + 2) {
            let per_side = *rng.pick(&[12usize, 16, 20]);
            let body_mm = per_side as f64 * 0.5 + 2.0;
            let p = Part {
                kind: PartKind::Qfp { per_side, body_mm },
                centre: [0.0; 2],
                angle: 0.0,
                marking: rng.pick(IC_MARKINGS).to_string(),
                designator: next_designator("U", 0),
                body_rgb: ic_rgb,
                populated: true,
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 6.0);
        }
        for _ in 0..scaled(rng.below(5) + 6) {
            let pins = *rng.pick(&[8usize, 8, 14, 16]);
            let p = Part {
                kind: PartKind::Soic { pins },
                centre: [0.0; 2],
                angle: 0.0,
                marking: rng.pick(IC_MARKINGS).to_string(),
                designator: next_designator("U", 0),
                body_rgb: ic_rgb,
                populated: rng.chance(0.9),
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 4.0);
        }
        for _ in 0..scaled(rng.below(3) + 2) {
            let (cols, rows) = (rng.below(10) + 4, rng.below(2) + 1);
            let p = Part {
                kind: PartKind::Header { cols, rows },
                centre: [0.0; 2],
                angle: 0.0,
                marking: String::new(),
                designator: next_designator("J", 1),
                body_rgb: [20.0, 20.0, 22.0],
                populated: true,
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 3.0);
        }
        for _ in 0..scaled(rng.below(4) + 3) {
            let diameter_mm = *rng.pick(&[5.0, 6.3, 8.0]);
            let p = Part {
                kind: PartKind::Electrolytic { diameter_mm },
                centre: [0.0; 2],
                angle: 0.0,
                marking: String::new(),
                designator: next_designator("C", 2),
                body_rgb: [190.0, 192.0, 196.0],
                populated: true,
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 2.0);
        }
        for _ in 0..scaled(rng.below(2) + 1) {
            let p = Part {
                kind: PartKind::Crystal,
                centre: [0.0; 2],
                angle: 0.0,
                marking: format!("{}.000", rng.pick(&["8", "12", "16", "25"])),
                designator: next_designator("Y", 3),
                body_rgb: [200.0, 200.0, 205.0],
                populated: true,
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 2.0);
        }
        for _ in 0..scaled(rng.below(10) + 14) {
            let p = Part {
                kind: PartKind::Sot23,
                centre: [0.0; 2],
                angle: 0.0,
                marking: rng.pick(SOT_MARKINGS).to_string(),
                designator: next_designator("Q", 4),
                body_rgb: [32.0, 32.0, 34.0],
                populated: true,
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 1.5);
        }
        // Rows of decoupling capacitors: the periodic pattern that confuses naive matching.
        for _ in 0..scaled(rng.below(6) + 12) {
            let size = *rng.pick(&[ChipSize::C0402, ChipSize::C0603]);
            let n = rng.below(5) + 3;
            let pitch = size.mm()[0] * 2.2 * ppm;
            let angle = if rng.chance(0.5) {
                0.0
            } else {
                std::f64::consts::FRAC_PI_2
            };
            let row_len = pitch * n as f64;
            let Some(start) = layout.free_spot(&mut rng, [row_len / 2.0 + ppm, 1.5 * ppm], 1.0)
            else {
                continue;
            };
            for i in 0..n {
                let off = (i as f64 - (n as f64 - 1.0) / 2.0) * pitch;
                let centre = if angle == 0.0 {
                    [start[0] + off, start[1]]
                } else {
                    [start[0], start[1] + off]
                };
                layout.parts.push(Part {
                    kind: PartKind::Capacitor(size),
                    centre,
                    angle: angle + std::f64::consts::FRAC_PI_2,
                    marking: String::new(),
                    designator: next_designator("C", 2),
                    body_rgb: [150.0 + rng.range(-10.0, 10.0), 115.0, 70.0],
                    populated: rng.chance(0.95),
                    body_scale: 1.0,
                    placement_offset: [0.0; 2],
                    placement_rotation: 0.0,
                });
            }
        }
        for _ in 0..scaled(rng.below(80) + 170) {
            let size = *rng.pick(&[
                ChipSize::C0201,
                ChipSize::C0402,
                ChipSize::C0402,
                ChipSize::C0603,
                ChipSize::C0603,
                ChipSize::C0805,
                ChipSize::C1206,
            ]);
            let resistor = rng.chance(0.55);
            let p = Part {
                kind: if resistor {
                    PartKind::Resistor(size)
                } else {
                    PartKind::Capacitor(size)
                },
                centre: [0.0; 2],
                angle: 0.0,
                marking: if resistor {
                    rng.pick(RES_CODES).to_string()
                } else {
                    String::new()
                },
                designator: next_designator(
                    if resistor { "R" } else { "C" },
                    if resistor { 5 } else { 2 },
                ),
                body_rgb: if resistor {
                    [24.0, 24.0, 26.0]
                } else {
                    [
                        150.0 + rng.range(-15.0, 15.0),
                        112.0 + rng.range(-10.0, 10.0),
                        68.0,
                    ]
                },
                populated: rng.chance(0.94),
                body_scale: 1.0,
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            layout.place(p, &mut rng, 0.8);
        }
        layout.route(&mut rng);
        let title = format!(
            "BD-{}{} REV {}.{}",
            ["MB", "IO", "PWR", "CTL"][rng.below(4)],
            rng.below(90) + 10,
            rng.below(3) + 1,
            rng.below(10)
        );
        if let Some(c) = layout.free_spot(&mut rng, [text_half(&title, 3.0 * ppm), 2.5 * ppm], 1.0)
        {
            layout.labels.push((title, c, 3.0 * ppm));
        }
        layout
    }

    fn place(&mut self, mut part: Part, rng: &mut Rng, clearance_mm: f64) {
        part.angle = *rng.pick(&[0.0, 0.0, 1.0, 2.0, 3.0]) * std::f64::consts::FRAC_PI_2;
        let ext = part.extent_half(self.px_per_mm);
        let half = if (part.angle / std::f64::consts::FRAC_PI_2).round() as i64 % 2 == 1 {
            [ext[1], ext[0]]
        } else {
            ext
        };
        if let Some(c) = self.free_spot(rng, half, clearance_mm) {
            part.centre = c;
            self.parts.push(part);
        }
    }

    /// A random spot where a box of `half` extent (plus clearance, plus room for a
    /// designator) touches neither the board edge nor another part.
    pub(crate) fn free_spot(
        &self,
        rng: &mut Rng,
        half: [f64; 2],
        clearance_mm: f64,
    ) -> Option<[f64; 2]> {
        let ppm = self.px_per_mm;
        let c = clearance_mm * ppm;
        let edge = 3.0 * ppm;
        for _ in 0..200 {
            let x = rng.range(
                self.board[0] + edge + half[0],
                self.board[2] - edge - half[0],
            );
            let y = rng.range(
                self.board[1] + edge + half[1],
                self.board[3] - edge - half[1],
            );
            if !x.is_finite() || !y.is_finite() {
                return None;
            }
            let b = [
                x - half[0] - c,
                y - half[1] - c,
                x + half[0] + c,
                y + half[1] + c,
            ];
            let near_hole = self.holes.iter().any(|h| {
                (h[0] - x).abs() < half[0] + 5.0 * ppm && (h[1] - y).abs() < half[1] + 5.0 * ppm
            });
            let clash = self.parts.iter().any(|p| {
                let o = p.bounds(ppm);
                b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]
            });
            if !clash && !near_hole {
                return Some([x, y]);
            }
        }
        None
    }

    /// Traces from pads to pads of other parts, Manhattan with 45 degree corners, plus vias.
    fn route(&mut self, rng: &mut Rng) {
        let ppm = self.px_per_mm;
        let (w, h) = (self.width as f64, self.height as f64);
        let density = (w / ppm) * (h / ppm) / (250.0 * 250.0 * h / w);
        let scaled = |count: usize| ((count as f64 * density).round() as usize).max(1);
        let pads: Vec<[f64; 2]> = self
            .parts
            .iter()
            .flat_map(|p| {
                let shape = crate::canvas::Shape::rect(p.centre, p.angle, [1.0, 1.0]);
                p.footprint(ppm)
                    .pads
                    .into_iter()
                    .map(move |(c, _)| shape.to_world(c))
            })
            .collect();
        if pads.len() < 2 {
            return;
        }
        for _ in 0..pads.len() / 2 {
            let a = *rng.pick(&pads);
            let b = *rng.pick(&pads);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            if dx.hypot(dy) > 40.0 * ppm || dx.hypot(dy) < 2.0 * ppm {
                continue;
            }
            let diag = dx.abs().min(dy.abs()) * rng.range(0.2, 0.9);
            let mid1 = if dx.abs() > dy.abs() {
                [a[0] + dx.signum() * (dx.abs() - diag) / 2.0, a[1]]
            } else {
                [a[0], a[1] + dy.signum() * (dy.abs() - diag) / 2.0]
            };
            let mid2 = [mid1[0] + dx.signum() * diag, mid1[1] + dy.signum() * diag];
            let end = if dx.abs() > dy.abs() {
                [b[0], mid2[1]]
            } else {
                [mid2[0], b[1]]
            };
            let width = *rng.pick(&[0.2, 0.25, 0.3, 0.5]) * ppm;
            self.traces.push((vec![a, mid1, mid2, end, b], width));
            if rng.chance(0.3) {
                self.vias.push(mid2);
            }
        }
        // Buses of parallel traces across open board.
        for _ in 0..scaled(rng.below(6) + 6) {
            let n = rng.below(6) + 3;
            let pitch = 0.6 * ppm;
            let horizontal = rng.chance(0.5);
            let len = rng.range(20.0, 80.0) * ppm;
            let start = [
                rng.range(
                    self.board[0] + 5.0 * ppm,
                    self.board[2] - len.min(self.board[2] - self.board[0]) * 0.5,
                ),
                rng.range(self.board[1] + 5.0 * ppm, self.board[3] - 5.0 * ppm),
            ];
            for i in 0..n {
                let o = i as f64 * pitch;
                let (a, b) = if horizontal {
                    (
                        [start[0], start[1] + o],
                        [
                            (start[0] + len).min(self.board[2] - 3.0 * ppm),
                            start[1] + o,
                        ],
                    )
                } else {
                    (
                        [start[0] + o, start[1]],
                        [
                            start[0] + o,
                            (start[1] + len).min(self.board[3] - 3.0 * ppm),
                        ],
                    )
                };
                self.traces.push((vec![a, b], 0.2 * ppm));
                self.vias.push(b);
            }
        }
        for _ in 0..scaled(rng.below(80) + 60) {
            let p = [
                rng.range(self.board[0] + 3.0 * ppm, self.board[2] - 3.0 * ppm),
                rng.range(self.board[1] + 3.0 * ppm, self.board[3] - 3.0 * ppm),
            ];
            if !self.parts.iter().any(|q| {
                let b = q.bounds(ppm);
                p[0] > b[0] - ppm && p[0] < b[2] + ppm && p[1] > b[1] - ppm && p[1] < b[3] + ppm
            }) {
                self.vias.push(p);
            }
        }
    }
}

fn text_half(text: &str, height: f64) -> f64 {
    crate::canvas::text_width(text, height) / 2.0
}
