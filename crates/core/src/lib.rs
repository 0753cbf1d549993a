//! The boarddiff comparison pipeline, with no GUI or command-line dependency: two photos
//! of the same board model in, regions where a part was added, removed or altered out.
//!
//! The modules follow the pipeline, in order:
//! [`load`] → [`pyramid`] → [`align`] → [`warp`] → [`normalise`] → [`diff`] → [`regions`],
//! with [`compare`] running them as one call, [`progress`] for progress and cancel, and the
//! types that leave the pipeline in [`report`] and [`settings`]. Every homography maps
//! REFERENCE pixels to SUSPECT pixels with pixel centres at integers (OpenCV's convention).
pub mod align;
pub mod compare;
pub mod diff;
pub(crate) mod jpeg_check;
pub mod load;
pub(crate) mod normalise;
pub mod progress;
pub mod pyramid;
pub(crate) mod regions;
pub mod warp;

pub mod error;
pub mod geometry;
pub mod memory;
pub mod rect;
pub mod report;
pub mod rng;
pub mod run_folder;
pub mod sample;
pub mod settings;
pub mod write;

mod simd;
pub mod trace;

#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
