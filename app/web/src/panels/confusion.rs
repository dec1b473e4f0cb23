//! The test set's confusion matrix (2×2 for a pair, 10×10 for all digits) with each class's
//! accuracy; a cell shows its test images, least sure first.

use filterlab_page::words::a as a_digit;
use filterlab_protocol::{Confusion, Digits, ToWorker, insight::per_class_accuracy};
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
    let confusion = page.select(|s| s.model.confusion.clone());
    let examples = page.select(|s| s.model.examples.clone());
    let gallery = NodeRef::<html::Canvas>::new();
    redraw_on(gallery, move || examples.track(), move |c| {
        examples.with_untracked(|e| {
            let Some(e) = e else { return };
            let digits = confusion.with_untracked(|c| c.as_ref().map(|c| c.digits).unwrap_or_default());
            let images: Vec<Vec<f32>> = e.examples.iter().map(|x| x.image.clone()).collect();
            let captions: Vec<String> = e.examples.iter().map(|x| format!("P({})={:.2}", digits.digit(e.actual), x.probabilities.get(e.actual).copied().unwrap_or(f32::NAN))).collect();
            insight::draw_gallery(c, &images, &captions, 8, 48.0);
        })
    });
    let matrix = move || match confusion.get() {
        None => view! { <p class="small" data-testid="confusion">"After the first epoch, or once a model is loaded."</p> }.into_any(),
        Some(c) => view! {
            <p class="small">{format!("After {}: rows are the actual digit, columns what the model read{}.", filterlab_page::words::epochs(c.epochs), if c.matrix.len() == 2 { "" } else { "; the last column is each digit's accuracy" })}</p>
            {table(c.digits, c.matrix, Some(c.epochs), "confusion", true)}
        }
        .into_any(),
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
                data-probabilities=move || examples.with(|e| e.as_ref().map(|e| joined(&e.examples.iter().map(|x| x.probabilities.get(e.actual).copied().unwrap_or(f32::NAN)).collect::<Vec<_>>())).unwrap_or_default())
            ></canvas>
        </section>
    }
}

/// A confusion matrix as a table: rows the actual digit, columns what the model read; ten digits
/// add each digit's accuracy. `testid` names the table (`confusion` for the test set); with
/// `examples` each cell is a button that shows its test images.
pub fn table(digits: Digits, m: Confusion, epochs: Option<usize>, testid: &'static str, examples: bool) -> impl IntoView {
    let n = m.len();
    let accuracy = per_class_accuracy(&m);
    // A pair's table says it in words; ten digits' has room for the digits only.
    let pair = n == 2;
    let cell = move |a: usize, p: usize, count: u32| match examples {
        true => view! {
            <td><button data-testid=format!("cell-{a}-{p}") class:wrong=a != p
                title="Show these test images"
                aria-label=format!("{count} test images of {} read as {}: show them", a_digit(digits.digit(a)), digits.digit(p))
                on:click=move |_| worker::send(ToWorker::Examples { actual: a, predicted: p })>{count}</button></td>
        }
        .into_any(),
        false => view! { <td class="count" class:wrong={a != p && count > 0} data-testid=format!("{testid}-{a}-{p}")>{count}</td> }.into_any(),
    };
    let head = (0..n).map(|p| view! { <th scope="col">{if pair { format!("read as {}", digits.digit(p)) } else { digits.digit(p).to_string() }}</th> }).collect_view();
    let rows = m
        .iter()
        .enumerate()
        .map(|(a, row)| {
            let cells = row.iter().enumerate().map(|(p, &count)| cell(a, p, count)).collect_view();
            view! {
                <tr>
                    <th scope="row">{if pair { a_digit(digits.digit(a)) } else { digits.digit(a).to_string() }}</th>
                    {cells}
                    // Each digit's accuracy: ten digits only (a pair's two rows say it at a glance,
                    // and its wide cells leave no room at tablet width).
                    {(!pair).then(|| view! { <td class="accuracy" data-testid=format!("{testid}-accuracy-{a}")>{format!("{:.1} %", 100.0 * accuracy[a])}</td> })}
                </tr>
            }
        })
        .collect_view();
    let flat: Vec<String> = m.iter().flatten().map(u32::to_string).collect();
    view! {
        // Ten digits on a phone: the matrix scrolls sideways inside its panel.
        <div class:table-scroll=!pair>
            <table data-testid=testid class="matrix" class:ten=!pair data-classes=n data-matrix=flat.join(",") data-epochs=epochs.map(|e| e.to_string())
                data-accuracy=joined(&accuracy)>
                <thead><tr><th scope="col" class:visually-hidden-text=!pair>"actual"</th>{head}{(!pair).then(|| view! { <th scope="col">"right"</th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
