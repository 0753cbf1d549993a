//! `boarddiff batch` and `boarddiff batch-merge`: the suspect list from files, folders and
//! globs, deduplicated, sorted and shared out; the run itself is the output crate's.
use super::{BatchArgs, BatchMergeArgs};
use anyhow::{bail, Context as _, Result};
use boarddiff_core::progress::NoProgress;
use boarddiff_core::report::read_ignore_masks;
use boarddiff_output::batch::{
    merge_batches, run_batch, suspect_names, BatchJob, BatchProgress, BatchSummary, RowStatus,
    Shard, SuspectRow,
};
use boarddiff_output::profile::GoldenProfile;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Photo formats a folder of suspects is searched for (by extension, case-blind).
const PHOTO_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp"];

pub fn batch(args: &BatchArgs) -> Result<u8> {
    let profile = args
        .profile
        .as_ref()
        .map(|p| GoldenProfile::load(p))
        .transpose()?;
    let (reference, base_settings, mut ignore_masks) = match (&profile, &args.reference) {
        (Some(p), _) => (
            PathBuf::from(&p.reference.path),
            p.settings.clone(),
            p.ignore_masks.clone(),
        ),
        (None, Some(r)) => (r.clone(), Default::default(), Vec::new()),
        (None, None) => bail!("give --reference or --profile"),
    };
    let settings = args.detect.settings_over(base_settings)?;
    if let Some(m) = &args.mask {
        ignore_masks.extend(read_ignore_masks(m)?);
    }
    let listed = expand_suspects(&args.suspects)?;
    let reference_id = identity(&reference);
    let (skipped, listed): (Vec<PathBuf>, Vec<PathBuf>) = listed
        .into_iter()
        .partition(|p| identity(p) == reference_id);
    if !skipped.is_empty() {
        eprintln!(
            "note: {} is the reference itself; not compared",
            skipped[0].display()
        );
    }
    if listed.is_empty() {
        bail!("the suspect list is empty: name photos, folders of photos or globs");
    }
    let of_suspects = listed.len();
    let all = suspect_names(&listed);
    let suspects = match args.shard {
        Some((k, n)) => all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, s)| s)
            .collect(),
        None => all,
    };
    if suspects.is_empty() {
        eprintln!(
            "note: shard {args_shard} has no suspects of the {of_suspects} listed",
            args_shard = shard_text(args.shard)
        );
    }
    let job = BatchJob {
        reference,
        reference_sha256: profile.as_ref().and_then(|p| p.reference.sha256.clone()),
        suspects,
        shard: args.shard.map(|(index, count)| Shard {
            index,
            count,
            of_suspects,
        }),
        out: args.out.clone(),
        settings,
        ignore_masks,
        jobs: args.jobs.map(usize::from),
        html: args.html,
        other_inputs: args.profile.iter().chain(&args.mask).cloned().collect(),
    };
    let bar = BatchBar::new(args.quiet);
    let summary = match &bar.0 {
        Some(_) => run_batch(&job, &bar),
        None => run_batch(&job, &NoProgress),
    };
    bar.finish();
    let summary = summary?;
    report(&summary, &args.out);
    Ok(summary.exit_code())
}

pub fn batch_merge(args: &BatchMergeArgs) -> Result<u8> {
    let summary = merge_batches(&args.batches, &args.out)?;
    if !summary.missing_shards.is_empty() {
        let missing: Vec<String> = summary
            .missing_shards
            .iter()
            .map(|k| k.to_string())
            .collect();
        eprintln!(
            "warning: shard(s) {} are missing from the merge",
            missing.join(", ")
        );
    }
    report(&summary, &args.out);
    Ok(summary.exit_code())
}

