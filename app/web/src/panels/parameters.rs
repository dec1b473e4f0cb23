//! The model's parameter table: 338 numbers in all.

use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn Parameters() -> impl IntoView {
    let params = page().select(|s| s.params.clone());
    view! {
        <section class="panel parameters" aria-labelledby="parameters-title">
            <h2 id="parameters-title">"Parameters"</h2>
            <table data-testid="params">
                <thead><tr><th scope="col">"Layer"</th><th scope="col">"Shape"</th><th scope="col">"Count"</th></tr></thead>
                <tbody>
                    <For each=move || params.get() key=|p| p.name.clone() let:p>
                        <tr><td>{p.name.clone()}</td><td>{format!("{:?}", p.shape)}</td><td>{p.count}</td></tr>
                    </For>
                    <tr class="total"><td>"Total"</td><td></td><td>{move || params.with(|p| p.iter().map(|p| p.count).sum::<usize>())}</td></tr>
                </tbody>
            </table>
        </section>
    }
}
