//! The image viewer: panes for each mode, all placed by the one shared view transform,
//! with region boxes, ignore masks, the cursor mapped between panes, and the loupe.
use crate::actions::{Actions, ReviewAction, Tool, ViewAction};
use crate::document::Document;
use crate::prefs::ViewMode;
use crate::prefs::ViewPrefs;
use crate::tiles::{Pyramid, TileCache};
use crate::view_transform::ViewTransform;
use boarddiff_core::align::Alignment;
use boarddiff_core::geometry::Homography;
use boarddiff_core::rect::{Rect as PixelRect, RectInReference};
use boarddiff_core::report::{Region, Verdict};
use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, StrokeKind, Ui, Vec2};

/// Viewer state that lives only while the app runs.
#[derive(Clone, Debug)]
pub struct ViewerState {
    pub blink_shows_suspect: bool,
    pub(crate) last_blink_flip: f64,
    /// Divider position in swipe mode, 0..1 of the pane width.
    pub(crate) swipe: f32,
    pub(crate) tool: Tool,
    pub selected: Option<u32>,
    /// The Help window with every key is open.
    pub help_open: bool,
}

impl Default for ViewerState {
    fn default() -> Self {
        Self {
            blink_shows_suspect: false,
            help_open: false,
            last_blink_flip: 0.0,
            swipe: 0.5,
            tool: Tool::Pan,
            selected: None,
        }
    }
}

pub(crate) struct ViewerModel<'a> {
    pub(crate) doc: &'a Document,
    pub(crate) prefs: &'a ViewPrefs,
    pub(crate) view: &'a ViewTransform,
    pub(crate) state: &'a ViewerState,
    /// In a quiz, detections stay hidden until the trainee submits.
    pub(crate) quiz: Option<&'a crate::quiz_ui::QuizState>,
}

pub(crate) struct ViewerOutput {
    pub(crate) hover_in_reference: Option<[f64; 2]>,
}

/// How a pane's pixels relate to reference coordinates.
#[derive(Clone, Copy)]
enum PaneSpace<'a> {
    Reference,
    /// The suspect as photographed; the pane follows the shared view through the mapping.
    RawSuspect(&'a Alignment, &'a Homography),
}

pub(crate) fn viewer_ui(
    ui: &mut Ui,
    model: &ViewerModel,
    tiles: &mut TileCache,
    actions: &mut Actions,
) -> ViewerOutput {
    let full = ui.available_rect_before_wrap();
    ui.allocate_rect(full, Sense::hover());
    let images = &model.doc.images;
    let view = model.view;
    let prefs = model.prefs;
    let ctx = ui.ctx().clone();
    let painter = ui.painter().clone();
    painter.rect_filled(full, 0.0, Color32::from_gray(24));
    let white = Color32::WHITE;
    let hover = match prefs.mode {
        ViewMode::SideBySide => {
            let gap = 4.0;
            let half = (full.width() - gap) / 2.0;
            let left = Rect::from_min_size(full.min, Vec2::new(half, full.height()));
            let right = Rect::from_min_size(
                Pos2::new(left.max.x + gap, full.min.y),
                Vec2::new(half, full.height()),
            );
            tiles.paint(&ctx, &painter, left, view, &images.reference, white);
            let inverse = model
                .doc
                .cmp
                .alignment
                .suspect_from_reference
                .inverse()
                .unwrap_or_else(Homography::identity);
            let right_space = if prefs.raw_suspect {
                PaneSpace::RawSuspect(&model.doc.cmp.alignment, &inverse)
            } else {
                PaneSpace::Reference
            };
            match right_space {
                PaneSpace::Reference => {
                    tiles.paint(&ctx, &painter, right, view, &images.warped, white)
                }
                PaneSpace::RawSuspect(a, _) => {
                    let sv = suspect_view(view, a);
                    tiles.paint(&ctx, &painter, right, &sv, &images.raw_suspect, white)
                }
            }
            let hl = pane_interact(ui, "left", left, PaneSpace::Reference, model, actions);
            let hr = pane_interact(ui, "right", right, right_space, model, actions);
            let hover = hl.or(hr);
            decorate(ui, left, PaneSpace::Reference, model, hover, "reference");
            let title = if prefs.raw_suspect {
                "suspect (raw)"
            } else {
                "suspect (aligned)"
            };
            decorate(ui, right, right_space, model, hover, title);
            hover
        }
        mode => {
            match mode {
                ViewMode::Overlay => {
                    tiles.paint(&ctx, &painter, full, view, &images.reference, white);
                    let a = (prefs.overlay_alpha.clamp(0.0, 1.0) * 255.0) as u8;
                    let tint = Color32::from_white_alpha(a);
                    tiles.paint(&ctx, &painter, full, view, &images.warped, tint);
                }
                ViewMode::Blink => {
                    let img = if model.state.blink_shows_suspect {
                        &images.warped
                    } else {
                        &images.reference
                    };
                    tiles.paint(&ctx, &painter, full, view, img, white);
                }
                ViewMode::Swipe => {
                    let x = full.min.x + full.width() * model.state.swipe.clamp(0.0, 1.0);
                    let left = Rect::from_min_max(full.min, Pos2::new(x, full.max.y));
                    let right = Rect::from_min_max(Pos2::new(x, full.min.y), full.max);
                    paint_clipped(tiles, &ctx, &painter, full, left, view, &images.reference);
                    paint_clipped(tiles, &ctx, &painter, full, right, view, &images.warped);
                }
                _ => {
                    tiles.paint(&ctx, &painter, full, view, &images.reference, white);
                    let a = (prefs.heat_opacity.clamp(0.0, 1.0) * 255.0) as u8;
                    tiles.paint(
                        &ctx,
                        &painter,
                        full,
                        view,
                        &images.heat,
                        Color32::from_white_alpha(a),
                    );
                }
            }
            let hover = pane_interact(ui, "single", full, PaneSpace::Reference, model, actions);
            let title = match mode {
                ViewMode::Blink if model.state.blink_shows_suspect => "suspect (aligned)",
                ViewMode::Blink => "reference",
                ViewMode::Swipe => "reference | suspect",
                ViewMode::Heatmap => "difference heat over reference",
                _ => "reference + suspect",
            };
            decorate(ui, full, PaneSpace::Reference, model, hover, title);
            if mode == ViewMode::Swipe {
                swipe_handle(ui, full, model.state.swipe, actions);
            }
            hover
        }
    };
    if let (true, Some(p)) = (prefs.loupe, hover) {
        loupe(ui, model.doc, p);
    }
    ViewerOutput {
        hover_in_reference: hover,
    }
}

