//! Registered two-tone scans (bare-board AOI, DeepPCB-like): real defects are found while
//! edges that merely sit a few pixels differently are not reported.
mod common;
use boarddiff_core::align::Alignment;
use boarddiff_core::compare::{compare, Start};
use boarddiff_core::progress::NoProgress;
use boarddiff_core::rect::RectInReference;
use boarddiff_core::settings::DetectSettings;
use image::{Rgb, RgbImage};

const BLACK: Rgb<u8> = Rgb([0, 0, 0]);

/// White substrate, copper traces and one large copper pour.
fn board(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let trace = (40..52).contains(&y) || (120..132).contains(&y) || (30..42).contains(&x);
        let pour = (150..290).contains(&x) && (160..290).contains(&y);
        if trace || pour {
            BLACK
        } else {
            Rgb([255, 255, 255])
        }
    })
}

fn paint(img: &mut RgbImage, x: std::ops::Range<u32>, y: std::ops::Range<u32>, c: Rgb<u8>) {
    for yy in y {
        for xx in x.clone() {
            img.put_pixel(xx, yy, c);
        }
    }
}

fn contains(bbox: &RectInReference, (x, y): (u32, u32)) -> bool {
    x + 2 >= bbox.x && y + 2 >= bbox.y && x <= bbox.x1() + 2 && y <= bbox.y1() + 2
}

/// The scan pair of the test below: the suspect with its defects and displaced edges.
fn scan_pair(w: u32, h: u32) -> (RgbImage, RgbImage) {
    let reference = board(w, h);
    let mut suspect = reference.clone();
    // The lower trace etched 2 px wider on each side along its whole length, and the
    // pour's left edge ragged by 1-2 px, as binarisation leaves it.
    paint(&mut suspect, 50..320, 118..120, BLACK);
    paint(&mut suspect, 50..320, 132..134, BLACK);
    for y in 160..290 {
        let grown = 1 + (y * 7 % 5 == 0) as u32;
        paint(&mut suspect, 150 - grown..150, y..y + 1, BLACK);
    }
    // A mouse bite, 4 px deep and 8 px long, out of the upper trace.
    paint(&mut suspect, 200..208, 40..44, Rgb([255, 255, 255]));
    // A pin-hole in the pour, in a light grey that occurs nowhere else: its own pixels
    // must not teach the light correction that this grey means copper.
    paint(&mut suspect, 220..228, 220..228, Rgb([225, 225, 225]));
    (reference, suspect)
}

#[test]
fn defects_found_and_displaced_edges_ignored() {
    let (w, h) = (320, 320);
    let (reference, suspect) = scan_pair(w, h);
    let settings = DetectSettings {
        min_area_px: Some(10),
        ..DetectSettings::default()
    };
    let compared = compare(
        reference,
        suspect,
        Start::Aligned(Alignment::identity(w, h)),
        &settings,
        &[],
        &NoProgress,
    )
    .expect("compares");
    let boxes: Vec<RectInReference> = compared.regions.iter().map(|r| r.bbox).collect();
    assert!(
        boxes.iter().any(|b| contains(b, (204, 42))),
        "mouse bite missed: {boxes:?}"
    );
    assert!(
        boxes.iter().any(|b| contains(b, (224, 224))),
        "pin-hole missed: {boxes:?}"
    );
    assert_eq!(boxes.len(), 2, "the displaced edge was reported: {boxes:?}");
}

#[test]
fn cli_compares_registered_scans_without_features() {
    let dir = common::temp_dir("scan");
    let (reference, suspect) = scan_pair(320, 320);
    reference.save(dir.join("reference.png")).unwrap();
    suspect.save(dir.join("suspect.png")).unwrap();
    let (output, report) = common::compare(
        &dir,
        &dir.join("reference.png"),
        &dir.join("suspect.png"),
        &["--registered", "--min-area-px", "10"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", common::stderr(&output));
    let boxes: Vec<RectInReference> = report
        .expect("report")
        .regions
        .iter()
        .map(|r| r.bbox)
        .collect();
    assert!(boxes.iter().any(|b| contains(b, (224, 224))), "{boxes:?}");
    assert_eq!(boxes.len(), 2, "{boxes:?}");
}

#[test]
fn registered_pairs_of_different_sizes_are_refused() {
    let dir = common::temp_dir("scan-size");
    let (reference, suspect) = (board(320, 320), board(300, 320));
    reference.save(dir.join("reference.png")).unwrap();
    suspect.save(dir.join("suspect.png")).unwrap();
    let (output, _) = common::compare(
        &dir,
        &dir.join("reference.png"),
        &dir.join("suspect.png"),
        &["--registered"],
    );
    let err = common::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("suspect.png is 300x320"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
