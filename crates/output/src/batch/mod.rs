//! `boarddiff batch`: many suspects against one golden board. The reference is decoded and
//! prepared once ([`PreparedReference`]); suspects run a few at a time, each into its own
//! folder as `compare` writes it, and the batch folder gets a summary for people
//! (`index.html`), for spreadsheets (`summary.csv`), for CI (`junit.xml`) and for tools
//! (`summary.json`). The whole folder is one run ([`RunFolder`]).
mod merge;
mod summary;

pub use merge::merge_batches;
pub use summary::{BatchSummary, RowStatus, Shard, SuspectRow, SUMMARY_FILES};

use crate::annotate::{annotated_from, reference_marks};
use crate::compare_folder::{write_outcome, Written};
use crate::encode::encode_jpeg;
use crate::html_report::html_report;
use crate::profile::{check_reference_hash, reference_changed};
use crate::session::{image_info, Session};
use boarddiff_core::compare::{compare_to_prepared, PreparedReference};
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::load::{colour_mismatch, load_rgb, sha256_file, LoadedImage};
use boarddiff_core::progress::{NoProgress, Stage, Timings};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{AlignmentReport, ImageInfo, Region, Report, SCHEMA};
use boarddiff_core::run_folder::RunFolder;
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::write::write_atomic;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Longest side of each suspect's thumbnail in index.html.
const THUMBNAIL_SIDE: u32 = 320;
/// Memory one suspect in flight takes, per pixel of the photos, with headroom over the
/// peak RSS `examples/batch_bench` measures at one and at two suspects in flight.
pub const BYTES_PER_SUSPECT_PIXEL: u64 = 10;
/// Memory the prepared reference and the process take, per pixel of the reference (the
/// same measurement).
pub const BYTES_PER_REFERENCE_PIXEL: u64 = 6;

/// One suspect photo and the folder name its results get inside the batch folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Suspect {
    pub path: PathBuf,
    pub name: String,
}

pub struct BatchJob {
    pub reference: PathBuf,
    /// The reference's SHA-256 as a golden profile recorded it; a different photo is
    /// refused before any suspect is compared.
    pub reference_sha256: Option<String>,
    pub suspects: Vec<Suspect>,
    /// How many suspects were in the whole list when this is one shard of it.
    pub shard: Option<Shard>,
    pub out: PathBuf,
    pub settings: DetectSettings,
    pub ignore_masks: Vec<RectInReference>,
    /// Suspects compared at once; None chooses from the cores and the memory available.
    pub jobs: Option<usize>,
    /// Also write each suspect's self-contained report.html.
    pub html: bool,
    /// Other files the batch reads (a profile, a mask file): never inside `out`.
    pub other_inputs: Vec<PathBuf>,
}

/// What the batch reports as it goes.
pub trait BatchProgress: Sync {
    /// The reference is decoded and prepared; suspects start.
    fn prepared(&self, _total: usize) {}
    /// One suspect finished (in any order).
    fn finished(&self, _row: &SuspectRow, _done: usize, _total: usize) {}
}

impl BatchProgress for NoProgress {}

/// Folder names for suspect photos: the file's stem, made safe, numbered where two
/// stems are the same or a stem is one of the batch's own files. Deterministic for a
/// list, so every shard of a list names a suspect alike.
pub fn suspect_names(paths: &[PathBuf]) -> Vec<Suspect> {
    let mut taken: std::collections::HashSet<String> =
        SUMMARY_FILES.iter().map(|s| s.to_string()).collect();
    paths
        .iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut safe: String = stem
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if safe.is_empty() || safe.starts_with('.') {
                safe.insert_str(0, "suspect");
            }
            let mut name = safe.clone();
            let mut i = 2;
            // Case-blind: two names that differ only in case are one folder on Windows and macOS.
            while !taken.insert(name.to_lowercase()) {
                name = format!("{safe}-{i}");
                i += 1;
            }
            Suspect {
                path: path.clone(),
                name,
            }
        })
        .collect()
}

/// How many suspects may be in flight at once in `available` bytes of memory, for
/// photos of `pixels`: at least one.
pub fn jobs_for_memory(available: u64, pixels: u64) -> usize {
    let reference = pixels * BYTES_PER_REFERENCE_PIXEL;
    let per_suspect = (pixels * BYTES_PER_SUSPECT_PIXEL).max(1);
    (available.saturating_sub(reference) / per_suspect).max(1) as usize
}

