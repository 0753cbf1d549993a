//! The comparison engine. No GUI code lives here: everything is testable headless.
pub mod align;
pub mod error;
pub mod geometry;
pub mod load;
pub mod pyramid;
pub mod rng;
pub mod sample;
pub mod report;
pub mod synth;
pub mod diff;
pub mod photometric;
pub mod regions;
pub mod warp;
pub mod pipeline;
pub mod eval;
pub mod export;