fn paint_clipped(
    tiles: &mut TileCache,
    ctx: &egui::Context,
    painter: &egui::Painter,
    pane: Rect,
    clip: Rect,
    view: &ViewTransform,
    pyramid: &Pyramid,
) {
    // The view is laid out on the whole pane; only the clip part is shown.
    let clipped = painter.with_clip_rect(clip);
    tiles.paint(ctx, &clipped, pane, view, pyramid, Color32::WHITE);
}

/// The view of the raw suspect that follows the shared reference view: same centre
/// (mapped), same apparent scale.
fn suspect_view(view: &ViewTransform, alignment: &Alignment) -> ViewTransform {
    let c = view.center_in_reference;
    let local = alignment.suspect_from_reference.local_scale(c).max(1e-6);
    ViewTransform {
        center_in_reference: alignment.map(c),
        scale: view.scale / local,
    }
}

fn pane_interact(
    ui: &mut Ui,
    name: &str,
    pane: Rect,
    space: PaneSpace,
    model: &ViewerModel,
    actions: &mut Actions,
) -> Option<[f64; 2]> {
    let view = *model.view;
    let id = ui.scope_id().with(("pane", name));
    let response = ui.interact(pane, id, Sense::click_and_drag());
    let to_reference = |p: Pos2| -> [f64; 2] {
        match space {
            PaneSpace::Reference => view.reference_from_screen(pane, p),
            PaneSpace::RawSuspect(a, inv) => {
                inv.apply(suspect_view(&view, a).reference_from_screen(pane, p))
            }
        }
    };
    let hover = response.hover_pos().map(to_reference);
    let mask_tool = model.state.tool == Tool::Mask && matches!(space, PaneSpace::Reference);
    if response.dragged() && !mask_tool {
        let delta = response.drag_delta();
        if delta != Vec2::ZERO {
            let mut v = view;
            match space {
                PaneSpace::Reference => v.pan(delta),
                PaneSpace::RawSuspect(a, inv) => {
                    let sv = suspect_view(&view, a);
                    let c = sv.center_in_reference;
                    let moved = [
                        c[0] - delta.x as f64 / sv.scale,
                        c[1] - delta.y as f64 / sv.scale,
                    ];
                    v.center_in_reference = inv.apply(moved);
                }
            }
            actions.push(ViewAction::SetView(v));
        }
    }
    if mask_tool {
        let start_id = id.with("mask-start");
        if response.drag_started() {
            // From where the button went down, not where the drag threshold was crossed.
            let origin = ui.input(|i| i.pointer.press_origin());
            if let Some(p) = origin.or(response.interact_pointer_pos()) {
                ui.memory_mut(|m| m.data.insert_temp(start_id, to_reference(p)));
            }
        }
        let start: Option<[f64; 2]> = ui.memory(|m| m.data.get_temp(start_id));
        if let (Some(a), Some(p)) = (start, response.interact_pointer_pos()) {
            let b = to_reference(p);
            let rect = Rect::from_two_pos(
                view.screen_from_reference(pane, a),
                view.screen_from_reference(pane, b),
            );
            ui.painter().rect(
                rect,
                0.0,
                Color32::from_rgba_unmultiplied(200, 200, 200, 40),
                Stroke::new(1.5, Color32::WHITE),
                StrokeKind::Middle,
            );
            if response.drag_stopped() {
                ui.memory_mut(|m| m.data.remove::<[f64; 2]>(start_id));
                if let Some(r) = clamp_rect(a, b, model.doc.cmp.reference.dimensions()) {
                    actions.push(ReviewAction::AddMask(r));
                }
            }
        }
    }
    if response.hovered() {
        let at_pointer = matches!(space, PaneSpace::Reference);
        if let Some(v) = wheel_zoom(ui, pane, &view, at_pointer) {
            actions.push(ViewAction::SetView(v));
        }
    }
    if response.clicked() {
        if let Some(p) = response.interact_pointer_pos().map(to_reference) {
            let hit = model
                .doc
                .session
                .regions
                .iter()
                .filter(|r| contains(&padded(&r.bbox, 6.0 / view.scale), p))
                .min_by_key(|r| r.bbox.area());
            actions.push(ReviewAction::Select(hit.map(|r| r.id)));
        }
    }
    hover
}

