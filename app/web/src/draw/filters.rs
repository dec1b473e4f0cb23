//! The eight 3×3 filters on one shared colour scale (as the notebook's `plots` does), with a
//! legend bar, drawn straight onto a 2D canvas.

use web_sys::HtmlCanvasElement;

use super::{compact, legend_bar, map, range, sheet, viridis};

const CELL: f64 = 18.0;
const GAP: f64 = 16.0;
const TOP: f64 = 22.0;

/// `weights` holds 8 filters of 9 values, row-major.
pub fn draw(canvas: &HtmlCanvasElement, weights: &[f32]) {
    let (width, height) = size();
    let Some((ctx, theme)) = sheet(canvas, width, height) else { return };
    if weights.len() != 72 {
        return;
    }
    let (min, max) = range(weights);
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("center");
    for f in 0..8 {
        let x0 = GAP / 2.0 + f as f64 * (3.0 * CELL + GAP);
        ctx.set_fill_style_str(&theme.text);
        let _ = ctx.fill_text(&format!("Filter {f}"), x0 + 1.5 * CELL, 15.0);
        map(&ctx, &weights[f * 9..f * 9 + 9], 3, x0, TOP, CELL, |v| viridis((v - min) / (max - min)));
    }
    // Legend: the shared scale from min to max.
    let bar_x = 60.0;
    legend_bar(&ctx, &theme, bar_x, TOP + 3.0 * CELL + 14.0, width - 2.0 * bar_x, &compact(min), &compact(max), &viridis);
}

/// Width and height of the filters canvas, in CSS pixels.
pub fn size() -> (f64, f64) {
    (8.0 * (3.0 * CELL + GAP), TOP + 3.0 * CELL + 34.0)
}
