//! The run library: every run kept in this browser, newest first, with its figures; each can be
//! opened (it becomes the current model), drawn on the charts, its filters compared with the
//! current model's, exported (its model file, its epoch table and loss curve as CSV), renamed or
//! deleted (asked twice); the whole library exported and imported as one file.

use filterlab_page::{
    PageState,
    words::{self, epochs},
};
use filterlab_protocol::{ModelFile, RunRecord, library_file, notebook_file};
use leptos::prelude::*;

use super::compare::Compare;
use crate::{
    files,
    page::{Page, page},
    store,
};

/// What a run's export buttons download.
#[derive(Clone, Copy)]
enum Export {
    Model,
    /// The model as the notebook's `.safetensors`.
    Pytorch,
    Epochs,
    Curve,
}

/// Downloads a kept run's model file (read from storage) or one of its CSV tables.
fn export(page: Page, record: RunRecord, what: Export, link: web_sys::HtmlAnchorElement) {
    leptos::task::spawn_local(async move {
        let n = record.number;
        let (bytes, media_type, name) = match what {
            Export::Model | Export::Pytorch => match store::file(&record.id).await {
                Ok(bytes) if matches!(what, Export::Model) => (bytes, "application/octet-stream", format!("filterlab-run-{n}.flab")),
                Ok(bytes) => match ModelFile::from_bytes(&bytes) {
                    Ok(file) => (notebook_file::to_safetensors(&file), "application/octet-stream", format!("filterlab-run-{n}.safetensors")),
                    Err(e) => return page.error(format!("Run #{n} was not exported: {e}.")),
                },
                Err(e) => return page.error(format!("Run #{n} was not exported: {e}.")),
            },
            Export::Epochs => (record.epochs_csv().into_bytes(), "text/csv", format!("filterlab-run-{n}-epochs.csv")),
            Export::Curve => (record.curve_csv().into_bytes(), "text/csv", format!("filterlab-run-{n}-curve.csv")),
        };
        match files::download_url_as(&bytes, media_type) {
            Ok(url) => files::download(&link, &url, &name),
            Err(e) => page.error(format!("Run #{n} was not exported: {e}")),
        }
    });
}

/// Downloads every kept run, and the kept digits, as one zip file (`filterlab_protocol::library_file`).
fn export_library(page: Page, link: web_sys::HtmlAnchorElement) {
    leptos::task::spawn_local(async move {
        let (runs, skipped) = match store::everything().await {
            Ok(all) => all,
            Err(e) => return page.error(format!("The library was not exported: {e}.")),
        };
        let digits = page.state.with_untracked(|s| s.my_digits.set.clone());
        let count = (runs.len(), digits.len());
        let bytes = library_file::write(&filterlab_protocol::Library { runs, digits });
        let day = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default().chars().take(10).collect::<String>();
        match files::download_url_as(&bytes, "application/zip") {
            Ok(url) => files::download(&link, &url, &format!("filterlab-library-{day}.zip")),
            Err(e) => return page.error(format!("The library was not exported: {e}")),
        }
        let left_out = if skipped.is_empty() { String::new() } else { format!(" Left out, unreadable: {}.", skipped.join("; ")) };
        let digits = if count.1 == 0 { String::new() } else { format!(" and {}", filterlab_page::my_digits::digits_word(count.1)) };
        page.notice(format!("Exported {} runs{digits} as filterlab-library-{day}.zip.{left_out}", count.0));
    });
}

/// Reads a picked library file and merges its runs and digits into this browser's.
fn import_library(page: Page, ev: leptos::ev::Event) {
    let input: web_sys::HtmlInputElement = event_target(&ev);
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    input.set_value("");
    leptos::task::spawn_local(async move {
        let name = file.name();
        let now = js_sys::Date::now();
        let read = files::read_up_to(&file, library_file::MAX_LIBRARY_BYTES, "a library file").await.and_then(|bytes| library_file::read(&bytes, now));
        page.act(|s| {
            let since_open = now - s.opened_ms;
            s.import_library(&name, read, since_open)
        });
    });
}

