//! A batch's summary, one row per suspect, and the four files it is written as:
//! `summary.json`, `summary.csv`, `junit.xml` (one test case per suspect) and the
//! self-contained `index.html`, worst suspect first.
use super::{Suspect, THUMBNAIL_FILE};
use crate::html_report::{data_uri, escape};
use boarddiff_core::error::Result;
use boarddiff_core::report::{ImageInfo, RegionKind, Report};
use boarddiff_core::settings::DetectSettings;
use boarddiff_core::write::{write_atomic, write_json};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

pub const SUMMARY_SCHEMA: u32 = 1;
/// The files a batch folder holds beside the suspects' folders.
pub const SUMMARY_FILES: [&str; 4] = ["summary.json", "summary.csv", "junit.xml", "index.html"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Aligned, and nothing found.
    Clean,
    /// Aligned, and at least one region found.
    Regions,
    /// The photos do not show the same board, or not enough of it.
    AlignmentRefused,
    /// The photo could not be read.
    Error,
}

/// Which share of a suspect list a batch compared: the K-th of N (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
    /// Suspects in the whole list, before it was shared out.
    pub of_suspects: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuspectRow {
    /// The suspect's folder inside the batch folder.
    pub name: String,
    pub file: String,
    #[serde(default)]
    pub sha256: Option<String>,
    pub status: RowStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub rms_residual_px: Option<f64>,
    #[serde(default)]
    pub inliers: Option<usize>,
    #[serde(default)]
    pub overlap: Option<f64>,
    pub added: usize,
    pub removed: usize,
    pub altered: usize,
    #[serde(default)]
    pub top_score: Option<f64>,
    pub seconds: f64,
}

impl SuspectRow {
    /// A suspect that never got a report.
    pub(crate) fn unread(
        suspect: &Suspect,
        status: RowStatus,
        reason: Option<String>,
        seconds: f64,
    ) -> Self {
        Self {
            name: suspect.name.clone(),
            file: std::path::absolute(&suspect.path)
                .unwrap_or_else(|_| suspect.path.clone())
                .display()
                .to_string(),
            sha256: None,
            status,
            reason,
            rms_residual_px: None,
            inliers: None,
            overlap: None,
            added: 0,
            removed: 0,
            altered: 0,
            top_score: None,
            seconds,
        }
    }

    pub(crate) fn of_report(suspect: &Suspect, report: &Report, seconds: f64) -> Self {
        let refused = report.alignment.status != "ok";
        let count = |k: RegionKind| report.regions.iter().filter(|r| r.kind == k).count();
        let status = match (refused, report.regions.is_empty()) {
            (true, _) => RowStatus::AlignmentRefused,
            (false, true) => RowStatus::Clean,
            (false, false) => RowStatus::Regions,
        };
        let aligned = |v| (!refused).then_some(v);
        Self {
            sha256: report.suspect.sha256.clone(),
            reason: report.alignment.reason.clone(),
            rms_residual_px: aligned(report.alignment.rms_residual_px),
            inliers: aligned(report.alignment.inliers as f64).map(|v| v as usize),
            overlap: aligned(report.alignment.overlap),
            added: count(RegionKind::Added),
            removed: count(RegionKind::Removed),
            altered: count(RegionKind::Altered),
            top_score: report.regions.iter().map(|r| r.score).reduce(f64::max),
            file: report.suspect.path.clone(),
            ..Self::unread(suspect, status, None, seconds)
        }
    }

    pub fn regions(&self) -> usize {
        self.added + self.removed + self.altered
    }

    /// Worst first: suspects that could not be checked, then by top score.
    fn severity(&self) -> (u8, f64) {
        let rank = match self.status {
            RowStatus::Error | RowStatus::AlignmentRefused => 2,
            RowStatus::Regions => 1,
            RowStatus::Clean => 0,
        };
        (rank, self.top_score.unwrap_or(0.0))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub schema: u32,
    pub reference: ImageInfo,
    pub settings: DetectSettings,
    pub ignore_masks: usize,
    #[serde(default)]
    pub shard: Option<Shard>,
    /// The shards a merged summary was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_shards: Vec<usize>,
    /// Shards of the same list that were not among those merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<usize>,
    pub rows: Vec<SuspectRow>,
    pub clean: usize,
    pub with_regions: usize,
    pub errors: usize,
    pub wall_seconds: f64,
    pub jobs: usize,
    /// Peak resident memory of the batch, where the platform reports it.
    #[serde(default)]
    pub peak_rss_mib: Option<f64>,
}

impl BatchSummary {
    pub(crate) fn new(
        reference: ImageInfo,
        settings: DetectSettings,
        ignore_masks: usize,
        shard: Option<Shard>,
        rows: Vec<SuspectRow>,
        wall_seconds: f64,
        jobs: usize,
    ) -> Self {
        let mut s = Self {
            schema: SUMMARY_SCHEMA,
            reference,
            settings,
            ignore_masks,
            shard,
            merged_shards: Vec::new(),
            missing_shards: Vec::new(),
            rows,
            clean: 0,
            with_regions: 0,
            errors: 0,
            wall_seconds,
            jobs,
            peak_rss_mib: boarddiff_core::memory::peak_rss_bytes()
                .map(|b| b as f64 / (1024.0 * 1024.0)),
        };
        s.count();
        s
    }

