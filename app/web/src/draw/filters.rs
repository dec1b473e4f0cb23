//! The model's filters on one shared colour scale (as the notebook's `plots` does), in rows of
//! eight, with a legend bar, drawn straight onto a 2D canvas. They lay themselves out from the
//! network's shape.

use filterlab_protocol::NetShape;
use web_sys::HtmlCanvasElement;

use super::{compact, legend_bar, map, mismatch, range, sheet, viridis};

const GAP: f64 = 16.0;
const TOP: f64 = 22.0;
const PER_ROW: usize = 8;
/// Room for a filter's title above it.
const TITLE: f64 = 22.0;

/// Pixels per weight: a filter is 54–60 px across whatever its kernel.
fn cell(shape: &NetShape) -> f64 {
    if shape.kernel <= 3 { 18.0 } else { 12.0 }
}

/// Width and height of the filters canvas for `shape`, in CSS pixels.
pub fn size(shape: &NetShape) -> (f64, f64) {
    let side = shape.kernel as f64 * cell(shape);
    let columns = shape.filters.clamp(1, PER_ROW) as f64;
    let rows = shape.filters.div_ceil(PER_ROW).max(1) as f64;
    (columns.max(4.0) * (side + GAP), rows * (side + TITLE) + 34.0)
}

/// The filter drawn at (`x`, `y`) in the canvas's CSS pixels (at its full size), if any.
pub fn filter_at(shape: &NetShape, x: f64, y: f64) -> Option<usize> {
    let side = shape.kernel as f64 * cell(shape);
    let (column, row) = ((x / (side + GAP)).floor(), (y / (side + TITLE)).floor());
    if column < 0.0 || row < 0.0 || column >= PER_ROW as f64 {
        return None;
    }
    let f = row as usize * PER_ROW + column as usize;
    (f < shape.filters).then_some(f)
}

/// `weights` holds `shape.filters` filters of k×k values, row-major; the `frozen` ones get a
/// dashed frame.
pub fn draw(canvas: &HtmlCanvasElement, shape: &NetShape, weights: &[f32], frozen: &[usize]) {
    let (width, height) = size(shape);
    let Some((ctx, theme)) = sheet(canvas, width, height) else { return };
    if weights.is_empty() {
        return;
    }
    let taps = shape.taps();
    if weights.len() != shape.filters * taps {
        return mismatch(&ctx, &theme, width, &format!("{} numbers do not make {} filters of {}×{}", weights.len(), shape.filters, shape.kernel, shape.kernel));
    }
    let (min, max) = range(weights);
    let (cell, side) = (cell(shape), shape.kernel as f64 * cell(shape));
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("center");
    for (f, filter) in weights.chunks_exact(taps).enumerate() {
        let x0 = GAP / 2.0 + (f % PER_ROW) as f64 * (side + GAP);
        let y0 = (f / PER_ROW) as f64 * (side + TITLE);
        ctx.set_fill_style_str(&theme.text);
        let _ = ctx.fill_text(&format!("Filter {f}"), x0 + side / 2.0, y0 + 15.0);
        map(&ctx, filter, shape.kernel, x0, y0 + TOP, cell, |v| viridis((v - min) / (max - min)));
        if frozen.contains(&f) {
            ctx.set_stroke_style_str(&theme.text);
            ctx.set_line_width(2.0);
            let _ = ctx.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
            ctx.stroke_rect(x0 - 3.0, y0 + TOP - 3.0, side + 6.0, side + 6.0);
            let _ = ctx.set_line_dash(&js_sys::Array::new());
            ctx.set_line_width(1.0);
        }
    }
    // Legend: the shared scale from min to max.
    let bar_x = 60.0;
    legend_bar(&ctx, &theme, bar_x, height - 20.0, width - 2.0 * bar_x, &compact(min), &compact(max), &viridis);
}
