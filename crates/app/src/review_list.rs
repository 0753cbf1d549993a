//! The region list's order and filters, and the regions it shows: state of the review
//! panel that N and P walk as well.
use boarddiff_core::report::{Region, RegionKind, Verdict};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SortKey {
    #[default]
    Score,
    Area,
    Kind,
    Id,
}

impl SortKey {
    pub(crate) const ALL: [SortKey; 4] =
        [SortKey::Score, SortKey::Area, SortKey::Kind, SortKey::Id];
    pub(crate) fn label(self) -> &'static str {
        match self {
            SortKey::Score => "score",
            SortKey::Area => "area",
            SortKey::Kind => "kind",
            SortKey::Id => "id",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListState {
    pub(crate) sort: SortKey,
    pub(crate) kinds: [bool; 3],
    pub(crate) verdicts: [bool; 4],
}

impl Default for ListState {
    fn default() -> Self {
        Self {
            sort: SortKey::Score,
            kinds: [true; 3],
            verdicts: [true; 4],
        }
    }
}

pub(crate) fn kind_index(k: RegionKind) -> usize {
    RegionKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

pub(crate) fn verdict_index(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

/// The regions the list shows, in its order. N and P walk this order.
pub(crate) fn ordered_regions<'a>(regions: &'a [Region], list: &ListState) -> Vec<&'a Region> {
    let mut out: Vec<&Region> = regions
        .iter()
        .filter(|r| list.kinds[kind_index(r.kind)] && list.verdicts[verdict_index(r.verdict)])
        .collect();
    match list.sort {
        SortKey::Score => out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id))),
        SortKey::Area => out.sort_by(|a, b| b.area_px.cmp(&a.area_px).then(a.id.cmp(&b.id))),
        SortKey::Kind => out.sort_by_key(|r| (r.kind, r.id)),
        SortKey::Id => out.sort_by_key(|r| r.id),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_filters() {
        let mut regions = vec![
            Region::new(
                1,
                [0, 0, 10, 10].try_into().unwrap(),
                RegionKind::Altered,
                0.6,
                100,
            ),
            Region::new(
                2,
                [0, 0, 30, 30].try_into().unwrap(),
                RegionKind::Added,
                0.9,
                900,
            ),
            Region::new(
                3,
                [0, 0, 20, 20].try_into().unwrap(),
                RegionKind::Removed,
                0.7,
                400,
            ),
        ];
        regions[2].verdict = Verdict::Benign;
        let mut list = ListState::default();
        let ids = |l: &ListState| {
            ordered_regions(&regions, l)
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&list), vec![2, 3, 1]);
        list.sort = SortKey::Kind;
        assert_eq!(ids(&list), vec![2, 3, 1]);
        list.sort = SortKey::Id;
        list.verdicts[verdict_index(Verdict::Benign)] = false;
        assert_eq!(ids(&list), vec![1, 2]);
        list.kinds[kind_index(RegionKind::Added)] = false;
        assert_eq!(ids(&list), vec![1]);
    }
}