/// Suspects in flight by default: one more than the cores, up to four. Each comparison is
/// parallel itself; the extra ones fill the cores during the others' serial parts
/// (decoding, PNG encoding). Fewer when memory would not hold them.
fn default_jobs(pixels: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = boarddiff_core::memory::available_bytes()
        .map_or(usize::MAX, |bytes| jobs_for_memory(bytes, pixels));
    (cores + 1).min(MAX_DEFAULT_JOBS).min(memory)
}

const MAX_DEFAULT_JOBS: usize = 4;

/// Runs the batch into `job.out` and returns its summary. A suspect that cannot be read or
/// aligned is a row with its reason; only a reference that cannot be used, or an output
/// folder that cannot be written, ends the batch early.
pub fn run_batch(job: &BatchJob, progress: &dyn BatchProgress) -> Result<BatchSummary> {
    let started = Instant::now();
    let mut inputs: Vec<&Path> = vec![job.reference.as_path()];
    inputs.extend(job.suspects.iter().map(|s| s.path.as_path()));
    inputs.extend(job.other_inputs.iter().map(PathBuf::as_path));
    // A profile's reference that changed is refused before anything is written; the bytes
    // decoded below are held to the hash again.
    if let Some(expected) = &job.reference_sha256 {
        let now = sha256_file(&job.reference)?;
        if &now != expected {
            return Err(reference_changed(&job.reference, expected, &now));
        }
    }
    let run = RunFolder::begin(&job.out, &inputs)?;
    // The reference's decoder is single-threaded: the first suspect decodes beside it.
    let (loaded, first) = rayon::join(
        || load_rgb(&job.reference),
        || job.suspects.first().map(decode),
    );
    let first = Mutex::new(first);
    let loaded = loaded?;
    if let Some(expected) = &job.reference_sha256 {
        check_reference_hash(&job.reference, expected, &loaded)?;
    }
    let reference_info = image_info(&job.reference, &loaded);
    let reference_grey = loaded.grey;
    let pixels = u64::from(loaded.rgb.width()) * u64::from(loaded.rgb.height());
    let jobs = job.jobs.unwrap_or_else(|| default_jobs(pixels)).max(1);
    let prepared = PreparedReference::new(loaded.rgb, &job.settings);
    let total = job.suspects.len();
    progress.prepared(total);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<SuspectRow>>> = Mutex::new(vec![None; total]);
    let fatal: Mutex<Option<EngineError>> = Mutex::new(None);
    let context = Context {
        prepared: &prepared,
        reference_info: &reference_info,
        reference_grey,
        job,
        dir: run.path(),
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(total.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let stop = fatal.lock().map_or(true, |f| f.is_some());
                if i >= total || stop {
                    break;
                }
                let decoded = match i {
                    0 => first.lock().ok().and_then(|mut f| f.take()),
                    _ => None,
                }
                .unwrap_or_else(|| decode(&job.suspects[i]));
                match context.inspect(&job.suspects[i], decoded) {
                    Ok(row) => {
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        progress.finished(&row, n, total);
                        if let Ok(mut rows) = rows.lock() {
                            rows[i] = Some(row);
                        }
                    }
                    Err(e) => {
                        if let Ok(mut f) = fatal.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let rows: Vec<SuspectRow> = rows
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let summary = BatchSummary::new(
        reference_info.clone(),
        job.settings.clone(),
        job.ignore_masks.len(),
        job.shard,
        rows,
        started.elapsed().as_secs_f64(),
        jobs,
    );
    summary.write(run.path())?;
    run.commit()?;
    Ok(summary)
}

/// A suspect's photo decoded, and how long that took.
struct Decoded {
    image: Result<LoadedImage>,
    seconds: std::time::Duration,
}

fn decode(suspect: &Suspect) -> Decoded {
    let start = Instant::now();
    let image = load_rgb(&suspect.path);
    Decoded {
        image,
        seconds: start.elapsed(),
    }
}

/// What every suspect of a batch shares.
struct Context<'a> {
    prepared: &'a PreparedReference,
    reference_info: &'a ImageInfo,
    reference_grey: bool,
    job: &'a BatchJob,
    dir: &'a Path,
}

impl Context<'_> {
    /// Compares one suspect into its folder. Errors are only those that end the batch
    /// (the folder cannot be written); a bad photo or a refused alignment is a row.
    fn inspect(&self, suspect: &Suspect, decoded: Decoded) -> Result<SuspectRow> {
        let started = Instant::now() - decoded.seconds;
        let mut timings = Timings::default();
        timings
            .0
            .push((Stage::Decode, decoded.seconds.as_secs_f64()));
        let row = |status: RowStatus, reason: Option<String>| {
            SuspectRow::unread(suspect, status, reason, started.elapsed().as_secs_f64())
        };
        let loaded = match decoded.image {
            Ok(l) => l,
            Err(e) => return Ok(row(RowStatus::Error, Some(e.to_string()))),
        };
        let report = Report {
            schema: SCHEMA,
            reference: self.reference_info.clone(),
            suspect: image_info(&suspect.path, &loaded),
            alignment: AlignmentReport::new(None, None),
            regions: Vec::new(),
            settings: self.job.settings.clone(),
            ignore_masks: self.job.ignore_masks.clone(),
            timings_s: Vec::new(),
            warnings: colour_mismatch(self.reference_grey, loaded.grey)
                .into_iter()
                .collect(),
        };
        let outcome = compare_to_prepared(
            self.prepared,
            loaded.rgb,
            &self.job.settings,
            &self.job.ignore_masks,
            &NoProgress,
        );
        let outcome = match outcome {
            Err(e @ (EngineError::AlignmentRefused { .. } | EngineError::Write { .. })) => Err(e),
            Err(e) => return Ok(row(RowStatus::Error, Some(e.to_string()))),
            ok => ok,
        };
        let dir = self.dir.join(&suspect.name);
        let written = write_outcome(outcome, report, timings, &dir, &NoProgress)?;
        self.write_extras(&written, &dir)?;
        Ok(SuspectRow::of_report(
            suspect,
            &written.report,
            started.elapsed().as_secs_f64(),
        ))
    }

    /// The session the app opens, the thumbnail index.html shows and, when asked, the
    /// self-contained report.
    fn write_extras(&self, written: &Written, dir: &Path) -> Result<()> {
        let alignment = written.comparison.as_ref().map(|c| c.alignment.clone());
        let session = Session::of_report(&written.report, alignment);
        write_atomic(&dir.join(SESSION_FILE), &session.to_json()?)?;
        let Some(cmp) = &written.comparison else {
            return Ok(());
        };
        let regions: Vec<&Region> = written.report.regions.iter().collect();
        // The aligned suspect at working resolution: a thumbnail of the full photo would
        // shrink 24 MP for a picture of 320 px.
        let thumbnail = annotated_from(
            cmp.reference.dimensions(),
            &cmp.work_suspect.image,
            &reference_marks(&regions),
            THUMBNAIL_SIDE,
        );
        write_atomic(&dir.join(THUMBNAIL_FILE), &encode_jpeg(&thumbnail, 85))?;
        if self.job.html {
            write_atomic(
                &dir.join("report.html"),
                html_report(cmp, &session).as_bytes(),
            )?;
        }
        Ok(())
    }
}

/// In each suspect's folder: the review session and index.html's thumbnail.
pub const SESSION_FILE: &str = "session.boarddiff";
pub const THUMBNAIL_FILE: &str = "thumbnail.jpg";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_unique_safe_and_never_the_batch_files() {
        let paths: Vec<PathBuf> = [
            "a/board 7.jpg",
            "b/board 7.jpg",
            "c/board_7.png",
            "index.jpg",
            "index.html.jpg",
            "B/Board_7.jpg",
            "../.hidden.jpg",
            "x/../weird:name?.tif",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let names: Vec<String> = suspect_names(&paths).into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "board_7",
                "board_7-2",
                "board_7-3",
                "index",
                "index.html-2",
                "Board_7-4",
                "suspect.hidden",
                "weird_name_"
            ]
        );
    }

    #[test]
    fn memory_bounds_the_suspects_in_flight() {
        let px = 24_000_000;
        assert_eq!(jobs_for_memory(0, px), 1);
        let one = px * (BYTES_PER_REFERENCE_PIXEL + BYTES_PER_SUSPECT_PIXEL);
        assert_eq!(jobs_for_memory(one, px), 1);
        assert_eq!(
            jobs_for_memory(one + 3 * px * BYTES_PER_SUSPECT_PIXEL, px),
            4
        );
    }
}