/// The view after this frame's wheel or pinch zoom, if any: at the pointer, or at the
/// pane's centre for panes whose pointer is not in reference coordinates.
pub(crate) fn wheel_zoom(
    ui: &Ui,
    pane: Rect,
    view: &ViewTransform,
    at_pointer: bool,
) -> Option<ViewTransform> {
    let (scroll, zoom, pointer) = ui.input(|i| {
        (
            i.smooth_scroll_delta.y,
            i.zoom_delta(),
            i.pointer.hover_pos(),
        )
    });
    let factor = (scroll as f64 * 0.0025).exp() * zoom as f64;
    if (factor - 1.0).abs() <= 1e-4 {
        return None;
    }
    let anchor = if at_pointer {
        pointer.unwrap_or(pane.center())
    } else {
        pane.center()
    };
    let mut v = *view;
    v.zoom_at(pane, anchor, factor);
    Some(v)
}

fn clamp_rect(a: [f64; 2], b: [f64; 2], (w, h): (u32, u32)) -> Option<RectInReference> {
    let x0 = a[0].min(b[0]).clamp(0.0, w as f64);
    let y0 = a[1].min(b[1]).clamp(0.0, h as f64);
    let x1 = a[0].max(b[0]).clamp(0.0, w as f64);
    let y1 = a[1].max(b[1]).clamp(0.0, h as f64);
    (x1 - x0 >= 2.0 && y1 - y0 >= 2.0).then(|| {
        let (x, y) = (x0 as u32, y0 as u32);
        PixelRect::from_corners(
            x,
            y,
            x + (x1 - x0).round() as u32,
            y + (y1 - y0).round() as u32,
        )
    })
}

fn padded(bbox: &RectInReference, pad: f64) -> [f64; 4] {
    let [x, y, w, h] = bbox.to_array().map(f64::from);
    [x - pad, y - pad, w + 2.0 * pad, h + 2.0 * pad]
}

fn contains(r: &[f64; 4], p: [f64; 2]) -> bool {
    p[0] >= r[0] && p[1] >= r[1] && p[0] <= r[0] + r[2] && p[1] <= r[1] + r[3]
}

pub(crate) fn kind_color(region: &Region) -> Color32 {
    let [r, g, b] = region.kind.rgb();
    Color32::from_rgb(r, g, b)
}

