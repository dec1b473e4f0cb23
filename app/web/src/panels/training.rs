//! The training form (optimizer, numbers, digits), the run's buttons, and the model file's
//! way in and out of the page (Export, Import, the copy saved in this browser).

use filterlab_page::{Form, lesson::Control};
use filterlab_protocol::{GpuMemory, OptimizerKind, ToWorker};
use leptos::{html, prelude::*};

use crate::{files, page::page, worker};

/// "1.5 MB"
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn describe_memory(wasm_bytes: u64, gpu: Option<GpuMemory>) -> String {
    let gpu = gpu
        .map(|g| {
            let buffers = g.buffers.map(|b| format!(", {b} buffers")).unwrap_or_default();
            format!("; GPU: {} in use in {} allocations, {} reserved{buffers}", megabytes(g.bytes_in_use), g.allocations, megabytes(g.bytes_reserved))
        })
        .unwrap_or_default();
    format!("Worker memory: {} WebAssembly{gpu}", megabytes(wasm_bytes))
}

#[component]
pub fn TrainingPanel() -> impl IntoView {
    let page = page();
    let training = page.select(|s| s.training());
    let can_train = page.select(|s| s.can_train());
    let can_continue = page.select(|s| s.can_continue());
    let has_model = page.select(|s| s.model.checkpoint.is_some());
    let data_ready = page.select(|s| s.worker.data_ready);
    let form_error = page.select(|s| s.form.settings().err());
    let optimizer = page.select(|s| s.form.optimizer);

    let all_digits = page.select(|s| s.form.all_digits);
    // A lesson may lock the optimizer, or the other settings.
    let optimizer_locked = page.select(|s| s.locked(Control::Optimizer));
    let settings_locked = page.select(|s| s.locked(Control::Settings));
    let field = move |label: &'static str, id: &'static str, hint: &'static str, get: fn(&Form) -> String, put: fn(&mut Form, String)| {
        let value = page.select(move |s| get(&s.form));
        // The pair is kept, unused, while all ten digits are chosen.
        let off = move || training.get() || settings_locked.get() || (id == "digits" && all_digits.get());
        view! {
            <label class="field">
                <span>{label}</span>
                <input
                    data-testid=id
                    inputmode=hint
                    prop:value=move || value.get()
                    on:input=move |ev| page.state.update(|s| put(&mut s.form, event_target_value(&ev)))
                    prop:disabled=off
                />
            </label>
        }
    };
    let optimizer_button = move |kind: OptimizerKind| {
        view! {
            <button data-testid=format!("optimizer-{}", kind.word()) class:active=move || optimizer.get() == kind aria-pressed=move || (optimizer.get() == kind).to_string()
                on:click=move |_| page.state.update(|s| s.form.optimizer = kind)
                prop:disabled=move || training.get() || optimizer_locked.get()>{kind.to_string()}</button>
        }
    };
    let export_link = NodeRef::<html::A>::new();
    let export = move |_| {
        let (Some(bytes), Some(link)) = (page.state.with_untracked(|s| s.model.checkpoint.clone()), export_link.get_untracked()) else { return };
        match files::download_url(&bytes) {
            Ok(url) => files::download(&link, &url, "filterlab-model.flab"),
            Err(e) => page.error(format!("Export failed: {e}")),
        }
    };
    let export_pytorch = move |_| {
        let Some(link) = export_link.get_untracked() else { return };
        match page.state.with_untracked(|s| s.export_for_pytorch()).and_then(|bytes| files::download_url(&bytes)) {
            Ok(url) => files::download(&link, &url, "filterlab-model.safetensors"),
            Err(e) => page.error(format!("Export failed: {e}")),
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let name = file.name();
            match files::read(&file).await {
                Ok(bytes) => page.act(|s| s.import(bytes, name)),
                Err(reason) => page.error(format!("{name} was not imported: {reason}. The current model is unchanged.")),
            }
        });
    };
    let link = RwSignal::new(None::<String>);
    let saved_epochs = page.select(|s| s.model.saved_epochs);
    let memory = page.select(|s| s.worker.memory);
    let used_optimizer = page.select(|s| s.model.optimizer);

    view! {
        <section class="panel controls" aria-labelledby="training-title">
            <h2 id="training-title">"Training"</h2>
            <div class="segmented" role="group" aria-label="Optimizer">
                {OptimizerKind::ALL.map(optimizer_button).to_vec()}
            </div>
            {field("Learning rate", "lr", "decimal", |f| f.lr.clone(), |f, v| f.lr = v)}
            {field("Epochs", "epochs", "numeric", |f| f.epochs.clone(), |f, v| f.epochs = v)}
            {field("Batch size", "batch-size", "numeric", |f| f.batch_size.clone(), |f, v| f.batch_size = v)}
            {field("Seed", "seed", "numeric", |f| f.seed.clone(), |f, v| f.seed = v)}
            {field("Digits (class 0, class 1)", "digits", "text", |f| f.digits.clone(), |f, v| f.digits = v)}
            <label class="check">
                <input type="checkbox" data-testid="all-digits" prop:checked=move || all_digits.get()
                    on:change=move |ev| page.state.update(|s| s.form.all_digits = event_target_checked(&ev))
                    prop:disabled=move || training.get() || settings_locked.get() />
                "All ten digits (a 10-way linear layer; tested on MNIST's t10k file, the standard split)"
            </label>
            <p data-testid="form-error" class="form-error" aria-live="polite">{move || form_error.get().unwrap_or_default()}</p>
            <div class="buttons">
                <button data-testid="train" class="primary" title="Train a fresh model" on:click=move |_| page.train(false) prop:disabled=move || !can_train.get()>"Train"</button>
                <button data-testid="continue" title="Train the current model for more epochs" on:click=move |_| page.train(true) prop:disabled=move || !can_continue.get()>"Continue"</button>
                <button data-testid="stop" on:click=move |_| worker::send(ToWorker::Stop) prop:disabled=move || !training.get()>"Stop"</button>
                <button data-testid="reset" title="Start a fresh model (kept runs stay in the Runs panel)" on:click=move |_| page.reset()>"Reset"</button>
            </div>
            <div class="buttons">
                <label class="file-button" class:disabled=move || training.get() || !data_ready.get()>
                    "Import…"
                    <input type="file" class="visually-hidden" accept=".flab,.pt,.pth,.safetensors" data-testid="import"
                        aria-label="Import a model file (.flab, or PyTorch's .pt, .pth or .safetensors)"
                        on:change=import prop:disabled=move || training.get() || !data_ready.get() />
                </label>
                <button data-testid="export" title="Download the model (weights, settings, history) as a .flab file" on:click=export prop:disabled=move || !has_model.get()>"Export"</button>
                <button data-testid="export-safetensors" title="Download the model for PyTorch: a .safetensors file the notebook's classifier loads with load_state_dict"
                    on:click=export_pytorch prop:disabled=move || !has_model.get()>"Export for PyTorch"</button>
                <button data-testid="copy-link" title="A link that opens this network, its settings and (when it fits) this model"
                    on:click=move |_| link.set(page.copy_link())>"Copy link"</button>
                <a node_ref=export_link class="hidden" data-testid="export-link" aria-hidden="true"></a>
            </div>
            <Show when=move || link.with(Option::is_some)>
                <label class="field link-field">
                    <span>"Link"</span>
                    <input data-testid="link" readonly prop:value=move || link.get().unwrap_or_default()
                        on:focus=move |ev| { let _ = event_target::<web_sys::HtmlInputElement>(&ev).select(); } />
                </label>
            </Show>
            <p data-testid="saved" class="small" data-epochs=move || saved_epochs.get().map(|n| n.to_string()).unwrap_or_default()>
                {move || saved_epochs.get().map(|n| if n == 0 { "Saved in this browser.".to_string() } else { format!("Saved in this browser after epoch {n}.") }).unwrap_or_default()}
            </p>
            <p data-testid="memory" class="small"
                data-wasm-bytes=move || memory.get().map(|m| m.wasm_bytes.to_string()).unwrap_or_default()
                data-gpu-bytes=move || memory.get().and_then(|m| m.gpu).map(|g| g.bytes_in_use.to_string()).unwrap_or_default()
                data-gpu-allocations=move || memory.get().and_then(|m| m.gpu).map(|g| g.allocations.to_string()).unwrap_or_default()
                data-gpu-buffers=move || memory.get().and_then(|m| m.gpu).and_then(|g| g.buffers).map(|b| b.to_string()).unwrap_or_default()
            >{move || memory.get().map(|m| describe_memory(m.wasm_bytes, m.gpu)).unwrap_or_default()}</p>
            <p data-testid="optimizer-used" class="small">{move || used_optimizer.get().map(|o| format!("Optimizer in use: {o}")).unwrap_or_default()}</p>
        </section>
    }
}
