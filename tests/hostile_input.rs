//! Files a security team did not make: each is refused with a message naming the file
//! and the problem and exit code 2, quickly, without a crash, a hang, unbounded memory or
//! output that says more than was checked.
mod common;
use boarddiff_core::report::Report;
use boarddiff_synth::case::CaseSpec;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small generated pair, compared once with `--save-session`.
struct Reviewed {
    dir: PathBuf,
    session: PathBuf,
}

fn reviewed(tag: &str) -> Reviewed {
    let dir = temp_dir(tag);
    let mut spec = CaseSpec::new(1200, 900, 41);
    spec.modifications = 2;
    spec.difficulty = 0.2;
    write_case(&dir, &spec);
    let session = dir.join("case.boarddiff");
    let o = compare_saving_session(&dir, &session);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    Reviewed { dir, session }
}

impl Reviewed {
    fn json(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.session).unwrap()).unwrap()
    }

    /// A copy of the session with `edit` applied, as a file of its own.
    fn edited(&self, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
        let mut v = self.json();
        edit(&mut v);
        let p = self.dir.join(format!("{name}.boarddiff"));
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        p
    }

    fn export(&self, session: &Path, extra: &[&str]) -> (std::process::Output, PathBuf) {
        let out = self.dir.join("exported");
        let mut args = vec![
            "export",
            "--session",
            session.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        (run(&args), out)
    }
}

