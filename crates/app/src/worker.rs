//! The worker thread: decoding, alignment, detection and export run here, never on the UI
//! thread. Jobs go in, outputs come back; progress and Cancel are shared atomics. Each job
//! calls the core, output and synth crates; what is done here is only the plumbing.
use crate::document::{heat_pyramid, DisplayImages, Document, Unaligned};
use crate::prefs::Recent;
use crate::tiles::Pyramid;
use boarddiff_core::align::{Alignment, PointPair};
use boarddiff_core::compare::{
    align_from_points, align_prepared, compare, prepare, Comparison, Start,
};
use boarddiff_core::error::EngineError;
use boarddiff_core::load::{colour_mismatch, load_pair, load_rgb, LoadedImage};
use boarddiff_core::progress::{Progress, Stage};
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::Region;
use boarddiff_core::settings::DetectSettings;
use boarddiff_output::export_options::ExportOptions;
use boarddiff_output::profile::check_reference_hash;
use boarddiff_output::review_folder::write_review_folder;
use boarddiff_output::session::{carry_verdicts, image_info, Session, SESSION_SCHEMA};
use boarddiff_synth::case_folder::{read_case_files, write_quiz_case};
use boarddiff_synth::implant::Difficulty;
use boarddiff_synth::quiz::{write_scorecard, QuizScore};
use boarddiff_synth::truth::{Truth, TruthRegion};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) enum Job {
    Open {
        reference: PathBuf,
        suspect: PathBuf,
        settings: DetectSettings,
        ignore_masks: Vec<RectInReference>,
        /// A golden profile's reference hash, which the reference must still have.
        reference_sha256: Option<String>,
    },
    OpenSession(PathBuf),
    ManualAlign {
        reference: PathBuf,
        suspect: PathBuf,
        points: Vec<PointPair>,
        settings: DetectSettings,
        ignore_masks: Vec<RectInReference>,
        previous: Option<Session>,
    },
    Redetect {
        cmp: Arc<Comparison>,
        settings: DetectSettings,
        ignore_masks: Vec<RectInReference>,
        /// The heat picture is redrawn only when what it shows changed.
        heat_changed: bool,
    },
    Export {
        cmp: Arc<Comparison>,
        session: Session,
        dir: PathBuf,
        options: ExportOptions,
    },
    Quiz {
        reference: PathBuf,
        difficulty: Difficulty,
        seed: u64,
        settings: DetectSettings,
    },
    QuizCase {
        dir: PathBuf,
        settings: DetectSettings,
    },
    Scorecard {
        cmp: Arc<Comparison>,
        tool: Vec<Region>,
        score: QuizScore,
        guesses: Vec<RectInReference>,
        case_name: String,
        dir: PathBuf,
    },
}

impl Job {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Job::Open { .. } => "Comparing",
            Job::OpenSession(_) => "Opening session",
            Job::ManualAlign { .. } => "Aligning from points",
            Job::Redetect { .. } => "Re-detecting",
            Job::Export { .. } | Job::Scorecard { .. } => "Exporting",
            Job::Quiz { .. } => "Generating a quiz case",
            Job::QuizCase { .. } => "Opening the quiz case",
        }
    }
}

pub(crate) struct Opened {
    pub(crate) doc: Document,
    pub(crate) warnings: Vec<String>,
    pub(crate) recent: Recent,
    /// A quiz case: its name and hidden truth.
    pub(crate) quiz: Option<(String, Vec<TruthRegion>)>,
}

/// Regions at new settings, for the session to take.
pub(crate) struct Redetected {
    pub(crate) settings: DetectSettings,
    pub(crate) ignore_masks: Vec<RectInReference>,
    pub(crate) regions: Vec<Region>,
    pub(crate) candidate_peaks: Vec<f32>,
    pub(crate) heat: Option<Pyramid>,
    pub(crate) elapsed: Duration,
}

