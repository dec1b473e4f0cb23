//! Setting a filter by hand: pick one, type its numbers or take a preset, and freeze the filters
//! training should leave alone ("train the head only"). Each change goes to the worker as a
//! model change; the drawing's maps, its prediction and the confusion matrix follow.

use filterlab_page::presets::Preset;
use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn FilterEditor() -> impl IntoView {
    let page = page();
    // The editor is off while training, and where a lesson locks it.
    let training = page.select(|s| s.training() || s.locked(filterlab_page::lesson::Control::Filters));
    let count = page.select(|s| s.model.filters.as_ref().map(|f| f.shape.filters).unwrap_or(0));
    // Which filter is open: the fields are made again only when it changes, not on every
    // keystroke (which would take the focus from the field being typed in).
    let opened = page.select(|s| s.model.edit.as_ref().map(|e| (e.filter, e.kernel)));
    let draft = move |i: usize| move || page.state.with(|s| s.model.edit.as_ref().and_then(|e| e.draft.get(i).cloned()).unwrap_or_default());
    let frozen = page.select(|s| s.form.frozen.clone());
    let send = move |message: Option<filterlab_protocol::ToWorker>| {
        if let Some(m) = message {
            page.state.update(|s| s.messages.error = None);
            crate::worker::send(m);
        }
    };
    let picker = move || {
        (0..count.get())
            .map(|f| {
                let open = move || opened.with(|o| o.map(|(g, _)| g) == Some(f));
                view! {
                    <button data-testid=format!("edit-filter-{f}") class:active=open aria-pressed=move || open().to_string()
                        on:click=move |_| page.state.update(|s| s.edit_filter(f))>{f.to_string()}</button>
                }
            })
            .collect_view()
    };
    let grid = move || {
        opened.get().map(|(f, k)| {
            let cells = (0..k * k)
                .map(|i| {
                    view! {
                        <input data-testid=format!("tap-{i}") inputmode="decimal" aria-label=format!("weight at row {}, column {}", i / k + 1, i % k + 1)
                            prop:value=draft(i)
                            on:input=move |ev| page.state.update(|s| if let Some(e) = s.model.edit.as_mut() { e.draft[i] = event_target_value(&ev) })
                            prop:disabled=move || training.get() />
                    }
                })
                .collect_view();
            let is_frozen = move || frozen.with(|z| z.contains(&f));
            view! {
                <div class="taps" style=format!("grid-template-columns: repeat({k}, minmax(0, 5.2em))")>{cells}</div>
                <label class="field">
                    <span>"Bias"</span>
                    <input data-testid="tap-bias" inputmode="decimal" prop:value=draft(k * k)
                        on:input=move |ev| page.state.update(|s| if let Some(e) = s.model.edit.as_mut() { e.draft[k * k] = event_target_value(&ev) })
                        prop:disabled=move || training.get() />
                </label>
                <div class="buttons">
                    <button data-testid="apply-filter" class="primary" on:click=move |_| send(page.state.try_update(|s| s.apply_edit()).flatten())
                        prop:disabled=move || training.get()>{format!("Set filter {f}")}</button>
                    <label class="check">
                        <input type="checkbox" data-testid=format!("freeze-{f}") prop:checked=is_frozen
                            on:change=move |ev| page.state.update(|s| s.form.set_frozen(f, event_target_checked(&ev)))
                            prop:disabled=move || training.get() />
                        {format!("Freeze filter {f} while training")}
                    </label>
                </div>
                <div class="presets" role="group" aria-label="Presets">
                    {Preset::ALL.map(|p| view! {
                        <button data-testid=format!("preset-{}", p.id()) on:click=move |_| send(page.state.try_update(|s| s.apply_preset(p)).flatten())
                            prop:disabled=move || training.get()>{p.name()}</button>
                    }).to_vec()}
                </div>
            }
        })
    };
    let all_frozen = move || count.get() > 0 && frozen.with(|z| (0..count.get()).all(|f| z.contains(&f)));
    view! {
        <div class="editor" class:hidden=move || count.get() == 0>
            <h3 id="editor-title">"Set a filter by hand"</h3>
            <div class="picker" role="group" aria-labelledby="editor-title">{picker}</div>
            {grid}
            <label class="check">
                <input type="checkbox" data-testid="freeze-all" prop:checked=all_frozen
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        page.state.update(|s| (0..count.get_untracked()).for_each(|f| s.form.set_frozen(f, on)))
                    }
                    prop:disabled=move || training.get() />
                "Freeze every filter: training moves only the linear layer"
            </label>
            <p class="small" data-testid="frozen">{move || frozen.with(|z| if z.is_empty() { String::new() } else {
                format!("Frozen while training: filter{} {}.", if z.len() == 1 { "" } else { "s" }, z.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", "))
            })}</p>
        </div>
    }
}
