//! The live charts, drawn with plotters on a canvas: loss (per batch and per epoch) and
//! accuracy (per epoch), train and test, with the test curves of earlier runs overlaid; and the
//! gradient's norms per reported step.
//! `k` is canvas pixels per CSS pixel (the screen's pixel ratio): text, margins and lines are
//! sized in CSS pixels, so they read the same on any screen, and sharp on dense ones.

use filterlab_protocol::EpochRow;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::{Theme, rgb};

const TRAIN: RGBColor = RGBColor(31, 119, 180);
const TEST: RGBColor = RGBColor(214, 39, 40);
const BATCH: RGBColor = RGBColor(160, 190, 220);
/// The gradient chart's layers.
const CONV: RGBColor = RGBColor(255, 127, 14);
const FC: RGBColor = RGBColor(148, 103, 189);
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

/// An empty chart: its title and when it fills in. Cheaper than plotters' empty axes, which the
/// page would otherwise draw twice while it starts.
fn waiting(canvas: &HtmlCanvasElement, k: f64, title: &str, when: &str) {
    let Some(ctx) = super::context(canvas) else { return };
    let theme = Theme::now();
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str(&theme.surface);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.set_text_align("center");
    ctx.set_fill_style_str(&theme.text);
    ctx.set_font(&format!("{}px sans-serif", px(k, 17.0)));
    let _ = ctx.fill_text(title, w / 2.0, h / 2.0 - 6.0 * k);
    ctx.set_fill_style_str(&theme.muted);
    ctx.set_font(&format!("{}px sans-serif", px(k, 13.0)));
    let _ = ctx.fill_text(when, w / 2.0, h / 2.0 + 16.0 * k);
    ctx.set_stroke_style_str(&theme.border);
    ctx.stroke_rect(0.5, 0.5, w - 1.0, h - 1.0);
}

/// `n` CSS pixels in canvas pixels.
fn px(k: f64, n: f64) -> i32 {
    (n * k).round().max(1.0) as i32
}

/// A legend's sample line.
fn sample(k: f64, color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new([(x, y), (x + px(k, 16.0), y)], color.stroke_width(px(k, 2.0) as u32))
}

fn overlay_series(chart: &mut Chart, k: f64, overlays: &[Overlay], value: impl Fn(&EpochRow) -> f32 + Copy) -> DrawResult {
    for (n, o) in overlays.iter().enumerate() {
        let color = OVERLAYS[n % OVERLAYS.len()];
        let points: Vec<(f64, f64)> = o.history.iter().map(|r| (r.epoch as f64, value(r) as f64)).filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(px(k, 2.0) as u32)))?
            .label(format!("{} (test)", o.label))
            .legend(sample(k, color));
        // Markers too: a one-epoch run is a single point, which a line does not show.
        chart.draw_series(points.into_iter().map(|p| TriangleMarker::new(p, px(k, 4.0), color.filled())))?;
    }
    Ok(())
}

/// x of an epoch's end is its number; a batch inside epoch e sits at e - 1 + step / steps.
pub fn draw_loss(canvas: &HtmlCanvasElement, k: f64, batches: &[(f64, f64)], epochs: &[EpochRow], total_epochs: usize, overlays: &[Overlay]) {
    if batches.is_empty() && epochs.is_empty() && overlays.is_empty() {
        return waiting(canvas, k, "Loss", "appears as the first steps are taken");
    }
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let earlier = overlays.iter().flat_map(|o| o.history.iter().map(|r| r.test_loss as f64));
    let top = batches.iter().map(|b| b.1).chain(epochs.iter().flat_map(|r| [r.train_loss as f64, r.test_loss as f64])).chain(earlier);
    let top = top.filter(|v| v.is_finite()).fold(0.0f64, f64::max).max(0.1) * 1.1;
    let _ = draw(backend, k, "Loss", x_end(total_epochs, overlays), 0.0..top, |chart| {
        overlay_series(chart, k, overlays, |r| r.test_loss)?;
        chart
            .draw_series(LineSeries::new(batches.iter().copied(), BATCH.stroke_width(px(k, 1.0) as u32)))?
            .label("train, per batch")
            .legend(sample(k, BATCH));
        epoch_series(chart, k, epochs, |r| r.train_loss, TRAIN, "train, per epoch")?;
        epoch_series(chart, k, epochs, |r| r.test_loss, TEST, "test")
    });
}

