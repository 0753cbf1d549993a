//! Connected components of a sparse mask, as runs per row. Masks are sparse, so runs
//! avoid a per-pixel label image (32 MB at 8 MP) and its page faults.
use crate::rect::RectInWork;
use rayon::prelude::*;

/// A component, or what is left of one, in working pixels before conversion to
/// reference pixels.
#[derive(Clone, Debug)]
pub(super) struct WorkRegion {
    pub(super) bbox: RectInWork,
    pub(super) area: u64,
    pub(super) peak: f32,
}

/// A horizontal run of mask pixels `[x0, x1)` on one row, with its component label
/// (1-based).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    pub(crate) x0: u32,
    pub(crate) x1: u32,
    pub(crate) label: u32,
}

/// 8-connected components of the non-zero pixels of `mask`, as runs per row. Masks are
/// sparse, so runs avoid a per-pixel label image (32 MB at 8 MP) and its page faults.
pub(crate) fn label_runs(mask: &[u8], w: usize, h: usize) -> (Vec<Vec<Run>>, usize) {
    let mut rows: Vec<Vec<Run>> = mask
        .par_chunks(w)
        .map(|line| {
            let mut runs = Vec::new();
            let mut x = 0;
            while x < w {
                if line[x] == 0 {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && line[x] != 0 {
                    x += 1;
                }
                runs.push(Run {
                    x0: start as u32,
                    x1: x as u32,
                    label: 0,
                });
            }
            runs
        })
        .collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    let mut parent: Vec<u32> = vec![0];
    for y in 0..h {
        let (above, rest) = rows.split_at_mut(y);
        let prev: &[Run] = above.last().map_or(&[], |v| v.as_slice());
        let mut k = 0;
        for run in rest[0].iter_mut() {
            // Runs of the row above that touch this one, diagonals included.
            while k < prev.len() && prev[k].x1 < run.x0 {
                k += 1;
            }
            let mut root = 0;
            let mut j = k;
            while j < prev.len() && prev[j].x0 <= run.x1 {
                let other = find(&mut parent, prev[j].label);
                root = match root {
                    0 => other,
                    r if r != other => {
                        let (a, b) = (r.min(other), r.max(other));
                        parent[b as usize] = a;
                        a
                    }
                    r => r,
                };
                j += 1;
            }
            if root == 0 {
                root = parent.len() as u32;
                parent.push(root);
            }
            run.label = root;
        }
    }
    let mut compact = vec![0u32; parent.len()];
    let mut count = 0;
    for l in 1..parent.len() as u32 {
        let r = find(&mut parent, l);
        if compact[r as usize] == 0 {
            count += 1;
            compact[r as usize] = count;
        }
        compact[l as usize] = compact[r as usize];
    }
    rows.par_iter_mut()
        .flatten()
        .for_each(|run| run.label = compact[run.label as usize]);
    (rows, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_two_blobs_and_a_diagonal() {
        let (w, h) = (10, 6);
        let mut m = vec![0u8; w * h];
        for (x, y) in [(1, 1), (2, 2), (3, 3), (7, 1), (8, 1)] {
            m[y * w + x] = 1;
        }
        let (runs, count) = label_runs(&m, w, h);
        let label = |x: u32, y: usize| {
            runs[y]
                .iter()
                .find(|r| r.x0 <= x && x < r.x1)
                .map(|r| r.label)
        };
        assert_eq!(count, 2);
        assert_eq!(label(1, 1), label(3, 3));
        assert_ne!(label(1, 1), label(7, 1));
        assert_eq!(label(7, 1), label(8, 1));
        assert_eq!(label(0, 0), None);
    }
}
