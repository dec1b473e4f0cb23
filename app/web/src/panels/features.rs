//! What the network does with the drawn digit: each filter's feature map, pooled, and how much
//! each pooled value pushed towards each class.

use filterlab_protocol::Prediction;
use filterlab_protocol::NetShape;
use leptos::{ev::MouseEvent, html, prelude::*};

use super::{redraw_on, worked::Worked};
use crate::{
    draw::{insight, joined},
    page::page,
};

/// The two classes whose contributions are drawn, with their digits: a pair's two, or the two
/// likeliest of ten (most likely first).
fn shown(p: &Prediction) -> [(usize, u8); 2] {
    let mut order: Vec<usize> = (0..p.probabilities.len()).collect();
    if order.len() > 2 {
        order.sort_by(|&a, &b| p.probabilities[b].total_cmp(&p.probabilities[a]));
    }
    [order[0], order[1]].map(|c| (c, p.digits.digit(c)))
}

#[component]
pub fn Features() -> impl IntoView {
    let page = page();
    let prediction = page.select(|s| s.model.prediction.clone());
    let filters = page.select(|s| s.model.filters.clone());
    let canvas = NodeRef::<html::Canvas>::new();
    redraw_on(canvas, move || prediction.track(), move |c| {
        prediction.with_untracked(|p| {
            if let Some(p) = p {
                filters.with_untracked(|f| {
                    let model = f.as_ref().map(|f| (&f.shape, f.weights.as_slice()));
                    insight::draw_features(c, model, &p.explanation, shown(p))
                })
            }
        })
    });
    let (w, h) = insight::features_size(&NetShape::NOTEBOOK);
    // A click (or tap) on a map works its cell out.
    let pick = move |ev: MouseEvent| {
        let (Some(c), Some(shape)) = (canvas.get_untracked(), prediction.with_untracked(|p| p.as_ref().map(|p| p.explanation.shape))) else { return };
        let scale = insight::features_size(&shape).0 / c.client_width().max(1) as f64;
        if let Some(cell) = insight::cell_at(&shape, ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale) {
            page.act(|s| s.work_on(cell));
        }
    };
    let attr = move |pick: fn(&Prediction) -> String| move || prediction.with(|p| p.as_ref().map(pick).unwrap_or_default());
    let caption = move || match prediction.get() {
        None => "Draw a digit to see the feature maps it makes.".to_string(),
        Some(p) => {
            let side = p.explanation.shape.pooled_side();
            let [(a, da), (b, db)] = shown(&p);
            let which = if p.probabilities.len() > 2 { " (the two likeliest digits)" } else { "" };
            format!(
                "Each filter's output on the 28×28 image (one colour scale for all maps; click a cell to see it worked out), pooled to {side}×{side}, and how much each pooled value pushed towards {da} and towards {db}{which} (weight × value: red for, blue against). Logits {:.3} and {:.3}.",
                p.explanation.logits[a], p.explanation.logits[b]
            )
        }
    };
    view! {
        <section class="panel features" aria-labelledby="features-title">
            <h2 id="features-title">"What the network does with your digit"</h2>
            <p class="small">{caption}</p>
            <canvas node_ref=canvas data-testid="features" width=w height=h role="img" aria-label=caption on:click=pick
                data-conv=attr(|p| joined(&p.explanation.conv))
                data-pooled=attr(|p| joined(&p.explanation.pooled))
                data-contributions=attr(|p| joined(&p.explanation.contributions))
                data-logits=attr(|p| joined(&p.explanation.logits))
                data-probabilities=attr(|p| joined(&p.probabilities))
            ></canvas>
            <Worked />
        </section>
    }
}
