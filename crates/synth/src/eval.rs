//! Scoring regions against truth: a truth box is found when a region overlaps it with
//! IoU >= 0.1, or when a region's centre lies inside the truth box grown by 10 px.
use crate::datasets::LoadedCase;
use crate::truth::TruthRegion;
use boarddiff_core::compare::{compare, Start};
use boarddiff_core::progress::NoProgress;
use boarddiff_core::rect::RectInReference;
use boarddiff_core::report::{Region, RegionKind};
use boarddiff_core::settings::DetectSettings;
use serde::{Deserialize, Serialize};

pub(crate) const MIN_IOU: f64 = 0.1;
pub(crate) const CENTRE_SLACK_PX: f64 = 10.0;

pub fn matches(truth: &RectInReference, region: &RectInReference) -> bool {
    if truth.iou(region) >= MIN_IOU {
        return true;
    }
    let [cx, cy] = region.centre();
    cx >= truth.x as f64 - CENTRE_SLACK_PX
        && cy >= truth.y as f64 - CENTRE_SLACK_PX
        && cx <= truth.x1() as f64 + CENTRE_SLACK_PX
        && cy <= truth.y1() as f64 + CENTRE_SLACK_PX
}

#[derive(Clone, Debug, Default)]
pub struct CaseScore {
    /// Per truth box: whether a region found it.
    pub found: Vec<bool>,
    /// Regions that match no truth box.
    pub false_regions: usize,
}

pub fn score_case(truth: &[TruthRegion], regions: &[Region]) -> CaseScore {
    let found = truth
        .iter()
        .map(|t| regions.iter().any(|r| matches(&t.bbox, &r.bbox)))
        .collect();
    let false_regions = regions
        .iter()
        .filter(|r| !truth.iter().any(|t| matches(&t.bbox, &r.bbox)))
        .count();
    CaseScore {
        found,
        false_regions,
    }
}

/// The outcome of one evaluated pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub name: String,
    pub truth: Vec<TruthRegion>,
    pub found: Vec<bool>,
    pub regions: usize,
    pub false_regions: usize,
    /// Every region's box in reference pixels, so that misses and false alarms can be
    /// looked at afterwards.
    #[serde(default)]
    pub region_boxes: Vec<RectInReference>,
    /// Every region's score, in the order of `region_boxes`: what ranks them.
    #[serde(default)]
    pub region_scores: Vec<f64>,
    /// Mean grid distance between the true and estimated mapping, px (when known).
    pub align_error_px: Option<f64>,
    /// Why the pair was not compared (alignment refused, unreadable file).
    pub refused: Option<String>,
    pub seconds: f64,
    pub megapixels: f64,
    pub image_width: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub found: usize,
    pub total: usize,
}

impl Tally {
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.found as f64 / self.total as f64)
    }
}

/// Size buckets by the truth box's longer side as a share of the image width.
pub(crate) const SIZE_BUCKETS: [(&str, f64); 4] = [
    ("< 0.5% of width", 0.005),
    ("0.5-1%", 0.01),
    ("1-3%", 0.03),
    (">= 3%", f64::INFINITY),
];

pub(crate) fn size_bucket(bbox: &RectInReference, image_width: u32) -> &'static str {
    let share = bbox.w.max(bbox.h) as f64 / image_width.max(1) as f64;
    SIZE_BUCKETS
        .iter()
        .find(|(_, limit)| share < *limit)
        .map_or(SIZE_BUCKETS[3].0, |b| b.0)
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalSummary {
    pub cases: usize,
    pub clean_cases: usize,
    pub refused: usize,
    pub align_median_px: Option<f64>,
    pub align_max_px: Option<f64>,
    pub recall: Tally,
    pub recall_by_kind: Vec<(String, Tally)>,
    pub recall_by_size: Vec<(String, Tally)>,
    /// Regions that match a truth box, over all regions.
    pub precision: Option<f64>,
    pub false_regions_per_pair: f64,
    pub false_regions_per_clean_pair: Option<f64>,
    pub seconds_per_megapixel: f64,
    /// Recall when only the regions above a score threshold are kept, at the threshold
    /// that keeps false regions within each budget per pair.
    pub froc: Vec<FrocPoint>,
}

/// False-region budgets per pair at which the FROC table reports recall.
pub const FROC_BUDGETS: [f64; 4] = [0.5, 1.0, 2.0, 5.0];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrocPoint {
    pub false_regions_per_pair: f64,
    pub recall: f64,
    /// The lowest region score kept; infinite when no region is kept.
    pub min_score: f64,
}

