//! The worker thread: decoding, alignment, detection and export run here, never on the UI
//! thread. Jobs go in, outputs come back; progress and Cancel are shared atomics.
use crate::app::document::{heat_pyramid, DisplayImages, Document, Unaligned};
use crate::app::prefs::Recent;
use crate::app::tiles::Pyramid;
use crate::engine::align::{self, AlignProgress, Alignment, PointPair};
use crate::engine::diff::ScoreMap;
use crate::engine::error::EngineError;
use crate::engine::pipeline::{
    align_prepared, compare_prepared, compare_with_alignment, load_pair, prepare, Comparison,
    Prepared, Progress, Stage,
};
use crate::engine::quiz::QuizScore;
use crate::engine::regions::DetectSettings;
use crate::engine::report::{write_atomic, write_json, Region, Truth, TruthRegion};
use crate::engine::review_export::{export_review, ExportOptions};
use crate::engine::session::{carry_verdicts, image_info, Session, SESSION_SCHEMA};
use crate::engine::synth::implant::{simulate, Difficulty, ImplantSpec};
use image::RgbImage;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub enum Job {
    Open {
        reference: PathBuf,
        suspect: PathBuf,
        settings: DetectSettings,
        masks: Vec<[u32; 4]>,
    },
    OpenSession(PathBuf),
    ManualAlign {
        reference: PathBuf,
        suspect: PathBuf,
        points: Vec<PointPair>,
        settings: DetectSettings,
        masks: Vec<[u32; 4]>,
        previous: Option<Session>,
    },
    Redetect {
        cmp: Arc<Comparison>,
        settings: DetectSettings,
        masks: Vec<[u32; 4]>,
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
        score: QuizScore,
        guesses: Vec<[u32; 4]>,
        case_name: String,
        dir: PathBuf,
    },
}

