//! The live charts: loss (per batch and per epoch) and accuracy, with earlier runs overlaid, and
//! the gradient's norms per reported step.

use leptos::{html, prelude::*};
use web_sys::HtmlCanvasElement;

use super::redraw_on;
use crate::{draw::charts, page::page};

/// The charts' text equivalent: the latest numbers they show.
fn summary(history: &[filterlab_protocol::EpochRow], what: &str, value: impl Fn(&filterlab_protocol::EpochRow) -> (f32, f32)) -> String {
    match history.last() {
        None => format!("{what} chart: no epoch finished yet."),
        Some(r) => {
            let (train, test) = value(r);
            format!("{what} chart: after epoch {} of {}, train {train:.4}, test {test:.4}.", r.epoch, r.epochs)
        }
    }
}

/// A chart's width over its height.
const ASPECT: f64 = 460.0 / 260.0;

/// Sizes the canvas's pixels to its box on the page × the screen's pixel ratio (sharp on dense
/// screens, and as wide as its column); returns that ratio.
fn fit(canvas: &HtmlCanvasElement) -> f64 {
    let k = window().device_pixel_ratio().max(1.0);
    let width = match canvas.client_width() {
        0 => 460.0,
        w => w as f64,
    };
    let (w, h) = ((width * k).round() as u32, (width * k / ASPECT).round() as u32);
    if (canvas.width(), canvas.height()) != (w, h) {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    k
}

/// A counter that moves when the window is resized (or turned): the charts redraw at the new size.
fn resizes() -> ReadSignal<u32> {
    let (count, set_count) = signal(0u32);
    let handle = window_event_listener(leptos::ev::resize, move |_| set_count.update(|n| *n += 1));
    on_cleanup(move || handle.remove());
    count
}

#[component]
pub fn Charts() -> impl IntoView {
    let page = page();
    let history = page.select(|s| s.model.history.clone());
    let batches = page.select(|s| s.model.batches.iter().map(|b| (b.at, b.loss)).collect::<Vec<_>>());
    let total_epochs = page.select(|s| s.model.total_epochs);
    let overlays = page.select(|s| {
        s.library.iter().filter(|r| s.overlays.contains(&r.id)).map(|r| charts::Overlay { label: format!("#{}", r.number), history: r.history.clone() }).collect::<Vec<_>>()
    });
    let gradients = page.select(|s| s.model.batches.iter().filter_map(|b| b.gradient.map(|g| (b.at, g.conv as f64, g.fc as f64))).collect::<Vec<_>>());
    let loss = NodeRef::<html::Canvas>::new();
    let accuracy = NodeRef::<html::Canvas>::new();
    let gradient = NodeRef::<html::Canvas>::new();
    let resized = resizes();
    redraw_on(loss, move || {
        resized.track();
        history.track();
        batches.track();
        total_epochs.track();
        overlays.track();
    }, move |c| {
        let k = fit(c);
        overlays.with_untracked(|o| history.with_untracked(|e| batches.with_untracked(|b| charts::draw_loss(c, k, b, e, total_epochs.get_untracked(), o))))
    });
    redraw_on(accuracy, move || {
        resized.track();
        history.track();
        total_epochs.track();
        overlays.track();
    }, move |c| {
        let k = fit(c);
        overlays.with_untracked(|o| history.with_untracked(|e| charts::draw_accuracy(c, k, e, total_epochs.get_untracked(), o)))
    });
    redraw_on(gradient, move || {
        resized.track();
        gradients.track();
        total_epochs.track();
    }, move |c| {
        let k = fit(c);
        gradients.with_untracked(|g| charts::draw_gradients(c, k, g, total_epochs.get_untracked()))
    });
    let last_gradient = move || gradients.with(|g| g.last().map(|p| format!("conv1 {:.4}, fc {:.4}", p.1, p.2)));
    view! {
        <section class="panel charts" aria-label="Charts">
            <canvas node_ref=loss data-testid="chart-loss" width="460" height="260" role="img"
                aria-label=move || history.with(|h| summary(h, "Loss", |r| (r.train_loss, r.test_loss)))
                data-overlays=move || overlays.with(|o| o.len())
                data-batches=move || batches.with(|b| b.len())
                data-first-loss=move || batches.with(|b| b.first().map(|p| p.1.to_string()).unwrap_or_default())
                data-last-loss=move || batches.with(|b| b.last().map(|p| p.1.to_string()).unwrap_or_default())
            ></canvas>
            <canvas node_ref=accuracy data-testid="chart-accuracy" width="460" height="260" role="img"
                aria-label=move || history.with(|h| summary(h, "Accuracy", |r| (r.train_acc, r.test_acc)))
                data-epochs=move || history.with(|e| e.len())
            ></canvas>
            <canvas node_ref=gradient data-testid="chart-gradients" width="460" height="260" role="img"
                aria-label=move || match last_gradient() {
                    Some(last) => format!("Gradient norm chart: at the latest reported step, {last}."),
                    None => "Gradient norm chart: no step taken yet.".to_string(),
                }
                data-points=move || gradients.with(|g| g.len())
                data-last=move || gradients.with(|g| g.last().map(|p| format!("{},{}", p.1, p.2)).unwrap_or_default())
            ></canvas>
        </section>
    }
}