/// Line style by verdict: dashed unreviewed, dotted benign, solid suspicious, thick
/// double for a confirmed implant.
fn box_shapes(region: &Region, corners: [Pos2; 4], selected: bool) -> Vec<Shape> {
    let color = kind_color(region);
    let closed: Vec<Pos2> = corners
        .iter()
        .chain(std::iter::once(&corners[0]))
        .copied()
        .collect();
    let mut shapes = Vec::new();
    if selected {
        shapes.push(Shape::closed_line(
            corners.to_vec(),
            Stroke::new(6.0, Color32::from_white_alpha(170)),
        ));
    }
    match region.verdict {
        Verdict::Unreviewed => shapes.extend(Shape::dashed_line(
            &closed,
            Stroke::new(2.0, color),
            8.0,
            5.0,
        )),
        Verdict::Benign => shapes.extend(Shape::dotted_line(
            &closed,
            color.gamma_multiply(0.7),
            6.0,
            1.5,
        )),
        Verdict::Suspicious => shapes.push(Shape::closed_line(
            corners.to_vec(),
            Stroke::new(2.5, color),
        )),
        Verdict::ConfirmedImplant => {
            shapes.push(Shape::closed_line(
                corners.to_vec(),
                Stroke::new(4.0, color),
            ));
            let c = corners.iter().fold(Vec2::ZERO, |a, p| a + p.to_vec2()) / 4.0;
            let outer: Vec<Pos2> = corners
                .iter()
                .map(|p| *p + (p.to_vec2() - c).normalized() * 5.0)
                .collect();
            shapes.push(Shape::closed_line(outer, Stroke::new(1.5, color)));
        }
    }
    shapes
}

/// Boxes, masks, the mapped cursor and the pane title.
fn decorate(
    ui: &Ui,
    pane: Rect,
    space: PaneSpace,
    model: &ViewerModel,
    hover_in_reference: Option<[f64; 2]>,
    title: &str,
) {
    let painter = ui.painter().with_clip_rect(pane);
    let view = *model.view;
    let to_screen = |p: [f64; 2]| -> Pos2 {
        match space {
            PaneSpace::Reference => view.screen_from_reference(pane, p),
            PaneSpace::RawSuspect(a, _) => {
                suspect_view(&view, a).screen_from_reference(pane, a.map(p))
            }
        }
    };
    for m in &model.doc.session.ignore_masks {
        let [x, y, w, h] = m.to_array().map(f64::from);
        let c = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]].map(to_screen);
        painter.add(Shape::convex_polygon(
            c.to_vec(),
            Color32::from_rgba_unmultiplied(120, 120, 120, 90),
            Stroke::new(1.0, Color32::from_gray(200)),
        ));
        painter.text(
            c[0] + Vec2::new(3.0, 2.0),
            egui::Align2::LEFT_TOP,
            "ignored",
            egui::FontId::proportional(11.0),
            Color32::from_gray(230),
        );
    }
    let outline = |rect: [f64; 4], color: Color32, width: f32| {
        let [x, y, w, h] = rect;
        let c = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]].map(to_screen);
        painter.add(Shape::closed_line(c.to_vec(), Stroke::new(width, color)));
    };
    if let Some(q) = model.quiz {
        for g in &q.guesses {
            outline(
                g.to_array().map(f64::from),
                Color32::from_rgb(0, 230, 255),
                2.0,
            );
        }
        if q.score.is_some() {
            for t in &q.truth {
                outline(padded(&t.bbox, 6.0), Color32::from_rgb(40, 220, 90), 2.5);
            }
        }
    }
    let hide = model.quiz.is_some_and(|q| q.hides_detections());
    if model.prefs.show_boxes && !hide {
        for r in &model.doc.session.regions {
            let [x, y, w, h] = padded(&r.bbox, 3.0);
            let c = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]].map(to_screen);
            let selected = model.state.selected == Some(r.id);
            for s in box_shapes(r, c, selected) {
                painter.add(s);
            }
            let top = c.iter().fold(c[0], |a, p| if p.y < a.y { *p } else { a });
            let galley = painter.layout_no_wrap(
                r.id.to_string(),
                egui::FontId::proportional(13.0),
                Color32::WHITE,
            );
            let at = top - Vec2::new(0.0, galley.size().y + 3.0);
            painter.rect_filled(
                Rect::from_min_size(at, galley.size() + Vec2::new(6.0, 0.0)),
                2.0,
                kind_color(r),
            );
            painter.galley(at + Vec2::new(3.0, 0.0), galley, Color32::WHITE);
        }
    }
    if let Some(p) = hover_in_reference {
        let s = to_screen(p);
        if pane.contains(s) {
            let stroke = Stroke::new(1.0, Color32::from_rgba_unmultiplied(0, 255, 255, 200));
            painter.line_segment([s - Vec2::new(10.0, 0.0), s + Vec2::new(10.0, 0.0)], stroke);
            painter.line_segment([s - Vec2::new(0.0, 10.0), s + Vec2::new(0.0, 10.0)], stroke);
        }
    }
    let galley = painter.layout_no_wrap(
        title.to_string(),
        egui::FontId::proportional(13.0),
        Color32::WHITE,
    );
    let at = pane.min + Vec2::new(6.0, 6.0);
    painter.rect_filled(
        Rect::from_min_size(at - Vec2::splat(3.0), galley.size() + Vec2::splat(6.0)),
        3.0,
        Color32::from_black_alpha(160),
    );
    painter.galley(at, galley, Color32::WHITE);
}

