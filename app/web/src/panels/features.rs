//! What the network does with the drawn digit: each filter's feature map, pooled, and how much
//! each pooled value pushed towards each class.

use filterlab_protocol::NetShape;
use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{
    draw::{insight, joined},
    page::page,
};

#[component]
pub fn Features() -> impl IntoView {
    let page = page();
    let prediction = page.select(|s| s.prediction.clone());
    let filters = page.select(|s| s.filters.clone());
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || prediction.track(), move |c| {
        prediction.with_untracked(|p| {
            if let Some(p) = p {
                filters.with_untracked(|f| {
                    let model = f.as_ref().map(|f| (&f.shape, f.weights.as_slice()));
                    insight::draw_features(c, model, &p.explanation, [p.digits.negative, p.digits.positive])
                })
            }
        })
    });
    let (w, h) = insight::features_size(&NetShape::NOTEBOOK);
    let attr = move |pick: fn(&filterlab_page::state::Prediction) -> String| move || prediction.with(|p| p.as_ref().map(pick).unwrap_or_default());
    let caption = move || match prediction.get() {
        None => "Draw a digit to see the feature maps it makes.".to_string(),
        Some(p) => {
            let side = p.explanation.shape.pooled_side();
            format!(
                "Each filter's output on the 28×28 image (one colour scale for all maps), pooled to {side}×{side}, and how much each pooled value pushed towards {} and towards {} (weight × value: red for, blue against). Logits {:.3} and {:.3}.",
                p.digits.negative, p.digits.positive, p.explanation.logits[0], p.explanation.logits[1]
            )
        }
    };
    view! {
        <section class="panel features" aria-labelledby="features-title">
            <h2 id="features-title">"What the network does with your digit"</h2>
            <p class="small">{caption}</p>
            <canvas node_ref=canvas data-testid="features" width=w height=h role="img" aria-label=caption
                data-conv=attr(|p| joined(&p.explanation.conv))
                data-pooled=attr(|p| joined(&p.explanation.pooled))
                data-contributions=attr(|p| joined(&p.explanation.contributions))
                data-logits=attr(|p| joined(&p.explanation.logits))
                data-probabilities=attr(|p| joined(&p.probabilities))
            ></canvas>
        </section>
    }
}