impl Job {
    pub fn label(&self) -> &'static str {
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

pub struct Opened {
    pub doc: Document,
    pub warnings: Vec<String>,
    pub recent: Recent,
    /// A quiz case: its name and hidden truth.
    pub quiz: Option<(String, Vec<TruthRegion>)>,
}

pub struct Redetected {
    pub settings: DetectSettings,
    pub masks: Vec<[u32; 4]>,
    pub score: Option<Arc<ScoreMap>>,
    pub regions: Vec<Region>,
    pub heat: Option<Pyramid>,
    pub elapsed: Duration,
}

pub enum Output {
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
pub struct ProgressState {
    pub stage: String,
    pub fraction: f32,
}

pub struct Worker {
    jobs: Sender<Job>,
    outputs: Receiver<Output>,
    pub progress: Arc<Mutex<ProgressState>>,
    cancel: Arc<AtomicBool>,
}

struct Shared {
    progress: Arc<Mutex<ProgressState>>,
    cancel: Arc<AtomicBool>,
    ctx: egui::Context,
}

impl Progress for Shared {
    fn update(&self, stage: Stage, fraction: f32) {
        let base = match stage {
            Stage::Decode => 0.0,
            Stage::Pyramid => 0.15,
            Stage::Align => 0.2,
            Stage::Warp => 0.55,
            Stage::Diff => 0.65,
            Stage::Regions => 0.8,
            Stage::Export => 0.85,
        };
        if let Ok(mut p) = self.progress.lock() {
            p.stage = stage.label().to_string();
            p.fraction = base + 0.1 * fraction;
        }
        self.ctx.request_repaint();
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

impl Worker {
    pub fn spawn(ctx: egui::Context) -> Self {
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

    pub fn send(&self, job: Job) {
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

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn poll(&self) -> Option<Output> {
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
            masks,
        } => open_pair(&reference, &suspect, settings, masks, None, shared),
        Job::OpenSession(path) => open_session(&path, shared),
        Job::ManualAlign {
            reference,
            suspect,
            points,
            settings,
            masks,
            previous,
        } => {
            shared.update(Stage::Decode, 0.0);
            let (r, s) = load_pair(&reference, &suspect)?;
            let prepared = prepare(&r.rgb, &s.rgb, &settings, true);
            let report = |f: f32| shared.update(Stage::Align, f);
            let cancelled = || shared.cancelled();
            let progress = AlignProgress {
                report: &report,
                cancelled: &cancelled,
            };
            let (reference_source, suspect_source) = prepared.align_sources(&r.rgb, &s.rgb);
            let alignment =
                align::from_points(&reference_source, &suspect_source, &points, &progress)?;
            drop((reference_source, suspect_source));
            let session_seed = previous.map(|mut p| {
                p.manual_points = points.clone();
                p
            });
            let mut opened = finish(
                (&reference, r.rgb),
                (&suspect, s.rgb),
                (alignment, Some(prepared)),
                settings,
                masks,
                session_seed,
                shared,
            )?;
            opened.doc.session.manual_points = points;
            Ok(Output::Opened(Box::new(opened)))
        }
        Job::Redetect {
            cmp,
            settings,
            masks,
        } => {
            let start = Instant::now();
            let (score, regions) = cmp.detect(&settings, &masks);
            let heat_changed = score.is_some()
                || settings.sensitivity != cmp.settings.sensitivity
                || settings.seed_sigma != cmp.settings.seed_sigma;
            let heat = heat_changed.then(|| {
                let map = score.as_ref().unwrap_or(&cmp.score);
                heat_pyramid(map, &settings, cmp.reference_from_work())
            });
            let elapsed = start.elapsed();
            // The UI takes the comparison back by Arc::get_mut; drop our handle first.
            drop(cmp);
            Ok(Output::Redetected(Box::new(Redetected {
                settings,
                masks,
                score,
                regions,
                heat,
                elapsed,
            })))
        }
        Job::Export {
            cmp,
            session,
            dir,
            options,
        } => {
            shared.update(Stage::Export, 0.0);
            let written = export_review(&cmp, &session, &dir, &options)?;
            Ok(Output::Exported(written))
        }
        Job::Quiz {
            reference,
            difficulty,
            seed,
            settings,
        } => {
            shared.update(Stage::Decode, 0.0);
            let photo = crate::engine::load::load_rgb(&reference)?;
            let spec = ImplantSpec {
                seed,
                count: 3,
                difficulty,
                kinds: crate::engine::report::RegionKind::ALL.to_vec(),
            };
            let (suspect, truth) = simulate(&photo.rgb, &spec);
            let dir = std::env::temp_dir()
                .join("boarddiff-quiz")
                .join(format!("{difficulty:?}-{seed}").to_ascii_lowercase());
            std::fs::create_dir_all(&dir).map_err(|e| EngineError::Write {
                path: dir.clone(),
                detail: e.to_string(),
            })?;
            let reference_copy = dir.join("reference.png");
            write_atomic(
                &reference_copy,
                &crate::engine::export::encode_png(&photo.rgb),
            )?;
            write_atomic(
                &dir.join("suspect.jpg"),
                &crate::engine::export::encode_jpeg(&suspect, 95),
            )?;
            write_json(&dir.join("truth.json"), &truth)?;
            quiz_case(&dir, settings, shared)
        }
        Job::QuizCase { dir, settings } => quiz_case(&dir, settings, shared),
        Job::Scorecard {
            cmp,
            score,
            guesses,
            case_name,
            dir,
        } => {
            use crate::engine::export::{annotated, encode_jpeg, stroke_rect};
            let tool: Vec<&Region> = cmp.regions.iter().collect();
            let mut overview = annotated(&cmp.reference, &tool, 1600);
            let s = overview.width() as f64 / cmp.reference.width() as f64;
            let mut draw = |b: &[u32; 4], color: [u8; 3]| {
                let [x, y, w, h] = b.map(|v| (v as f64 * s) as i64);
                stroke_rect(&mut overview, x - 4, y - 4, w + 8, h + 8, 2, color);
            };
            for (t, _, _) in &score.truth {
                draw(&t.bbox, [40, 220, 90]);
            }
            for g in &guesses {
                draw(g, [0, 230, 255]);
            }
            let html = crate::engine::quiz::scorecard_html(
                &score,
                &case_name,
                &encode_jpeg(&overview, 88),
            );
            std::fs::create_dir_all(&dir).map_err(|e| EngineError::Write {
                path: dir.clone(),
                detail: e.to_string(),
            })?;
            let path = dir.join("scorecard.html");
            write_atomic(&path, html.as_bytes())?;
            Ok(Output::Exported(vec![path]))
        }
    }
}

fn open_pair(
    reference: &Path,
    suspect: &Path,
    settings: DetectSettings,
    masks: Vec<[u32; 4]>,
    previous: Option<Session>,
    shared: &Shared,
) -> Result<Output, EngineError> {
    shared.update(Stage::Decode, 0.0);
    let (r, s) = load_pair(reference, suspect)?;
    if shared.cancelled() {
        return Err(EngineError::Cancelled);
    }
    shared.update(Stage::Align, 0.0);
    let prepared = prepare(&r.rgb, &s.rgb, &settings, true);
    match align_prepared(&r.rgb, &s.rgb, &prepared, shared) {
        Ok(alignment) => Ok(Output::Opened(Box::new(finish(
            (reference, r.rgb),
            (suspect, s.rgb),
            (alignment, Some(prepared)),
            settings,
            masks,
            previous,
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
    let (reference, suspect, truth_path) =
        crate::engine::datasets::case_files(dir).ok_or_else(|| EngineError::InvalidInput {
            path: dir.to_owned(),
            what: "quiz case folder",
            detail: "expected reference.*, suspect.* and truth.json".into(),
        })?;
    let text = std::fs::read_to_string(&truth_path).map_err(|e| EngineError::Io {
        path: truth_path.clone(),
        source: e,
    })?;
    let truth: Truth = serde_json::from_str(&text).map_err(|e| EngineError::InvalidInput {
        path: truth_path.clone(),
        what: "truth file",
        detail: e.to_string(),
    })?;
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match open_pair(&reference, &suspect, settings, Vec::new(), None, shared)? {
        Output::Opened(mut o) => {
            o.quiz = Some((name, truth.modifications));
            Ok(Output::Opened(o))
        }
        other => Ok(other),
    }
}

fn open_session(path: &Path, shared: &Shared) -> Result<Output, EngineError> {
    let session = Session::load(path)?;
    let warnings = session.changed_images();
    let reference = PathBuf::from(&session.reference.path);
    let suspect = PathBuf::from(&session.suspect.path);
    let Some(alignment) = session.alignment.clone() else {
        let (settings, masks) = (session.settings.clone(), session.masks.clone());
        return open_pair(&reference, &suspect, settings, masks, Some(session), shared);
    };
    shared.update(Stage::Decode, 0.0);
    let (r, s) = load_pair(&reference, &suspect)?;
    let (settings, masks) = (session.settings.clone(), session.masks.clone());
    let mut opened = finish(
        (&reference, r.rgb),
        (&suspect, s.rgb),
        (alignment, None),
        settings,
        masks,
        Some(session),
        shared,
    )?;
    opened.doc.session_path = Some(path.to_owned());
    opened.warnings = warnings;
    opened.recent = Recent::Session(path.to_owned());
    Ok(Output::Opened(Box::new(opened)))
}

/// From decoded images and an alignment to a reviewable document. A previous session's
/// regions, verdicts and notes are kept when its alignment is reused, and carried over by
/// overlap when the alignment changed.
fn finish(
    (reference_path, reference): (&Path, RgbImage),
    (suspect_path, suspect): (&Path, RgbImage),
    (alignment, prepared): (Alignment, Option<Prepared>),
    settings: DetectSettings,
    masks: Vec<[u32; 4]>,
    previous: Option<Session>,
    shared: &Shared,
) -> Result<Opened, EngineError> {
    let reference_info = image_info(reference_path, reference.dimensions())?;
    let suspect_info = image_info(suspect_path, suspect.dimensions())?;
    let cmp = match prepared {
        Some(prepared) => compare_prepared(
            reference,
            suspect,
            prepared,
            alignment.clone(),
            settings.clone(),
            masks.clone(),
            shared,
        ),
        None => compare_with_alignment(
            reference,
            suspect,
            alignment.clone(),
            settings.clone(),
            masks.clone(),
            shared,
        ),
    }?;
    shared.update(Stage::Export, 0.5);
    let images = DisplayImages::build(&cmp);
    let cmp = Arc::new(cmp);
    let background = cmp.clone();
    // Score maps for the other tolerances, so the tolerance slider only re-thresholds.
    rayon::spawn(move || background.precompute_tolerances());
    let mut regions = cmp.regions.clone();
    let mut manual_points = Vec::new();
    if let Some(prev) = &previous {
        manual_points = prev.manual_points.clone();
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
        masks,
        regions,
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
        },
        warnings: Vec::new(),
        quiz: None,
    })
}
