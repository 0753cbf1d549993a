//! Synthesis: a procedural board renderer and a simulator of a second photo with planted
//! changes, so that every accuracy number in the project is measured against exact truth.
pub mod camera;
pub mod canvas;
pub mod case;
pub mod implant;
pub mod layout;
pub mod paint;
pub mod placement;
