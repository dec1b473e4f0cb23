//! "My digits": the drawings kept with their digit, as thumbnails to relabel or delete; the current
//! model's score on them next to its MNIST test accuracy, in the same matrix; "train on my
//! digits too"; and the set in and out as a file (MNIST's idx format in a zip).

use filterlab_page::{PageState, my_digits::digits_word, words::a as a_digit};
use filterlab_protocol::{MyDigit, my_digits};
use leptos::{html, prelude::*};

use super::{confusion::table, redraw_on};
use crate::{
    draw::{self, joined},
    files,
    page::{Page, page},
};

/// One kept digit: its picture, its digit (a select relabels it) and Delete.
#[component]
fn Kept(d: MyDigit, n: usize) -> impl IntoView {
    let page = page();
    let canvas = NodeRef::<html::Canvas>::new();
    let image = d.image();
    redraw_on(canvas, || {}, move |c| draw::image(c, &image));
    let (relabel_id, delete_id, asked_id) = (d.id.clone(), d.id.clone(), d.id.clone());
    let confirm = page.select(|s| s.my_digits.confirm_delete.clone());
    let digit = d.digit;
    view! {
        <li data-testid=format!("my-digit-{n}") data-id=d.id.clone() data-digit=d.digit>
            <canvas node_ref=canvas width="56" height="56" role="img" aria-label=format!("Kept drawing {}: {}", n + 1, a_digit(digit))></canvas>
            <select data-testid=format!("my-digit-label-{n}") aria-label=format!("Kept drawing {}: which digit it is", n + 1)
                on:change=move |ev| {
                    if let Ok(to) = event_target_value(&ev).parse::<u8>() {
                        page.act(|s| s.relabel_digit(&relabel_id, to));
                    }
                }>
                {(0..10u8).map(|k| view! { <option value=k.to_string() selected=k == digit>{k.to_string()}</option> }).collect_view()}
            </select>
            <button data-testid=format!("my-digit-delete-{n}") aria-label=format!("Delete kept drawing {} ({})", n + 1, a_digit(digit))
                on:click=move |_| page.act(|s| s.delete_digit(&delete_id))>
                {move || if confirm.get().as_deref() == Some(asked_id.as_str()) { "Really?" } else { "Delete" }}
            </button>
        </li>
    }
}

/// Downloads the set as `my-digits.zip`.
fn export(page: Page, link: web_sys::HtmlAnchorElement) {
    let bytes = match page.state.with_untracked(PageState::export_my_digits) {
        Ok(bytes) => bytes,
        Err(e) => return page.error(e),
    };
    match files::download_url_as(&bytes, "application/zip") {
        Ok(url) => files::download(&link, &url, "my-digits.zip"),
        Err(e) => page.error(format!("Your digits were not exported: {e}")),
    }
}

/// Reads a picked file of digits and adds the new ones to the set.
fn import(page: Page, ev: leptos::ev::Event) {
    let input: web_sys::HtmlInputElement = event_target(&ev);
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    input.set_value("");
    leptos::task::spawn_local(async move {
        let name = file.name();
        let now = js_sys::Date::now();
        let read = files::read_up_to(&file, my_digits::MAX_MY_DIGITS_BYTES, "a file of digits").await.and_then(|bytes| my_digits::read(&bytes, now));
        page.act(|s| s.import_digits(&name, read));
    });
}

#[component]
pub fn MyDigitsPanel() -> impl IntoView {
    let page = page();
    let set = page.select(|s| s.my_digits.set.clone());
    let used = page.select(PageState::my_digits_used);
    let task = page.select(|s| s.form.settings().map(|s| s.digits.describe()).unwrap_or_default());
    let score = page.select(|s| s.model.my_score.clone());
    let test_acc = page.select(|s| s.model.confusion.as_ref().map(|c| {
        let right: u32 = c.matrix.iter().enumerate().map(|(i, r)| r[i]).sum();
        right as f32 / c.matrix.iter().flatten().sum::<u32>().max(1) as f32
    }));
    let train_too = page.select(|s| s.form.my_digits);
    let training = page.select(|s| s.training());
    let link = NodeRef::<html::A>::new();
    let count = move || {
        let (n, (used, unused)) = (set.with(Vec::len), used.get());
        match n {
            0 => "None kept yet: draw a digit above, then press the digit it is under “Keep this drawing as”.".to_string(),
            _ if unused == 0 => format!("{} kept, all used by {}.", digits_word(n), task.get()),
            _ => format!("{} kept: {used} used by {}, {unused} of other digits kept but not used.", digits_word(n), task.get()),
        }
    };
    let scored = move || {
        score.get().filter(|s| s.used() > 0).map(|s| {
            let acc = s.accuracy().unwrap_or_default();
            let test = test_acc.get().map(|t| format!("; on MNIST's test set, {:.1} %", 100.0 * t)).unwrap_or_default();
            view! {
                <p data-testid="my-score" data-right=s.right() data-used=s.used() data-unused=s.unused data-accuracy=acc.to_string() aria-live="polite">
                    {format!("The current model reads {} of your {} right: {:.1} %{test}.", s.right(), digits_word(s.used()), 100.0 * acc)}
                </p>
                {table(s.digits, s.matrix.clone(), None, "my-confusion", false)}
            }
        })
    };
    view! {
        <section class="panel my-digits" data-testid="my-digits-panel" aria-labelledby="my-digits-title">
            <h2 id="my-digits-title">"My digits"</h2>
            <p class="small">"Your own handwriting, kept in this browser (and in the library's export): see how the model reads it next to MNIST, and train on it too."</p>
            <p data-testid="my-digits-count" data-kept=move || set.with(Vec::len) data-used=move || used.get().0 data-unused=move || used.get().1>{count}</p>
            {scored}
            <label class="check">
                <input type="checkbox" data-testid="train-my-digits" prop:checked=move || train_too.get()
                    on:change=move |ev| page.state.update(|s| s.form.my_digits = event_target_checked(&ev))
                    prop:disabled=move || training.get() />
                {format!("Train on my digits too: the next Train or Continue adds each of the task's digits {} times (as drawn, and shifted a pixel up, down, left and right).", my_digits::COPIES)}
            </label>
            <Show when=move || train_too.get()>
                <p class="small" data-testid="my-score-caveat">"A model trained on your digits is scored on drawings it has seen: keep a few new ones (or train without them) to see how it reads your writing fresh."</p>
            </Show>
            <ul class="kept-digits" data-testid="my-digits" data-ids=move || set.with(|s| s.iter().map(|d| d.id.clone()).collect::<Vec<_>>().join(","))
                data-digits=move || set.with(|s| joined(&s.iter().map(|d| d.digit as f32).collect::<Vec<_>>()))>
                <For each=move || set.get().into_iter().enumerate() key=|(n, d)| (*n, d.id.clone()) let:((n, d))>
                    <Kept d=d n=n />
                </For>
            </ul>
            <div class="buttons">
                <button data-testid="export-my-digits" title="Download your digits as MNIST-format idx files in a .zip"
                    prop:disabled=move || set.with(Vec::is_empty)
                    on:click=move |_| if let Some(a) = link.get_untracked() { export(page, a) }>"Export my digits"</button>
                <label class="file-button">
                    "Import digits…"
                    <input type="file" class="visually-hidden" accept=".zip" data-testid="import-my-digits"
                        aria-label="Import digits (.zip of MNIST-format idx files): the new ones join yours"
                        on:change=move |ev| import(page, ev) />
                </label>
            </div>
            <a node_ref=link class="hidden" aria-hidden="true"></a>
        </section>
    }
}
