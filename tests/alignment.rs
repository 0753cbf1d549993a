//! Alignment accuracy on generated pairs, including quarter turns and scale changes.
use boarddiff_core::compare::{align_prepared, prepare};
use boarddiff_core::geometry::mean_grid_error;
use boarddiff_core::progress::NoProgress;
use boarddiff_core::settings::DetectSettings;
use boarddiff_synth::case::{generate, CaseSpec};

/// Through the reductions the pipeline aligns from.
fn error_for(spec: &CaseSpec) -> f64 {
    let case = generate(spec);
    let prepared = prepare(
        &case.reference,
        &case.suspect,
        &DetectSettings::default(),
        true,
    );
    let a = align_prepared(&case.reference, &case.suspect, &prepared, &NoProgress).expect("aligns");
    let (w, h) = case.reference.dimensions();
    mean_grid_error(w, h, 20, |p| case.true_map(p), |p| a.map(p))
}

#[test]
fn quarter_turns_align_within_a_pixel() {
    for turns in 1..4u8 {
        let mut spec = CaseSpec::new(2000, 1500, 60 + turns as u64);
        spec.quarter_turns = turns;
        let err = error_for(&spec);
        assert!(err < 1.0, "{} degrees: error {err} px", 90 * turns as u32);
    }
}

#[test]
fn scale_and_perspective_align_subpixel() {
    for (i, scale) in [(0, (0.55, 0.6)), (1, (1.7, 1.8))] {
        let mut spec = CaseSpec::new(2000, 1500, 70 + i);
        spec.scale_range = scale;
        spec.max_tilt_deg = 4.0;
        let err = error_for(&spec);
        assert!(err < 0.5, "scale {scale:?}: error {err} px");
    }
}

#[test]
fn lens_distortion_is_absorbed_by_the_residual_field() {
    let mut spec = CaseSpec::new(2400, 1800, 80);
    spec.lens_k1 = 0.005;
    // The lens alone: leaning parts of a second board are measured by `eval` over many
    // cases (median 0.05 px).
    spec.variation = boarddiff_synth::variation::VariationLevel::None;
    let err = error_for(&spec);
    assert!(err < 0.6, "error {err} px");
}
