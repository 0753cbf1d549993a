//! A generated test case: a reference photo and a suspect photo of a second board of the
//! same model, with planted modifications and the exact truth.
use crate::camera::{jpeg_roundtrip, pose, Camera, PoseSpec};
use crate::layout::{ChipSize, Layout, Part, PartKind};
use crate::paint::paint_seen;
use crate::truth::{Truth, TruthRegion, SCHEMA};
use crate::variation::{Finish, Variation, VariationLevel, Viewpoint};
use boarddiff_core::rect::{Rect, RectInReference};
use boarddiff_core::report::RegionKind;
use boarddiff_core::rng::Rng;
use image::RgbImage;

#[derive(Clone, Debug)]
pub struct CaseSpec {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) seed: u64,
    pub modifications: usize,
    pub kinds: Vec<RegionKind>,
    /// 0 = easy (big parts, strong changes) .. 1 = hard (0201 parts, subtle changes).
    pub difficulty: f64,
    pub(crate) max_rotation_deg: f64,
    pub quarter_turns: u8,
    pub scale_range: (f64, f64),
    pub max_tilt_deg: f64,
    /// How the two physical boards and their photos differ (placement, lean, light).
    pub variation: VariationLevel,
    /// Scale of the photos; None is a 250 mm wide board filling the canvas.
    pub px_per_mm: Option<f64>,
    /// Share of added parts that touch an existing part (where an implant hides best,
    /// and where a displacement field is most tempted to explain it away).
    pub adjacent_share: f64,
    pub(crate) lighting: f64,
    pub lens_k1: f64,
    pub(crate) jpeg_quality: u8,
}

impl CaseSpec {
    pub fn new(width: u32, height: u32, seed: u64) -> Self {
        Self {
            width,
            height,
            seed,
            modifications: 3,
            kinds: RegionKind::ALL.to_vec(),
            difficulty: 0.5,
            max_rotation_deg: 5.0,
            quarter_turns: 0,
            scale_range: (0.9, 1.1),
            max_tilt_deg: 3.0,
            variation: VariationLevel::Typical,
            px_per_mm: None,
            adjacent_share: 0.5,
            lighting: 1.0,
            lens_k1: 0.0,
            jpeg_quality: 85,
        }
    }
}

const CANVAS_MARGIN: f64 = 1.12;

pub struct Case {
    pub reference: RgbImage,
    pub suspect: RgbImage,
    pub truth: Truth,
    pub(crate) reference_camera: Camera,
    pub(crate) suspect_camera: Camera,
}

impl Case {
    /// The true reference -> suspect mapping, including lens distortion.
    pub fn true_map(&self, pos_in_reference: [f64; 2]) -> [f64; 2] {
        let board = self.reference_camera.board_from_photo(pos_in_reference);
        self.suspect_camera.photo_from_board_point(board)
    }
}

