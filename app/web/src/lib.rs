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

use leptos::prelude::*;
use panels::*;

#[component]
pub fn App() -> impl IntoView {
    provide_context(page::Page::start());
    view! {
        // The title and what to do first are static in index.html, above this.
        <main>
            <div class="live">
                <DeviceBar />
                <Status />
            </div>
            <Problems />
            <div class="panels">
                // The network, then how to train it: one column, so neither leaves a gap elsewhere.
                <div class="side">
                    <NetworkPanel />
                    <TrainingPanel />
                </div>
                <Charts />
                <DrawPanel />
                <FiltersPanel />
                <EpochLog />
                <Features />
                <ConfusionPanel />
                <DataPreview />
                <Parameters />
                <RunList />
                <MyDigitsPanel />
            </div>
        </main>
        <footer class="small">
            "The notebook's network: conv 3×3 ×8 (padding 1) → max-pool 7×7 → linear 128→2, 338 parameters, "
            "as in the teaching notebook it grows from; the Network panel changes it. The model stays in this browser unless you export it."
        </footer>
    }
}
