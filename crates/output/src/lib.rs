//! What boarddiff writes for people and for other tools: the annotated overview, crop
//! sheets of each region, the self-contained HTML report, the folders `compare` and
//! `export` fill, and the review session file.
pub mod annotate;
pub mod batch;
pub mod compare_folder;
pub mod crops;
pub mod draw;
pub mod encode;
pub mod export_options;
pub mod html_report;
mod json_file;
pub mod profile;
pub mod review_folder;
pub mod session;
