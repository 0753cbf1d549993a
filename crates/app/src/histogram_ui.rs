//! The detection panel's histogram of candidate peak scores against the seed and grow
//! thresholds: what the sensitivity slider moves the thresholds across.
use boarddiff_core::settings::DetectSettings;
use egui::{Color32, Ui};
use egui_plot::{Bar, BarChart, Corner, Legend, LineStyle, Plot, VLine};

/// Width of one bin in log10 of noise sigmas: 12 % per bin.
const BIN_LOG10: f64 = 0.05;

/// Counts per bin of log10(peak), as (bin centre, count).
pub(crate) fn log_bins(peaks: &[f32]) -> Vec<(f64, usize)> {
    let mut bins: std::collections::BTreeMap<i64, usize> = Default::default();
    for &p in peaks.iter().filter(|p| p.is_finite() && **p > 0.0) {
        *bins
            .entry((f64::from(p).log10() / BIN_LOG10).floor() as i64)
            .or_default() += 1;
    }
    bins.into_iter()
        .map(|(b, n)| ((b as f64 + 0.5) * BIN_LOG10, n))
        .collect()
}

/// `regions`: how many candidates became regions (not a part that merely moved).
pub(crate) fn score_histogram_ui(
    ui: &mut Ui,
    peaks: &[f32],
    settings: &DetectSettings,
    regions: usize,
) {
    let sensitivity = settings.sensitivity.max(0.05);
    let seed = (settings.seed_sigma / sensitivity).log10();
    let grow = (settings.grow_sigma / sensitivity).log10();
    let (above, below): (Vec<Bar>, Vec<Bar>) = log_bins(peaks)
        .into_iter()
        .map(|(x, n)| Bar::new(x, n as f64).width(BIN_LOG10 * 0.9))
        .partition(|b| b.argument >= seed);
    let kept = peaks
        .iter()
        .filter(|p| f64::from(**p).log10() >= seed)
        .count();
    ui.label(format!(
        "{} candidate(s), {kept} over the seed threshold, {regions} not a part that moved",
        peaks.len()
    ))
    .on_hover_text(
        "Peak score of every difference large enough to be a region, in noise sigmas \
         (log scale). Those right of the seed line become regions unless they are a part \
         that merely moved; raising sensitivity moves both lines left.",
    );
    Plot::new("score_histogram")
        .height(120.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_y(false)
        .include_y(0.0)
        .include_x(grow - 0.2)
        .include_x(seed + 0.6)
        .x_axis_formatter(|mark, _| format!("{:.0}σ", 10f64.powf(mark.value)))
        .legend(Legend::default().position(Corner::LeftTop))
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("below seed", below).color(Color32::from_rgb(140, 140, 150)),
            );
            plot.bar_chart(
                BarChart::new("seeds a region", above).color(Color32::from_rgb(220, 60, 60)),
            );
            plot.vline(
                VLine::new("seed", seed)
                    .color(Color32::from_rgb(220, 60, 60))
                    .width(1.5),
            );
            plot.vline(
                VLine::new("grow", grow)
                    .color(Color32::from_rgb(230, 160, 40))
                    .style(LineStyle::dashed_loose()),
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_fall_in_twelve_percent_bins_and_nonsense_is_left_out() {
        let bins = log_bins(&[10.0, 10.5, 12.0, 100.0, f32::NAN, -1.0, 0.0]);
        assert_eq!(bins.len(), 3, "{bins:?}");
        assert_eq!(bins[0].1, 2);
        assert!((10f64.powf(bins[2].0) - 106.0).abs() < 1.0, "{bins:?}");
    }
}
