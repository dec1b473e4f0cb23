//! The page's panels, one component each. Every panel reads the one page state through
//! [`crate::page::page`] and picks the part it shows with `select`, so it redraws only when
//! that part changes. A new chart is a component here and a draw function in `draw/`.

mod charts;
mod compare;
mod confusion;
mod data;
mod device;
mod drawing;
mod epochs;
mod features;
mod filter_editor;
mod filters;
mod lesson;
mod my_digits;
mod network;
mod parameters;
mod runs;
mod status;
mod training;
mod worked;

pub use charts::Charts;
pub use confusion::ConfusionPanel;
pub use data::DataPreview;
pub use device::DeviceBar;
pub use drawing::DrawPanel;
pub use epochs::EpochLog;
pub use features::Features;
pub use filters::FiltersPanel;
pub use lesson::{LessonBanner, LessonBuilder};
pub use my_digits::MyDigitsPanel;
pub use network::NetworkPanel;
pub use parameters::Parameters;
pub use runs::RunList;
pub use status::{Problems, Status};
pub use training::TrainingPanel;

use leptos::{html, prelude::*};
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::HtmlCanvasElement;

use crate::frames;

/// Redraws `canvas` on the next animation frame whenever what `track` reads changes, once the
/// canvas is in the page, and when the system turns light or dark (canvases are drawn in the
/// page's colours).
pub fn redraw_on(canvas: NodeRef<html::Canvas>, track: impl Fn() + 'static, draw: impl Fn(&HtmlCanvasElement) + 'static) {
    let schedule = frames::on_next_frame(move || {
        if let Some(c) = canvas.get_untracked() {
            draw(&c);
        }
    });
    let scheme = scheme_changes();
    Effect::new(move |_| {
        canvas.track();
        scheme.track();
        track();
        schedule();
    });
}

/// A counter that moves when the system switches between light and dark. The listener stays for
/// the page's life, as the panels do.
fn scheme_changes() -> ReadSignal<u32> {
    let (count, set_count) = signal(0u32);
    if let Ok(Some(query)) = window().match_media("(prefers-color-scheme: dark)") {
        let on_change = Closure::<dyn Fn()>::new(move || set_count.update(|n| *n += 1));
        let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        on_change.forget();
    }
    count
}
