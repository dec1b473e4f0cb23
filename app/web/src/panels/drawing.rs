//! The draw pad, what the model reads, and the 28×28 image it saw.

use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{
    draw::{self, joined},
    page::{self, page},
    pad,
};

#[component]
pub fn DrawPanel() -> impl IntoView {
    let page = page();
    let prediction = page.select(|s| s.model.prediction.clone());
    let refused = page.select(|s| s.model.refused.clone());
    let seen_image = page.select(|s| s.model.seen.clone());
    let seen = NodeRef::<html::Canvas>::new();
    redraw_on(seen, move || seen_image.track(), move |c| {
        seen_image.with_untracked(|image| {
            if let Some(image) = image {
                draw::image(c, image)
            }
        })
    });
    view! {
        <section class="panel drawing" aria-labelledby="drawing-title">
            <h2 id="drawing-title">"Draw a digit"</h2>
            <pad::DrawPad on_clear=move || page.state.update(|s| { s.model.prediction = None; s.model.seen = None; s.model.refused = None; }) />
            <p data-testid="prediction" class="prediction" aria-live="polite"
                data-digit=move || prediction.with(|p| p.as_ref().map(|p| p.digit().to_string()).unwrap_or_default())>
                {move || match prediction.get() {
                    None if seen_image.with(Option::is_some) => "No model reads it yet: train or import one. You can keep it in My digits already.".to_string(),
                    None => refused.get().unwrap_or_else(|| "Draw with the mouse, a pen or a finger.".to_string()),
                    Some(p) => filterlab_page::words::reading(&p),
                }}
            </p>
            // Ten digits: every digit's probability, as a bar (the text says the same).
            {move || prediction.get().filter(|p| p.probabilities.len() > 2).map(|p| view! {
                <ol class="shares" data-testid="shares" aria-label="Each digit's probability">
                    {p.probabilities.iter().enumerate().map(|(c, &v)| view! {
                        <li class:top=c == p.class()>
                            <span class="digit">{p.digits.digit(c).to_string()}</span>
                            <span class="bar" aria-hidden="true"><span style=format!("width: {:.1}%", 100.0 * v)></span></span>
                            <span class="share">{format!("{:.1} %", 100.0 * v)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            })}
            // Keep the drawing, with the digit it is, in "My digits".
            {move || seen_image.with(Option::is_some).then(|| view! {
                <div class="keep" data-testid="keep" role="group" aria-labelledby="keep-title">
                    <p class="small" id="keep-title">"Keep this drawing as:"</p>
                    <div class="keep-digits">
                        {(0..10u8).map(|d| view! {
                            <button data-testid=format!("keep-{d}") aria-label=format!("Keep this drawing as {}", filterlab_page::words::a(d))
                                on:click=move |_| { let now = page::since_open_ms(); page.act(|s| s.keep_drawing(d, now)) }>{d.to_string()}</button>
                        }).collect_view()}
                    </div>
                </div>
            })}
            <p class="small">"What the network saw (28×28):"</p>
            <canvas node_ref=seen data-testid="seen" width="112" height="112" role="img" aria-label="The drawing as the network saw it, 28×28 pixels"
                data-image=move || seen_image.with(|i| i.as_ref().map(|i| joined(i)).unwrap_or_default())></canvas>
        </section>
    }
}
