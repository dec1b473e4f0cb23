//! The network's knobs (the filter lab): filters, kernel and pool, the parameter count as they
//! change, and the notebook's network one click away. Train builds the network they describe.

use filterlab_protocol::{NetShape, shape};
use leptos::prelude::*;

use crate::page::page;

/// "2·(3·3+1) + 2·(2·7·7+1) = 218 parameters": the count, and where it comes from.
fn count(s: &NetShape) -> String {
    let (f, k, side, c) = (s.filters, s.kernel, s.pooled_side(), s.classes);
    format!("{f}·({k}·{k}+1) + {c}·({f}·{side}·{side}+1) = {} parameters", s.params())
}

#[component]
pub fn NetworkPanel() -> impl IntoView {
    let page = page();
    // The knobs are off while training, and where a lesson locks them.
    let training = page.select(|s| s.training() || s.locked(filterlab_page::lesson::Control::Network));
    let filters = page.select(|s| s.form.filters.clone());
    let kernel = page.select(|s| s.form.kernel);
    let pool = page.select(|s| s.form.pool);
    let shape = page.select(|s| s.form.shape().map(|s| s.validate().map(|()| s).map_err(|e| e.to_string())));
    // The notebook's knobs (its classes follow the Digits choice).
    let is_notebook = page.select(|s| s.form.shape().map(|x| NetShape { classes: 2, ..x }) == Some(NetShape::NOTEBOOK));
    // The current model's network, when the knobs say another: Continue needs the model's.
    let other_model = page.select(|s| s.model.filters.as_ref().map(|f| f.shape).filter(|m| s.form.shape() != Some(*m)));

    let choice = move |value: usize, label: String, id: String, current: Memo<usize>, put: fn(&mut filterlab_page::Form, usize)| {
        view! {
            <button data-testid=id class:active=move || current.get() == value aria-pressed=move || (current.get() == value).to_string()
                on:click=move |_| page.state.update(|s| put(&mut s.form, value))
                prop:disabled=move || training.get()>{label}</button>
        }
    };
    view! {
        <section class="panel network" aria-labelledby="network-title">
            <h2 id="network-title">"Network"</h2>
            <p class="small">"Conv k×k → max-pool → linear → log-softmax. Train builds the network set here; its classes are the Digits' (2 for a pair, 10 for all ten)."</p>
            <label class="field">
                <span>"Filters (1–32)"</span>
                <input data-testid="filter-count" inputmode="numeric"
                    prop:value=move || filters.get()
                    on:input=move |ev| page.state.update(|s| s.form.filters = event_target_value(&ev))
                    prop:disabled=move || training.get() />
            </label>
            <div class="knob">
                <span id="kernel-label">"Kernel"</span>
                <div class="segmented" role="group" aria-labelledby="kernel-label">
                    {shape::KERNELS.map(|k| choice(k, format!("{k}×{k}"), format!("kernel-{k}"), kernel, |f, v| f.kernel = v)).to_vec()}
                </div>
            </div>
            <div class="knob">
                <span id="pool-label">"Pool"</span>
                <div class="segmented" role="group" aria-labelledby="pool-label">
                    {shape::POOLS.map(|p| choice(p, format!("{p} → {0}×{0}", 28 / p), format!("pool-{p}"), pool, |f, v| f.pool = v)).to_vec()}
                </div>
            </div>
            <p data-testid="param-count" class="count" aria-live="polite">
                {move || match shape.get() {
                    Some(Ok(s)) => count(&s),
                    Some(Err(e)) => e,
                    None => "Filters: a whole number from 1 to 32.".into(),
                }}
            </p>
            <p data-testid="model-network" class="small" aria-live="polite">{move || other_model.get().map(|m| format!(
                "The current model is {}: Train builds the network set here, Continue trains the model as it is.", m.knobs()
            ))}</p>
            <button data-testid="notebook-network" on:click=move |_| page.state.update(|s| s.form.set_shape(NetShape::NOTEBOOK))
                prop:disabled=move || training.get() || is_notebook.get()>"Notebook: 8 filters, 3×3, pool 7"</button>
        </section>
    }
}
