//! Everything drawn on a canvas: the charts (plotters), the filters, the feature maps and the
//! image galleries. The pieces they share live here: colour maps, heat maps, 28×28 images,
//! legend bars and number formatting.

pub mod charts;
pub mod filters;
pub mod insight;

use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The page's colours (style.css's tokens), read when a canvas is drawn, so canvases follow the
/// light or dark scheme like the rest of the page.
pub struct Theme {
    pub surface: String,
    pub text: String,
    pub muted: String,
    pub border: String,
}

impl Theme {
    pub fn now() -> Theme {
        let style = leptos::prelude::document().document_element().and_then(|root| leptos::prelude::window().get_computed_style(&root).ok().flatten());
        let token = |name: &str, light: &str| {
            let value = style.as_ref().and_then(|s| s.get_property_value(name).ok()).map(|v| v.trim().to_string());
            value.filter(|v| !v.is_empty()).unwrap_or_else(|| light.to_string())
        };
        Theme { surface: token("--surface", "#ffffff"), text: token("--text", "#1c2024"), muted: token("--muted", "#5a626b"), border: token("--border", "#d9dde2") }
    }
}

/// "#rrggbb" as a plotters colour (grey if it is not one).
pub fn rgb(hex: &str) -> plotters::style::RGBColor {
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(128);
    plotters::style::RGBColor(byte(1), byte(3), byte(5))
}

/// Sizes `canvas` to `width`×`height` CSS pixels (less where its column is narrower: the CSS
/// keeps its shape) with the screen's pixel ratio in its pixels, so it is sharp on dense
/// screens; fills it with the panel's colour and returns a context that draws in CSS pixels.
pub fn sheet(canvas: &HtmlCanvasElement, width: f64, height: f64) -> Option<(CanvasRenderingContext2d, Theme)> {
    let k = leptos::prelude::window().device_pixel_ratio().max(1.0);
    let (w, h) = ((width * k).round() as u32, (height * k).round() as u32);
    if (canvas.width(), canvas.height()) != (w, h) {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let _ = canvas.style().set_property("width", &format!("{width}px"));
    let ctx = context(canvas)?;
    ctx.set_transform(k, 0.0, 0.0, k, 0.0, 0.0).ok()?;
    let theme = Theme::now();
    ctx.set_fill_style_str(&theme.surface);
    ctx.fill_rect(0.0, 0.0, width, height);
    Some((ctx, theme))
}

/// The notebook's colour map; `t` in [0, 1].
pub fn viridis(t: f64) -> String {
    let c = ViridisRGB.get_color_normalized(t.clamp(0.0, 1.0) as f32, 0.0, 1.0);
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// Blue for negative, white for zero, red for positive; `t` in [-1, 1].
pub fn diverging(t: f64) -> String {
    let t = t.clamp(-1.0, 1.0);
    let fade = |full: f64| (255.0 - (255.0 - full) * t.abs()) as u8;
    if t < 0.0 {
        format!("rgb({},{},{})", fade(33.0), fade(102.0), fade(172.0))
    } else {
        format!("rgb({},{},{})", fade(178.0), fade(24.0), fade(43.0))
    }
}

/// The smallest and largest value (never an empty span).
pub fn range(values: &[f32]) -> (f64, f64) {
    let min = values.iter().copied().fold(f32::INFINITY, f32::min) as f64;
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    (min, max.max(min + 1e-9))
}

/// Paints a `side × side` map of `values` at `cell` pixels per value.
pub fn map(ctx: &CanvasRenderingContext2d, values: &[f32], side: usize, x: f64, y: f64, cell: f64, colour: impl Fn(f64) -> String) {
    for (i, &v) in values.iter().enumerate() {
        ctx.set_fill_style_str(&colour(v as f64));
        ctx.fill_rect(x + (i % side) as f64 * cell, y + (i / side) as f64 * cell, cell + 0.5, cell + 0.5);
    }
}

/// A colour bar from `x` to `x + width` (the map's `t` from 0 to 1), its ends labelled.
pub fn legend_bar(ctx: &CanvasRenderingContext2d, theme: &Theme, x: f64, y: f64, width: f64, low: &str, high: &str, colour: &dyn Fn(f64) -> String) {
    for i in 0..100 {
        ctx.set_fill_style_str(&colour(i as f64 / 99.0));
        ctx.fill_rect(x + width * i as f64 / 100.0, y, width / 100.0 + 1.0, 10.0);
    }
    ctx.set_fill_style_str(&theme.text);
    ctx.set_text_align("right");
    let _ = ctx.fill_text(low, x - 4.0, y + 9.0);
    ctx.set_text_align("left");
    let _ = ctx.fill_text(high, x + width + 4.0, y + 9.0);
}

/// Draws a 28×28 image of values in [0, 1] in grey, scaled to the canvas.
pub fn image(canvas: &HtmlCanvasElement, image: &[f32]) {
    let Some(ctx) = context(canvas) else { return };
    let size = canvas.width() as f64;
    grey_image(&ctx, image, 0.0, 0.0, size);
}

/// Paints a 28×28 image of values in [0, 1] in grey as a `size` square at (x, y): its pixels go
/// in at once (not one call per pixel), scaled up without smoothing, so a gallery of them is quick.
pub fn grey_image(ctx: &CanvasRenderingContext2d, image: &[f32], x: f64, y: f64, size: f64) {
    let rgba: Vec<u8> = image.iter().flat_map(|v| {
        let g = (v.clamp(0.0, 1.0) * 255.0) as u8;
        [g, g, g, 255]
    }).collect();
    let Some(pixels) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), 28, 28).ok() else { return };
    let Some(tile) = leptos::prelude::document().create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok()) else { return };
    tile.set_width(28);
    tile.set_height(28);
    let Some(tile_ctx) = context(&tile) else { return };
    let _ = tile_ctx.put_image_data(&pixels, 0.0, 0.0);
    ctx.set_image_smoothing_enabled(false);
    let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&tile, x, y, size, size);
}

/// Axis and legend numbers that fit their margin, however large a diverging loss gets.
pub fn compact(v: f64) -> String {
    if v != 0.0 && !(1e-2..1e3).contains(&v.abs()) { format!("{v:.1e}") } else { format!("{v:.2}") }
}

/// Says on the canvas why it shows nothing (numbers that do not fit the network's shape): a
/// picture that cannot be drawn is an error message, never a blank.
pub fn mismatch(ctx: &CanvasRenderingContext2d, theme: &Theme, width: f64, why: &str) {
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("left");
    ctx.set_fill_style_str(&theme.text);
    let _ = ctx.fill_text_with_max_width(&format!("Cannot draw this: {why}."), 8.0, 20.0, width - 16.0);
}

/// Numbers for the tests (`data-*` attributes): comma-separated.
pub fn joined(values: &[f32]) -> String {
    values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}