pub fn generate(spec: &CaseSpec) -> Case {
    let mut rng = Rng::new(spec.seed);
    let (w, h) = (spec.width, spec.height);
    // The canvas reaches past the frame so that both photos see table, never "nothing".
    let (cw, ch) = (
        (w as f64 * CANVAS_MARGIN) as u32,
        (h as f64 * CANVAS_MARGIN) as u32,
    );
    let ppm = spec.px_per_mm.unwrap_or(cw as f64 / 250.0);
    let design = Layout::generate_at(cw, ch, ppm, spec.seed);
    let variation = spec.variation.params();
    // Two physical boards: each with every part placed by its own pick-and-place run.
    let mut layout = design.clone();
    place_parts(&mut layout, &variation, &mut rng.fork(4));
    let mut suspect_layout = design;
    place_parts(&mut suspect_layout, &variation, &mut rng.fork(1));
    let mut mod_rng = rng.fork(2);
    let mut planted = Vec::new();
    for i in 0..spec.modifications {
        let kind = spec.kinds[i % spec.kinds.len().max(1)];
        let adjacent = mod_rng.chance(spec.adjacent_share);
        if let Some(m) = plant(
            &mut suspect_layout,
            &layout,
            kind,
            spec.difficulty,
            adjacent,
            &mut mod_rng,
        ) {
            planted.push(m);
        }
    }
    let mut view_rng = rng.fork(5);
    let (reference_view, reference_finish, reference_seed) =
        if spec.variation == VariationLevel::None {
            (
                Viewpoint::top_down(),
                Finish::plain(spec.seed ^ 0xA),
                spec.seed ^ 0xA,
            )
        } else {
            (
                Viewpoint::first(&mut view_rng),
                Finish::plain(spec.seed ^ 0xA),
                spec.seed ^ 0xA,
            )
        };
    let suspect_view = reference_view.second(&variation, &mut view_rng);
    // The same board photographed again keeps its texture and glints.
    let (suspect_finish, suspect_seed) = if spec.variation == VariationLevel::None {
        (reference_finish, reference_seed)
    } else {
        (
            Finish::batch(&variation, &mut view_rng, spec.seed ^ 0xB0),
            spec.seed ^ 0xB,
        )
    };
    let (reference_board, suspect_board) = rayon::join(
        || paint_seen(&layout, reference_seed, &reference_view, &reference_finish),
        || {
            paint_seen(
                &suspect_layout,
                suspect_seed,
                &suspect_view,
                &suspect_finish,
            )
        },
    );

    let mut cam_rng = rng.fork(3);
    let ref_pose = PoseSpec {
        rotation_deg: cam_rng.range(-1.0, 1.0),
        scale: 1.0,
        tilt_deg: [cam_rng.range(-0.5, 0.5), cam_rng.range(-0.5, 0.5)],
        shift_px: [0.0, 0.0],
    };
    let reference_camera = Camera::plain(w, h, pose((cw, ch), (w, h), &ref_pose))
        .random_lighting(&mut cam_rng, 0.3 * spec.lighting);
    let turns = spec.quarter_turns % 4;
    let (sw, sh) = if turns % 2 == 1 { (h, w) } else { (w, h) };
    let fit = if turns % 2 == 1 {
        h as f64 / w as f64
    } else {
        1.0
    };
    let t = spec.max_tilt_deg;
    let sus_pose = PoseSpec {
        rotation_deg: cam_rng.range(-spec.max_rotation_deg, spec.max_rotation_deg)
            + 90.0 * turns as f64,
        scale: cam_rng.range(spec.scale_range.0, spec.scale_range.1) * fit,
        tilt_deg: [cam_rng.range(-t, t), cam_rng.range(-t, t)],
        shift_px: [
            cam_rng.range(-0.02, 0.02) * sw as f64,
            cam_rng.range(-0.02, 0.02) * sh as f64,
        ],
    };
    let mut suspect_camera = Camera::plain(sw, sh, pose((cw, ch), (sw, sh), &sus_pose))
        .random_lighting(&mut cam_rng, spec.lighting);
    suspect_camera.k1 = spec.lens_k1;
    suspect_camera.noise_sigma = 2.5;

    let (reference, suspect) = rayon::join(
        || reference_camera.shoot(&reference_board, spec.seed ^ 0x1),
        || suspect_camera.shoot(&suspect_board, spec.seed ^ 0x2),
    );
    drop((reference_board, suspect_board));
    let (reference, suspect) = rayon::join(
        || jpeg_roundtrip(&reference, 92),
        || jpeg_roundtrip(&suspect, spec.jpeg_quality),
    );

    let ref_from_board = &reference_camera;
    // A change the suspect camera did not see is not in the truth: nobody could find it.
    let sees = |board: [f64; 4]| {
        let c = suspect_camera
            .photo_from_board_point([(board[0] + board[2]) / 2.0, (board[1] + board[3]) / 2.0]);
        let (mx, my) = (0.01 * sw as f64, 0.01 * sh as f64);
        c[0] >= mx && c[1] >= my && c[0] < sw as f64 - mx && c[1] < sh as f64 - my
    };
    let modifications = planted
        .into_iter()
        .filter(|(_, board_box, _)| sees(*board_box))
        .map(|(kind, board_box, note)| TruthRegion {
            kind,
            bbox: map_box(
                board_box,
                |p| ref_from_board.photo_from_board_point(p),
                (w, h),
            ),
            note: Some(note),
        })
        .collect();
    let suspect_from_reference = reference_camera
        .photo_from_board
        .inverse()
        .expect("pose invertible")
        .then(&suspect_camera.photo_from_board);
    Case {
        reference,
        suspect,
        truth: Truth {
            schema: SCHEMA,
            suspect_from_reference,
            modifications,
            placement_jitter: Vec::new(),
            px_per_mm: Some(
                ppm * reference_camera
                    .photo_from_board
                    .local_scale([(cw as f64 - 1.0) / 2.0, (ch as f64 - 1.0) / 2.0]),
            ),
            variation: Some(spec.variation),
        },
        reference_camera,
        suspect_camera,
    }
}

