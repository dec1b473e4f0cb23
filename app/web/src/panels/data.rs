//! A few random training images of each class, as the notebook shows them.

use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{draw::insight, page::page};

#[component]
pub fn DataPreview() -> impl IntoView {
    let preview = page().select(|s| s.worker.preview.clone());
    let trained_on = page().select(|s| s.model.trained_on);
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || preview.track(), move |c| {
        preview.with_untracked(|p| {
            let Some(p) = p else { return };
            let captions: Vec<String> = p.images.iter().enumerate().flat_map(|(class, strip)| strip.iter().map(move |_| format!("{}", p.digits.digit(class)))).collect();
            let all: Vec<Vec<f32>> = p.images.iter().flatten().cloned().collect();
            insight::draw_gallery(c, &all, &captions, 8, 42.0);
        })
    });
    let caption = move || {
        preview.with(|p| {
            p.as_ref()
                .map(|p| match p.digits.pair() {
                    Some(pair) => format!("Random training images: {}s (class 0) above, {}s (class 1) below.", pair.negative, pair.positive),
                    None => "Random training images of each digit, 0 to 9 (class k is digit k).".to_string(),
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel data" aria-labelledby="data-title">
            <h2 id="data-title">"The data"</h2>
            <p class="small">{caption}</p>
            <p class="small" data-testid="trained-on" data-train=move || trained_on.get().map(|t| t.0.to_string()) data-my-digits=move || trained_on.get().map(|t| t.1.to_string())>
                {move || trained_on.get().map(|(train, mine)| format!("The latest run trained{}", filterlab_page::words::training_images(train, mine).trim_end_matches('…').to_string() + "."))}
            </p>
            // Sized for the gallery it will show (two rows of eight), so nothing below moves when it comes.
            <canvas node_ref=canvas data-testid="preview" width="368" height="120" role="img" aria-label=caption
                data-images=move || preview.with(|p| p.as_ref().map(|p| p.images.iter().map(Vec::len).sum::<usize>().to_string()).unwrap_or_default())></canvas>
        </section>
    }
}
