//! `boarddiff batch-merge`: the shards of one batch, run on several machines, as one
//! batch folder. Suspects' folders are copied, so the merged folder stands alone.
use super::summary::{BatchSummary, SuspectRow};
use crate::json_file::load_checked;
use boarddiff_core::error::{EngineError, Result};
use boarddiff_core::run_folder::RunFolder;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Merges the batch folders `dirs` into `out`. They must be batches against the same
/// reference photo with the same settings; a shard given twice is refused, missing ones
/// are named in the summary's `merged_shards`.
pub fn merge_batches(dirs: &[PathBuf], out: &Path) -> Result<BatchSummary> {
    if dirs.is_empty() {
        return Err(EngineError::InvalidInput {
            path: out.to_owned(),
            what: "batch-merge",
            detail: "name at least one batch folder to merge".into(),
        });
    }
    let inputs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let run = RunFolder::begin(out, &inputs)?;
    let mut summaries = Vec::new();
    for dir in dirs {
        summaries.push((dir, read_summary(dir)?));
    }
    let (first_dir, first) = &summaries[0];
    let mut merged = first.clone();
    merged.rows.clear();
    merged.shard = None;
    merged.wall_seconds = 0.0;
    merged.peak_rss_mib = None;
    let mut shards = HashSet::new();
    let mut files = HashSet::new();
    let mut names = HashSet::new();
    for (dir, s) in &summaries {
        let differs = |what: &str| EngineError::InvalidInput {
            path: dir.join("summary.json"),
            what: "batch summary",
            detail: format!(
                "its {what} differs from {}'s; only shards of one batch can be merged",
                first_dir.display()
            ),
        };
        if s.reference.sha256 != first.reference.sha256 {
            return Err(differs("reference photo"));
        }
        if s.settings != first.settings || s.ignore_masks != first.ignore_masks {
            return Err(differs("detection settings or ignore masks"));
        }
        if let Some(shard) = s.shard {
            if first.shard.map(|f| f.count) != Some(shard.count) {
                return Err(differs("shard count"));
            }
            if !shards.insert(shard.index) {
                return Err(EngineError::InvalidInput {
                    path: dir.join("summary.json"),
                    what: "batch summary",
                    detail: format!("shard {} of {} is given twice", shard.index, shard.count),
                });
            }
        }
        merged.wall_seconds = merged.wall_seconds.max(s.wall_seconds);
        for row in &s.rows {
            if !files.insert(row.file.clone()) {
                continue;
            }
            let name = unique_name(&row.name, &mut names);
            copy_suspect_folder(&dir.join(&row.name), &run.path().join(&name), row)?;
            merged.rows.push(SuspectRow {
                name,
                ..row.clone()
            });
        }
    }
    let mut merged_shards: Vec<usize> = shards.into_iter().collect();
    merged_shards.sort_unstable();
    if let Some(count) = first.shard.map(|s| s.count) {
        merged.missing_shards = (1..=count).filter(|k| !merged_shards.contains(k)).collect();
    }
    merged.merged_shards = merged_shards;
    merged.count();
    merged.write(run.path())?;
    run.commit()?;
    Ok(merged)
}

fn read_summary(dir: &Path) -> Result<BatchSummary> {
    load_checked(
        &dir.join("summary.json"),
        "batch summary",
        |s: &BatchSummary| {
            if s.schema != super::summary::SUMMARY_SCHEMA {
                return Err(format!("schema {} is not supported", s.schema));
            }
            for row in &s.rows {
                let plain = Path::new(&row.name)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
                if row.name.is_empty() || !plain || row.name.contains(['/', '\\']) {
                    return Err(format!(
                        "row {:?} does not name a folder inside the batch",
                        row.name
                    ));
                }
            }
            Ok(())
        },
    )
}

fn unique_name(name: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.to_owned();
    let mut i = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{name}-{i}");
        i += 1;
    }
    candidate
}

/// Copies a suspect's folder (a few images and JSON files, one level of `regions/`).
/// A suspect that could not be read has none.
fn copy_suspect_folder(from: &Path, to: &Path, row: &SuspectRow) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    let io = |path: &Path, e: std::io::Error| EngineError::Write {
        path: path.to_owned(),
        detail: format!("copying {}'s folder: {e}", row.name),
    };
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_suspect_folder(&entry.path(), &target, row)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(|e| io(&target, e))?;
        }
    }
    Ok(())
}
