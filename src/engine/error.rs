//! Engine error type. Every variant names the file (where there is one) and the problem,
//! because the message is what an inspector sees when something goes wrong.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: file is empty (0 bytes)")]
    Empty { path: PathBuf },
    #[error(
        "{path}: unsupported or unrecognised image format (supported: JPEG, PNG, TIFF, WebP, BMP)"
    )]
    UnsupportedFormat { path: PathBuf },
    #[error("{path}: image is truncated or corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: image dimensions {width}x{height} exceed the limit of {limit_mp} megapixels (possible decompression bomb)")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        limit_mp: u32,
    },
    #[error("{path}: image is {width}x{height}, smaller than the minimum of {min}x{min} pixels")]
    TooSmall {
        path: PathBuf,
        width: u32,
        height: u32,
        min: u32,
    },
    #[error("alignment refused: {reason}")]
    AlignmentRefused { reason: String },
    #[error("{path}: invalid {what}: {detail}")]
    InvalidInput {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
