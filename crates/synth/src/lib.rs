//! The trainer kit and the measurement harness: a procedural board renderer, a simulator
//! that plants implants in any board photo and re-photographs it as a second board,
//! quiz scoring for trainees, and evaluation against truth on generated cases and on
//! public datasets (DeepPCB, PKU/VOC).
pub mod camera;
pub(crate) mod canvas;
pub mod case;
pub mod case_folder;
pub mod datasets;
pub mod eval;
pub mod froc_plot;
pub mod implant;
pub mod layout;
pub mod paint;
mod photo_patch;
pub(crate) mod placement;
pub mod quiz;
pub mod truth;
pub mod variation;