/// One physical board: where its pick-and-place run put every part.
fn place_parts(layout: &mut Layout, variation: &Variation, rng: &mut Rng) {
    let ppm = layout.px_per_mm;
    for p in &mut layout.parts {
        let (offset_mm, rotation_deg) = variation.place(rng);
        p.placement_offset = offset_mm.map(|v| v * ppm);
        p.placement_rotation = rotation_deg.to_radians();
    }
}

fn map_box(b: [f64; 4], f: impl Fn([f64; 2]) -> [f64; 2], (w, h): (u32, u32)) -> RectInReference {
    let pts = [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]].map(f);
    let x0 = pts
        .iter()
        .map(|p| p[0])
        .fold(f64::MAX, f64::min)
        .clamp(0.0, w as f64 - 1.0);
    let y0 = pts
        .iter()
        .map(|p| p[1])
        .fold(f64::MAX, f64::min)
        .clamp(0.0, h as f64 - 1.0);
    let x1 = pts
        .iter()
        .map(|p| p[0])
        .fold(f64::MIN, f64::max)
        .clamp(0.0, w as f64 - 1.0);
    let y1 = pts
        .iter()
        .map(|p| p[1])
        .fold(f64::MIN, f64::max)
        .clamp(0.0, h as f64 - 1.0);
    let (x, y) = (x0.floor() as u32, y0.floor() as u32);
    let (bw, bh) = (
        (x1 - x0).ceil().max(1.0) as u32,
        (y1 - y0).ceil().max(1.0) as u32,
    );
    Rect::from_corners(x, y, x + bw, y + bh)
}

/// Applies one modification to `suspect`; returns its kind, board-space box and a note.
fn plant(
    suspect: &mut Layout,
    original: &Layout,
    kind: RegionKind,
    difficulty: f64,
    adjacent: bool,
    rng: &mut Rng,
) -> Option<(RegionKind, [f64; 4], String)> {
    let ppm = suspect.px_per_mm;
    match kind {
        RegionKind::Added => {
            let choices: &[(&str, PartKind)] = &[
                ("0402 passive", PartKind::Capacitor(ChipSize::C0402)),
                ("0603 passive", PartKind::Resistor(ChipSize::C0603)),
                ("SOT-23", PartKind::Sot23),
                ("SOIC-8", PartKind::Soic { pins: 8 }),
                ("signal coupler", PartKind::Soic { pins: 6 }),
            ];
            // Harder cases draw from the small end of the list.
            let top = ((1.0 - difficulty) * choices.len() as f64)
                .round()
                .clamp(2.0, choices.len() as f64) as usize;
            let (name, kind_part) = rng.pick(&choices[..top]).clone();
            let part = Part {
                kind: kind_part.clone(),
                centre: [0.0; 2],
                angle: (rng.below(4) as f64) * std::f64::consts::FRAC_PI_2 + rng.range(-0.1, 0.1),
                marking: match kind_part {
                    PartKind::Sot23 => "X7".into(),
                    PartKind::Soic { pins: 6 } => "CPL".into(),
                    PartKind::Soic { .. } => "8266".into(),
                    PartKind::Resistor(_) => "0R0".into(),
                    _ => String::new(),
                },
                designator: String::new(),
                body_rgb: match kind_part {
                    PartKind::Capacitor(_) => [150.0, 112.0, 70.0],
                    PartKind::Soic { pins: 6 } => [48.0, 46.0, 44.0],
                    _ => [26.0, 26.0, 28.0],
                },
                populated: true,
                body_scale: if matches!(kind_part, PartKind::Soic { pins: 6 }) {
                    0.7
                } else {
                    1.0
                },
                placement_offset: [0.0; 2],
                placement_rotation: 0.0,
            };
            let ext = part.extent_half(ppm);
            let r = ext[0].max(ext[1]);
            let centre = if adjacent {
                adjacent_spot(suspect, rng, [r, r])?
            } else {
                suspect.free_spot(rng, [r, r], 0.6)?
            };
            let placed = Part { centre, ..part };
            let b = placed.bounds(ppm);
            suspect.parts.push(placed);
            Some((RegionKind::Added, b, format!("added {name}")))
        }
        RegionKind::Removed => {
            let candidates: Vec<usize> = original
                .parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.populated && removable(p, difficulty))
                .map(|(i, _)| i)
                .collect();
            let i = *rng.pick(&candidates);
            suspect.parts[i].populated = false;
            let p = &original.parts[i];
            Some((
                RegionKind::Removed,
                body_bounds(&p.placed(), ppm),
                format!("removed {}", p.designator),
            ))
        }
        RegionKind::Altered => {
            let candidates: Vec<usize> = original
                .parts
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.populated
                        && matches!(
                            p.kind,
                            PartKind::Soic { .. }
                                | PartKind::Qfp { .. }
                                | PartKind::Sot23
                                | PartKind::Resistor(
                                    ChipSize::C0603 | ChipSize::C0805 | ChipSize::C1206
                                )
                        )
                })
                .map(|(i, _)| i)
                .collect();
            let i = *rng.pick(&candidates);
            let part = &mut suspect.parts[i];
            // A marking change only counts where the marking is legible in the photo
            // (ICs); on tiny packages the change is one of colour or size instead.
            let legible = matches!(part.kind, PartKind::Soic { .. } | PartKind::Qfp { .. });
            let choice = if legible { rng.below(3) } else { rng.below(2) };
            let note = match (&part.kind, choice) {
                (PartKind::Resistor(_), 0) => {
                    part.body_rgb = [150.0, 112.0, 70.0];
                    part.marking.clear();
                    "resistor swapped for a capacitor".to_string()
                }
                (kind, c) if (c == 1 || !legible) && !matches!(kind, PartKind::Qfp { .. }) => {
                    part.body_scale = 0.78;
                    "smaller look-alike package".to_string()
                }
                _ => {
                    let old = part.marking.clone();
                    part.marking = relabel(&old, rng);
                    format!("marking {old} -> {}", part.marking)
                }
            };
            Some((
                RegionKind::Altered,
                body_bounds(&original.parts[i].placed(), ppm),
                format!("altered {}: {note}", original.parts[i].designator),
            ))
        }
    }
}

