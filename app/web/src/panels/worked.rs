//! One convolution worked out, under the feature maps: the window of the drawing a map cell
//! reads, its products, their sum and the bias, the max-pool the cell takes part in and the
//! pooled value's weight towards each class. The numbers are the core's (the worker sends them);
//! arrow keys move the window.

use filterlab_protocol::{Digits, MapCell, WorkedStep};
use leptos::{ev::KeyboardEvent, html, prelude::*};

use super::redraw_on;
use crate::{draw::insight, page::page};

/// A number as the worked step shows it: four decimals (never "-0.0000").
fn n(v: f32) -> String {
    let s = format!("{v:.4}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { "0.0000".into() } else { s }
}

/// The products' grid: each cell "input × weight = product", padding marked.
fn products(step: &WorkedStep) -> impl IntoView + use<> {
    let k = step.shape.kernel;
    let rows = (0..k)
        .map(|r| {
            let cells = (0..k)
                .map(|c| {
                    let i = r * k + c;
                    // One number a line, so a 3×3 grid fits a phone.
                    let input = step.inputs[i].map_or("padding 0".into(), n);
                    let (weight, product) = (format!("× {}", n(step.weights[i])), format!("= {}", n(step.products[i])));
                    view! {
                        <td class:padding=step.inputs[i].is_none() data-testid=format!("worked-{i}")>
                            <span>{input}</span>" "<span>{weight}</span>" "<span>{product}</span>
                        </td>
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    let (r0, c0) = step.window_origin();
    let caption = format!(
        "Rows {r0} to {} and columns {c0} to {} of the image (0 to 27; outside it is padding), each times the filter's weight",
        r0 + k as isize - 1,
        c0 + k as isize - 1
    );
    view! {
        <table class="worked-products" data-testid="worked-products">
            <caption>{caption}</caption>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The sentences after the grid: sum, bias, value; the max-pool; the linear layer.
fn arithmetic(step: &WorkedStep, digits: Digits) -> impl IntoView + use<> {
    let MapCell { row, col, .. } = step.cell;
    let p = step.shape.pool;
    let pool = &step.pool;
    let won = if pool.winner == (row, col) { "this cell".to_string() } else { format!("({}, {})", pool.winner.0, pool.winner.1) };
    let classes = (0..pool.weights.len())
        .map(|k| view! { <li>{format!("towards {}: weight {} × {} = {}", digits.digit(k), n(pool.weights[k]), n(pool.value), n(pool.contributions[k]))}</li> })
        .collect_view();
    view! {
        <p data-testid="worked-sum" aria-live="polite">{format!("Sum of the products {} + bias {} = {}: the map's value at ({row}, {col}).", n(step.sum), n(step.bias), n(step.value))}</p>
        <p data-testid="worked-pool">{format!(
            "Max-pool {p}×{p}: its window (rows {}–{}, columns {}–{}) keeps its largest value, {} at {won}: input {} of the linear layer.",
            pool.row * p, pool.row * p + p - 1, pool.col * p, pool.col * p + p - 1, n(pool.value), pool.feature + 1
        )}</p>
        <ul class="worked-classes" data-testid="worked-classes">{classes}</ul>
    }
}

#[component]
pub fn Worked() -> impl IntoView {
    let page = page();
    let step = page.select(|s| s.worked().cloned());
    let open = page.select(|s| s.model.work);
    let drawing = page.select(|s| s.model.prediction.as_ref().map(|p| (p.image.clone(), p.digits, p.explanation.shape.filters)));
    let canvas = NodeRef::<html::Canvas>::new();
    let region = NodeRef::<html::Div>::new();
    redraw_on(canvas, move || step.track(), move |c| {
        step.with_untracked(|s| drawing.with_untracked(|d| if let (Some(s), Some((image, ..))) = (s, d) { insight::draw_worked(c, image, s) }))
    });
    let keys = move |ev: KeyboardEvent| {
        let by = match ev.key().as_str() {
            "ArrowUp" => (-1, 0),
            "ArrowDown" => (1, 0),
            "ArrowLeft" => (0, -1),
            "ArrowRight" => (0, 1),
            _ => return,
        };
        ev.prevent_default();
        page.act(|s| s.move_work(by));
    };
    let start = move |_| {
        page.act(|s| s.work_on(MapCell { filter: 0, row: 14, col: 14 }));
        if let Some(r) = region.get_untracked() {
            let _ = r.focus();
        }
    };
    let filter_choice = move || {
        let (count, chosen) = (drawing.with(|d| d.as_ref().map_or(0, |d| d.2)), open.get().map_or(0, |c| c.filter));
        (0..count).map(|f| view! { <option value=f.to_string() selected=f == chosen>{format!("filter {f}")}</option> }).collect_view()
    };
    let details = move || {
        let (Some(s), Some((_, digits, _))) = (step.get(), drawing.get()) else {
            return view! { <p class="small">"Working it out…"</p> }.into_any();
        };
        view! {
            <div class="worked-numbers" data-value=s.value.to_string() data-sum=s.sum.to_string()>
                {products(&s)}
                {arithmetic(&s, digits)}
            </div>
        }
        .into_any()
    };
    view! {
        <div class="worked" data-testid="worked">
            <button data-testid="work-cell" class:hidden=move || drawing.with(Option::is_none) || open.get().is_some() on:click=start>
                "Work out one cell by hand"
            </button>
            <div node_ref=region class="worked-view" class:hidden=move || open.get().is_none() tabindex="0" on:keydown=keys
                role="group" aria-labelledby="worked-title" data-testid="worked-view"
                data-cell=move || open.get().map(|c| format!("{},{},{}", c.filter, c.row, c.col)).unwrap_or_default()>
                <h3 id="worked-title">{move || open.get().map(|c| format!("Filter {}, map cell ({}, {}), worked out", c.filter, c.row, c.col)).unwrap_or_default()}</h3>
                <p class="small">"Arrow keys move the window (focus this box first); click any map above to pick a cell."</p>
                <div class="buttons">
                    <label class="field inline">
                        <span>"Filter"</span>
                        <select data-testid="worked-filter" on:change=move |ev| {
                            if let Ok(f) = event_target_value(&ev).parse() {
                                page.act(|s| s.work_filter(f));
                            }
                        }>{filter_choice}</select>
                    </label>
                    <button data-testid="worked-close" on:click=move |_| page.state.update(|s| s.close_work())>"Close"</button>
                </div>
                <canvas node_ref=canvas data-testid="worked-window" width="210" height="210" role="img"
                    aria-label="The drawing with the filter's window (pink), its max-pool window (orange, dashed) and the cell that won the max-pool (orange dot); the hatched ring is the padding"></canvas>
                {details}
            </div>
        </div>
    }
}
