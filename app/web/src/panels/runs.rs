//! Finished and stopped runs, to overlay on the charts.

use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn RunList() -> impl IntoView {
    let page = page();
    let runs = page.select(|s| s.runs.clone());
    view! {
        <section class="panel runs-panel" aria-labelledby="runs-title">
            <h2 id="runs-title">"Runs"</h2>
            <p class="small">"Each finished or stopped run stays here; tick one to draw its test curves on the charts."</p>
            <ul data-testid="runs" class="runs">
                <For each=move || runs.get() key=|r| (r.id, r.overlay) let:r>
                    <li data-testid=format!("run-{}", r.id)>
                        <label>
                            <input type="checkbox" data-testid=format!("run-overlay-{}", r.id) prop:checked=r.overlay
                                on:change=move |_| page.state.update(|s| s.toggle_overlay(r.id)) />
                            {r.label.clone()}
                        </label>
                        <button data-testid=format!("run-remove-{}", r.id) title="Remove from the list" aria-label=format!("Remove run #{}", r.id)
                            on:click=move |_| page.state.update(|s| s.remove_run(r.id))>"×"</button>
                    </li>
                </For>
            </ul>
        </section>
    }
}