/// Exit code 2, within `seconds`, with every `needles` in the message.
fn refused(o: &std::process::Output, started: Instant, seconds: u64, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(seconds),
        "took {:?}: {err}",
        started.elapsed()
    );
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn sessions_that_do_not_fit_their_images_are_refused_and_nothing_is_written() {
    let r = reviewed("session-shape");
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "region-outside",
            Box::new(|v| v["regions"][0]["bbox"] = json!([6500, 100, 50, 50])),
            "lies outside the 1200x900 reference",
        ),
        (
            "field",
            Box::new(|v| {
                v["alignment"]["field"] =
                    json!({"cols": 0, "rows": 0, "cell_w": 1, "cell_h": 1, "offsets": []})
            }),
            "residual field",
        ),
        (
            "tolerance",
            Box::new(|v| v["settings"]["tolerance_px"] = json!(100000)),
            "at most 8",
        ),
        (
            "jitter",
            Box::new(|v| v["settings"]["jitter_px"] = json!(100000)),
            "at most 8",
        ),
        (
            "zero-h",
            Box::new(|v| {
                v["alignment"]["suspect_from_reference"] = json!([[0, 0, 0], [0, 0, 0], [0, 0, 0]])
            }),
            "singular",
        ),
        (
            "singular-h",
            Box::new(|v| {
                v["alignment"]["suspect_from_reference"] = json!([[1, 2, 0], [2, 4, 0], [0, 0, 1]])
            }),
            "singular",
        ),
        (
            "huge-h",
            Box::new(|v| {
                v["alignment"]["suspect_from_reference"] =
                    json!([[1e308, 0, 0], [0, 1e308, 0], [0, 0, 1]])
            }),
            "homography",
        ),
        (
            "off-board-h",
            Box::new(|v| {
                v["alignment"]["suspect_from_reference"] =
                    json!([[1, 0, 50000], [0, 1, 0], [0, 0, 1]])
            }),
            "into the suspect",
        ),
        (
            "duplicate-ids",
            Box::new(|v| {
                let copy = v["regions"][0].clone();
                v["regions"].as_array_mut().unwrap().push(copy);
            }),
            "appears more than once",
        ),
        (
            "dev-zero",
            Box::new(|v| v["suspect"]["path"] = json!("/dev/zero")),
            "not a regular file",
        ),
    ];
    for (name, edit, needle) in cases {
        let path = r.edited(name, edit);
        let started = Instant::now();
        let (o, out) = r.export(&path, &[]);
        refused(&o, started, 20, &[needle]);
        assert!(!out.exists(), "{name}: export wrote {}", out.display());
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_as_a_session_image_is_refused_without_blocking() {
    let r = reviewed("fifo");
    let fifo = r.dir.join("pipe.jpg");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let path = r.edited("fifo", |v| {
        v["suspect"]["path"] = json!(fifo.to_str().unwrap())
    });
    let started = Instant::now();
    let (o, _) = r.export(&path, &[]);
    refused(&o, started, 10, &["pipe.jpg", "not a regular file"]);
}

#[test]
fn export_states_the_hash_of_the_image_it_used_or_refuses() {
    let r = reviewed("hash");
    let suspect = r.dir.join("suspect.jpg");
    // The same photo, re-encoded: same size, other bytes.
    let img = image::open(&suspect).unwrap().to_rgb8();
    std::fs::write(&suspect, boarddiff_output::encode::encode_jpeg(&img, 80)).unwrap();
    let started = Instant::now();
    let (o, out) = r.export(&r.session, &[]);
    refused(
        &o,
        started,
        20,
        &[
            "suspect.jpg",
            "changed since the session was saved",
            "--allow-changed-images",
        ],
    );
    assert!(!out.exists());

    let (o, out) = r.export(&r.session, &["--allow-changed-images"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let now = boarddiff_core::load::sha256_file(&suspect).unwrap();
    assert_eq!(report.suspect.sha256.as_deref(), Some(now.as_str()));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("not the file that was reviewed")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("class=\"warning\"") && html.contains(&now),
        "no visible warning"
    );

    // Photos replaced by smaller copies: the regions would not fit, whatever the flag.
    let small = image::imageops::resize(&img, 600, 450, image::imageops::FilterType::Triangle);
    std::fs::write(&suspect, boarddiff_output::encode::encode_jpeg(&small, 90)).unwrap();
    let started = Instant::now();
    let (o, _) = r.export(&r.session, &["--allow-changed-images"]);
    refused(&o, started, 20, &["600x450", "1200x900"]);
}

#[test]
fn corrupt_jpegs_are_refused_naming_the_file() {
    let dir = temp_dir("corrupt-jpeg");
    let mut spec = CaseSpec::new(1200, 900, 43);
    spec.modifications = 1;
    write_case(&dir, &spec);
    let bytes = std::fs::read(dir.join("suspect.jpg")).unwrap();
    let mut cut = bytes[..bytes.len() / 2].to_vec();
    cut.extend_from_slice(&[0xFF, 0xD9]);
    let mut zeroed = bytes.clone();
    let mid = zeroed.len() / 2;
    zeroed[mid..mid + 20_000].fill(0);
    for (name, data) in [("cut.jpg", cut), ("zeroed.jpg", zeroed)] {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        let started = Instant::now();
        let (o, report) = compare(&dir, &dir.join("reference.jpg"), &p, &[]);
        refused(&o, started, 20, &[name, "corrupt"]);
        assert!(report.is_none(), "{name}: a report was written");
    }
}

#[test]
fn a_png_whose_colour_profile_inflates_to_a_gigabyte_stays_small() {
    let dir = temp_dir("iccp");
    let bomb = dir.join("bomb.png");
    std::fs::write(&bomb, iccp_bomb_png(300, 200, 1 << 30)).unwrap();
    let started = Instant::now();
    let o = run(&[
        "compare",
        "--reference",
        bomb.to_str().unwrap(),
        "--suspect",
        bomb.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(matches!(o.status.code(), Some(1 | 2)), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(20));
    #[cfg(target_os = "linux")]
    {
        let peak_kib = children_peak_rss_kib();
        assert!(peak_kib < 600 * 1024, "peak RSS {} MiB", peak_kib / 1024);
    }
}

#[test]
fn masks_that_wrap_or_flood_are_refused_with_the_real_reason() {
    let dir = temp_dir("masks");
    let mut spec = CaseSpec::new(1200, 900, 44);
    spec.modifications = 1;
    write_case(&dir, &spec);
    let (r, s) = (dir.join("reference.jpg"), dir.join("suspect.jpg"));
    let flood: Vec<[u32; 4]> = (0..1_000_000u32)
        .map(|i| [i % 1100, (i / 1100) % 800, 5, 5])
        .collect();
    for (name, text, needle) in [
        (
            "wrap.json",
            r#"{"rects": [[1, 1, 4294967295, 4294967295]]}"#.to_string(),
            "reaches past",
        ),
        (
            "short.json",
            r#"{"rects": [[1, 2, 3]]}"#.to_string(),
            "invalid length 3",
        ),
        (
            "list.json",
            r#"[[1, 2, 3, "x"]]"#.to_string(),
            "invalid type",
        ),
        (
            "flood.json",
            serde_json::to_string(&json!({ "rects": flood })).unwrap(),
            "more than the limit",
        ),
        ("zero.json", String::new(), "/dev/zero"),
    ] {
        let mask = if name == "zero.json" {
            PathBuf::from("/dev/zero")
        } else {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let started = Instant::now();
        let (o, _) = compare(&dir, &r, &s, &["--mask", mask.to_str().unwrap()]);
        refused(&o, started, 20, &[needle]);
    }
}

#[test]
fn numbers_out_of_range_are_refused_before_any_work() {
    let dir = temp_dir("numbers");
    for (args, needle) in [
        (
            vec!["synth", "pair", "--modifications", "4000000000"],
            "--modifications",
        ),
        (vec!["synth", "pair", "--quality", "0"], "--quality"),
    ] {
        let mut args = args.clone();
        let out = dir.join("out");
        args.extend_from_slice(&["--size", "800x600", "--out", out.to_str().unwrap()]);
        let started = Instant::now();
        let o = run(&args);
        refused(&o, started, 5, &[needle]);
        assert!(!out.exists());
    }
    let photo = dir.join("photo.jpg");
    let img = image::RgbImage::from_fn(400, 300, |x, y| image::Rgb([x as u8, y as u8, 90]));
    img.save(&photo).unwrap();
    let started = Instant::now();
    let o = run(&[
        "synth",
        "implant",
        "--reference",
        photo.to_str().unwrap(),
        "--out",
        dir.join("implant").to_str().unwrap(),
        "--kinds",
        "",
    ]);
    refused(&o, started, 5, &["--kinds"]);
}

#[test]
fn a_greyscale_suspect_against_a_colour_reference_carries_a_warning() {
    let dir = temp_dir("grey");
    let mut spec = CaseSpec::new(1200, 900, 45);
    spec.modifications = 0;
    write_case(&dir, &spec);
    let grey = dir.join("grey.png");
    image::open(dir.join("suspect.jpg"))
        .unwrap()
        .to_luma8()
        .save(&grey)
        .unwrap();
    let (o, report) = compare(&dir, &dir.join("reference.jpg"), &grey, &[]);
    let report = report.unwrap_or_else(|| panic!("{}", stderr(&o)));
    assert!(
        report.warnings.iter().any(|w| w.contains("greyscale")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn an_oversized_webp_names_its_real_size() {
    let dir = temp_dir("vp8l");
    // A lossless WebP header claiming 16384 x 16384 pixels, with no data behind it.
    let bits: u32 = 16383 | (16383 << 14);
    let mut vp8l = vec![0x2F];
    vp8l.extend_from_slice(&bits.to_le_bytes());
    vp8l.extend_from_slice(&[0; 16]);
    let mut riff = b"WEBPVP8L".to_vec();
    riff.extend_from_slice(&(vp8l.len() as u32).to_le_bytes());
    riff.extend_from_slice(&vp8l);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(riff.len() as u32).to_le_bytes());
    file.extend_from_slice(&riff);
    let p = dir.join("huge.webp");
    std::fs::write(&p, file).unwrap();
    let started = Instant::now();
    let (o, _) = compare(&dir, &p, &p, &[]);
    refused(&o, started, 5, &["huge.webp"]);
    let err = stderr(&o);
    assert!(!err.contains("0x0"), "{err}");
}

#[test]
fn eval_lists_unreadable_cases_and_stays_inside_its_folder() {
    let root = temp_dir("eval-bad");
    for (i, seed) in [51u64, 52].iter().enumerate() {
        let case = root.join(format!("case{i}"));
        let o = run(&[
            "synth",
            "pair",
            "--seed",
            &seed.to_string(),
            "--size",
            "1000x750",
            "--modifications",
            "1",
            "--out",
            case.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    std::fs::write(root.join("case1/truth.json"), "{ \"modifications\": 7 }").unwrap();
    let json = root.join("eval.json");
    let o = run(&[
        "eval",
        root.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("case1") && err.contains("not scored"), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        v["summary"]["cases"], 1,
        "the unreadable case is not scored"
    );
    assert_eq!(v["summary"]["clean_cases"], 0);
    assert_eq!(v["unreadable"][0]["name"], "case1");

    // A DeepPCB list that points outside its folder.
    let deeppcb = temp_dir("eval-escape");
    std::fs::write(
        deeppcb.join("pairs.txt"),
        "group1/1.jpg group1/1.txt\n../../etc/passwd.jpg ../../etc/passwd\n",
    )
    .unwrap();
    let o = run(&[
        "eval",
        deeppcb.to_str().unwrap(),
        "--json",
        deeppcb.join("e.json").to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("inside the dataset"),
        "{err}"
    );
}

/// A PNG whose iCCP chunk inflates to `inflated` bytes: a fixed-Huffman deflate stream
/// of one literal and then 258-byte copies of it.
fn iccp_bomb_png(width: u32, height: u32, inflated: usize) -> Vec<u8> {
    let mut profile = b"icc\0\0".to_vec();
    profile.extend_from_slice(&zlib_of_zeros(inflated));
    let mut raw = Vec::new();
    for _ in 0..height {
        raw.push(0);
        raw.extend(std::iter::repeat_n(128u8, width as usize * 3));
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"iCCP", &profile);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    /// Deflate writes values least-significant bit first; Huffman codes are reversed.
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    fn code(&mut self, code: u32, bits: u32) {
        let reversed = code.reverse_bits() >> (32 - bits);
        self.put(reversed, bits);
    }
}

fn zlib_of_zeros(len: usize) -> Vec<u8> {
    let mut w = BitWriter {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    w.put(1, 1); // final block
    w.put(1, 2); // fixed Huffman
    w.code(0x30, 8); // literal 0
    let mut left = len - 1;
    while left >= 258 {
        w.code(0b1100_0101, 8); // length 258
        w.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        w.code(0x30, 8);
    }
    w.code(0, 7); // end of block
    if w.n > 0 {
        w.out.push(w.acc as u8);
    }
    w.out
        .extend_from_slice(&adler32_of_zeros(len).to_be_bytes());
    w.out
}

fn adler32_of_zeros(len: usize) -> u32 {
    let b = (len as u64 % 65521) as u32;
    (b << 16) | 1
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + u32::from(d)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The largest peak RSS of any child this process has waited for, in KiB.
#[cfg(target_os = "linux")]
fn children_peak_rss_kib() -> u64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64
}

#[test]
fn the_output_folder_holds_one_complete_run() {
    let dir = temp_dir("out-folder");
    let mut spec = CaseSpec::new(1200, 900, 41);
    spec.modifications = 2;
    spec.difficulty = 0.2;
    write_case(&dir, &spec);
    let (r, s) = (dir.join("reference.jpg"), dir.join("suspect.jpg"));
    let out = dir.join("out");
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (o, first) = compare(&dir, &r, &s, &[]);
    let first = first.unwrap_or_else(|| panic!("{}", stderr(&o)));
    assert!(!first.regions.is_empty());
    // A stale crop from an earlier, different run.
    std::fs::write(out.join("regions/999.png"), b"stale").unwrap();

    // A rerun against itself finds nothing: every crop of the first run is gone.
    let (o, second) = compare(&dir, &r, &r, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(second.unwrap().regions.is_empty());
    assert_eq!(names(&out), ["annotated.png", "regions", "report.json"]);
    assert!(names(&out.join("regions")).is_empty());

    // A refused run leaves its report alone, no images of the run before.
    let blank = dir.join("blank.png");
    image::RgbImage::from_pixel(1200, 900, image::Rgb([40, 90, 40]))
        .save(&blank)
        .unwrap();
    let (o, refused_report) = compare(&dir, &r, &blank, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(refused_report.unwrap().alignment.status, "failed");
    assert_eq!(names(&out), ["report.json"]);

    // No litter beside the folder; a killed run's staging folder is cleared by the next.
    std::fs::create_dir(dir.join(".out.staging-killed")).unwrap();
    let (o, _) = compare(&dir, &r, &s, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(names(&dir)
        .iter()
        .all(|n| !n.contains("staging") && !n.ends_with(".tmp")));

    // A second run while one is writing is refused.
    let held = boarddiff_core::run_folder::RunFolder::begin(&out, &[]).unwrap();
    let started = Instant::now();
    let (o, _) = compare(&dir, &r, &s, &[]);
    refused(&o, started, 5, &["another boarddiff run"]);
    drop(held);

    // Inputs inside --out are never replaced; a folder of the user's own is never
    // replaced; an --out that cannot be made is refused before the compare.
    let inside = out.join("reference.jpg");
    std::fs::copy(&r, &inside).unwrap_or_else(|_| {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::copy(&r, &inside).unwrap()
    });
    let started = Instant::now();
    let (o, _) = compare(&dir, &inside, &s, &[]);
    refused(&o, started, 5, &["lies inside"]);
    assert!(inside.exists());
    let mine = dir.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), b"keep").unwrap();
    for (target, needle) in [
        (mine.clone(), "did not write"),
        (dir.join("reference.jpg").join("out"), "cannot write"),
    ] {
        let started = Instant::now();
        let o = compare_into(&dir, &target, &[]);
        refused(&o, started, 5, &[needle]);
    }
    assert!(mine.join("notes.txt").exists());
}

/// `kill -9` at any moment leaves `--out` holding one whole run: every crop the report
/// names, and no other.
#[cfg(unix)]
#[test]
fn a_run_killed_at_any_moment_leaves_a_whole_folder() {
    let dir = temp_dir("killed");
    let mut spec = CaseSpec::new(2400, 1800, 41);
    spec.modifications = 3;
    spec.difficulty = 0.2;
    write_case(&dir, &spec);
    let out = dir.join("out");
    let o = compare_into(&dir, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let whole = |out: &Path| {
        let report: Report =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        let mut crops: Vec<String> = std::fs::read_dir(out.join("regions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        crops.sort();
        let mut named: Vec<String> = report
            .regions
            .iter()
            .map(|r| format!("{:03}.png", r.id))
            .collect();
        named.sort();
        assert_eq!(crops, named);
        assert!(out.join("annotated.png").is_file());
    };
    for delay_ms in [30, 150, 400, 900] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_boarddiff"))
            .args([
                "compare",
                "--reference",
                dir.join("reference.jpg").to_str().unwrap(),
                "--suspect",
                dir.join("suspect.jpg").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
                "--sensitivity",
                "2",
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        whole(&out);
    }
    let o = compare_into(&dir, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    whole(&out);
    let litter: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.ends_with(".tmp"))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
}
