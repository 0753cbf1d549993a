//! Scoring regions against truth: a truth box is found when a region overlaps it with
//! IoU >= 0.1, or when a region's centre lies inside the truth box grown by 10 px.
use crate::engine::report::{Region, TruthRegion};

pub const MIN_IOU: f64 = 0.1;
pub const CENTRE_SLACK_PX: f64 = 10.0;

pub fn iou(a: &[u32; 4], b: &[u32; 4]) -> f64 {
    let (ax1, ay1) = (a[0] + a[2], a[1] + a[3]);
    let (bx1, by1) = (b[0] + b[2], b[1] + b[3]);
    let iw = ax1.min(bx1).saturating_sub(a[0].max(b[0])) as f64;
    let ih = ay1.min(by1).saturating_sub(a[1].max(b[1])) as f64;
    let inter = iw * ih;
    let union = (a[2] as f64 * a[3] as f64) + (b[2] as f64 * b[3] as f64) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

pub fn matches(truth: &[u32; 4], region: &[u32; 4]) -> bool {
    if iou(truth, region) >= MIN_IOU {
        return true;
    }
    let cx = region[0] as f64 + region[2] as f64 / 2.0;
    let cy = region[1] as f64 + region[3] as f64 / 2.0;
    cx >= truth[0] as f64 - CENTRE_SLACK_PX
        && cy >= truth[1] as f64 - CENTRE_SLACK_PX
        && cx <= (truth[0] + truth[2]) as f64 + CENTRE_SLACK_PX
        && cy <= (truth[1] + truth[3]) as f64 + CENTRE_SLACK_PX
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::report::RegionKind;

    fn region(bbox: [u32; 4]) -> Region {
        Region::new(1, bbox, RegionKind::Added, 0.9, 10)
    }

    #[test]
    fn iou_and_centre_rules() {
        assert!((iou(&[0, 0, 10, 10], &[5, 0, 10, 10]) - 50.0 / 150.0).abs() < 1e-9);
        assert_eq!(iou(&[0, 0, 10, 10], &[20, 20, 5, 5]), 0.0);
        // A large region whose centre sits inside a small truth box counts.
        assert!(matches(&[100, 100, 10, 10], &[50, 50, 110, 110]));
        // A region just outside the 10 px slack does not.
        assert!(!matches(&[100, 100, 10, 10], &[119, 100, 6, 6]));
        assert!(matches(&[100, 100, 10, 10], &[117, 100, 4, 4]));
    }

    #[test]
    fn scores_hits_misses_and_false_alarms() {
        let truth = vec![
            TruthRegion {
                kind: RegionKind::Added,
                bbox: [0, 0, 20, 20],
                note: None,
            },
            TruthRegion {
                kind: RegionKind::Removed,
                bbox: [200, 200, 20, 20],
                note: None,
            },
        ];
        let s = score_case(&truth, &[region([2, 2, 18, 18]), region([500, 500, 5, 5])]);
        assert_eq!(s.found, vec![true, false]);
        assert_eq!(s.false_regions, 1);
    }
}
