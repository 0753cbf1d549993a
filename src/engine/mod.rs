//! The comparison engine. No GUI code lives here: everything is testable headless.
pub mod align;
pub mod diff;
pub mod error;
pub mod eval;
pub mod export;
pub mod geometry;
pub mod load;
pub mod photometric;
pub mod pipeline;
pub mod pyramid;
pub mod regions;
pub mod report;
pub mod rng;
pub mod sample;
pub mod synth;
pub mod warp;
