//! The eight 3×3 filters on one shared colour scale (as the notebook's `plots` does), with a
//! legend bar, drawn straight onto a 2D canvas.

use web_sys::HtmlCanvasElement;

use super::{blank, compact, legend_bar, map, range, viridis};

const CELL: f64 = 18.0;
const GAP: f64 = 16.0;
const TOP: f64 = 22.0;

/// `weights` holds 8 filters of 9 values, row-major.
pub fn draw(canvas: &HtmlCanvasElement, weights: &[f32]) {
    let Some(ctx) = blank(canvas) else { return };
    if weights.len() != 72 {
        return;
    }
    let (min, max) = range(weights);
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("center");
    for f in 0..8 {
        let x0 = GAP / 2.0 + f as f64 * (3.0 * CELL + GAP);
        ctx.set_fill_style_str("black");
        let _ = ctx.fill_text(&format!("Filter {f}"), x0 + 1.5 * CELL, 15.0);
        map(&ctx, &weights[f * 9..f * 9 + 9], 3, x0, TOP, CELL, |v| viridis((v - min) / (max - min)));
    }
    // Legend: the shared scale from min to max.
    let bar_x = 60.0;
    legend_bar(&ctx, bar_x, TOP + 3.0 * CELL + 14.0, canvas.width() as f64 - 2.0 * bar_x, &compact(min), &compact(max), &viridis);
}

/// Width and height the filters canvas needs.
pub fn size() -> (u32, u32) {
    ((8.0 * (3.0 * CELL + GAP)) as u32, (TOP + 3.0 * CELL + 34.0) as u32)
}
