//! Filterlab's page. It trains nothing itself: every number comes from the worker (`worker.rs`),
//! so the page never freezes. The page's state is plain Rust in `filterlab-page`; `page.rs` holds
//! it in a signal and acts on it; each panel in `panels/` shows one part of it; `draw/` paints the
//! canvases.

mod draw;
mod files;
mod frames;
mod offline;
mod pad;
mod page;
mod panels;
mod site;
mod store;
mod tabs;
mod worker;

use filterlab_page::lesson::Panel;
use leptos::prelude::*;
use panels::*;

#[component]
pub fn App() -> impl IntoView {
    let page = page::Page::start();
    provide_context(page);
    // A lesson may hide panels (until "Unlock everything").
    let shown = move |panel: Panel| page.select(move |s| s.shown(panel));
    let building = page.select(|s| s.lesson.as_ref().is_none_or(|l| l.unlocked));
    macro_rules! panel {
        ($panel:expr, $view:expr) => {{
            let on = shown($panel);
            view! { <Show when=move || on.get()>{$view}</Show> }
        }};
    }
    view! {
        // The title and what to do first are static in index.html, above this.
        <main>
            <div class="live">
                <DeviceBar />
                <Status />
            </div>
            <Problems />
            <LessonBanner />
            <div class="panels">
                // The network, then how to train it: one column, so neither leaves a gap elsewhere.
                <div class="side">
                    {panel!(Panel::Network, view! { <NetworkPanel /> })}
                    <TrainingPanel />
                </div>
                {panel!(Panel::Charts, view! { <Charts /> })}
                {panel!(Panel::Drawing, view! { <DrawPanel /> })}
                {panel!(Panel::Filters, view! { <FiltersPanel /> })}
                {panel!(Panel::Epochs, view! { <EpochLog /> })}
                {panel!(Panel::Features, view! { <Features /> })}
                {panel!(Panel::Confusion, view! { <ConfusionPanel /> })}
                {panel!(Panel::Data, view! { <DataPreview /> })}
                {panel!(Panel::Parameters, view! { <Parameters /> })}
                {panel!(Panel::Runs, view! { <RunList /> })}
                {panel!(Panel::MyDigits, view! { <MyDigitsPanel /> })}
                <Show when=move || building.get()><LessonBuilder /></Show>
            </div>
        </main>
        <footer class="small">
            "The notebook's network: conv 3×3 ×8 (padding 1) → max-pool 7×7 → linear 128→2, 338 parameters, "
            "as in the teaching notebook it grows from; the Network panel changes it. The model stays in this browser unless you export it."
        </footer>
    }
}
