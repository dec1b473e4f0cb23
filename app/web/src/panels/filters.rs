//! The model's filters (the notebook's eight 3×3), live while training.

use filterlab_protocol::NetShape;
use leptos::{html, prelude::*};

use super::{filter_editor::FilterEditor, redraw_on};
use crate::{draw, page::page};

/// "The eight 3×3 filters", "The 2 filters, 5×5".
fn title(shape: &NetShape) -> String {
    let k = shape.kernel;
    match shape.filters {
        8 => format!("The eight {k}×{k} filters"),
        1 => format!("The one {k}×{k} filter"),
        n => format!("The {n} {k}×{k} filters"),
    }
}

#[component]
pub fn FiltersPanel() -> impl IntoView {
    let page = page();
    let filters = page.select(|s| s.model.filters.clone());
    let shape = page.select(|s| s.shown_shape().unwrap_or_default());
    let frozen = page.select(|s| s.form.frozen.clone());
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || { filters.track(); shape.track(); frozen.track(); }, move |c| {
        frozen.with_untracked(|z| filters.with_untracked(|f| match f {
            Some(f) => draw::filters::draw(c, &f.shape, &f.weights, z),
            None => draw::filters::draw(c, &shape.get_untracked(), &[], &[]),
        }))
    });
    // A click on a filter opens it in the editor (the canvas may be drawn smaller than its size).
    let pick = move |ev: leptos::ev::MouseEvent| {
        let (Some(c), Some(s)) = (canvas.get_untracked(), filters.with_untracked(|f| f.as_ref().map(|f| f.shape))) else { return };
        let scale = draw::filters::size(&s).0 / (c.client_width().max(1) as f64);
        if let Some(f) = draw::filters::filter_at(&s, ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale) {
            page.state.update(|st| st.edit_filter(f));
        }
    };
    let (w, h) = draw::filters::size(&NetShape::NOTEBOOK);
    let numbers = move || {
        filters.with(|f| match f {
            None => format!("{}: not made yet.", title(&shape.get())),
            Some(f) => {
                let each = f.weights.chunks(f.shape.taps()).enumerate().map(|(n, w)| format!("filter {n}: {}", w.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(" ")));
                format!("{}, row by row. {}.", title(&f.shape), each.collect::<Vec<_>>().join("; "))
            }
        })
    };
    view! {
        <section class="panel filters" aria-labelledby="filters-title">
            <h2 id="filters-title" data-testid="filters-title">{move || title(&shape.get())}</h2>
            <canvas node_ref=canvas data-testid="filters" width=w height=h role="img" aria-label=numbers on:click=pick
                data-filters=move || filters.with(|f| f.as_ref().map(|f| (f.weights.len() / f.shape.taps()).to_string()).unwrap_or_default())
                data-weights=move || filters.with(|f| f.as_ref().map(|f| draw::joined(&f.weights)).unwrap_or_default())
            ></canvas>
            <p class="biases small">{move || filters.with(|f| f.as_ref().map(|f| format!("Biases: {}", f.biases.iter().map(|b| format!("{b:.3}")).collect::<Vec<_>>().join(", "))).unwrap_or_default())}</p>
            <FilterEditor />
        </section>
    }
}
