//! The pictures that explain the model: the feature maps of the drawn digit with what pushed the
//! decision, and galleries of MNIST images (the data preview, a confusion-matrix cell).

use filterlab_protocol::Explanation;
use web_sys::HtmlCanvasElement;

use super::{compact, diverging, grey_image, legend_bar, map, range, sheet, viridis};

const LEFT: f64 = 92.0;
const COLUMN: f64 = 76.0;
const ROWS: [(&str, f64); 4] = [("filter", 22.0), ("conv 28×28", 64.0), ("pooled 4×4", 128.0), ("", 192.0)];

/// Width and height of the feature-map canvas, in CSS pixels.
pub fn features_size() -> (f64, f64) {
    (LEFT + 8.0 * COLUMN, 290.0)
}

/// For each filter: the filter (its own scale), its conv output and pooled map (one shared scale
/// for all sixteen maps), and the pooled values' contributions towards each class (red pushes
/// towards the class, blue away).
pub fn draw_features(canvas: &HtmlCanvasElement, filters: &[f32], e: &Explanation, classes: [u8; 2]) {
    let (width, height) = features_size();
    let Some((ctx, theme)) = sheet(canvas, width, height) else { return };
    if e.conv.len() != 8 * 784 || e.pooled.len() != 128 || e.contributions.len() != 256 {
        return;
    }
    let (fmin, fmax) = if filters.len() == 72 { range(filters) } else { (0.0, 1.0) };
    let (amin, amax) = range(&e.conv);
    let reach = e.contributions.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-9) as f64;
    ctx.set_font("12px sans-serif");
    ctx.set_fill_style_str(&theme.text);
    ctx.set_text_align("left");
    for (label, y) in ROWS {
        let _ = ctx.fill_text(label, 4.0, y + 16.0);
    }
    let _ = ctx.fill_text(&format!("towards {}", classes[0]), 4.0, 206.0);
    let _ = ctx.fill_text(&format!("towards {}", classes[1]), 4.0, 238.0);
    for f in 0..8 {
        let x = LEFT + f as f64 * COLUMN;
        ctx.set_fill_style_str(&theme.text);
        ctx.set_text_align("center");
        let _ = ctx.fill_text(&format!("{f}"), x + 28.0, 14.0);
        if filters.len() == 72 {
            map(&ctx, &filters[f * 9..f * 9 + 9], 3, x + 10.0, 22.0, 12.0, |v| viridis((v - fmin) / (fmax - fmin)));
        }
        let activation = |v: f64| viridis((v - amin) / (amax - amin));
        map(&ctx, &e.conv[f * 784..(f + 1) * 784], 28, x, 64.0, 2.0, activation);
        map(&ctx, &e.pooled[f * 16..(f + 1) * 16], 4, x, 128.0, 14.0, activation);
        for class in 0..2 {
            let start = class * 128 + f * 16;
            let y = 192.0 + class as f64 * 32.0;
            map(&ctx, &e.contributions[start..start + 16], 4, x + 14.0, y, 7.0, |v| diverging(v / reach));
            // A frame, so a map of zeros (white) still shows where it is.
            ctx.set_stroke_style_str(&theme.border);
            ctx.stroke_rect(x + 13.5, y - 0.5, 29.0, 29.0);
        }
    }
    // The two scales.
    let (x0, bar) = (LEFT + 40.0, 8.0 * COLUMN - 80.0);
    for (y, label, low, high, colour) in [
        (258.0, "maps", amin, amax, &viridis as &dyn Fn(f64) -> String),
        (274.0, "pushes", -reach, reach, &|t| diverging(2.0 * t - 1.0)),
    ] {
        ctx.set_fill_style_str(&theme.text);
        ctx.set_text_align("left");
        let _ = ctx.fill_text(label, 4.0, y + 9.0);
        legend_bar(&ctx, &theme, x0, y, bar, &compact(low), &compact(high), colour);
    }
}

/// Draws 28×28 images in rows of `per_row`, each `size` pixels wide, with a caption under each.
pub fn draw_gallery(canvas: &HtmlCanvasElement, images: &[Vec<f32>], captions: &[String], per_row: usize, size: f64) {
    let rows = images.len().div_ceil(per_row.max(1)).max(1);
    let cell_h = size + if captions.is_empty() { 4.0 } else { 18.0 };
    let Some((ctx, theme)) = sheet(canvas, per_row as f64 * (size + 4.0), rows as f64 * cell_h) else { return };
    ctx.set_font("11px sans-serif");
    ctx.set_text_align("center");
    for (n, image) in images.iter().enumerate() {
        let (x, y) = ((n % per_row) as f64 * (size + 4.0), (n / per_row) as f64 * cell_h);
        grey_image(&ctx, image, x, y, size);
        if let Some(caption) = captions.get(n) {
            ctx.set_fill_style_str(&theme.text);
            let _ = ctx.fill_text(caption, x + size / 2.0, y + size + 13.0);
        }
    }
}