    pub(crate) fn count(&mut self) {
        let n = |st: &[RowStatus]| self.rows.iter().filter(|r| st.contains(&r.status)).count();
        self.clean = n(&[RowStatus::Clean]);
        self.with_regions = n(&[RowStatus::Regions]);
        self.errors = n(&[RowStatus::Error, RowStatus::AlignmentRefused]);
    }

    /// 2 when any suspect could not be checked, else 1 when any has regions, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else {
            u8::from(self.with_regions > 0)
        }
    }

    /// Writes the four summary files into `dir`, which holds the suspects' folders.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        write_atomic(&dir.join("summary.csv"), self.csv().as_bytes())?;
        write_atomic(&dir.join("junit.xml"), self.junit().as_bytes())?;
        write_atomic(&dir.join("index.html"), self.index_html(dir).as_bytes())?;
        // Written last: a folder with summary.json is a complete batch.
        write_json(&dir.join("summary.json"), self)
    }

    fn csv(&self) -> String {
        let mut out = String::from(
            "name,file,sha256,status,reason,rms_residual_px,inliers,overlap,added,removed,altered,regions,top_score,seconds\n",
        );
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
        for r in &self.rows {
            let fields = [
                r.name.clone(),
                r.file.clone(),
                r.sha256.clone().unwrap_or_default(),
                status_label(r.status).to_owned(),
                r.reason.clone().unwrap_or_default(),
                opt(r.rms_residual_px),
                r.inliers.map(|v| v.to_string()).unwrap_or_default(),
                opt(r.overlap),
                r.added.to_string(),
                r.removed.to_string(),
                r.altered.to_string(),
                r.regions().to_string(),
                opt(r.top_score),
                format!("{:.2}", r.seconds),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out
    }

    fn junit(&self) -> String {
        let failures = self.with_regions;
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"boarddiff batch\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{:.2}\">",
            self.rows.len(),
            self.errors,
            self.wall_seconds
        );
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{:.2}\">",
            escape(&format!("against {}", self.reference.path)),
            self.rows.len(),
            self.errors,
            self.wall_seconds
        );
        for r in &self.rows {
            let _ = write!(
                x,
                "    <testcase classname=\"boarddiff.batch\" name=\"{}\" file=\"{}\" time=\"{:.2}\"",
                escape(&r.name),
                escape(&r.file),
                r.seconds
            );
            let body = match r.status {
                RowStatus::Clean => None,
                RowStatus::Regions => Some(("failure", region_counts(r))),
                RowStatus::AlignmentRefused => Some((
                    "error",
                    format!("alignment refused: {}", r.reason.as_deref().unwrap_or("")),
                )),
                RowStatus::Error => Some(("error", r.reason.clone().unwrap_or_default())),
            };
            match body {
                None => x.push_str("/>\n"),
                Some((tag, message)) => {
                    let _ = writeln!(
                        x,
                        ">\n      <{tag} message=\"{}\">{}/report.json</{tag}>\n    </testcase>",
                        escape(&message),
                        escape(&r.name)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }

    fn index_html(&self, dir: &Path) -> String {
        let mut rows: Vec<&SuspectRow> = self.rows.iter().collect();
        rows.sort_by(|a, b| {
            let ((rank_a, score_a), (rank_b, score_b)) = (a.severity(), b.severity());
            rank_b.cmp(&rank_a).then(score_b.total_cmp(&score_a))
        });
        let mut h = String::new();
        h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str("<title>boarddiff batch</title><style>");
        h.push_str(INDEX_CSS);
        h.push_str("</style></head><body>");
        let _ = write!(
            h,
            "<h1>Batch against {}</h1><p class=\"meta\">Reference SHA-256 {} · {}×{} px · {} suspect(s): \
             <b class=\"bad\">{} with regions</b>, <b class=\"err\">{} not checked</b>, <b class=\"ok\">{} clean</b> · \
             sensitivity {} · {} ignore mask(s) · {:.1} s</p>",
            escape(&self.reference.path),
            escape(self.reference.sha256.as_deref().unwrap_or("?")),
            self.reference.width,
            self.reference.height,
            self.rows.len(),
            self.with_regions,
            self.errors,
            self.clean,
            self.settings.sensitivity,
            self.ignore_masks,
            self.wall_seconds,
        );
        if let Some(s) = self.shard {
            let _ = write!(
                h,
                "<p class=\"meta\">Shard {} of {} ({} suspects in the whole list).</p>",
                s.index, s.count, s.of_suspects
            );
        }
        h.push_str("<table><tr><th></th><th>Suspect</th><th>Result</th><th>Added</th><th>Removed</th><th>Altered</th><th>Top score</th><th>Alignment</th><th>SHA-256</th></tr>");
        for r in rows {
            let name = escape(&r.name);
            let thumb = std::fs::read(dir.join(&r.name).join(THUMBNAIL_FILE))
                .map(|b| format!("<img src=\"{}\" alt=\"\">", data_uri("image/jpeg", &b)))
                .unwrap_or_default();
            let (class, result) = match r.status {
                RowStatus::Clean => ("ok", "clean".to_owned()),
                RowStatus::Regions => ("bad", region_counts(r)),
                RowStatus::AlignmentRefused => (
                    "err",
                    format!("alignment refused: {}", r.reason.as_deref().unwrap_or("")),
                ),
                RowStatus::Error => ("err", r.reason.clone().unwrap_or_default()),
            };
            let link = match r.status {
                RowStatus::Error => name.clone(),
                _ => format!(
                    "<a href=\"{0}/{1}\">{name}</a><br><a class=\"small\" href=\"{0}/report.json\">report.json</a>{2}",
                    url_segment(&r.name),
                    if dir.join(&r.name).join("report.html").is_file() {
                        "report.html"
                    } else {
                        "annotated.png"
                    },
                    if r.status == RowStatus::AlignmentRefused {
                        String::new()
                    } else {
                        format!(
                            "<br><code class=\"small\">boarddiff gui --session {name}/{}</code>",
                            super::SESSION_FILE
                        )
                    }
                ),
            };
            let _ = write!(
                h,
                "<tr class=\"{class}\"><td>{thumb}</td><td>{link}<br><span class=\"small\">{}</span></td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
                escape(&r.file),
                escape(&result),
                r.added,
                r.removed,
                r.altered,
                r.top_score.map(|s| format!("{s:.2}")).unwrap_or_default(),
                r.rms_residual_px
                    .map(|v| format!("{v:.2} px rms"))
                    .unwrap_or_default(),
                escape(r.sha256.as_deref().map_or("", |s| &s[..s.len().min(16)])),
            );
        }
        h.push_str("</table></body></html>\n");
        h
    }
}

fn status_label(s: RowStatus) -> &'static str {
    match s {
        RowStatus::Clean => "clean",
        RowStatus::Regions => "regions",
        RowStatus::AlignmentRefused => "alignment_refused",
        RowStatus::Error => "error",
    }
}

fn region_counts(r: &SuspectRow) -> String {
    format!(
        "{} region(s): {} added, {} removed, {} altered",
        r.regions(),
        r.added,
        r.removed,
        r.altered
    )
}

/// RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. A leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet never runs a file name.
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// A folder name as one URL path segment.
fn url_segment(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const INDEX_CSS: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#222}\
h1{font-size:20px;margin:0 0 6px}.meta{color:#555;margin:4px 0}\
table{border-collapse:collapse;margin-top:14px}td,th{padding:6px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}\
img{width:160px;border:1px solid #ccc}.small{font-size:12px;color:#666}\
td.bad,b.bad{color:#b00020}td.err,b.err{color:#8a5a00}td.ok,b.ok{color:#1b7a1b}\
tr.err{background:#fff7e6}tr.bad{background:#fff0f0}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }

    #[test]
    fn url_segments_escape_everything_but_plain_names() {
        assert_eq!(url_segment("board_7-2.x"), "board_7-2.x");
        assert_eq!(url_segment("a b#?"), "a%20b%23%3F");
    }
}
