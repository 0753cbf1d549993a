//! Helpers shared by the integration tests: generated cases on disk and the CLI binary.
#![allow(dead_code)]
use boarddiff_core::report::Report;
use boarddiff_output::encode::encode_jpeg;
use boarddiff_synth::case::{generate, Case, CaseSpec};
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("boarddiff-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Generates a case and writes reference.jpg / suspect.jpg into `dir`.
pub fn write_case(dir: &Path, spec: &CaseSpec) -> Case {
    let case = generate(spec);
    std::fs::write(dir.join("reference.jpg"), encode_jpeg(&case.reference, 92)).unwrap();
    std::fs::write(dir.join("suspect.jpg"), encode_jpeg(&case.suspect, 92)).unwrap();
    case
}

/// The binary with `args`, in the working directory `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_boarddiff"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

pub fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_boarddiff"))
        .args(args)
        .output()
        .unwrap()
}

pub fn compare(
    dir: &Path,
    reference: &Path,
    suspect: &Path,
    extra: &[&str],
) -> (Output, Option<Report>) {
    let out = dir.join("out");
    let mut args = vec![
        "compare",
        "--reference",
        reference.to_str().unwrap(),
        "--suspect",
        suspect.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    let report = std::fs::read_to_string(out.join("report.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    (output, report)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `boarddiff compare` of the pair in `dir` (reference.jpg, suspect.jpg) into `out`,
/// quiet, with `extra` flags.
pub fn compare_into(dir: &Path, out: &Path, extra: &[&str]) -> Output {
    let (reference, suspect) = (dir.join("reference.jpg"), dir.join("suspect.jpg"));
    let mut args = vec![
        "compare",
        "--reference",
        reference.to_str().unwrap(),
        "--suspect",
        suspect.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Compares the pair in `dir` into `dir/compared` and saves its session at `session`;
/// panics unless regions were found or none (exit 0 or 1).
pub fn compare_saving_session(dir: &Path, session: &Path) -> Output {
    let o = compare_into(
        dir,
        &dir.join("compared"),
        &["--save-session", session.to_str().unwrap()],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    o
}

/// The bundled sample pair.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_boards")
}

/// A reference-space rectangle from `[x, y, w, h]`.
pub fn rect(a: [u32; 4]) -> boarddiff_core::rect::RectInReference {
    a.try_into().expect("a rectangle inside u32")
}