pub fn draw_accuracy(canvas: &HtmlCanvasElement, k: f64, epochs: &[EpochRow], total_epochs: usize, overlays: &[Overlay]) {
    if epochs.is_empty() && overlays.is_empty() {
        return waiting(canvas, k, "Accuracy", "appears after the first epoch");
    }
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let earlier = overlays.iter().flat_map(|o| o.history.iter().map(|r| r.test_acc));
    let low = epochs.iter().flat_map(|r| [r.train_acc, r.test_acc]).chain(earlier).filter(|v| v.is_finite()).fold(0.5f32, f32::min) as f64;
    let _ = draw(backend, k, "Accuracy", x_end(total_epochs, overlays), (low - 0.02).max(0.0)..1.0, |chart| {
        overlay_series(chart, k, overlays, |r| r.test_acc)?;
        epoch_series(chart, k, epochs, |r| r.train_acc, TRAIN, "train")?;
        epoch_series(chart, k, epochs, |r| r.test_acc, TEST, "test")
    });
}

/// The gradient's norms per reported step, conv layer and linear layer: how hard each layer is
/// being pushed (momentum and Adam change what a step does with it, not its size).
pub fn draw_gradients(canvas: &HtmlCanvasElement, k: f64, points: &[(f64, f64, f64)], total_epochs: usize) {
    if points.is_empty() {
        return waiting(canvas, k, "Gradient norm", "appears as the first steps are taken");
    }
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let top = points.iter().flat_map(|p| [p.1, p.2]).filter(|v| v.is_finite()).fold(0.0f64, f64::max).max(1e-3) * 1.1;
    let _ = draw(backend, k, "Gradient norm", total_epochs, 0.0..top, |chart| {
        for (layer, color, value) in [("conv1", CONV, 1), ("fc", FC, 2)] {
            let line = points.iter().map(|p| (p.0, if value == 1 { p.1 } else { p.2 }));
            chart.draw_series(LineSeries::new(line, color.stroke_width(px(k, 2.0) as u32)))?.label(layer).legend(sample(k, color));
        }
        Ok(())
    });
}

type Chart<'a> = ChartContext<'a, CanvasBackend, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;
type DrawResult = Result<(), DrawingAreaErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>>;

fn draw(
    backend: CanvasBackend,
    k: f64,
    title: &str,
    total_epochs: usize,
    y: std::ops::Range<f64>,
    series: impl FnOnce(&mut Chart) -> DrawResult,
) -> DrawResult {
    let theme = Theme::now();
    let (surface, text, border) = (rgb(&theme.surface), rgb(&theme.text), rgb(&theme.border));
    let font = |size: f64| ("sans-serif", px(k, size)).into_font().color(&text);
    let root = backend.into_drawing_area();
    root.fill(&surface)?;
    // As many axis labels as fit: one per 64 CSS pixels across, one per 30 up.
    let (w, h) = root.dim_in_pixel();
    let (x_labels, y_labels) = (((w as f64 / k / 64.0) as usize).max(2), ((h as f64 / k / 30.0) as usize).max(2));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, font(17.0))
        .margin(px(k, 8.0))
        // Room for the last x label ("10"), which plotters centres on the plot's right edge.
        .margin_right(px(k, 18.0))
        .x_label_area_size(px(k, 34.0))
        .y_label_area_size(px(k, 48.0))
        .build_cartesian_2d(0.0..total_epochs.max(1) as f64, y)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(x_labels)
        .y_labels(y_labels)
        .y_label_formatter(&|v| super::compact(*v))
        .light_line_style(surface.mix(0.0))
        .bold_line_style(border)
        .axis_style(text.mix(0.6))
        .label_style(font(13.0))
        .axis_desc_style(font(13.0))
        .draw()?;
    series(&mut chart)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(surface.mix(0.85))
        .border_style(border)
        .label_font(font(13.0))
        .draw()?;
    root.present()
}

fn epoch_series(chart: &mut Chart, k: f64, epochs: &[EpochRow], value: impl Fn(&EpochRow) -> f32, color: RGBColor, label: &str) -> DrawResult {
    let points: Vec<(f64, f64)> = epochs.iter().map(|r| (r.epoch as f64, value(r) as f64)).collect();
    chart
        .draw_series(LineSeries::new(points.clone(), color.stroke_width(px(k, 2.0) as u32)))?
        .label(label)
        .legend(sample(k, color));
    chart.draw_series(points.into_iter().map(|p| Circle::new(p, px(k, 3.0), color.filled())))?;
    Ok(())
}
