//! The pictures that explain the model: the feature maps of the drawn digit with what pushed the
//! decision, and galleries of MNIST images (the data preview, a confusion-matrix cell).

use filterlab_protocol::{Explanation, MapCell, NetShape, WorkedStep, mnist::SIDE};
use web_sys::HtmlCanvasElement;

use super::{compact, diverging, grey_image, legend_bar, map, mismatch, range, sheet, viridis};

const LEFT: f64 = 92.0;
const COLUMN: f64 = 76.0;
/// Filters side by side in one band; more go in further bands below.
const PER_BAND: usize = 8;
/// A band: the filter, its conv map, its pooled map, its contributions to two classes.
const BAND: f64 = 256.0;
const CONV_Y: f64 = 64.0;
const POOLED_Y: f64 = 128.0;
const PUSH_Y: f64 = 192.0;
/// Maps are this wide whatever their side (28×28 at 2 px, 4×4 pooled at 14 px, …).
const MAP: f64 = 56.0;

fn bands(shape: &NetShape) -> usize {
    shape.filters.div_ceil(PER_BAND).max(1)
}

/// Width and height of the feature-map canvas for `shape`, in CSS pixels.
pub fn features_size(shape: &NetShape) -> (f64, f64) {
    (LEFT + shape.filters.clamp(1, PER_BAND) as f64 * COLUMN, bands(shape) as f64 * BAND + 34.0)
}

/// For each filter: the filter (its own scale), its conv output and pooled map (one shared scale
/// for all maps), and the pooled values' contributions towards each class (red pushes towards
/// the class, blue away) of two `classes` (index, digit): a pair's, or the two likeliest of ten.
/// `filters` are the model's, drawn when they are the explanation's network's.
pub fn draw_features(canvas: &HtmlCanvasElement, filters: Option<(&NetShape, &[f32])>, e: &Explanation, classes: [(usize, u8); 2]) {
    let shape = e.shape;
    let (width, height) = features_size(&shape);
    let Some((ctx, theme)) = sheet(canvas, width, height) else { return };
    let (side, cells, fc_in) = (shape.pooled_side(), shape.cells(), shape.fc_in());
    let fits = e.conv.len() == shape.filters * 784 && e.pooled.len() == fc_in && e.contributions.len() == shape.classes * fc_in;
    if !fits || classes.iter().any(|&(c, _)| c >= shape.classes) {
        return mismatch(&ctx, &theme, width, &format!("the feature maps do not fit a network of {shape}"));
    }
    let filters = filters.filter(|(s, w)| **s == shape && w.len() == shape.filters * shape.taps()).map(|(_, w)| w);
    let (fmin, fmax) = filters.map(range).unwrap_or((0.0, 1.0));
    let (amin, amax) = range(&e.conv);
    let shown = |c: usize| &e.contributions[c * fc_in..(c + 1) * fc_in];
    let reach = classes.iter().flat_map(|&(c, _)| shown(c)).fold(0.0f32, |m, v| m.max(v.abs())).max(1e-9) as f64;
    let pooled_label = format!("pooled {side}×{side}");
    ctx.set_font("12px sans-serif");
    for band in 0..bands(&shape) {
        let top = band as f64 * BAND;
        ctx.set_fill_style_str(&theme.text);
        ctx.set_text_align("left");
        for (label, y) in [("filter", 22.0), ("conv 28×28", CONV_Y), (pooled_label.as_str(), POOLED_Y)] {
            let _ = ctx.fill_text(label, 4.0, top + y + 16.0);
        }
        let _ = ctx.fill_text(&format!("towards {}", classes[0].1), 4.0, top + PUSH_Y + 14.0);
        let _ = ctx.fill_text(&format!("towards {}", classes[1].1), 4.0, top + PUSH_Y + 46.0);
    }
    let filter_cell = if shape.kernel <= 3 { 12.0 } else { 8.0 };
    for f in 0..shape.filters {
        let (x, top) = (LEFT + (f % PER_BAND) as f64 * COLUMN, (f / PER_BAND) as f64 * BAND);
        ctx.set_fill_style_str(&theme.text);
        ctx.set_text_align("center");
        let _ = ctx.fill_text(&format!("{f}"), x + MAP / 2.0, top + 14.0);
        if let Some(w) = filters {
            let taps = shape.taps();
            map(&ctx, &w[f * taps..(f + 1) * taps], shape.kernel, x + 10.0, top + 22.0, filter_cell, |v| viridis((v - fmin) / (fmax - fmin)));
        }
        let activation = |v: f64| viridis((v - amin) / (amax - amin));
        map(&ctx, &e.conv[f * 784..(f + 1) * 784], 28, x, top + CONV_Y, MAP / 28.0, activation);
        map(&ctx, &e.pooled[f * cells..(f + 1) * cells], side, x, top + POOLED_Y, MAP / side as f64, activation);
        for (row, &(class, _)) in classes.iter().enumerate() {
            let start = class * fc_in + f * cells;
            let y = top + PUSH_Y + row as f64 * 32.0;
            let cell = MAP / 2.0 / side as f64;
            map(&ctx, &e.contributions[start..start + cells], side, x + 14.0, y, cell, |v| diverging(v / reach));
            // A frame, so a map of zeros (white) still shows where it is.
            ctx.set_stroke_style_str(&theme.border);
            ctx.stroke_rect(x + 13.5, y - 0.5, MAP / 2.0 + 1.0, MAP / 2.0 + 1.0);
        }
    }
    // The two scales.
    let (x0, bar) = (LEFT + 40.0, width - LEFT - 80.0);
    let legends = bands(&shape) as f64 * BAND + 2.0;
    for (y, label, low, high, colour) in [
        (legends, "maps", amin, amax, &viridis as &dyn Fn(f64) -> String),
        (legends + 16.0, "pushes", -reach, reach, &|t| diverging(2.0 * t - 1.0)),
    ] {
        ctx.set_fill_style_str(&theme.text);
        ctx.set_text_align("left");
        let _ = ctx.fill_text(label, 4.0, y + 9.0);
        legend_bar(&ctx, &theme, x0, y, bar, &compact(low), &compact(high), colour);
    }
}

