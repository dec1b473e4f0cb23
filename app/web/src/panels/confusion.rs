//! The test set's confusion matrix; a cell shows its test images, least sure first.

use filterlab_protocol::ToWorker;
use leptos::{html, prelude::*};

use super::redraw_on;
use crate::{
    draw::{insight, joined},
    page::page,
    worker,
};

#[component]
pub fn ConfusionPanel() -> impl IntoView {
    let page = page();
    let confusion = page.select(|s| s.confusion.clone());
    let examples = page.select(|s| s.examples.clone());
    let gallery = NodeRef::<html::Canvas>::new();
    redraw_on(gallery, move || examples.track(), move |c| {
        examples.with_untracked(|e| {
            let Some(e) = e else { return };
            let digits = confusion.with_untracked(|c| c.as_ref().map(|c| c.digits).unwrap_or_default());
            let images: Vec<Vec<f32>> = e.examples.iter().map(|x| x.image.clone()).collect();
            let captions: Vec<String> = e.examples.iter().map(|x| format!("P({})={:.2}", digits.digit(e.actual), x.probabilities[e.actual])).collect();
            insight::draw_gallery(c, &images, &captions, 8, 48.0);
        })
    });
    let matrix = move || match confusion.get() {
        None => view! { <p class="small" data-testid="confusion">"After the first epoch, or once a model is loaded."</p> }.into_any(),
        Some(c) => {
            let (digits, epochs, m) = (c.digits, c.epochs, c.matrix);
            let cell = move |a: usize, p: usize| {
                view! {
                    <td><button data-testid=format!("cell-{a}-{p}") class:wrong=a != p
                        title="Show these test images"
                        aria-label=format!("{} test images of a {} read as {}: show them", m[a][p], digits.digit(a), digits.digit(p))
                        on:click=move |_| worker::send(ToWorker::Examples { actual: a, predicted: p })>{m[a][p]}</button></td>
                }
            };
            view! {
                <table data-testid="confusion" data-matrix=format!("{},{},{},{}", m[0][0], m[0][1], m[1][0], m[1][1]) data-epochs=epochs>
                    <thead><tr><th scope="col">{format!("after {}", filterlab_page::state::epochs(epochs))}</th><th scope="col">{format!("read as {}", digits.negative)}</th><th scope="col">{format!("read as {}", digits.positive)}</th></tr></thead>
                    <tbody>
                        <tr><th scope="row">{format!("a {}", digits.negative)}</th>{cell(0, 0)}{cell(0, 1)}</tr>
                        <tr><th scope="row">{format!("a {}", digits.positive)}</th>{cell(1, 0)}{cell(1, 1)}</tr>
                    </tbody>
                </table>
            }
            .into_any()
        }
    };
    view! {
        <section class="panel confusion" aria-labelledby="confusion-title">
            <h2 id="confusion-title">"Confusion matrix (test set)"</h2>
            {matrix}
            <p class="small" data-testid="examples-caption" aria-live="polite">{move || examples.get().map(|e| {
                let d = confusion.with(|c| c.as_ref().map(|c| c.digits).unwrap_or_default());
                format!("{} test images of a {} read as {}; {} shown, least sure first, with P({}).", e.total, d.digit(e.actual), d.digit(e.predicted), e.examples.len(), d.digit(e.actual))
            }).unwrap_or_default()}</p>
            <canvas node_ref=gallery data-testid="examples" width="0" height="0" role="img" aria-label="The test images of the chosen cell"
                data-total=move || examples.with(|e| e.as_ref().map(|e| e.total.to_string()).unwrap_or_default())
                data-probabilities=move || examples.with(|e| e.as_ref().map(|e| joined(&e.examples.iter().map(|x| x.probabilities[e.actual]).collect::<Vec<_>>())).unwrap_or_default())
            ></canvas>
        </section>
    }
}
