//! The eight 3×3 filters on one shared colour scale (as the notebook's `plots` does), with a
//! legend bar, drawn straight onto a 2D canvas.

use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

const CELL: f64 = 18.0;
const GAP: f64 = 16.0;
const TOP: f64 = 22.0;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn colour(t: f64) -> String {
    let c = ViridisRGB.get_color_normalized(t as f32, 0.0, 1.0);
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// `weights` holds 8 filters of 9 values, row-major.
pub fn draw(canvas: &HtmlCanvasElement, weights: &[f32]) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str("white");
    ctx.fill_rect(0.0, 0.0, w, h);
    if weights.len() != 72 {
        return;
    }
    let min = weights.iter().copied().fold(f32::INFINITY, f32::min) as f64;
    let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let span = (max - min).max(1e-9);
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("center");
    for f in 0..8 {
        let x0 = GAP / 2.0 + f as f64 * (3.0 * CELL + GAP);
        ctx.set_fill_style_str("black");
        let _ = ctx.fill_text(&format!("Filter {f}"), x0 + 1.5 * CELL, 15.0);
        for i in 0..9 {
            let v = weights[f * 9 + i] as f64;
            ctx.set_fill_style_str(&colour((v - min) / span));
            ctx.fill_rect(x0 + (i % 3) as f64 * CELL, TOP + (i / 3) as f64 * CELL, CELL, CELL);
        }
    }
    // Legend: the shared scale from min to max.
    let (bar_y, bar_x, bar_w) = (TOP + 3.0 * CELL + 14.0, 60.0, w - 120.0);
    for i in 0..100 {
        ctx.set_fill_style_str(&colour(i as f64 / 99.0));
        ctx.fill_rect(bar_x + bar_w * i as f64 / 100.0, bar_y, bar_w / 100.0 + 1.0, 10.0);
    }
    ctx.set_fill_style_str("black");
    ctx.set_text_align("right");
    let _ = ctx.fill_text(&crate::charts::compact(min), bar_x - 4.0, bar_y + 10.0);
    ctx.set_text_align("left");
    let _ = ctx.fill_text(&crate::charts::compact(max), bar_x + bar_w + 4.0, bar_y + 10.0);
}

/// Width and height the filters canvas needs.
pub fn size() -> (u32, u32) {
    ((8.0 * (3.0 * CELL + GAP)) as u32, (TOP + 3.0 * CELL + 34.0) as u32)
}

/// Draws a 28×28 image of values in [0, 1] in grey, scaled to the canvas.
pub fn draw_image(canvas: &HtmlCanvasElement, image: &[f32]) {
    let Some(ctx) = context(canvas) else { return };
    let scale = canvas.width() as f64 / 28.0;
    for (i, v) in image.iter().enumerate() {
        let g = (v.clamp(0.0, 1.0) * 255.0) as u8;
        ctx.set_fill_style_str(&format!("rgb({g},{g},{g})"));
        ctx.fill_rect((i % 28) as f64 * scale, (i / 28) as f64 * scale, scale, scale);
    }
}