pub(crate) enum Output {
    Opened(Box<Opened>),
    Unaligned(Box<Unaligned>),
    Redetected(Box<Redetected>),
    Exported(Vec<PathBuf>),
    Failed(String),
    Cancelled,
    /// A re-detection dropped because a newer one was queued behind it.
    Superseded,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ProgressState {
    pub(crate) stage: String,
    pub(crate) fraction: f32,
}

pub(crate) struct Worker {
    jobs: Sender<Job>,
    outputs: Receiver<Output>,
    pub(crate) progress: Arc<Mutex<ProgressState>>,
    cancel: Arc<AtomicBool>,
}

struct Shared {
    progress: Arc<Mutex<ProgressState>>,
    cancel: Arc<AtomicBool>,
    ctx: egui::Context,
}

impl Progress for Shared {
    fn update(&self, stage: Stage, fraction: f32) {
        if let Ok(mut p) = self.progress.lock() {
            p.stage = stage.label().to_string();
            p.fraction = stage.overall(fraction);
        }
        self.ctx.request_repaint();
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

impl Worker {
    pub(crate) fn spawn(ctx: egui::Context) -> Self {
        let (job_tx, job_rx) = channel::<Job>();
        let (out_tx, out_rx) = channel::<Output>();
        let shared = Shared {
            progress: Arc::default(),
            cancel: Arc::default(),
            ctx,
        };
        let progress = shared.progress.clone();
        let cancel = shared.cancel.clone();
        std::thread::Builder::new()
            .name("boarddiff-worker".into())
            .spawn(move || run(job_rx, out_tx, shared))
            .expect("spawning the worker thread");
        Self {
            jobs: job_tx,
            outputs: out_rx,
            progress,
            cancel,
        }
    }

    pub(crate) fn send(&self, job: Job) {
        self.cancel.store(false, Ordering::Relaxed);
        if let Ok(mut p) = self.progress.lock() {
            *p = ProgressState {
                stage: job.label().to_string(),
                fraction: 0.0,
            };
        }
        // The worker only stops when the app drops its sender, so this cannot fail while
        // the app is alive.
        let _ = self.jobs.send(job);
    }

    pub(crate) fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub(crate) fn poll(&self) -> Option<Output> {
        self.outputs.try_recv().ok()
    }
}

fn run(jobs: Receiver<Job>, outputs: Sender<Output>, shared: Shared) {
    let mut queue: VecDeque<Job> = VecDeque::new();
    loop {
        if queue.is_empty() {
            match jobs.recv() {
                Ok(j) => queue.push_back(j),
                Err(_) => return,
            }
        }
        while let Ok(j) = jobs.try_recv() {
            queue.push_back(j);
        }
        // Slider drags queue many re-detections; only the newest matters.
        let Some(job) = queue.pop_front() else {
            continue;
        };
        let superseded = matches!(job, Job::Redetect { .. })
            && queue.iter().any(|j| matches!(j, Job::Redetect { .. }));
        let out = if superseded {
            Output::Superseded
        } else {
            match handle(job, &shared) {
                Ok(o) => o,
                Err(EngineError::Cancelled) => Output::Cancelled,
                Err(e) => Output::Failed(e.to_string()),
            }
        };
        if outputs.send(out).is_err() {
            return;
        }
        shared.ctx.request_repaint();
    }
}

fn handle(job: Job, shared: &Shared) -> Result<Output, EngineError> {
    match job {
        Job::Open {
            reference,
            suspect,
            settings,
            ignore_masks,
            reference_sha256,
        } => open_pair(
            (&reference, reference_sha256.as_deref()),
            &suspect,
            settings,
            ignore_masks,
            None,
            shared,
        ),
        Job::OpenSession(path) => open_session(&path, shared),
        Job::ManualAlign {
            reference,
            suspect,
            points,
            settings,
            ignore_masks,
            previous,
        } => {
            shared.update(Stage::Decode, 0.0);
            let (r, s, warnings) = load_with_warnings(&reference, &suspect)?;
            let prepared = prepare(&r.rgb, &s.rgb, &settings, true);
            let alignment = align_from_points(&r.rgb, &s.rgb, &prepared, &points, shared)?;
            let previous = previous.map(|mut p| {
                p.manual_points = points.clone();
                p
            });
            let mut opened = finish(
                (&reference, r),
                (&suspect, s),
                Start::Prepared(prepared, alignment),
                settings,
                ignore_masks,
                previous,
                warnings,
                shared,
            )?;
            opened.doc.session.manual_points = points;
            Ok(Output::Opened(Box::new(opened)))
        }
        Job::Redetect {
            cmp,
            settings,
            ignore_masks,
            heat_changed,
        } => {
            let start = Instant::now();
            let (regions, candidate_peaks) = cmp.regions_and_peaks(&settings, &ignore_masks);
            let heat = heat_changed.then(|| heat_pyramid(&cmp, &settings));
            Ok(Output::Redetected(Box::new(Redetected {
                settings,
                ignore_masks,
                regions,
                candidate_peaks,
                heat,
                elapsed: start.elapsed(),
            })))
        }
        Job::Export {
            cmp,
            session,
            dir,
            options,
        } => {
            shared.update(Stage::Export, 0.0);
            Ok(Output::Exported(write_review_folder(
                &cmp, &session, &dir, &options,
            )?))
        }
        Job::Quiz {
            reference,
            difficulty,
            seed,
            settings,
        } => {
            shared.update(Stage::Decode, 0.0);
            let photo = load_rgb(&reference)?;
            let dir = std::env::temp_dir()
                .join("boarddiff-quiz")
                .join(format!("{difficulty:?}-{seed}").to_ascii_lowercase());
            write_quiz_case(&dir, &reference, &photo.rgb, difficulty, seed)?;
            quiz_case(&dir, settings, shared)
        }
        Job::QuizCase { dir, settings } => quiz_case(&dir, settings, shared),
        Job::Scorecard {
            cmp,
            tool,
            score,
            guesses,
            case_name,
            dir,
        } => Ok(Output::Exported(vec![write_scorecard(
            &cmp, &tool, &score, &guesses, &case_name, &dir,
        )?])),
    }
}

/// `reference` with the SHA-256 a golden profile requires of it, if any.
fn open_pair(
    (reference, reference_sha256): (&Path, Option<&str>),
    suspect: &Path,
    settings: DetectSettings,
    ignore_masks: Vec<RectInReference>,
    previous: Option<Session>,
    shared: &Shared,
) -> Result<Output, EngineError> {
    shared.update(Stage::Decode, 0.0);
    let (r, s, warnings) = load_with_warnings(reference, suspect)?;
    if let Some(expected) = reference_sha256 {
        check_reference_hash(reference, expected, &r)?;
    }
    shared.check()?;
    shared.update(Stage::Align, 0.0);
    let prepared = prepare(&r.rgb, &s.rgb, &settings, true);
    match align_prepared(&r.rgb, &s.rgb, &prepared, shared) {
        Ok(alignment) => Ok(Output::Opened(Box::new(finish(
            (reference, r),
            (suspect, s),
            Start::Prepared(prepared, alignment),
            settings,
            ignore_masks,
            previous,
            warnings,
            shared,
        )?))),
        Err(EngineError::AlignmentRefused { reason }) => {
            let (rp, sp) = rayon::join(
                || Pyramid::build(Arc::new(r.rgb), 1.0),
                || Pyramid::build(Arc::new(s.rgb), 1.0),
            );
            Ok(Output::Unaligned(Box::new(Unaligned {
                reference_path: reference.to_owned(),
                suspect_path: suspect.to_owned(),
                reference: Arc::new(rp),
                suspect: Arc::new(sp),
                reason,
                previous,
            })))
        }
        Err(e) => Err(e),
    }
}

/// Opens a case folder (reference, suspect, truth.json) as a quiz: the truth stays hidden
/// in the app until the trainee submits.
fn quiz_case(dir: &Path, settings: DetectSettings, shared: &Shared) -> Result<Output, EngineError> {
    let files = read_case_files(dir)?;
    let truth = Truth::read(&files.truth)?;
    let (reference, suspect) = (files.reference, files.suspect);
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match open_pair(
        (&reference, None),
        &suspect,
        settings,
        Vec::new(),
        None,
        shared,
    )? {
        Output::Opened(mut o) => {
            o.quiz = Some((name, truth.modifications));
            Ok(Output::Opened(o))
        }
        other => Ok(other),
    }
}

fn open_session(path: &Path, shared: &Shared) -> Result<Output, EngineError> {
    let mut session = Session::load(path)?;
    let reference = PathBuf::from(&session.reference.path);
    let suspect = PathBuf::from(&session.suspect.path);
    let (settings, ignore_masks) = (session.settings.clone(), session.ignore_masks.clone());
    let Some(alignment) = session.alignment.clone() else {
        return open_pair(
            (&reference, None),
            &suspect,
            settings,
            ignore_masks,
            Some(session),
            shared,
        );
    };
    shared.update(Stage::Decode, 0.0);
    let (r, s, warnings) = load_with_warnings(&reference, &suspect)?;
    // A photo that changed since review opens with the warning in the session, so every
    // report exported from it says so.
    let before = session.warnings.len();
    session.check_images(&r, &s, true)?;
    let changed = session.warnings[before..].to_vec();
    let mut opened = finish(
        (&reference, r),
        (&suspect, s),
        Start::Aligned(alignment),
        settings,
        ignore_masks,
        Some(session),
        warnings,
        shared,
    )?;
    opened.doc.session_path = Some(path.to_owned());
    opened.warnings = changed;
    opened.recent = Recent::Session(path.to_owned());
    Ok(Output::Opened(Box::new(opened)))
}

/// Both photos decoded, and the warning when one is greyscale and the other not.
fn load_with_warnings(
    reference: &Path,
    suspect: &Path,
) -> Result<(LoadedImage, LoadedImage, Vec<String>), EngineError> {
    let (r, s) = load_pair(reference, suspect)?;
    let warnings = colour_mismatch(r.grey, s.grey).into_iter().collect();
    Ok((r, s, warnings))
}

/// From decoded images and an alignment to a reviewable document. A previous session's
/// regions, verdicts and notes are kept when its alignment is reused, and carried over by
/// overlap when the alignment changed.
#[allow(clippy::too_many_arguments)]
fn finish(
    (reference_path, reference): (&Path, LoadedImage),
    (suspect_path, suspect): (&Path, LoadedImage),
    start: Start,
    settings: DetectSettings,
    ignore_masks: Vec<RectInReference>,
    previous: Option<Session>,
    mut warnings: Vec<String>,
    shared: &Shared,
) -> Result<Opened, EngineError> {
    let reference_info = image_info(reference_path, &reference);
    let suspect_info = image_info(suspect_path, &suspect);
    let compared = compare(
        reference.rgb,
        suspect.rgb,
        start,
        &settings,
        &ignore_masks,
        shared,
    )?;
    let cmp = Arc::new(compared.comparison);
    shared.update(Stage::Export, 0.5);
    let images = DisplayImages::build(&cmp, &settings);
    let background = cmp.clone();
    // Score maps for the other tolerances, so the tolerance slider only re-thresholds.
    rayon::spawn(move || background.precompute_tolerances());
    let alignment: Alignment = cmp.alignment.clone();
    let mut regions = compared.regions;
    let mut manual_points = Vec::new();
    if let Some(prev) = &previous {
        manual_points = prev.manual_points.clone();
        warnings.extend(
            prev.warnings
                .iter()
                .filter(|w| !warnings.contains(w))
                .cloned()
                .collect::<Vec<_>>(),
        );
        if prev.alignment.as_ref() == Some(&alignment) {
            regions = prev.regions.clone();
        } else {
            carry_verdicts(&prev.regions, &mut regions);
        }
    }
    let session = Session {
        schema: SESSION_SCHEMA,
        reference: reference_info,
        suspect: suspect_info,
        alignment: Some(alignment),
        manual_points,
        settings,
        ignore_masks,
        regions,
        warnings,
    };
    Ok(Opened {
        recent: Recent::Pair {
            reference: reference_path.to_owned(),
            suspect: suspect_path.to_owned(),
        },
        doc: Document {
            cmp,
            session,
            session_path: None,
            images,
            candidate_peaks: compared.candidate_peaks,
        },
        warnings: Vec::new(),
        quiz: None,
    })
}
