//! Progress and cancellation: the one way long work reports how far it got and learns
//! that the user pressed Cancel. The command line draws a bar from it, the app a progress
//! bar with a Cancel button, tests and batch runs pass [`NoProgress`].
use crate::error::{EngineError, Result};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Decode,
    Pyramid,
    Align,
    Warp,
    Normalise,
    Diff,
    Regions,
    Export,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Pyramid => "pyramid",
            Stage::Align => "align",
            Stage::Warp => "warp",
            Stage::Normalise => "normalise",
            Stage::Diff => "diff",
            Stage::Regions => "regions",
            Stage::Export => "export",
        }
    }

    /// Where `fraction` of this stage lies on one bar for a whole comparison, from 0 to 1.
    /// The spans follow typical stage times at 24 MP, so that the bar moves evenly.
    pub fn overall(self, fraction: f32) -> f32 {
        let (start, end) = match self {
            Stage::Decode => (0.0, 0.15),
            Stage::Pyramid => (0.15, 0.2),
            Stage::Align => (0.2, 0.55),
            Stage::Warp => (0.55, 0.6),
            Stage::Normalise => (0.6, 0.65),
            Stage::Diff => (0.65, 0.8),
            Stage::Regions => (0.8, 0.85),
            Stage::Export => (0.85, 1.0),
        };
        start + (end - start) * fraction.clamp(0.0, 1.0)
    }
}

/// Receives progress from worker threads; `cancelled` is polled between steps.
pub trait Progress: Sync {
    fn update(&self, stage: Stage, fraction: f32);

    fn cancelled(&self) -> bool {
        false
    }

    /// The one cancel check: [`EngineError::Cancelled`] once the user asked to stop.
    fn check(&self) -> Result<()> {
        if self.cancelled() {
            Err(EngineError::Cancelled)
        } else {
            Ok(())
        }
    }
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _: Stage, _: f32) {}
}

/// Seconds spent in each stage, in the order they ran.
#[derive(Clone, Debug, Default)]
pub struct Timings(pub Vec<(Stage, f64)>);

impl Timings {
    pub fn time<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0.push((stage, start.elapsed().as_secs_f64()));
        out
    }

    /// As report.json lists them: label and seconds rounded to the millisecond.
    pub fn as_pairs(&self) -> Vec<(String, f64)> {
        self.0
            .iter()
            .map(|(s, t)| (s.label().to_string(), (t * 1000.0).round() / 1000.0))
            .collect()
    }
}
