//! The self-contained HTML report: one file with every image embedded, so it can be
//! attached to a ticket, opened offline and printed from a browser.
use crate::annotate::annotated_on;
use crate::crops::{region_crops, scale_panel};
use crate::encode::{encode_jpeg, encode_png};
use crate::export_options::{shown_regions, ExportOptions};
use crate::session::Session;
use base64::Engine as _;
use boarddiff_core::compare::Comparison;
use boarddiff_core::report::{RegionKind, Verdict};
use image::RgbImage;
use rayon::prelude::*;
use std::fmt::Write as _;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `bytes` as a `data:` URI, for images embedded in a self-contained page.
pub fn data_uri(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn png_uri(img: &RgbImage) -> String {
    data_uri("image/png", &encode_png(img))
}

/// Seconds since the epoch as "YYYY-MM-DD HH:MM UTC" (civil-from-days, no time crate).
pub(crate) fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #1b1b1f; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f5; } code { font-size: 12px; word-break: break-all; }
.overview { max-width: 100%; border: 1px solid #ccd; }
.region { border: 1px solid #ccd; border-radius: 6px; padding: 10px 12px; margin: 14px 0; break-inside: avoid; page-break-inside: avoid; }
.crops { display: flex; gap: 8px; flex-wrap: wrap; } .crops figure { margin: 0; } .crops img { height: 220px; image-rendering: pixelated; border: 1px solid #99a; }
figcaption { font-size: 12px; color: #555; }
.kind { color: #fff; padding: 1px 7px; border-radius: 4px; font-weight: 600; }
.verdict { font-weight: 600; } .note { white-space: pre-wrap; background: #f7f7fa; padding: 6px; border-radius: 4px; }
.muted { color: #666; }
.warning { border: 2px solid #c62828; background: #fdecea; color: #7f1d1d; padding: 8px 12px; border-radius: 6px; font-weight: 600; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
.overview-block { break-inside: avoid; page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } .region { border-color: #999; } .crops img { height: 150px; } .overview { max-height: 60vh; } }
"#;

fn kind_badge(kind: RegionKind) -> String {
    let [r, g, b] = kind.rgb();
    format!(
        r#"<span class="kind" style="background: rgb({r},{g},{b})">{}</span>"#,
        kind.label()
    )
}

/// The whole report as one HTML document.
pub(crate) fn html_report(cmp: &Comparison, session: &Session) -> String {
    let mut h = String::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let opts = ExportOptions {
        max_side: 1600,
        ..ExportOptions::default()
    };
    let shown = shown_regions(&session.regions, &opts);
    let overview = annotated_on(cmp, &shown, opts.on, opts.max_side);
    let overview_uri = data_uri("image/jpeg", &encode_jpeg(&overview, 88));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>boarddiff report</title><style>{STYLE}</style></head><body>\n\
         <h1>boarddiff inspection report</h1><p class=\"muted\">Generated {}</p>\n",
        utc_timestamp(now)
    );
    for w in &session.warnings {
        let _ = writeln!(h, "<p class=\"warning\">Warning: {}</p>", escape(w));
    }
    summary(&mut h, session);
    let _ = write!(
        h,
        "<div class=\"overview-block\"><h2>Overview</h2><img class=\"overview\" alt=\"reference with numbered regions\" src=\"{overview_uri}\">\n\
         <p class=\"muted\">Boxes: red added, blue removed, orange altered.{}</p></div>\n",
        if opts.include_benign || shown.len() == session.regions.len() {
            ""
        } else {
            " Regions marked benign are not drawn."
        }
    );
    let _ = writeln!(h, "<h2>Regions ({})</h2>", session.regions.len());
    if session.regions.is_empty() {
        h.push_str("<p>No differences were found.</p>\n");
    }
    let sections: Vec<String> = session
        .regions
        .par_iter()
        .map(|r| {
            let (crops, rect) = region_crops(cmp, &session.settings, r);
            let s = (220.0 / rect.h as f64).clamp(0.25, 8.0);
            let uris = crops.map(|c| png_uri(&scale_panel(&c, s)));
            let [x, y, w, hh] = r.bbox.to_array();
            let note = if r.note.is_empty() {
                String::from("<p class=\"muted\">No note.</p>")
            } else {
                format!("<div class=\"note\">{}</div>", escape(&r.note))
            };
            format!(
                "<div class=\"region\" id=\"region-{id}\"><h3>#{id} {badge} <span class=\"verdict\">{verdict}</span></h3>\n\
                 <p>score {score:.2} · area {area} px · box x {x}, y {y}, {w}×{hh} px (reference)</p>\n{note}\n\
                 <div class=\"crops\"><figure><img alt=\"reference crop\" src=\"{}\"><figcaption>reference</figcaption></figure>\
                 <figure><img alt=\"suspect crop\" src=\"{}\"><figcaption>suspect (aligned)</figcaption></figure>\
                 <figure><img alt=\"difference crop\" src=\"{}\"><figcaption>difference</figcaption></figure></div></div>\n",
                uris[0],
                uris[1],
                uris[2],
                id = r.id,
                badge = kind_badge(r.kind),
                verdict = r.verdict.label(),
                score = r.score,
                area = r.area_px,
            )
        })
        .collect();
    for s in sections {
        h.push_str(&s);
    }
    h.push_str("</body></html>\n");
    h
}

fn summary(h: &mut String, session: &Session) {
    let count_verdict = |v: Verdict| session.regions.iter().filter(|r| r.verdict == v).count();
    let count_kind = |k: RegionKind| session.regions.iter().filter(|r| r.kind == k).count();
    let _ = writeln!(
        h,
        "<h2>Summary</h2><table>\
         <tr><th>Regions</th><td>{} ({} added, {} removed, {} altered)</td></tr>\
         <tr><th>Reviewed</th><td>{} / {}</td></tr>\
         <tr><th>Verdicts</th><td>{} confirmed implant, {} suspicious, {} benign, {} unreviewed</td></tr></table>",
        session.regions.len(),
        count_kind(RegionKind::Added),
        count_kind(RegionKind::Removed),
        count_kind(RegionKind::Altered),
        session.reviewed_count(),
        session.regions.len(),
        count_verdict(Verdict::ConfirmedImplant),
        count_verdict(Verdict::Suspicious),
        count_verdict(Verdict::Benign),
        count_verdict(Verdict::Unreviewed),
    );
    h.push_str(
        "<h2>Images</h2><table><tr><th></th><th>path</th><th>size</th><th>SHA-256</th></tr>",
    );
    for (role, info) in [
        ("reference", &session.reference),
        ("suspect", &session.suspect),
    ] {
        let _ = write!(
            h,
            "<tr><th>{role}</th><td><code>{}</code></td><td>{}×{}</td><td><code>{}</code></td></tr>",
            escape(&info.path),
            info.width,
            info.height,
            escape(info.sha256.as_deref().unwrap_or("-"))
        );
    }
    h.push_str("</table>\n<h2>Alignment</h2><table>");
    let a = session.report().alignment;
    let source = if session.manual_points.is_empty() {
        "automatic".to_string()
    } else {
        format!("manual, {} point pairs", session.manual_points.len())
    };
    let _ = write!(
        h,
        "<tr><th>status</th><td>{} ({source})</td></tr><tr><th>inliers</th><td>{}</td></tr>\
         <tr><th>RMS residual</th><td>{:.3} px</td></tr><tr><th>overlap</th><td>{:.1} %</td></tr>",
        escape(&a.status),
        a.inliers,
        a.rms_residual_px,
        a.overlap * 100.0
    );
    if let Some(hm) = a.homography {
        let rows = hm.to_rows();
        let _ = write!(
            h,
            "<tr><th>suspect_from_reference</th><td><code>{}</code></td></tr>",
            rows.iter()
                .map(|r| {
                    format!(
                        "[{}, {}, {}]",
                        matrix_entry(r[0]),
                        matrix_entry(r[1]),
                        matrix_entry(r[2])
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    h.push_str("</table>\n");
    let st = &session.settings;
    let _ = writeln!(
        h,
        "<h2>Detection settings</h2><table><tr><th>sensitivity</th><td>{}</td></tr>\
         <tr><th>minimum area</th><td>{} px{}</td></tr><tr><th>tolerance</th><td>{} px (working)</td></tr>\
         <tr><th>ignore masks</th><td>{}</td></tr></table>",
        st.sensitivity,
        st.min_area_px_of(session.reference.width as f64),
        if st.min_area_px.is_none() { " (from the board's scale)" } else { "" },
        st.tolerance_px,
        if session.ignore_masks.is_empty() {
            "none".to_string()
        } else {
            session
                .ignore_masks
                .iter()
                .map(|m| format!("[{}, {}, {}, {}]", m.x, m.y, m.w, m.h))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
}

/// One homography entry as a reader can copy it: the perspective terms are around 1e-6,
/// where six decimals would print 0 and move a far corner by pixels.
fn matrix_entry(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.6e}")
    } else {
        format!("{v:.6}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_perspective_terms_of_a_homography() {
        assert_eq!(matrix_entry(-3.1200893926779004e-06), "-3.120089e-6");
        assert_eq!(matrix_entry(0.8987661727852583), "0.898766");
        assert_eq!(matrix_entry(253.44852590824604), "253.448526");
        assert_eq!(matrix_entry(0.0), "0.000000");
    }

    #[test]
    fn escapes_markup_and_formats_dates() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_timestamp(1_796_000_000), "2026-11-30 00:53 UTC");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00 UTC");
    }
}
