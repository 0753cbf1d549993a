//! Pixel rectangles that carry their coordinate space in their type. Reference, suspect
//! and working pixels differ by a homography or a scale, so a box from one space used in
//! another is a silent error; the type makes it a compile error. On disk a rectangle is
//! `[x, y, w, h]`, as `report.json` has always written it.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// A coordinate space of pixels.
pub trait Space: 'static {
    const NAME: &'static str;
}

/// Pixels of the full-resolution reference photo.
pub enum Reference {}
/// Pixels of the suspect photo as it was taken.
pub enum Suspect {}
/// Pixels of the working-resolution copy of the reference frame the score map lives in.
pub(crate) enum Work {}

impl Space for Reference {
    const NAME: &'static str = "reference";
}
impl Space for Suspect {
    const NAME: &'static str = "suspect";
}
impl Space for Work {
    const NAME: &'static str = "working";
}

/// `[x, y, w, h]` in whole pixels of space `S`; `x + w` and `y + h` may reach `u32::MAX`
/// only as the exclusive end, which [`Rect::new`] checks.
#[derive(Serialize, Deserialize)]
#[serde(try_from = "[u32; 4]", into = "[u32; 4]")]
pub struct Rect<S: Space> {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    space: PhantomData<S>,
}

pub type RectInReference = Rect<Reference>;
pub type RectInSuspect = Rect<Suspect>;
pub(crate) type RectInWork = Rect<Work>;

impl<S: Space> Rect<S> {
    /// None when the far corner lies beyond `u32::MAX`.
    pub fn new(x: u32, y: u32, w: u32, h: u32) -> Option<Self> {
        x.checked_add(w)?;
        y.checked_add(h)?;
        Some(Self {
            x,
            y,
            w,
            h,
            space: PhantomData,
        })
    }

    /// From corners `[x0, y0)` to `[x1, y1)`; empty when the corners are out of order.
    pub fn from_corners(x0: u32, y0: u32, x1: u32, y1: u32) -> Self {
        Self {
            x: x0,
            y: y0,
            w: x1.saturating_sub(x0),
            h: y1.saturating_sub(y0),
            space: PhantomData,
        }
    }

    pub fn x1(&self) -> u32 {
        self.x + self.w
    }

    pub fn y1(&self) -> u32 {
        self.y + self.h
    }

    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }

    pub fn is_empty(&self) -> bool {
        self.w == 0 || self.h == 0
    }

    pub fn to_array(self) -> [u32; 4] {
        [self.x, self.y, self.w, self.h]
    }

    pub fn centre(&self) -> [f64; 2] {
        [
            self.x as f64 + self.w as f64 / 2.0,
            self.y as f64 + self.h as f64 / 2.0,
        ]
    }

    /// Whether the point (continuous coordinates, pixel `x` spans `[x, x + 1)`) is inside.
    pub fn contains(&self, [px, py]: [f64; 2]) -> bool {
        px >= self.x as f64 && py >= self.y as f64 && px < self.x1() as f64 && py < self.y1() as f64
    }

    /// The area the two rectangles share.
    pub fn intersection_area(&self, other: &Self) -> u64 {
        let iw = self
            .x1()
            .min(other.x1())
            .saturating_sub(self.x.max(other.x));
        let ih = self
            .y1()
            .min(other.y1())
            .saturating_sub(self.y.max(other.y));
        iw as u64 * ih as u64
    }

    /// Intersection over union; 0 for disjoint or empty rectangles.
    pub fn iou(&self, other: &Self) -> f64 {
        let inter = self.intersection_area(other) as f64;
        let union = self.area() as f64 + other.area() as f64 - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// The same box in another space that differs by a pure scale `to_from_self` (for
    /// working and reference pixels): the smallest whole-pixel box covering it.
    pub(crate) fn scaled<T: Space>(&self, to_from_self: f64) -> Rect<T> {
        let s = to_from_self;
        let x0 = (self.x as f64 * s).floor();
        let y0 = (self.y as f64 * s).floor();
        let x1 = (self.x1() as f64 * s).ceil();
        let y1 = (self.y1() as f64 * s).ceil();
        let clamp = |v: f64| v.clamp(0.0, u32::MAX as f64) as u32;
        Rect::from_corners(clamp(x0), clamp(y0), clamp(x1), clamp(y1))
    }
}

/// The rectangle `[x, y, w, h]` overflows u32.
#[derive(Debug)]
pub struct RectOverflow([u32; 4]);

impl fmt::Display for RectOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [x, y, w, h] = self.0;
        write!(
            f,
            "rectangle [{x}, {y}, {w}, {h}] reaches past the largest pixel coordinate"
        )
    }
}

impl<S: Space> TryFrom<[u32; 4]> for Rect<S> {
    type Error = RectOverflow;
    fn try_from([x, y, w, h]: [u32; 4]) -> Result<Self, RectOverflow> {
        Self::new(x, y, w, h).ok_or(RectOverflow([x, y, w, h]))
    }
}

impl<S: Space> From<Rect<S>> for [u32; 4] {
    fn from(r: Rect<S>) -> Self {
        r.to_array()
    }
}

// Derives would demand the bounds of the space marker itself.
impl<S: Space> Clone for Rect<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Space> Copy for Rect<S> {}
impl<S: Space> PartialEq for Rect<S> {
    fn eq(&self, other: &Self) -> bool {
        self.to_array() == other.to_array()
    }
}
impl<S: Space> Eq for Rect<S> {}
impl<S: Space> std::hash::Hash for Rect<S> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_array().hash(state)
    }
}
impl<S: Space> fmt::Debug for Rect<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Rect<{}>[{}, {}, {}, {}]",
            S::NAME,
            self.x,
            self.y,
            self.w,
            self.h
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: u32, y: u32, w: u32, h: u32) -> RectInReference {
        Rect::new(x, y, w, h).unwrap()
    }

    #[test]
    fn overflowing_rectangles_are_refused_on_parse() {
        assert!(Rect::<Reference>::new(1, 1, u32::MAX, u32::MAX).is_none());
        let err = serde_json::from_str::<RectInReference>("[1, 1, 4294967295, 4294967295]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("largest pixel coordinate"), "{err}");
        let ok: RectInReference = serde_json::from_str("[1, 2, 3, 4]").unwrap();
        assert_eq!(ok, r(1, 2, 3, 4));
        assert_eq!(serde_json::to_string(&ok).unwrap(), "[1,2,3,4]");
    }

    #[test]
    fn iou_contains_and_scale() {
        assert!((r(0, 0, 10, 10).iou(&r(5, 0, 10, 10)) - 50.0 / 150.0).abs() < 1e-9);
        assert_eq!(r(0, 0, 10, 10).iou(&r(20, 20, 5, 5)), 0.0);
        assert!(r(10, 10, 5, 5).contains([10.0, 14.9]));
        assert!(!r(10, 10, 5, 5).contains([15.0, 12.0]));
        let work: RectInWork = Rect::new(3, 4, 5, 6).unwrap();
        assert_eq!(work.scaled::<Reference>(1.5), r(4, 6, 8, 9));
    }
}
