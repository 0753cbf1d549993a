//! The one view transform shared by every pane: which reference pixel sits at a pane's
//! centre, and how many screen points one reference pixel covers. Pure, so it is tested
//! without a window.
use egui::{Pos2, Rect, Vec2};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewTransform {
    /// Reference pixel shown at the centre of each pane.
    pub center_in_reference: [f64; 2],
    /// Screen points per reference pixel.
    pub scale: f64,
}

pub(crate) const MIN_SCALE: f64 = 1.0 / 256.0;
pub(crate) const MAX_SCALE: f64 = 64.0;

impl Default for ViewTransform {
    fn default() -> Self {
        Self {
            center_in_reference: [0.0, 0.0],
            scale: 1.0,
        }
    }
}

impl ViewTransform {
    /// The whole image inside a pane, with a small border.
    pub(crate) fn fit(image_size: [f64; 2], pane_size: Vec2) -> Self {
        let sx = pane_size.x as f64 / image_size[0].max(1.0);
        let sy = pane_size.y as f64 / image_size[1].max(1.0);
        Self {
            center_in_reference: [image_size[0] / 2.0, image_size[1] / 2.0],
            scale: (sx.min(sy) * 0.97).clamp(MIN_SCALE, MAX_SCALE),
        }
    }

    /// Centred on a box, zoomed so that the box fills about a third of the pane.
    pub(crate) fn focus(bbox_in_reference: [f64; 4], pane_size: Vec2) -> Self {
        let [x, y, w, h] = bbox_in_reference;
        let sx = pane_size.x as f64 / (3.0 * w.max(8.0));
        let sy = pane_size.y as f64 / (3.0 * h.max(8.0));
        Self {
            center_in_reference: [x + w / 2.0, y + h / 2.0],
            scale: sx.min(sy).clamp(MIN_SCALE, 16.0),
        }
    }

    pub fn screen_from_reference(&self, pane: Rect, pos_in_reference: [f64; 2]) -> Pos2 {
        let c = pane.center();
        Pos2::new(
            (c.x as f64 + (pos_in_reference[0] - self.center_in_reference[0]) * self.scale) as f32,
            (c.y as f64 + (pos_in_reference[1] - self.center_in_reference[1]) * self.scale) as f32,
        )
    }

    pub(crate) fn reference_from_screen(&self, pane: Rect, pos_on_screen: Pos2) -> [f64; 2] {
        let c = pane.center();
        [
            self.center_in_reference[0] + (pos_on_screen.x - c.x) as f64 / self.scale,
            self.center_in_reference[1] + (pos_on_screen.y - c.y) as f64 / self.scale,
        ]
    }

    /// A reference rectangle [x, y, w, h] on screen.
    pub(crate) fn screen_rect(&self, pane: Rect, rect_in_reference: [f64; 4]) -> Rect {
        let [x, y, w, h] = rect_in_reference;
        Rect::from_min_max(
            self.screen_from_reference(pane, [x, y]),
            self.screen_from_reference(pane, [x + w, y + h]),
        )
    }

    /// The reference rectangle [x0, y0, x1, y1] visible in a pane.
    pub(crate) fn visible_reference(&self, pane: Rect) -> [f64; 4] {
        let a = self.reference_from_screen(pane, pane.min);
        let b = self.reference_from_screen(pane, pane.max);
        [a[0], a[1], b[0], b[1]]
    }

    /// Zooms by `factor`, keeping the reference point under `anchor` fixed on screen.
    pub(crate) fn zoom_at(&mut self, pane: Rect, anchor: Pos2, factor: f64) {
        let before = self.reference_from_screen(pane, anchor);
        self.scale = (self.scale * factor).clamp(MIN_SCALE, MAX_SCALE);
        let after = self.reference_from_screen(pane, anchor);
        self.center_in_reference[0] += before[0] - after[0];
        self.center_in_reference[1] += before[1] - after[1];
    }

    /// Moves the image with the pointer: a drag by `delta` screen points.
    pub(crate) fn pan(&mut self, delta: Vec2) {
        self.center_in_reference[0] -= delta.x as f64 / self.scale;
        self.center_in_reference[1] -= delta.y as f64 / self.scale;
    }

    /// 1:1: one image pixel per physical screen pixel, keeping the centre.
    pub(crate) fn actual_size(&mut self, pixels_per_point: f32) {
        self.scale = 1.0 / pixels_per_point as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane() -> Rect {
        Rect::from_min_size(Pos2::new(100.0, 50.0), Vec2::new(800.0, 600.0))
    }

    #[test]
    fn screen_and_reference_round_trip() {
        let v = ViewTransform {
            center_in_reference: [3000.0, 2000.0],
            scale: 0.37,
        };
        let p = [1234.5, 987.25];
        let s = v.screen_from_reference(pane(), p);
        let back = v.reference_from_screen(pane(), s);
        assert!((back[0] - p[0]).abs() < 1e-2 && (back[1] - p[1]).abs() < 1e-2);
        assert_eq!(
            v.screen_from_reference(pane(), [3000.0, 2000.0]),
            pane().center()
        );
    }

    #[test]
    fn zoom_keeps_the_anchor_fixed() {
        let mut v = ViewTransform::fit([6000.0, 4000.0], pane().size());
        let anchor = Pos2::new(300.0, 200.0);
        let before = v.reference_from_screen(pane(), anchor);
        v.zoom_at(pane(), anchor, 2.5);
        let after = v.reference_from_screen(pane(), anchor);
        assert!((before[0] - after[0]).abs() < 1e-6 && (before[1] - after[1]).abs() < 1e-6);
        v.zoom_at(pane(), anchor, 1e9);
        assert_eq!(v.scale, MAX_SCALE);
    }

    #[test]
    fn fit_shows_everything_and_pan_moves_with_pointer() {
        let mut v = ViewTransform::fit([6000.0, 4000.0], pane().size());
        let [x0, y0, x1, y1] = v.visible_reference(pane());
        assert!(x0 <= 0.0 && y0 <= 0.0 && x1 >= 6000.0 && y1 >= 4000.0);
        let before = v.screen_from_reference(pane(), [100.0, 100.0]);
        v.pan(Vec2::new(40.0, -10.0));
        let after = v.screen_from_reference(pane(), [100.0, 100.0]);
        assert!(
            (after.x - before.x - 40.0).abs() < 1e-3 && (after.y - before.y + 10.0).abs() < 1e-3
        );
    }

    #[test]
    fn focus_centres_the_box() {
        let v = ViewTransform::focus([500.0, 700.0, 60.0, 40.0], pane().size());
        assert_eq!(v.center_in_reference, [530.0, 720.0]);
        let r = v.screen_rect(pane(), [500.0, 700.0, 60.0, 40.0]);
        assert!(r.width() > 150.0 && r.width() < 300.0);
    }
}
