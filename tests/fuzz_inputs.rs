//! Property tests over hostile inputs: mutated sessions through `export`, truncated and
//! bit-flipped photos of every supported format through `compare`. Each run must end in
//! time with exit code 0, 1 or 2, and with a message whenever it is not 0; never a
//! panic, an abort or a hang. Bounded to about a minute on two cores.
mod common;
use common::*;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const CASES: u32 = 256;
const RUN_LIMIT: Duration = Duration::from_secs(60);

struct Fixture {
    dir: PathBuf,
    session: Value,
    photos: Vec<(&'static str, Vec<u8>)>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = temp_dir("fuzz");
        let mut spec = boarddiff_synth::case::CaseSpec::new(480, 360, 61);
        spec.modifications = 2;
        spec.difficulty = 0.1;
        let case = write_case(&dir, &spec);
        let session = dir.join("case.boarddiff");
        compare_saving_session(&dir, &session);
        let session = serde_json::from_str(&std::fs::read_to_string(&session).unwrap()).unwrap();
        let mut photos = Vec::new();
        for (ext, format) in [
            ("jpg", image::ImageFormat::Jpeg),
            ("png", image::ImageFormat::Png),
            ("tiff", image::ImageFormat::Tiff),
            ("webp", image::ImageFormat::WebP),
            ("bmp", image::ImageFormat::Bmp),
        ] {
            let mut bytes = std::io::Cursor::new(Vec::new());
            case.suspect.write_to(&mut bytes, format).unwrap();
            photos.push((ext, bytes.into_inner()));
        }
        Fixture {
            dir,
            session,
            photos,
        }
    })
}

/// Runs the binary and checks how it ended.
fn run_bounded(args: &[&str]) -> Result<(), TestCaseError> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_boarddiff"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TestCaseError::fail(format!("hung: boarddiff {args:?}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = status.code();
    prop_assert!(
        matches!(code, Some(0..=2)),
        "exit {code:?} (a crash or an abort) for {args:?}: {err}"
    );
    prop_assert!(!err.contains("panicked"), "panic for {args:?}: {err}");
    if code == Some(2) {
        prop_assert!(err.contains("error"), "no message: {err}");
    }
    Ok(())
}

/// Every place in a JSON value, as a path of keys and indices.
fn places(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                here.push(json!(k));
                places(child, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate().take(6) {
                here.push(json!(i));
                places(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, key| match key {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

const EXTREMES: [f64; 9] = [
    0.0,
    -1.0,
    1e308,
    -1e308,
    4294967295.0,
    18446744073709551615.0,
    1e-300,
    0.5,
    65536.0,
];

fn mutate(session: &Value, place: Index, kind: u8, pick: usize) -> Value {
    let mut v = session.clone();
    let mut all = Vec::new();
    places(&v, &mut Vec::new(), &mut all);
    let path = place.get(&all).clone();
    match kind % 4 {
        // Delete the field (or array element).
        0 if !path.is_empty() => {
            let (last, parent) = path.split_last().unwrap();
            match (at(&mut v, parent), last) {
                (Value::Object(m), Value::String(k)) => {
                    m.remove(k);
                }
                (Value::Array(a), Value::Number(i)) => {
                    let i = i.as_u64().unwrap() as usize;
                    if i < a.len() {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        }
        // Change its type.
        1 => {
            let replacements = [json!("x"), Value::Null, json!([]), json!({}), json!(true)];
            *at(&mut v, &path) = replacements[pick % replacements.len()].clone();
        }
        // An extreme number.
        2 => *at(&mut v, &path) = json!(EXTREMES[pick % EXTREMES.len()]),
        // Duplicate a region (same id).
        _ => {
            if let Some(regions) = v["regions"].as_array_mut() {
                if let Some(first) = regions.first().cloned() {
                    regions.push(first);
                }
            }
        }
    }
    v
}

fn out_dir(dir: &Path, tag: &str) -> PathBuf {
    let d = dir.join(format!("out-{tag}-{:?}", std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_sessions_never_crash_or_hang(place in any::<Index>(), kind in any::<u8>(), pick in any::<usize>()) {
        let f = fixture();
        let session = mutate(&f.session, place, kind, pick);
        let path = f.dir.join(format!("mutated-{:?}.boarddiff", std::thread::current().id()));
        std::fs::write(&path, serde_json::to_string(&session).unwrap()).unwrap();
        let out = out_dir(&f.dir, "export");
        run_bounded(&["export", "--session", path.to_str().unwrap(), "--out", out.to_str().unwrap()])?;
    }

    #[test]
    fn truncated_and_flipped_photos_never_crash_or_hang(
        format in 0usize..5,
        truncate in proptest::option::of(any::<Index>()),
        flips in proptest::collection::vec((any::<Index>(), 0u8..8), 0..6),
    ) {
        let f = fixture();
        let (ext, original) = &f.photos[format];
        let mut bytes = original.clone();
        for (at, bit) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        if let Some(at) = truncate {
            bytes.truncate(at.index(bytes.len()));
        }
        let path = f.dir.join(format!("mutated-{:?}.{ext}", std::thread::current().id()));
        std::fs::write(&path, &bytes).unwrap();
        let out = out_dir(&f.dir, "compare");
        run_bounded(&[
            "compare",
            "--reference",
            f.dir.join("reference.jpg").to_str().unwrap(),
            "--suspect",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])?;
    }
}
