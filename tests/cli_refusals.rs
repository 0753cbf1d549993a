//! Bad input and pairs that must not be diffed: exit code 2 and a message naming the problem.
mod common;
use boarddiff_output::encode::encode_jpeg;
use boarddiff_synth::case::CaseSpec;
use common::*;
use image::RgbImage;

fn assert_refused(
    dir: &std::path::Path,
    reference: &std::path::Path,
    suspect: &std::path::Path,
    needle: &str,
) {
    let (output, _) = compare(dir, reference, suspect, &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_files_are_named_with_their_problem() {
    let dir = temp_dir("badfiles");
    let good = dir.join("good.jpg");
    let img = RgbImage::from_fn(256, 256, |x, y| {
        image::Rgb([(x * 7 % 255) as u8, (y * 3 % 255) as u8, 90])
    });
    let bytes = encode_jpeg(&img, 90);
    std::fs::write(&good, &bytes).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.jpg", vec![], "file is empty"),
        (
            "truncated.jpg",
            bytes[..bytes.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "notes.jpg",
            b"these are not pixels".to_vec(),
            "unsupported or unrecognised image format",
        ),
        (
            "corrupt.jpg",
            {
                let mut b = bytes.clone();
                for v in &mut b[200..bytes.len() - 10] {
                    *v = 0x5A;
                }
                b
            },
            "corrupt.jpg",
        ),
        (
            "tiny.png",
            {
                let mut c = std::io::Cursor::new(Vec::new());
                RgbImage::new(40, 40)
                    .write_to(&mut c, image::ImageFormat::Png)
                    .unwrap();
                c.into_inner()
            },
            "smaller than the minimum",
        ),
        ("bomb.png", bomb_png(), "exceed the limit"),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_refused(&dir, &path, &good, needle);
        assert_refused(&dir, &path, &good, name);
    }
    assert_refused(&dir, &dir.join("missing.jpg"), &good, "file not found");
}

/// A PNG whose header claims 60000 x 60000 pixels.
fn bomb_png() -> Vec<u8> {
    let mut c = std::io::Cursor::new(Vec::new());
    RgbImage::new(64, 64)
        .write_to(&mut c, image::ImageFormat::Png)
        .unwrap();
    let mut bytes = c.into_inner();
    bytes[16..20].copy_from_slice(&60000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &bytes[12..29] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    bytes[29..33].copy_from_slice(&(!crc).to_be_bytes());
    bytes
}

#[test]
fn different_boards_are_refused() {
    let dir = temp_dir("different");
    let a = write_case(&dir, &CaseSpec::new(2000, 1500, 51));
    let other = temp_dir("different-b");
    write_case(&other, &CaseSpec::new(2000, 1500, 52));
    drop(a);
    let (output, report) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &other.join("reference.jpg"),
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("alignment refused"),
        "{}",
        stderr(&output)
    );
    let report = report.expect("a failed report is still written");
    assert_eq!(report.alignment.status, "failed");
    assert!(report.alignment.reason.is_some());
    assert!(report.regions.is_empty());
}

#[test]
fn blank_and_unrelated_images_are_refused() {
    let dir = temp_dir("blank");
    write_case(&dir, &CaseSpec::new(2000, 1500, 53));
    let blank = dir.join("blank.png");
    RgbImage::from_pixel(2000, 1500, image::Rgb([128, 128, 128]))
        .save(&blank)
        .unwrap();
    assert_refused(&dir, &dir.join("reference.jpg"), &blank, "almost no detail");
    // A "photo of something else": smooth gradients and noise, nothing board-like.
    let mut rng = boarddiff_core::rng::Rng::new(9);
    let other = dir.join("other.jpg");
    let img = RgbImage::from_fn(2000, 1500, |x, y| {
        let v = ((x as f64 / 37.0).sin() * (y as f64 / 53.0).cos() * 80.0
            + 128.0
            + rng.normal() * 20.0)
            .clamp(0.0, 255.0) as u8;
        image::Rgb([v, v / 2, 255 - v])
    });
    std::fs::write(&other, encode_jpeg(&img, 90)).unwrap();
    assert_refused(
        &dir,
        &dir.join("reference.jpg"),
        &other,
        "alignment refused",
    );
}

/// The README's first command is a bare `boarddiff`: it must reach the window with the
/// default settings (it once failed on an empty --window), and without a display it says
/// what is missing.
#[test]
fn bare_command_opens_the_app_or_names_the_missing_display() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_boarddiff"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("needs a display"), "{err}");
    assert!(!err.contains("--window"), "{err}");
}

#[test]
fn scales_and_variation_levels_out_of_range_are_refused() {
    let dir = temp_dir("badscale");
    let out = dir.join("out");
    let (r, s) = (dir.join("r.jpg"), dir.join("s.jpg"));
    for (flag, value, needle) in [
        ("--px-per-mm", "0", "from 1 to 1000"),
        ("--px-per-mm", "-3", "from 1 to 1000"),
        ("--px-per-mm", "NaN", "from 1 to 1000"),
        ("--px-per-mm", "1e9", "from 1 to 1000"),
        ("--px-per-mm", "abc", "not a number"),
        ("--board-width-mm", "-3", "from 5 to 2000"),
    ] {
        let arg = format!("{flag}={value}");
        let o = run(&[
            "compare",
            "--reference",
            r.to_str().unwrap(),
            "--suspect",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            &arg,
        ]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{arg}: {}", stderr(&o));
    }
    let o = run(&[
        "synth",
        "pair",
        "--seed",
        "1",
        "--size",
        "800x600",
        "--variation",
        "wild",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("none, typical, harsh"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing is written for refused input");
}