/// The feature-map cell under (`x`, `y`) (CSS pixels of the canvas as drawn at full size): a
/// conv map's cell, or for a pooled map the cell that won its max-pool's window (its top-left
/// until worked out: the worked step says which won).
pub fn cell_at(shape: &NetShape, x: f64, y: f64) -> Option<MapCell> {
    let (band, y) = ((y / BAND) as usize, y % BAND);
    let column = ((x - LEFT) / COLUMN).floor();
    let dx = x - LEFT - column * COLUMN;
    let filter = band * PER_BAND + column as usize;
    if column < 0.0 || column as usize >= PER_BAND || filter >= shape.filters || !(0.0..MAP).contains(&dx) {
        return None;
    }
    let at = |top: f64, side: usize| ((0.0..MAP).contains(&(y - top))).then(|| (((y - top) / MAP * side as f64) as usize, (dx / MAP * side as f64) as usize));
    if let Some((row, col)) = at(CONV_Y, SIDE) {
        return Some(MapCell { filter, row, col });
    }
    let pool = shape.pool;
    at(POOLED_Y, shape.pooled_side()).map(|(r, c)| MapCell { filter, row: r * pool, col: c * pool })
}

/// The worked cell's picture: the image with the padding around it (hatched), the pooling
/// window (dashed), the filter's window (a solid frame) and the max-pool's winner (a dot).
pub fn draw_worked(canvas: &HtmlCanvasElement, image: &[f32], step: &WorkedStep) {
    const CELL: f64 = 7.0;
    let pad = step.shape.padding();
    let size = (SIDE + 2 * pad) as f64 * CELL;
    let Some((ctx, theme)) = sheet(canvas, size, size) else { return };
    // Padding: a ring of hatched cells around the image.
    ctx.set_stroke_style_str(&theme.border);
    ctx.stroke_rect(0.5, 0.5, size - 1.0, size - 1.0);
    ctx.begin_path();
    let mut k = -size;
    while k < size {
        ctx.move_to(k, size);
        ctx.line_to(k + size, 0.0);
        k += 6.0;
    }
    ctx.stroke();
    let origin = pad as f64 * CELL;
    grey_image(&ctx, image, origin, origin, SIDE as f64 * CELL);
    let at = |r: isize, c: isize| (origin + c as f64 * CELL, origin + r as f64 * CELL);
    let p = step.shape.pool;
    let (px, py) = at((step.pool.row * p) as isize, (step.pool.col * p) as isize);
    ctx.set_line_width(1.5);
    ctx.set_stroke_style_str("#e8a33d");
    let _ = ctx.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
    ctx.stroke_rect(px, py, p as f64 * CELL, p as f64 * CELL);
    let _ = ctx.set_line_dash(&js_sys::Array::new());
    let (r0, c0) = step.window_origin();
    let (wx, wy) = at(r0, c0);
    let k = step.shape.kernel as f64 * CELL;
    ctx.set_line_width(2.0);
    ctx.set_stroke_style_str("#d6336c");
    ctx.stroke_rect(wx, wy, k, k);
    let (wr, wc) = step.pool.winner;
    let (dx, dy) = at(wr as isize, wc as isize);
    ctx.set_fill_style_str("#e8a33d");
    ctx.begin_path();
    let _ = ctx.arc(dx + CELL / 2.0, dy + CELL / 2.0, CELL / 3.0, 0.0, std::f64::consts::TAU);
    ctx.fill();
    ctx.set_line_width(1.0);
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
