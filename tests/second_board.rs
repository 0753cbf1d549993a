//! A second physical board of the same model: every part re-placed, tall parts leaning
//! into another viewpoint, the light turned. What the detector must find there, and what
//! it must leave alone. Cases at 3000x2000 and 30 px/mm, seeds never used for tuning.
mod common;
use boarddiff_core::report::{Region, RegionKind};
use boarddiff_synth::case::{Case, CaseSpec};
use boarddiff_synth::eval::score_case;
use boarddiff_synth::variation::VariationLevel;
use common::*;

fn spec(seed: u64) -> CaseSpec {
    let mut spec = CaseSpec::new(3000, 2000, seed);
    spec.variation = VariationLevel::Typical;
    spec.px_per_mm = Some(30.0);
    spec
}

/// Writes the case for `spec` and compares it with default settings.
fn compared(tag: &str, seed: u64, spec: &CaseSpec) -> (Case, Vec<Region>) {
    let dir = temp_dir(&format!("{tag}-{seed}"));
    let case = write_case(&dir, spec);
    let (_, report) = compare(
        &dir,
        &dir.join("reference.jpg"),
        &dir.join("suspect.jpg"),
        &[],
    );
    (case, report.expect("report.json written").regions)
}

/// The planted changes of `specs` that no region finds, with their seed.
fn missed(tag: &str, specs: impl IntoIterator<Item = (u64, CaseSpec)>) -> Vec<String> {
    let mut missed = Vec::new();
    for (seed, spec) in specs {
        let (case, regions) = compared(tag, seed, &spec);
        let score = score_case(&case.truth.modifications, &regions);
        for (m, found) in case.truth.modifications.iter().zip(&score.found) {
            if !found {
                missed.push(format!("seed {seed}: {:?} at {:?}", m.note, m.bbox));
            }
        }
    }
    missed
}

/// The classic failure of a motion-tolerant detector: a chip planted right against a
/// part that also moved is absorbed as part of that motion.
#[test]
fn finds_parts_added_right_beside_moved_parts() {
    let missed = missed(
        "beside",
        [7101, 7102, 7103].map(|seed| {
            let mut spec = spec(seed);
            spec.modifications = 2;
            spec.kinds = vec![RegionKind::Added];
            spec.adjacent_share = 1.0;
            (seed, spec)
        }),
    );
    assert!(missed.is_empty(), "missed beside a moved part: {missed:?}");
}

/// Every part of the clean suspect moved, turned or leans differently, and the light
/// came from elsewhere: none of that is a finding, and little of it is reported.
#[test]
fn a_clean_second_board_raises_few_alarms() {
    let false_regions: Vec<usize> = [7201, 7202, 7203]
        .map(|seed| {
            let mut spec = spec(seed);
            spec.modifications = 0;
            compared("clean", seed, &spec).1.len()
        })
        .to_vec();
    let total: usize = false_regions.iter().sum();
    // A regression guard, not the goal (one per pair): held-out sets at typical variation
    // average about nine per clean pair at the default seed threshold, and before the
    // second-board model such pairs gave 50 to 300 each.
    assert!(
        total <= 27,
        "false regions per clean pair: {false_regions:?}"
    );
}

/// Known weakness, kept visible: a part swapped for a look-alike about a fifth smaller
/// shrinks by a few pixels at each end, which the moved-part model explains as motion.
/// On held-out sets about one in ten altered parts is missed this way.
#[test]
#[ignore = "known weakness: smaller look-alike packages on a second board"]
fn finds_smaller_look_alike_packages() {
    let missed = missed(
        "look-alike",
        [7301, 7302, 7303, 7304].map(|seed| {
            let mut spec = spec(seed);
            spec.modifications = 3;
            spec.kinds = vec![RegionKind::Altered];
            (seed, spec)
        }),
    );
    assert!(missed.is_empty(), "missed altered parts: {missed:?}");
}

/// A part taken off a board that also leans and was lit anew: its body must not be
/// explained by the pads it leaves, which share its colour, nor by a neighbour it could
/// have moved onto. Full size (6000x4000 at 55 px/mm): the capacitor missed before this
/// guard was judged on the reduced working copy such photos get.
#[test]
fn finds_parts_removed_from_a_harsh_second_board() {
    let seed = 4001;
    let mut spec = CaseSpec::new(6000, 4000, seed);
    spec.variation = VariationLevel::Harsh;
    spec.px_per_mm = Some(55.0);
    spec.modifications = 4;
    spec.difficulty = 0.5;
    spec.kinds = vec![RegionKind::Added, RegionKind::Altered, RegionKind::Removed];
    let (case, regions) = compared("removed", seed, &spec);
    let score = score_case(&case.truth.modifications, &regions);
    let missed: Vec<_> = case
        .truth
        .modifications
        .iter()
        .zip(&score.found)
        .filter(|(m, found)| m.kind == RegionKind::Removed && !**found)
        .map(|(m, _)| (m.note.clone(), m.bbox))
        .collect();
    let removed = case
        .truth
        .modifications
        .iter()
        .filter(|m| m.kind == RegionKind::Removed)
        .count();
    assert!(removed > 0, "the case plants no removal");
    assert!(missed.is_empty(), "missed removed parts: {missed:?}");
}