/// The whole FROC curve: one point per distinct region score, from the strictest
/// threshold to keeping every region. Unreadable or refused cases count their truth as
/// missed at every threshold.
pub fn froc_curve(results: &[CaseResult]) -> Vec<FrocPoint> {
    let pairs = results.len().max(1) as f64;
    let truths: usize = results.iter().map(|r| r.truth.len()).sum();
    // Per region: its score and whether it is false; per truth box: the best score of a
    // region that finds it.
    let mut false_scores: Vec<f64> = Vec::new();
    let mut truth_best: Vec<f64> = Vec::new();
    for r in results {
        let regions: Vec<(RectInReference, f64)> = r
            .region_boxes
            .iter()
            .zip(
                r.region_scores
                    .iter()
                    .chain(std::iter::repeat(&f64::INFINITY)),
            )
            .map(|(b, s)| (*b, *s))
            .collect();
        for (b, s) in &regions {
            if !r.truth.iter().any(|t| matches(&t.bbox, b)) {
                false_scores.push(*s);
            }
        }
        for t in &r.truth {
            let best = regions
                .iter()
                .filter(|(b, _)| matches(&t.bbox, b))
                .map(|(_, s)| *s)
                .fold(f64::NEG_INFINITY, f64::max);
            truth_best.push(best);
        }
    }
    let mut thresholds: Vec<f64> = false_scores
        .iter()
        .chain(&truth_best)
        .copied()
        .filter(|s| s.is_finite())
        .collect();
    thresholds.push(f64::INFINITY);
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    thresholds
        .into_iter()
        .map(|t| FrocPoint {
            false_regions_per_pair: false_scores.iter().filter(|s| **s >= t).count() as f64 / pairs,
            recall: if truths == 0 {
                1.0
            } else {
                truth_best.iter().filter(|s| **s >= t).count() as f64 / truths as f64
            },
            min_score: t,
        })
        .collect()
}

/// The best recall whose false regions per pair stay within each budget.
pub fn froc_at(curve: &[FrocPoint], budgets: &[f64]) -> Vec<FrocPoint> {
    budgets
        .iter()
        .map(|&b| {
            curve
                .iter()
                .filter(|p| p.false_regions_per_pair <= b)
                .max_by(|x, y| x.recall.total_cmp(&y.recall))
                .map_or(
                    FrocPoint {
                        false_regions_per_pair: b,
                        recall: 0.0,
                        min_score: f64::INFINITY,
                    },
                    |p| FrocPoint {
                        false_regions_per_pair: b,
                        ..p.clone()
                    },
                )
        })
        .collect()
}

pub fn summarize(results: &[CaseResult]) -> EvalSummary {
    let mut s = EvalSummary {
        cases: results.len(),
        ..Default::default()
    };
    let mut errors: Vec<f64> = results.iter().filter_map(|r| r.align_error_px).collect();
    errors.sort_by(f64::total_cmp);
    s.align_median_px = (!errors.is_empty()).then(|| errors[errors.len() / 2]);
    s.align_max_px = errors.last().copied();
    let mut by_kind: Vec<(String, Tally)> = RegionKind::ALL
        .iter()
        .map(|k| (k.label().to_string(), Tally::default()))
        .collect();
    let mut by_size: Vec<(String, Tally)> = SIZE_BUCKETS
        .iter()
        .map(|b| (b.0.to_string(), Tally::default()))
        .collect();
    let (mut false_total, mut false_clean, mut regions, mut secs, mut mp) = (0, 0, 0, 0.0, 0.0);
    for r in results {
        if r.refused.is_some() {
            s.refused += 1;
        }
        if r.truth.is_empty() {
            s.clean_cases += 1;
            false_clean += r.false_regions;
        }
        false_total += r.false_regions;
        regions += r.regions;
        secs += r.seconds;
        mp += r.megapixels;
        for (t, found) in r.truth.iter().zip(&r.found) {
            let hit = usize::from(*found);
            s.recall.found += hit;
            s.recall.total += 1;
            if let Some(k) = by_kind.iter_mut().find(|k| k.0 == t.kind.label()) {
                k.1.found += hit;
                k.1.total += 1;
            }
            let bucket = size_bucket(&t.bbox, r.image_width);
            if let Some(b) = by_size.iter_mut().find(|b| b.0 == bucket) {
                b.1.found += hit;
                b.1.total += 1;
            }
        }
    }
    s.recall_by_kind = by_kind.into_iter().filter(|k| k.1.total > 0).collect();
    s.recall_by_size = by_size.into_iter().filter(|b| b.1.total > 0).collect();
    s.precision = (regions > 0).then(|| (regions - false_total) as f64 / regions as f64);
    s.false_regions_per_pair = false_total as f64 / results.len().max(1) as f64;
    s.false_regions_per_clean_pair =
        (s.clean_cases > 0).then(|| false_clean as f64 / s.clean_cases as f64);
    s.seconds_per_megapixel = if mp > 0.0 { secs / mp } else { 0.0 };
    s.froc = froc_at(&froc_curve(results), &FROC_BUDGETS);
    s
}

