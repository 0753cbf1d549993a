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
    #[error("{path}: not a regular file (a device, a pipe or a folder cannot be read as one)")]
    NotAFile { path: PathBuf },
    #[error("{path}: file is {bytes} bytes, larger than the limit of {limit} bytes")]
    FileTooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
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
    #[error(
        "{suspect} is {}x{} but the reference {reference} is {}x{}: registered images have \
         the same size (compare without --registered to align them automatically)",
        suspect_size.0, suspect_size.1, reference_size.0, reference_size.1
    )]
    NotRegistered {
        reference: PathBuf,
        suspect: PathBuf,
        reference_size: (u32, u32),
        suspect_size: (u32, u32),
    },
    #[error("alignment refused: {reason}")]
    AlignmentRefused { reason: String },
    #[error("{path}: invalid {what}: {detail}")]
    InvalidInput {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("invalid detection settings: {detail}")]
    InvalidSettings { detail: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

impl EngineError {
    /// An I/O error on `path`: a missing file gets its own, clearer message.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::NotFound => EngineError::NotFound {
                path: path.to_owned(),
            },
            _ => EngineError::Io {
                path: path.to_owned(),
                source,
            },
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
