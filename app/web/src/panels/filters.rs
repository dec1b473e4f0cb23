//! The eight 3×3 filters, live while training.

use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{draw, page::page};

#[component]
pub fn FiltersPanel() -> impl IntoView {
    let filters = page().select(|s| s.filters.clone());
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || filters.track(), move |c| filters.with_untracked(|f| draw::filters::draw(c, f.as_ref().map(|f| f.weights.as_slice()).unwrap_or(&[]))));
    let (w, h) = draw::filters::size();
    let numbers = move || {
        filters.with(|f| match f {
            None => "The eight 3×3 filters: not made yet.".to_string(),
            Some(f) => {
                let each = f.weights.chunks(9).enumerate().map(|(n, w)| format!("filter {n}: {}", w.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(" ")));
                format!("The eight 3×3 filters, row by row. {}.", each.collect::<Vec<_>>().join("; "))
            }
        })
    };
    view! {
        <section class="panel filters" aria-labelledby="filters-title">
            <h2 id="filters-title">"The eight 3×3 filters"</h2>
            <canvas node_ref=canvas data-testid="filters" width=w height=h role="img" aria-label=numbers></canvas>
            <p class="biases small">{move || filters.with(|f| f.as_ref().map(|f| format!("Biases: {}", f.biases.iter().map(|b| format!("{b:.3}")).collect::<Vec<_>>().join(", "))).unwrap_or_default())}</p>
        </section>
    }
}