/// One line per suspect that needs a look, then the totals.
fn report(summary: &BatchSummary, out: &Path) {
    for r in &summary.rows {
        match r.status {
            RowStatus::Clean => {}
            RowStatus::Regions => eprintln!(
                "{}: {} region(s) ({} added, {} removed, {} altered), top score {:.2}",
                r.name,
                r.regions(),
                r.added,
                r.removed,
                r.altered,
                r.top_score.unwrap_or(0.0)
            ),
            RowStatus::AlignmentRefused | RowStatus::Error => eprintln!(
                "{}: not checked: {}",
                r.name,
                r.reason.as_deref().unwrap_or("unknown")
            ),
        }
    }
    eprintln!(
        "{} suspect(s): {} with regions, {} not checked, {} clean; {:.1} s, {} at a time{}; wrote {}",
        summary.rows.len(),
        summary.with_regions,
        summary.errors,
        summary.clean,
        summary.wall_seconds,
        summary.jobs,
        summary
            .peak_rss_mib
            .map(|m| format!(", peak memory {m:.0} MiB"))
            .unwrap_or_default(),
        out.join("index.html").display()
    );
}

/// Files, folders (their photos) and globs, each path once (by what it names on disk),
/// sorted so that every shard of a list sees the same order whatever the shell did.
pub(crate) fn expand_suspects(args: &[String]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let found = photos_in(&path)?;
            if found.is_empty() {
                bail!(
                    "the folder {} holds no photos ({})",
                    path.display(),
                    PHOTO_EXTENSIONS.join(", ")
                );
            }
            paths.extend(found);
        } else if !path.exists() && arg.contains(['*', '?', '[']) {
            let matched: Vec<PathBuf> = glob::glob(arg)
                .with_context(|| format!("the pattern {arg:?} is not a valid glob"))?
                .filter_map(|m| m.ok())
                .filter(|p| p.is_file())
                .collect();
            if matched.is_empty() {
                bail!("the pattern {arg:?} matches no file");
            }
            paths.extend(matched);
        } else {
            // A file that does not exist stays in the list: its row says so.
            paths.push(path);
        }
    }
    let mut keyed: Vec<(PathBuf, PathBuf)> = paths.into_iter().map(|p| (identity(&p), p)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    Ok(keyed.into_iter().map(|(_, p)| p).collect())
}

/// What a path names on disk (symlinks and `..` resolved), or its absolute form when it
/// does not exist.
fn identity(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_owned())
}

fn photos_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let photo = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if photo && path.is_file() {
            found.push(path);
        }
    }
    Ok(found)
}

/// `K/N`, the K-th (from 1) of N shares of the suspect list.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not K/N (e.g. 2/8)"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("{text:?} is not K/N with whole numbers"))
    };
    let (k, n) = (parse(k)?, parse(n)?);
    if n == 0 || n > 100_000 {
        return Err(format!("N in {text:?} must be 1-100000"));
    }
    if k == 0 || k > n {
        return Err(format!("K in {text:?} must be 1-{n}"));
    }
    Ok((k, n))
}

fn shard_text(shard: Option<(usize, usize)>) -> String {
    shard.map_or_else(String::new, |(k, n)| format!("{k}/{n}"))
}

/// The bar across suspects, on a terminal and without --quiet.
struct BatchBar(Option<indicatif::ProgressBar>);

impl BatchBar {
    fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("preparing the reference");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(Some(bar))
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl BatchProgress for BatchBar {
    fn prepared(&self, total: usize) {
        if let Some(bar) = &self.0 {
            bar.set_length(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} suspects, {eta} left  {msg}",
                )
                .expect("static template"),
            );
            bar.set_message("");
        }
    }

    fn finished(&self, row: &SuspectRow, done: usize, _total: usize) {
        if let Some(bar) = &self.0 {
            bar.set_position(done as u64);
            bar.set_message(row.name.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_whole_numbers_in_range() {
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        for bad in ["0/3", "4/3", "1/0", "x/2", "2", "-1/3", "1/3/4"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn suspects_expand_from_folders_and_globs_once_each() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.jpg", "a.JPG", "notes.txt", "c.png"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let d = dir.path().display().to_string();
        let listed =
            expand_suspects(&[d.clone(), format!("{d}/*.png"), format!("{d}/./b.jpg")]).unwrap();
        let names: Vec<String> = listed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.JPG", "b.jpg", "c.png"]);
        assert!(expand_suspects(&[format!("{d}/*.tif")])
            .unwrap_err()
            .to_string()
            .contains("matches no file"));
        let empty = tempfile::tempdir().unwrap();
        assert!(expand_suspects(&[empty.path().display().to_string()])
            .unwrap_err()
            .to_string()
            .contains("holds no photos"));
    }
}
