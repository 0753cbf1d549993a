//! The FROC curve as a picture: recall against false regions per pair, on a log scale so
//! that the budgets an inspector cares about (0.5-5 per pair) get most of the width.
use crate::eval::{FrocPoint, FROC_BUDGETS};
use image::RgbImage;
use plotters::prelude::*;
use std::sync::Once;

const SIZE: (u32, u32) = (900, 600);
/// The left end of the log axis: a curve's points with fewer false regions sit on it.
const MIN_FALSE_PER_PAIR: f64 = 0.05;
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// One curve per label (one per sensitivity of a sweep), with the budgets marked.
pub fn froc_plot(title: &str, curves: &[(String, Vec<FrocPoint>)]) -> Result<RgbImage, String> {
    static FONT: Once = Once::new();
    FONT.call_once(|| {
        // The bundled font parses (the output crate's tests draw with it); a failure here
        // leaves plotters without text, which its drawing calls then report.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            boarddiff_output::draw::FONT_BYTES,
        );
    });
    let mut buffer = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    draw(&mut buffer, title, curves).map_err(|e| format!("drawing the FROC plot: {e}"))?;
    RgbImage::from_raw(SIZE.0, SIZE.1, buffer).ok_or_else(|| "FROC plot buffer size".into())
}

fn draw(
    buffer: &mut [u8],
    title: &str,
    curves: &[(String, Vec<FrocPoint>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(buffer, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let x_max = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.false_regions_per_pair))
        .fold(10.0f64, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(46)
        .y_label_area_size(60)
        .build_cartesian_2d((MIN_FALSE_PER_PAIR..x_max).log_scale(), 0.0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc("false regions per pair")
        .y_desc("recall")
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    for budget in FROC_BUDGETS {
        chart.draw_series(LineSeries::new(
            [(budget, 0.0), (budget, 1.0)],
            ShapeStyle::from(&RGBColor(170, 170, 170)).stroke_width(1),
        ))?;
    }
    for (i, (label, curve)) in curves.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        // A step curve: recall holds until the next threshold adds false regions.
        let mut steps: Vec<(f64, f64)> = Vec::new();
        for p in curve {
            let x = p.false_regions_per_pair.max(MIN_FALSE_PER_PAIR);
            if let Some(&(_, y)) = steps.last() {
                steps.push((x, y));
            }
            steps.push((x, p.recall));
        }
        if let Some(&(_, y)) = steps.last() {
            steps.push((x_max, y));
        }
        chart
            .draw_series(LineSeries::new(
                steps,
                ShapeStyle::from(&colour).stroke_width(3),
            ))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_curve_in_its_colour() {
        let curve = |r: f64| {
            vec![
                FrocPoint {
                    false_regions_per_pair: 0.0,
                    recall: r / 2.0,
                    min_score: 9.0,
                },
                FrocPoint {
                    false_regions_per_pair: 2.0,
                    recall: r,
                    min_score: 1.0,
                },
            ]
        };
        let img = froc_plot(
            "test",
            &[("a".into(), curve(0.9)), ("b".into(), curve(0.6))],
        )
        .unwrap();
        assert_eq!(img.dimensions(), SIZE);
        let count = |c: RGBColor| img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
        assert!(count(PALETTE[0]) > 200, "first curve drawn");
        assert!(count(PALETTE[1]) > 200, "second curve drawn");
        // Text was rendered: dark pixels beyond the axes' lines.
        let dark = img.pixels().filter(|p| p.0.iter().all(|&v| v < 80)).count();
        assert!(dark > 2000, "labels drawn ({dark} dark pixels)");
    }
}