fn removable(p: &Part, difficulty: f64) -> bool {
    match p.kind {
        PartKind::Resistor(s) | PartKind::Capacitor(s) => {
            difficulty >= 0.5 || !matches!(s, ChipSize::C0201)
        }
        PartKind::Sot23 | PartKind::Soic { .. } | PartKind::Crystal => true,
        _ => false,
    }
}

/// A spot for a part of `half` extent right beside an existing part, 0.1-0.4 mm from
/// it and clear of every other part: an implant tucked against a legitimate part.
fn adjacent_spot(layout: &Layout, rng: &mut Rng, half: [f64; 2]) -> Option<[f64; 2]> {
    let ppm = layout.px_per_mm;
    let populated: Vec<usize> = (0..layout.parts.len())
        .filter(|&i| layout.parts[i].populated)
        .collect();
    if populated.is_empty() {
        return None;
    }
    for _ in 0..300 {
        let i = *rng.pick(&populated);
        let b = layout.parts[i].bounds(ppm);
        let gap = rng.range(0.1, 0.4) * ppm;
        let centre = match rng.below(4) {
            0 => [b[0] - gap - half[0], rng.range(b[1], b[3])],
            1 => [b[2] + gap + half[0], rng.range(b[1], b[3])],
            2 => [rng.range(b[0], b[2]), b[1] - gap - half[1]],
            _ => [rng.range(b[0], b[2]), b[3] + gap + half[1]],
        };
        let mine = [
            centre[0] - half[0],
            centre[1] - half[1],
            centre[0] + half[0],
            centre[1] + half[1],
        ];
        let inside = mine[0] > layout.board[0] + 3.0 * ppm
            && mine[1] > layout.board[1] + 3.0 * ppm
            && mine[2] < layout.board[2] - 3.0 * ppm
            && mine[3] < layout.board[3] - 3.0 * ppm;
        let clash = layout.parts.iter().any(|p| {
            let o = p.bounds(ppm);
            mine[0] < o[2] && o[0] < mine[2] && mine[1] < o[3] && o[1] < mine[3]
        });
        if inside && !clash {
            return Some(centre);
        }
    }
    None
}

fn body_bounds(p: &Part, ppm: f64) -> [f64; 4] {
    crate::canvas::Shape::rect(p.centre, p.angle, p.extent_half(ppm)).bounds(0.0)
}

fn relabel(old: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = old.chars().collect();
    if chars.is_empty() {
        return "X1".into();
    }
    for _ in 0..2 {
        let i = rng.below(chars.len());
        chars[i] = if chars[i].is_ascii_digit() {
            char::from(b'0' + ((chars[i] as u8 - b'0' + 3) % 10))
        } else {
            *rng.pick(&['K', 'Z', 'W', 'Q'])
        };
    }
    chars.into_iter().collect()
}
