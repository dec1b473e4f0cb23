//! A few random training images of each class, as the notebook shows them.

use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{draw::insight, page::page};

#[component]
pub fn DataPreview() -> impl IntoView {
    let preview = page().select(|s| s.preview.clone());
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || preview.track(), move |c| {
        preview.with_untracked(|p| {
            let Some(p) = p else { return };
            let captions: Vec<String> = (0..2).flat_map(|class| p.images[class].iter().map(move |_| format!("{}", p.digits.digit(class)))).collect();
            let all: Vec<Vec<f32>> = p.images.iter().flatten().cloned().collect();
            insight::draw_gallery(c, &all, &captions, 8, 42.0);
        })
    });
    let caption = move || preview.with(|p| p.as_ref().map(|p| format!("Random training images: {}s (class 0) above, {}s (class 1) below.", p.digits.negative, p.digits.positive)).unwrap_or_default());
    view! {
        <section class="panel data" aria-labelledby="data-title">
            <h2 id="data-title">"The data"</h2>
            <p class="small">{caption}</p>
            // Sized for the gallery it will show (two rows of eight), so nothing below moves when it comes.
            <canvas node_ref=canvas data-testid="preview" width="368" height="120" role="img" aria-label=caption
                data-images=move || preview.with(|p| p.as_ref().map(|p| (p.images[0].len() + p.images[1].len()).to_string()).unwrap_or_default())></canvas>
        </section>
    }
}
