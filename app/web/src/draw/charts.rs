//! The two live charts, drawn with plotters on a canvas: loss (per batch and per epoch) and
//! accuracy (per epoch), train and test, with the test curves of earlier runs overlaid.

use filterlab_protocol::EpochRow;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

const TRAIN: RGBColor = RGBColor(31, 119, 180);
const TEST: RGBColor = RGBColor(214, 39, 40);
const BATCH: RGBColor = RGBColor(160, 190, 220);
/// Colours of overlaid runs, in turn.
const OVERLAYS: [RGBColor; 6] =
    [RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(255, 127, 14), RGBColor(140, 86, 75), RGBColor(227, 119, 194), RGBColor(127, 127, 127)];

/// An earlier run drawn over the current one.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    pub label: String,
    pub history: Vec<EpochRow>,
}

/// The x axis: the current run's epochs, or an overlaid run's if longer.
fn x_end(total_epochs: usize, overlays: &[Overlay]) -> usize {
    overlays.iter().map(|o| o.history.len()).fold(total_epochs, usize::max)
}

fn overlay_series(chart: &mut Chart, overlays: &[Overlay], value: impl Fn(&EpochRow) -> f32 + Copy) -> DrawResult {
    for (n, o) in overlays.iter().enumerate() {
        let color = OVERLAYS[n % OVERLAYS.len()];
        let points: Vec<(f64, f64)> = o.history.iter().map(|r| (r.epoch as f64, value(r) as f64)).filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(format!("{} (test)", o.label))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        // Markers too: a one-epoch run is a single point, which a line does not show.
        chart.draw_series(points.into_iter().map(|p| TriangleMarker::new(p, 4, color.filled())))?;
    }
    Ok(())
}

/// x of an epoch's end is its number; a batch inside epoch e sits at e - 1 + step / steps.
pub fn draw_loss(canvas: &HtmlCanvasElement, batches: &[(f64, f64)], epochs: &[EpochRow], total_epochs: usize, overlays: &[Overlay]) {
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let earlier = overlays.iter().flat_map(|o| o.history.iter().map(|r| r.test_loss as f64));
    let top = batches.iter().map(|b| b.1).chain(epochs.iter().flat_map(|r| [r.train_loss as f64, r.test_loss as f64])).chain(earlier);
    let top = top.filter(|v| v.is_finite()).fold(0.0f64, f64::max).max(0.1) * 1.1;
    let _ = draw(backend, "Loss", x_end(total_epochs, overlays), 0.0..top, |chart| {
        overlay_series(chart, overlays, |r| r.test_loss)?;
        chart
            .draw_series(LineSeries::new(batches.iter().copied(), BATCH.stroke_width(1)))?
            .label("train, per batch")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BATCH.stroke_width(2)));
        epoch_series(chart, epochs, |r| r.train_loss, TRAIN, "train, per epoch")?;
        epoch_series(chart, epochs, |r| r.test_loss, TEST, "test")
    });
}

pub fn draw_accuracy(canvas: &HtmlCanvasElement, epochs: &[EpochRow], total_epochs: usize, overlays: &[Overlay]) {
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let earlier = overlays.iter().flat_map(|o| o.history.iter().map(|r| r.test_acc));
    let low = epochs.iter().flat_map(|r| [r.train_acc, r.test_acc]).chain(earlier).filter(|v| v.is_finite()).fold(0.5f32, f32::min) as f64;
    let _ = draw(backend, "Accuracy", x_end(total_epochs, overlays), (low - 0.02).max(0.0)..1.0, |chart| {
        overlay_series(chart, overlays, |r| r.test_acc)?;
        epoch_series(chart, epochs, |r| r.train_acc, TRAIN, "train")?;
        epoch_series(chart, epochs, |r| r.test_acc, TEST, "test")
    });
}

type Chart<'a> = ChartContext<'a, CanvasBackend, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;
type DrawResult = Result<(), DrawingAreaErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>>;

fn draw(
    backend: CanvasBackend,
    title: &str,
    total_epochs: usize,
    y: std::ops::Range<f64>,
    series: impl FnOnce(&mut Chart) -> DrawResult,
) -> DrawResult {
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        // Room for the last x label ("10"), which plotters centres on the plot's right edge.
        .margin_right(18)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..total_epochs.max(1) as f64, y)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_label_formatter(&|v| super::compact(*v))
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", 13))
        .draw()?;
    series(&mut chart)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()
}

fn epoch_series(chart: &mut Chart, epochs: &[EpochRow], value: impl Fn(&EpochRow) -> f32, color: RGBColor, label: &str) -> DrawResult {
    let points: Vec<(f64, f64)> = epochs.iter().map(|r| (r.epoch as f64, value(r) as f64)).collect();
    chart
        .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    Ok(())
}