/// Compares one loaded case and scores it. A refused alignment counts every truth box as
/// missed.
pub fn evaluate_case(name: &str, case: LoadedCase, settings: &DetectSettings) -> CaseResult {
    let mut results = evaluate_case_at(name, case, std::slice::from_ref(settings));
    results.remove(0)
}

/// [`evaluate_case`] at each of several settings (a sweep): the pair is aligned, warped and
/// normalised once, and only detection runs again. One result per settings, in order; the
/// first settings time the comparison.
pub fn evaluate_case_at(
    name: &str,
    case: LoadedCase,
    settings: &[DetectSettings],
) -> Vec<CaseResult> {
    let Some(first) = settings.first() else {
        return Vec::new();
    };
    let (w, h) = case.reference.dimensions();
    let start = std::time::Instant::now();
    let begin = if case.prealigned {
        Start::Aligned(boarddiff_core::align::registered(
            &case.reference,
            &case.test,
        ))
    } else {
        Start::Fresh
    };
    let result = compare(case.reference, case.test, begin, first, &[], &NoProgress);
    let seconds = start.elapsed().as_secs_f64();
    let blank = CaseResult {
        name: name.to_string(),
        found: vec![false; case.truth.len()],
        truth: case.truth,
        regions: 0,
        false_regions: 0,
        region_boxes: Vec::new(),
        region_scores: Vec::new(),
        align_error_px: None,
        refused: None,
        seconds,
        megapixels: w as f64 * h as f64 / 1e6,
        image_width: w,
    };
    let compared = match result {
        Ok(compared) => compared,
        Err(e) => {
            let refused = CaseResult {
                refused: Some(e.to_string()),
                ..blank
            };
            return vec![refused; settings.len()];
        }
    };
    let cmp = &compared.comparison;
    let align_error_px = case.truth_map.map(|m| {
        boarddiff_core::geometry::mean_grid_error(
            w,
            h,
            20,
            |p| m.apply(p),
            |p| cmp.alignment.map(p),
        )
    });
    let scored = |regions: &[Region]| {
        let score = score_case(&blank.truth, regions);
        CaseResult {
            found: score.found,
            false_regions: score.false_regions,
            regions: regions.len(),
            region_boxes: regions.iter().map(|r| r.bbox).collect(),
            region_scores: regions.iter().map(|r| r.score).collect(),
            align_error_px,
            ..blank.clone()
        }
    };
    std::iter::once(scored(&compared.regions))
        .chain(settings[1..].iter().map(|s| scored(&cmp.regions(s, &[]))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: [u32; 4]) -> RectInReference {
        a.try_into().unwrap()
    }

    fn region(bbox: [u32; 4]) -> Region {
        Region::new(1, r(bbox), RegionKind::Added, 0.9, 10)
    }

    #[test]
    fn overlap_and_centre_rules() {
        // A large region whose centre sits inside a small truth box counts.
        assert!(matches(&r([100, 100, 10, 10]), &r([50, 50, 110, 110])));
        // A region just outside the 10 px slack does not.
        assert!(!matches(&r([100, 100, 10, 10]), &r([119, 100, 6, 6])));
        assert!(matches(&r([100, 100, 10, 10]), &r([117, 100, 4, 4])));
    }

    #[test]
    fn scores_hits_misses_and_false_alarms() {
        let truth = vec![
            TruthRegion {
                kind: RegionKind::Added,
                bbox: r([0, 0, 20, 20]),
                note: None,
            },
            TruthRegion {
                kind: RegionKind::Removed,
                bbox: r([200, 200, 20, 20]),
                note: None,
            },
        ];
        let s = score_case(&truth, &[region([2, 2, 18, 18]), region([500, 500, 5, 5])]);
        assert_eq!(s.found, vec![true, false]);
        assert_eq!(s.false_regions, 1);
    }

    #[test]
    fn froc_ranks_regions_by_score() {
        let truth = |bbox| TruthRegion {
            kind: RegionKind::Added,
            bbox: r(bbox),
            note: None,
        };
        let case = |truth: Vec<TruthRegion>, regions: Vec<([u32; 4], f64)>| CaseResult {
            name: "c".into(),
            found: vec![false; truth.len()],
            truth,
            regions: regions.len(),
            false_regions: 0,
            region_boxes: regions.iter().map(|x| r(x.0)).collect(),
            region_scores: regions.iter().map(|x| x.1).collect(),
            align_error_px: None,
            refused: None,
            seconds: 1.0,
            megapixels: 1.0,
            image_width: 1000,
        };
        let results = vec![
            // The implant outscores the false region next to it.
            case(
                vec![truth([100, 100, 20, 20])],
                vec![([100, 100, 20, 20], 0.9), ([500, 500, 9, 9], 0.4)],
            ),
            // This implant scores below two false regions.
            case(
                vec![truth([10, 10, 20, 20])],
                vec![
                    ([10, 10, 20, 20], 0.3),
                    ([700, 700, 9, 9], 0.8),
                    ([800, 800, 9, 9], 0.5),
                ],
            ),
        ];
        let curve = froc_curve(&results);
        assert_eq!(curve[0].recall, 0.0);
        assert_eq!(curve.last().unwrap().false_regions_per_pair, 1.5);
        let at = froc_at(&curve, &[0.5, 1.0, 2.0]);
        // Half a false region per pair allows one: only the 0.9 implant is above 0.8.
        assert_eq!(at[0].recall, 0.5);
        assert_eq!(at[0].min_score, 0.8);
        // One per pair (two in all) keeps 0.9, 0.8 and 0.5: still one implant of two.
        assert_eq!(at[1].recall, 0.5);
        assert_eq!(at[2].recall, 1.0);
    }

    #[test]
    fn summary_of_hand_made_results() {
        let t = |kind, bbox| TruthRegion {
            kind,
            bbox: r(bbox),
            note: None,
        };
        let case =
            |truth: Vec<TruthRegion>, found: Vec<bool>, regions, false_regions, err| CaseResult {
                name: "c".into(),
                truth,
                found,
                regions,
                false_regions,
                region_boxes: Vec::new(),
                region_scores: Vec::new(),
                align_error_px: err,
                refused: None,
                seconds: 2.0,
                megapixels: 4.0,
                image_width: 2000,
            };
        let results = vec![
            // 2 truths (a 5 px added part and a 100 px altered one), one found, 1 false region.
            case(
                vec![
                    t(RegionKind::Added, [10, 10, 5, 5]),
                    t(RegionKind::Altered, [500, 500, 100, 40]),
                ],
                vec![false, true],
                2,
                1,
                Some(0.1),
            ),
            // A clean pair with 2 false regions.
            case(vec![], vec![], 2, 2, Some(0.3)),
            // One removed part found, nothing else.
            case(
                vec![t(RegionKind::Removed, [0, 0, 30, 30])],
                vec![true],
                1,
                0,
                Some(0.2),
            ),
        ];
        let s = summarize(&results);
        assert_eq!(s.cases, 3);
        assert_eq!(s.clean_cases, 1);
        assert_eq!((s.recall.found, s.recall.total), (2, 3));
        assert_eq!(s.align_median_px, Some(0.2));
        assert_eq!(s.align_max_px, Some(0.3));
        assert_eq!(s.false_regions_per_pair, 1.0);
        assert_eq!(s.false_regions_per_clean_pair, Some(2.0));
        assert_eq!(s.precision, Some(2.0 / 5.0));
        assert_eq!(s.seconds_per_megapixel, 0.5);
        let kind = |k: &str| {
            s.recall_by_kind
                .iter()
                .find(|x| x.0 == k)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(kind("added"), Tally { found: 0, total: 1 });
        assert_eq!(kind("removed"), Tally { found: 1, total: 1 });
        let size = |b: &str| {
            s.recall_by_size
                .iter()
                .find(|x| x.0 == b)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(size("< 0.5% of width"), Tally { found: 0, total: 1 });
        assert_eq!(size("1-3%"), Tally { found: 1, total: 1 });
        assert_eq!(size(">= 3%"), Tally { found: 1, total: 1 });
    }
}
