//! Two models' filters side by side: the current model's and a kept run's ("Compare" in the run
//! list), e.g. the notebook's SGD run against its Adam run.

use filterlab_protocol::Filters;
use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{draw, page::page};

/// One model's filters on a canvas of their own, named; `testid` for the browser tests.
fn filters_view(testid: &'static str, title: Signal<String>, filters: Signal<Option<Filters>>) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || filters.track(), move |c| {
        filters.with_untracked(|f| if let Some(f) = f { draw::filters::draw(c, &f.shape, &f.weights, &[]) })
    });
    let size = move || filters.with(|f| draw::filters::size(&f.as_ref().map(|f| f.shape).unwrap_or_default()));
    view! {
        <figure class="compare-side">
            <figcaption class="small">{move || title.get()}</figcaption>
            <canvas node_ref=canvas data-testid=testid width=move || size().0 height=move || size().1 role="img"
                aria-label=move || format!("The filters of {}", title.get())
                data-weights=move || filters.with(|f| f.as_ref().map(|f| draw::joined(&f.weights)).unwrap_or_default())></canvas>
        </figure>
    }
}

#[component]
pub fn Compare() -> impl IntoView {
    let page = page();
    let compared = page.select(|s| s.compare.clone());
    let current = page.select(|s| s.model.filters.clone());
    let current_title = page.select(|s| match &s.model.record {
        Some(r) => format!("Now on the page: #{} {}", r.number, r.label),
        None => "Now on the page".into(),
    });
    view! {
        <Show when=move || compared.with(Option::is_some)>
            <div class="compare" data-testid="compare" role="group" aria-label="Filters side by side">
                {filters_view("compare-current", current_title.into(), current.into())}
                {filters_view("compare-kept", Signal::derive(move || compared.with(|c| c.as_ref().map(|c| c.title.clone()).unwrap_or_default())), Signal::derive(move || compared.with(|c| c.as_ref().and_then(|c| c.filters.clone()))))}
                <button data-testid="compare-close" on:click=move |_| page.state.update(|s| s.compare = None)>"Close"</button>
            </div>
        </Show>
    }
}
