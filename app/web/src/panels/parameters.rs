//! The model's parameter table (338 numbers in all for the notebook's network): the current
//! model's, or before there is one, the network Train would build.

use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn Parameters() -> impl IntoView {
    let shape = page().select(|s| s.shown_shape());
    let rows = move || shape.get().map(|s| s.param_table()).unwrap_or_default();
    view! {
        <section class="panel parameters" aria-labelledby="parameters-title">
            <h2 id="parameters-title">"Parameters"</h2>
            <table data-testid="params">
                <thead><tr><th scope="col">"Layer"</th><th scope="col">"Shape"</th><th scope="col">"Count"</th></tr></thead>
                <tbody>
                    <For each=rows key=|p| (p.name, p.shape.clone()) let:p>
                        <tr><td>{p.name}</td><td>{format!("{:?}", p.shape)}</td><td>{p.count()}</td></tr>
                    </For>
                    <tr class="total"><td>"Total"</td><td></td><td data-testid="params-total">{move || shape.get().map(|s| s.params().to_string()).unwrap_or_default()}</td></tr>
                </tbody>
            </table>
        </section>
    }
}