fn swipe_handle(ui: &mut Ui, pane: Rect, swipe: f32, actions: &mut Actions) {
    let x = pane.min.x + pane.width() * swipe;
    let handle = Rect::from_center_size(
        Pos2::new(x, pane.center().y),
        Vec2::new(14.0, pane.height()),
    );
    let response = ui
        .interact(handle, ui.scope_id().with("swipe-divider"), Sense::drag())
        .on_hover_cursor(egui::CursorIcon::ResizeHorizontal);
    if response.dragged() {
        if let Some(p) = response.interact_pointer_pos() {
            actions.push(ViewAction::SetSwipe(
                ((p.x - pane.min.x) / pane.width()).clamp(0.0, 1.0),
            ));
        }
    }
    let painter = ui.painter();
    painter.line_segment(
        [Pos2::new(x, pane.min.y), Pos2::new(x, pane.max.y)],
        Stroke::new(2.0, Color32::WHITE),
    );
    painter.circle_filled(Pos2::new(x, pane.center().y), 8.0, Color32::WHITE);
}

/// A magnifier at the cursor: both images at high zoom, with the pixel values.
fn loupe(ui: &Ui, doc: &Document, pos_in_reference: [f64; 2]) {
    const N: i64 = 15;
    const CELL: f32 = 9.0;
    let Some(pointer) = ui.input(|i| i.pointer.hover_pos()) else {
        return;
    };
    let painter = ui.ctx().layer_painter(egui::LayerId::new(
        egui::Order::Tooltip,
        egui::Id::unique("boarddiff-loupe"),
    ));
    let size = CELL * N as f32;
    let mut origin = pointer + Vec2::new(24.0, 24.0);
    let screen = ui.ctx().content_rect();
    if origin.x + 2.0 * size + 20.0 > screen.max.x {
        origin.x = pointer.x - 2.0 * size - 44.0;
    }
    if origin.y + size + 40.0 > screen.max.y {
        origin.y = pointer.y - size - 64.0;
    }
    // The background is sized once the text is known; a placeholder keeps it underneath.
    let background = painter.add(Shape::Noop);
    let cx = pos_in_reference[0].floor() as i64;
    let cy = pos_in_reference[1].floor() as i64;
    let mut values = Vec::new();
    for (i, pyr) in [&doc.images.reference, &doc.images.warped]
        .into_iter()
        .enumerate()
    {
        let base = origin + Vec2::new(i as f32 * (size + 10.0), 0.0);
        for dy in 0..N {
            for dx in 0..N {
                let p = [
                    (cx + dx - N / 2) as f64 + 0.5,
                    (cy + dy - N / 2) as f64 + 0.5,
                ];
                let color = pyr.pixel(p).map_or(Color32::from_gray(40), |[r, g, b]| {
                    Color32::from_rgb(r, g, b)
                });
                let r = Rect::from_min_size(
                    base + Vec2::new(dx as f32 * CELL, dy as f32 * CELL),
                    Vec2::splat(CELL),
                );
                painter.rect_filled(r, 0.0, color);
            }
        }
        let centre =
            Rect::from_min_size(base + Vec2::splat((N / 2) as f32 * CELL), Vec2::splat(CELL));
        painter.rect_stroke(
            centre,
            0.0,
            Stroke::new(1.0, Color32::WHITE),
            StrokeKind::Outside,
        );
        values.push(pyr.pixel([cx as f64 + 0.5, cy as f64 + 0.5]));
    }
    let fmt = |v: Option<[u8; 3]>| v.map_or("-".to_string(), |[r, g, b]| format!("{r} {g} {b}"));
    let text = painter.layout_no_wrap(
        format!(
            "({cx}, {cy})  ref {}  sus {}",
            fmt(values[0]),
            fmt(values[1])
        ),
        egui::FontId::monospace(12.0),
        Color32::WHITE,
    );
    let text_at = origin + Vec2::new(0.0, size + 6.0);
    let frame = Rect::from_min_max(
        origin - Vec2::splat(6.0),
        Pos2::new(
            (origin.x + 2.0 * size + 16.0).max(text_at.x + text.size().x + 6.0),
            text_at.y + text.size().y + 6.0,
        ),
    );
    painter.set(
        background,
        Shape::rect_filled(frame, 4.0, Color32::from_gray(16)),
    );
    painter.galley(text_at, text, Color32::WHITE);
}