/// "3 epochs, test acc 0.951, 2.9 kB"
fn figures(r: &RunRecord) -> String {
    let acc = r.test_acc().map(|a| format!(", test acc {a:.3}")).unwrap_or_default();
    format!("{}{acc}, {:.1} kB", epochs(r.history.len()), r.file_bytes as f64 / 1000.0)
}

#[component]
pub fn RunList() -> impl IntoView {
    let page = page();
    let runs = page.select(|s| s.library.clone());
    let overlays = page.select(|s| s.overlays.clone());
    let confirm = page.select(|s| s.confirm_delete.clone());
    let current = page.select(|s| s.model.record.as_ref().map(|r| r.id.clone()));
    let training = page.select(|s| s.training());
    let compared = page.select(|s| s.compare.as_ref().map(|c| c.id.clone()));
    // The runs training in other tabs (not when each beat: a row changes only when its mark does).
    let listed_ms = page.select(|s| s.listed_ms);
    let away = page.select(|s| s.elsewhere.iter().map(|e| e.0.clone()).collect::<Vec<_>>());
    // Which run is being renamed apart from what is typed: the field is made once, not at
    // every key.
    let renaming = page.select(|s| s.renaming.as_ref().map(|r| r.0.clone()));
    let draft = page.select(|s| s.renaming.as_ref().map(|r| r.1.clone()).unwrap_or_default());
    let storage = page.select(|s| (s.library.len(), s.library.iter().map(|r| r.file_bytes).sum::<usize>(), s.storage));
    let persisted = page.select(|s| s.persist.flatten());
    let link = NodeRef::<leptos::html::A>::new();
    let export_button = move |r: &RunRecord, what: Export, id: &str, text: &'static str, label: String| {
        let record = r.clone();
        view! {
            <button data-testid=format!("{id}-{}", r.number) aria-label=label
                on:click=move |_| if let Some(a) = link.get_untracked() { export(page, record.clone(), what, a) }>{text}</button>
        }
    };
    view! {
        <section class="panel runs-panel" aria-labelledby="runs-title">
            <h2 id="runs-title">"Runs"</h2>
            <p class="small">"Every run is kept in this browser until you delete it: open one to see its filters and test it, or tick it to draw its test curves on the charts."</p>
            <ul data-testid="runs" class="runs" data-listed-ms=move || listed_ms.get().map(|ms| format!("{ms:.0}")).unwrap_or_default()>
                <For each=move || runs.get() key=|r| (r.id.clone(), r.updated_ms.to_bits(), r.label.clone()) let:r>
                    {
                        let (id, n) = (r.id.clone(), r.number);
                        let (open_id, overlay_id, delete_id, shown_id, asked_id) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                        let (here_id, locked_id, name_id, rename_id) = (id.clone(), id.clone(), id.clone(), id.clone());
                        let (compare_id, pressed_id, away_id) = (id.clone(), id.clone(), id.clone());
                        view! {
                            <li data-testid=format!("run-{n}") data-id=id.clone() class:current=move || current.get().as_deref() == Some(here_id.as_str())>
                                <label>
                                    <input type="checkbox" data-testid=format!("run-overlay-{n}") aria-label=format!("Draw run #{n} on the charts")
                                        prop:checked=move || overlays.with(|o| o.contains(&shown_id))
                                        on:change=move |_| page.state.update(|s| s.toggle_overlay(&overlay_id)) />
                                    <span class="run-label">{format!("#{n} {}", r.label)}</span>
                                </label>
                                {move || (renaming.get().as_ref() == Some(&name_id)).then(|| view! {
                                    <span class="run-rename">
                                        <input data-testid=format!("run-name-{n}") aria-label=format!("A new name for run #{n}")
                                            prop:value=move || draft.get()
                                            on:input=move |ev| page.state.update(|s| if let Some(r) = s.renaming.as_mut() { r.1 = event_target_value(&ev) }) />
                                        <button data-testid=format!("run-rename-save-{n}") on:click=move |_| page.act(PageState::finish_rename)>"Save"</button>
                                        <button data-testid=format!("run-rename-cancel-{n}") on:click=move |_| page.state.update(|s| s.renaming = None)>"Cancel"</button>
                                    </span>
                                })}
                                <span class="small run-figures">{figures(&r)}
                                    {move || away.with(|a| a.contains(&away_id)).then(|| view! { <strong data-testid=format!("run-elsewhere-{n}")>" · training in another tab"</strong> })}
                                </span>
                                <span class="run-actions">
                                    <button data-testid=format!("run-open-{n}") prop:disabled=move || training.get()
                                        on:click=move |_| page.act(|s| s.open(&open_id))>"Open"</button>
                                    {export_button(&r, Export::Model, "run-export", ".flab", format!("Export run #{n}'s model file"))}
                                    {export_button(&r, Export::Pytorch, "run-export-safetensors", ".safetensors", format!("Export run #{n}'s model for PyTorch (safetensors)"))}
                                    {export_button(&r, Export::Epochs, "run-epochs-csv", "epochs.csv", format!("Export run #{n}'s epoch table as CSV"))}
                                    {export_button(&r, Export::Curve, "run-curve-csv", "curve.csv", format!("Export run #{n}'s per-batch loss curve as CSV"))}
                                    <button data-testid=format!("run-compare-{n}") aria-label=format!("Show run #{n}'s filters next to the current model's")
                                        aria-pressed=move || (compared.get().as_deref() == Some(pressed_id.as_str())).to_string()
                                        on:click=move |_| page.act(|s| s.compare(&compare_id))>"Compare"</button>
                                    <button data-testid=format!("run-rename-{n}") aria-label=format!("Rename run #{n}")
                                        on:click=move |_| page.state.update(|s| s.start_rename(&rename_id))>"Rename"</button>
                                    <button data-testid=format!("run-delete-{n}") aria-label=format!("Delete run #{n}")
                                        prop:disabled=move || !page.state.with(|s| s.can_delete(&locked_id))
                                        on:click=move |_| page.act(|s| s.delete(&delete_id))>
                                        {move || if confirm.get().as_deref() == Some(asked_id.as_str()) { "Really delete?" } else { "Delete" }}
                                    </button>
                                </span>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Compare />
            <p data-testid="storage" class="small"
                data-usage=move || storage.get().2.map(|m| m.0.to_string()).unwrap_or_default()
                data-quota=move || storage.get().2.map(|m| m.1.to_string()).unwrap_or_default()>
                {move || { let (n, bytes, measured) = storage.get(); words::storage(n, bytes, measured) }}
                {move || match persisted.get() { Some(true) => " The browser keeps them even when space runs short.", Some(false) => " The browser may clear them when space runs short.", None => "" }}
            </p>
            <p class="small">"Runs live in this browser profile only: clearing the site's data deletes them, and Safari deletes them after seven days without a visit. Export the library to keep a copy or move it to another browser."</p>
            <div class="buttons">
                <button data-testid="export-library" title="Download every kept run (model, record, epoch table, loss curve) and your digits as one .zip"
                    prop:disabled=move || storage.get().0 == 0 && page.state.with(|s| s.my_digits.set.is_empty())
                    on:click=move |_| if let Some(a) = link.get_untracked() { export_library(page, a) }>"Export library"</button>
                <label class="file-button">
                    "Import library…"
                    <input type="file" class="visually-hidden" accept=".zip" data-testid="import-library"
                        aria-label="Import a library file (.zip): its runs join this browser's, nothing here is overwritten"
                        on:change=move |ev| import_library(page, ev) />
                </label>
            </div>
            <a node_ref=link class="hidden" aria-hidden="true"></a>
        </section>
    }
}
