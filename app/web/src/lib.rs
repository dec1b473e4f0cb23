//! Filterlab's page: controls, device badge, live charts and filters, the draw pad. It trains
//! nothing itself: every number comes from the worker (see `worker.rs`), so the page never freezes.

mod charts;
mod files;
mod filters;
mod form;
mod frames;
mod insight;
mod pad;
mod store;
mod worker;

use filterlab_protocol::{
    Confusion, DeviceKind, DevicePref, DigitPair, EpochRow, Example, Explanation, FromWorker, GpuMemory, ModelSource,
    Ops, OptimizerKind, ParamRow, Settings, ToWorker,
};
use form::Form;
use leptos::{html, prelude::*};

/// What the page knows about the worker's device.
#[derive(Clone, Debug, PartialEq)]
struct DeviceInfo {
    kind: DeviceKind,
    name: String,
    note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Prediction {
    digits: DigitPair,
    probabilities: [f32; 2],
    image: Vec<f32>,
    explanation: Explanation,
}

/// A finished (or stopped) run, kept for comparison on the charts.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    id: usize,
    label: String,
    history: Vec<EpochRow>,
    overlay: bool,
}

/// Numbers for the tests (`data-*` attributes): comma-separated.
fn joined(values: &[f32]) -> String {
    values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

fn query() -> String {
    leptos::prelude::window().location().search().unwrap_or_default()
}

/// `?calibrate=always` makes Auto time WebGPU even on a software adapter (used by the tests).
fn calibrate_always() -> bool {
    query().contains("calibrate=always")
}

/// The device asked for in the address (`?device=webgpu`, `cpu` or `auto`), else Auto.
fn device_in_address() -> DevicePref {
    let q = query();
    if q.contains("device=webgpu") {
        DevicePref::WebGpu
    } else if q.contains("device=cpu") {
        DevicePref::Cpu
    } else {
        DevicePref::Auto
    }
}

/// How the worker trains: `?ops=stock` asks for Burn's stock path (for comparison), else fused.
fn ops_in_address() -> Ops {
    web_sys::UrlSearchParams::new_with_str(&query())
        .ok()
        .and_then(|p| p.get("ops"))
        .and_then(|o| o.parse().ok())
        .unwrap_or_default()
}

/// Milliseconds since the page was opened.
fn since_open_ms() -> f64 {
    leptos::prelude::window().performance().map(|p| p.now()).unwrap_or_default()
}

/// What went wrong with the worker itself, and so which way back the page offers.
#[derive(Clone, Debug, PartialEq)]
enum Failure {
    /// The GPU device was lost: go on on the CPU with the latest checkpoint.
    DeviceLost,
    /// The worker panicked or died: start a new one with the latest checkpoint.
    Crashed,
}

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

fn base_url() -> String {
    leptos::prelude::document().base_uri().ok().flatten().unwrap_or_else(|| "/".into())
}

#[component]
pub fn App() -> impl IntoView {
    let (status, set_status) = signal("Starting the training worker…".to_string());
    let (device, set_device) = signal(None::<DeviceInfo>);
    let (progress, set_progress) = signal(None::<(u64, Option<u64>)>);
    let (data_ready, set_data_ready) = signal(false);
    let (training, set_training) = signal(false);
    let (params, set_params) = signal(Vec::<ParamRow>::new());
    let (epochs, set_epochs) = signal(Vec::<EpochRow>::new());
    let (batches, set_batches) = signal(Vec::<(f64, f64)>::new());
    let (total_epochs, set_total_epochs) = signal(Settings::default().epochs);
    let (filters, set_filters) = signal(None::<(Vec<f32>, Vec<f32>)>);
    let (prediction, set_prediction) = signal(None::<Prediction>);
    let (error, set_error) = signal(None::<String>);
    let (used_optimizer, set_used_optimizer) = signal(None::<OptimizerKind>);
    let (refused, set_refused) = signal(None::<String>);
    let (pref, set_pref) = signal(device_in_address());
    let (failure, set_failure) = signal(None::<Failure>);
    // The latest checkpoint from the worker (a model file): kept across device switches, worker
    // restarts and lost GPUs, stored in IndexedDB after each epoch, and what Export downloads.
    let checkpoint = RwSignal::new(None::<Vec<u8>>);
    // A model file to give the worker once its data is ready (saved, kept, or being imported).
    let restore = RwSignal::new(None::<(Vec<u8>, ModelSource)>);
    // Epochs of the model in IndexedDB, once stored (for the tests and the status line).
    let (saved_epochs, set_saved_epochs) = signal(None::<usize>);
    let (memory, set_memory) = signal(None::<(u64, Option<GpuMemory>)>);
    let (notice, set_notice) = signal(None::<String>);
    // When the first training step of this page's life finished (ms since open), for the benchmark.
    let (first_step_ms, set_first_step_ms) = signal(None::<f64>);
    let form = RwSignal::new(Form::from_query(&query()));
    // Settings in the address (a shared link, or this page's own) win over a saved model's.
    let link_settings = Form::in_query(&query());
    let (confusion, set_confusion) = signal(None::<(DigitPair, usize, Confusion)>);
    let (examples, set_examples) = signal(None::<(usize, usize, usize, Vec<Example>)>);
    let (preview, set_preview) = signal(None::<(DigitPair, [Vec<Vec<f32>>; 2])>);
    let runs = RwSignal::new(Vec::<Run>::new());
    // The settings of the run in progress, for its entry in the run list.
    let (running, set_running) = signal(None::<Settings>);

    // A run that ended goes into the run list, to be overlaid on the charts later.
    let keep_run = move || {
        let (Some(s), history) = (running.get_untracked(), epochs.get_untracked()) else { return };
        if history.is_empty() {
            return;
        }
        set_running.set(None);
        runs.update(|r| {
            let id = r.last().map(|x| x.id + 1).unwrap_or(1);
            let last = history.last().unwrap();
            let label = format!("#{id} {} lr {} seed {} {} — {} epochs, test acc {:.3}", s.optimizer, s.lr, s.seed, s.digits, last.epoch, last.test_acc);
            r.push(Run { id, label, history, overlay: false });
        });
    };
    let on_message = move |message: FromWorker| match message {
        FromWorker::Ready => set_status.set("Worker ready; starting the device…".into()),
        FromWorker::Device { kind, name, note } => set_device.set(Some(DeviceInfo { kind, name, note })),
        FromWorker::Calibrating => set_status.set("Auto: timing a few training steps on WebGPU and on the CPU…".into()),
        FromWorker::DataProgress { loaded, total } => {
            set_progress.set(Some((loaded, total)));
            set_status.set("Loading MNIST…".into());
        }
        FromWorker::DataReady { train, test, digits } => {
            set_data_ready.set(true);
            set_status.set(format!("Ready: {train} training and {test} test images ({} vs {}). Press Train.", digits.negative, digits.positive));
            if let Some((bytes, source)) = restore.try_update(Option::take).flatten() {
                worker::send(ToWorker::Import { bytes, source });
            }
        }
        FromWorker::Model { params } => set_params.set(params),
        FromWorker::Training { settings, resumed_from, .. } => {
            set_running.set(Some(settings.clone()));
            set_training.set(true);
            set_used_optimizer.set(Some(settings.optimizer));
            set_total_epochs.set(resumed_from + settings.epochs);
            if resumed_from == 0 {
                set_epochs.set(Vec::new());
                set_batches.set(Vec::new());
            }
            set_error.set(None);
            set_notice.set(None);
            set_status.set(format!("Training with {} (lr {})…", settings.optimizer, settings.lr));
        }
        FromWorker::Step { epoch, step, steps_per_epoch, loss } => {
            if first_step_ms.get_untracked().is_none() {
                set_first_step_ms.set(Some(since_open_ms()));
            }
            set_batches.update(|b| b.push((epoch as f64 - 1.0 + step as f64 / steps_per_epoch as f64, loss as f64)));
            set_status.set(format!("Training: epoch {epoch}, step {step}/{steps_per_epoch}, batch loss {loss:.4}"));
        }
        FromWorker::Epoch { row } => {
            set_epochs.update(|e| e.push(row));
            // The feature maps follow the model: ask again for the drawing on the pad.
            if prediction.get_untracked().is_some() {
                pad::resend();
            }
        }
        FromWorker::Confusion { digits, epochs, matrix } => {
            set_confusion.set(Some((digits, epochs, matrix)));
            set_examples.set(None);
        }
        FromWorker::Examples { actual, predicted, total, examples } => set_examples.set(Some((actual, predicted, total, examples))),
        FromWorker::Preview { digits, images } => set_preview.set(Some((digits, images))),
        FromWorker::Filters { weights, biases } => set_filters.set(Some((weights, biases))),
        FromWorker::Prediction { digits, probabilities, image, explanation } => {
            set_refused.set(None);
            set_prediction.set(Some(Prediction { digits, probabilities, image, explanation }))
        }
        FromWorker::DrawingRefused { reason } => {
            set_prediction.set(None);
            set_refused.set(Some(reason));
        }
        FromWorker::Checkpoint { file, epoch_end } => {
            if epoch_end {
                let epochs_done = epochs.with_untracked(|e| e.len());
                let bytes = file.clone();
                leptos::task::spawn_local(async move {
                    match store::save(&bytes).await {
                        Ok(()) => set_saved_epochs.set(Some(epochs_done)),
                        Err(e) => set_notice.set(Some(format!("The model is not saved in this browser: {e}"))),
                    }
                });
            }
            checkpoint.set(Some(file));
        }
        FromWorker::Restored { source, digits, settings, history } => {
            let n = history.len();
            let picked = matches!(source, ModelSource::File { .. });
            form.update(|f| {
                if let Some(s) = settings.as_ref().filter(|_| picked || !link_settings) {
                    *f = Form::from_settings(s);
                }
                // Continue needs the model's own digits.
                f.digits = digits.to_string();
            });
            set_total_epochs.set(n.max(1));
            set_used_optimizer.set(settings.map(|s| s.optimizer));
            set_epochs.set(history);
            set_batches.set(Vec::new());
            set_prediction.set(None);
            let from = match source {
                ModelSource::Saved => "Restored the saved model".to_string(),
                ModelSource::File { name } => format!("Imported {name}"),
            };
            let trained = if n == 1 { "1 epoch".to_string() } else { format!("{n} epochs") };
            set_status.set(format!("{from} ({} vs {}, {trained} trained). Draw a digit, or press Continue to train it further.", digits.negative, digits.positive));
        }
        FromWorker::ImportRefused { source, reason } => {
            let what = match source {
                ModelSource::Saved => "The saved model could not be restored".to_string(),
                ModelSource::File { name } => format!("{name} was not imported"),
            };
            set_error.set(Some(format!("{what}: {reason}. The current model is unchanged.")));
        }
        FromWorker::Memory { wasm_bytes, gpu } => set_memory.set(Some((wasm_bytes, gpu))),
        FromWorker::DeviceLost { message } => {
            set_training.set(false);
            set_status.set("The GPU is gone; the model is kept. Continue on the CPU.".into());
            set_failure.set(Some(Failure::DeviceLost));
            set_error.set(Some(message));
        }
        FromWorker::Crashed { message } => {
            set_training.set(false);
            set_status.set("The training worker crashed; the model is kept. Restart it.".into());
            set_failure.set(Some(Failure::Crashed));
            set_error.set(Some(format!("the training worker crashed: {message}")));
        }
        FromWorker::Stopped => {
            keep_run();
            set_training.set(false);
            set_status.set("Stopped.".into());
        }
        FromWorker::Finished => {
            keep_run();
            set_training.set(false);
            set_status.set("Finished. Draw a digit to test the model.".into());
        }
        FromWorker::ResetDone => {
            set_training.set(false);
            set_status.set("Reset: the model is forgotten. Press Train.".into());
        }
        FromWorker::Error { message } => {
            set_training.set(false);
            set_status.set("Something went wrong; see the message below.".into());
            set_error.set(Some(message));
        }
    };
    worker::init(on_message, move |crash| {
        set_training.set(false);
        // The panic hook's message (Crashed) says more than the error event that follows it.
        if failure.get_untracked() != Some(Failure::Crashed) {
            set_failure.set(Some(Failure::Crashed));
            set_error.set(Some(crash));
        }
    });
    // Starts the device the user asked for, in the worker build that can run it: Auto needs the
    // WebGPU build only when there is a real GPU to time against the CPU. `fresh` replaces a
    // crashed worker even when it is the right build.
    let start = move |to: DevicePref, fresh: bool| {
        leptos::task::spawn_local(async move {
            let build = match to {
                DevicePref::Cpu => worker::Build::Cpu,
                DevicePref::WebGpu => worker::Build::Gpu,
                DevicePref::Auto if calibrate_always() || worker::has_hardware_adapter().await => worker::Build::Gpu,
                DevicePref::Auto => worker::Build::Cpu,
            };
            match worker::use_build(build, fresh) {
                Ok(()) => worker::send(ToWorker::Start { device: to, base_url: base_url(), calibrate: calibrate_always(), ops: ops_in_address() }),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    // A model saved by an earlier visit comes back once the worker has its data.
    leptos::task::spawn_local(async move {
        match store::load().await {
            Ok(Some(bytes)) => {
                if restore.with_untracked(Option::is_none) {
                    restore.set(Some((bytes.clone(), ModelSource::Saved)));
                    checkpoint.set(Some(bytes));
                }
                // The data may already be there: then hand it over now.
                if data_ready.get_untracked() {
                    if let Some((bytes, source)) = restore.try_update(Option::take).flatten() {
                        worker::send(ToWorker::Import { bytes, source });
                    }
                }
            }
            Ok(None) => {}
            Err(e) => set_notice.set(Some(format!("The model cannot be saved in this browser: {e}"))),
        }
    });
    start(pref.get_untracked(), false);

    // Every way to a new device or worker keeps the model: the latest checkpoint goes back in.
    let restart = move |to: DevicePref, fresh: bool| {
        set_pref.set(to);
        set_device.set(None);
        set_training.set(false);
        set_data_ready.set(false);
        set_error.set(None);
        set_failure.set(None);
        if let Some(bytes) = checkpoint.get_untracked() {
            restore.set(Some((bytes, ModelSource::Saved)));
        }
        start(to, fresh);
    };
    let switch = move |to: DevicePref| restart(to, false);
    let settings = Memo::new(move |_| form.with(|f| f.settings()));
    let train = move |resume: bool| {
        if let Ok(s) = settings.get() {
            // A new run dismisses the last run's error.
            set_error.set(None);
            worker::send(ToWorker::Train { settings: s, resume });
        }
    };
    let reset = move |_| {
        worker::send(ToWorker::Reset);
        set_epochs.set(Vec::new());
        set_batches.set(Vec::new());
        set_filters.set(None);
        set_prediction.set(None);
        set_used_optimizer.set(None);
        set_confusion.set(None);
        set_examples.set(None);
        checkpoint.set(None);
        restore.set(None);
        set_saved_epochs.set(None);
        leptos::task::spawn_local(async move {
            if let Err(e) = store::clear().await {
                set_notice.set(Some(format!("The saved model could not be deleted: {e}")));
            }
        });
    };
    let export_link = NodeRef::<html::A>::new();
    let export = move |_| {
        let (Some(bytes), Some(link)) = (checkpoint.get_untracked(), export_link.get_untracked()) else { return };
        match files::download_url(&bytes) {
            Ok(url) => files::download(&link, &url, "filterlab-model.flab"),
            Err(e) => set_error.set(Some(format!("Export failed: {e}"))),
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let name = file.name();
            match files::read(&file).await {
                Ok(bytes) => worker::send(ToWorker::Import { bytes, source: ModelSource::File { name } }),
                Err(reason) => set_error.set(Some(format!("{name} was not imported: {reason}. The current model is unchanged."))),
            }
        });
    };
    let has_model = move || checkpoint.with(Option::is_some);

    // Charts and canvases redraw when what they show changes, at most once per animation frame.
    let loss_canvas = NodeRef::<html::Canvas>::new();
    let accuracy_canvas = NodeRef::<html::Canvas>::new();
    let filters_canvas = NodeRef::<html::Canvas>::new();
    let seen_canvas = NodeRef::<html::Canvas>::new();
    let overlays = Memo::new(move |_| {
        runs.with(|r| r.iter().filter(|r| r.overlay).map(|r| charts::Overlay { label: format!("#{}", r.id), history: r.history.clone() }).collect::<Vec<_>>())
    });
    let draw_loss = frames::on_next_frame(move || {
        if let Some(c) = loss_canvas.get_untracked() {
            overlays.with_untracked(|o| epochs.with_untracked(|e| batches.with_untracked(|b| charts::draw_loss(&c, b, e, total_epochs.get_untracked(), o))));
        }
    });
    Effect::new(move |_| {
        (loss_canvas.get(), epochs.track(), batches.track(), total_epochs.track(), overlays.track());
        draw_loss();
    });
    let draw_accuracy = frames::on_next_frame(move || {
        if let Some(c) = accuracy_canvas.get_untracked() {
            overlays.with_untracked(|o| epochs.with_untracked(|e| charts::draw_accuracy(&c, e, total_epochs.get_untracked(), o)));
        }
    });
    Effect::new(move |_| {
        (accuracy_canvas.get(), epochs.track(), total_epochs.track(), overlays.track());
        draw_accuracy();
    });
    // The settings live in the address, so a link reproduces a run's setup.
    Effect::new(move |_| {
        let q = form.with(|f| f.to_query(&query()));
        if q != query() {
            if let Ok(history) = leptos::prelude::window().history() {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&q));
            }
        }
    });
    let features_canvas = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        if let (Some(c), Some(p)) = (features_canvas.get(), prediction.get()) {
            filters.with_untracked(|f| insight::draw_features(&c, f.as_ref().map(|f| f.0.as_slice()).unwrap_or(&[]), &p.explanation, [p.digits.negative, p.digits.positive]));
        }
    });
    let examples_canvas = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        if let (Some(c), Some((actual, _, _, list))) = (examples_canvas.get(), examples.get()) {
            let digits = confusion.get_untracked().map(|c| c.0).unwrap_or_default();
            let images: Vec<Vec<f32>> = list.iter().map(|e| e.image.clone()).collect();
            let captions: Vec<String> = list.iter().map(|e| format!("P({})={:.2}", digits.digit(actual), e.probabilities[actual])).collect();
            insight::draw_gallery(&c, &images, &captions, 8, 48.0);
        }
    });
    let preview_canvas = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        if let (Some(c), Some((digits, images))) = (preview_canvas.get(), preview.get()) {
            let captions: Vec<String> = (0..2).flat_map(|class| images[class].iter().map(move |_| format!("{}", digits.digit(class)))).collect();
            let all: Vec<Vec<f32>> = images.iter().flatten().cloned().collect();
            insight::draw_gallery(&c, &all, &captions, 8, 42.0);
        }
    });
    let draw_filters = frames::on_next_frame(move || {
        if let Some(c) = filters_canvas.get_untracked() {
            filters.with_untracked(|f| filters::draw(&c, f.as_ref().map(|f| f.0.as_slice()).unwrap_or(&[])));
        }
    });
    Effect::new(move |_| {
        (filters_canvas.get(), filters.track());
        draw_filters();
    });
    Effect::new(move |_| {
        if let (Some(c), Some(p)) = (seen_canvas.get(), prediction.get()) {
            filters::draw_image(&c, &p.image);
        }
    });

    let field = move |label: &'static str, id: &'static str, get: fn(&Form) -> String, put: fn(&mut Form, String)| {
        view! {
            <label>
                {label}
                <input
                    data-testid=id
                    prop:value=move || form.with(get)
                    on:input=move |ev| form.update(|f| put(f, event_target_value(&ev)))
                    prop:disabled=move || training.get()
                />
            </label>
        }
    };
    let optimizer_button = move |kind: OptimizerKind, id: &'static str| {
        view! {
            <button
                data-testid=id
                class:active=move || form.with(|f| f.optimizer == kind)
                on:click=move |_| form.update(|f| f.optimizer = kind)
                prop:disabled=move || training.get()
            >{kind.to_string()}</button>
        }
    };
    let device_button = move |to: DevicePref, id: &'static str, label: &'static str| {
        view! {
            <button data-testid=id class:active=move || pref.get() == to on:click=move |_| switch(to) prop:disabled=move || training.get()>{label}</button>
        }
    };
    let (filters_w, filters_h) = filters::size();
    let (features_w, features_h) = insight::features_size();

    view! {
        <header>
            <h1>"Filterlab"</h1>
            <p class="lede">"A CNN learns to tell two MNIST digits apart, in your browser, on your GPU."</p>
        </header>
        <section class="bar">
            <div data-testid="device" class="device" data-kind=move || device.get().map(|d| format!("{:?}", d.kind)).unwrap_or_default()>
                {move || match device.get() {
                    None => "Device: starting…".to_string(),
                    Some(d) => format!("Device: {}{}", d.name, d.note.map(|n| format!(" — {n}")).unwrap_or_default()),
                }}
            </div>
            <span class="toggle">
                {device_button(DevicePref::Auto, "device-auto", "Auto")}
                {device_button(DevicePref::WebGpu, "device-webgpu", "WebGPU")}
                {device_button(DevicePref::Cpu, "device-cpu", "CPU")}
            </span>
        </section>
        <section class="bar">
            <div data-testid="status" class="status" data-first-step-ms=move || first_step_ms.get().map(|ms| format!("{ms:.0}")).unwrap_or_default()>{move || status.get()}</div>
            <progress
                data-testid="data-progress"
                max=move || progress.get().and_then(|p| p.1).unwrap_or(1) as f64
                value=move || progress.get().map(|p| p.0).unwrap_or(0) as f64
                class:hidden=move || data_ready.get()
            ></progress>
        </section>
        <div data-testid="error" class="error" class:hidden=move || error.get().is_none() data-shown=move || error.get().map(|_| "yes").unwrap_or_default()>
            {move || error.get().unwrap_or_default()}
            // The data or the device did not come up: the worker is alive, so try again.
            <button data-testid="retry" class:hidden=move || data_ready.get() || failure.get().is_some() on:click=move |_| switch(pref.get_untracked())>"Retry"</button>
            <button data-testid="continue-cpu" class:hidden=move || failure.get() != Some(Failure::DeviceLost) on:click=move |_| switch(DevicePref::Cpu)>"Continue on the CPU"</button>
            <button data-testid="restart" class:hidden=move || failure.get() != Some(Failure::Crashed) on:click=move |_| restart(pref.get_untracked(), true)>"Restart the worker"</button>
        </div>
        <div data-testid="notice" class="notice" class:hidden=move || notice.get().is_none()>{move || notice.get().unwrap_or_default()}</div>
        <main>
            <section class="panel controls">
                <h2>"Training"</h2>
                <div class="toggle">
                    {optimizer_button(OptimizerKind::Sgd, "optimizer-sgd")}
                    {optimizer_button(OptimizerKind::Adam, "optimizer-adam")}
                </div>
                {field("Learning rate", "lr", |f| f.lr.clone(), |f, v| f.lr = v)}
                {field("Epochs", "epochs", |f| f.epochs.clone(), |f, v| f.epochs = v)}
                {field("Batch size", "batch-size", |f| f.batch_size.clone(), |f, v| f.batch_size = v)}
                {field("Seed", "seed", |f| f.seed.clone(), |f, v| f.seed = v)}
                {field("Digits (class 0, class 1)", "digits", |f| f.digits.clone(), |f, v| f.digits = v)}
                <div data-testid="form-error" class="form-error">{move || settings.get().err().unwrap_or_default()}</div>
                <div class="buttons">
                    <button data-testid="train" title="Train a fresh model" on:click=move |_| train(false) prop:disabled=move || training.get() || !data_ready.get() || settings.get().is_err()>"Train"</button>
                    <button data-testid="continue" title="Train the current model for more epochs" on:click=move |_| train(true) prop:disabled=move || training.get() || !data_ready.get() || settings.get().is_err() || !has_model()>"Continue"</button>
                    <button data-testid="stop" on:click=move |_| worker::send(ToWorker::Stop) prop:disabled=move || !training.get()>"Stop"</button>
                    <button data-testid="reset" title="Forget the model, here and in this browser's storage" on:click=reset>"Reset"</button>
                </div>
                <div class="buttons">
                    <button data-testid="export" title="Download the model (weights, settings, history) as a .flab file" on:click=export prop:disabled=move || !has_model()>"Export"</button>
                    <label class="file-button">
                        "Import…"
                        <input type="file" accept=".flab" data-testid="import" on:change=import prop:disabled=move || training.get() || !data_ready.get() />
                    </label>
                    <a node_ref=export_link class="hidden" data-testid="export-link"></a>
                </div>
                <p data-testid="saved" class="small" data-epochs=move || saved_epochs.get().map(|n| n.to_string()).unwrap_or_default()>
                    {move || saved_epochs.get().map(|n| if n == 0 { "Saved in this browser.".to_string() } else { format!("Saved in this browser after epoch {n}.") }).unwrap_or_default()}
                </p>
                <p data-testid="memory" class="small"
                    data-wasm-bytes=move || memory.get().map(|m| m.0.to_string()).unwrap_or_default()
                    data-gpu-bytes=move || memory.get().and_then(|m| m.1).map(|g| g.bytes_in_use.to_string()).unwrap_or_default()
                    data-gpu-allocations=move || memory.get().and_then(|m| m.1).map(|g| g.allocations.to_string()).unwrap_or_default()
                    data-gpu-buffers=move || memory.get().and_then(|m| m.1).and_then(|g| g.buffers).map(|b| b.to_string()).unwrap_or_default()
                >{move || memory.get().map(|(w, g)| describe_memory(w, g)).unwrap_or_default()}</p>
                <p data-testid="optimizer-used">{move || used_optimizer.get().map(|o| format!("Optimizer in use: {o}")).unwrap_or_default()}</p>
            </section>
            <section class="panel charts">
                <canvas node_ref=loss_canvas data-testid="chart-loss" width="460" height="260"
                    data-overlays=move || overlays.with(|o| o.len())
                    data-batches=move || batches.with(|b| b.len())
                    data-first-loss=move || batches.with(|b| b.first().map(|p| p.1.to_string()).unwrap_or_default())
                    data-last-loss=move || batches.with(|b| b.last().map(|p| p.1.to_string()).unwrap_or_default())
                ></canvas>
                <canvas node_ref=accuracy_canvas data-testid="chart-accuracy" width="460" height="260"
                    data-epochs=move || epochs.with(|e| e.len())
                ></canvas>
            </section>
            <section class="panel">
                <h2>"Parameters"</h2>
                <table data-testid="params">
                    <tr><th>"Layer"</th><th>"Shape"</th><th>"Count"</th></tr>
                    <For each=move || params.get() key=|p| p.name.clone() let:p>
                        <tr><td>{p.name.clone()}</td><td>{format!("{:?}", p.shape)}</td><td>{p.count}</td></tr>
                    </For>
                    <tr class="total"><td>"Total"</td><td></td><td>{move || params.get().iter().map(|p| p.count).sum::<usize>()}</td></tr>
                </table>
            </section>
            <section class="panel wide">
                <h2>"The eight 3×3 filters"</h2>
                <canvas node_ref=filters_canvas data-testid="filters" width=filters_w height=filters_h></canvas>
                <p class="biases">{move || filters.get().map(|f| format!("Biases: {}", f.1.iter().map(|b| format!("{b:.3}")).collect::<Vec<_>>().join(", "))).unwrap_or_default()}</p>
            </section>
            <section class="panel epochs">
                <h2>"Epochs"</h2>
                <table data-testid="epoch-log">
                    <tr><th>"Epoch"</th><th>"Train loss"</th><th>"Train acc"</th><th>"Test loss"</th><th>"Test acc"</th><th>"Seconds"</th><th title="WebGPU compute dispatches per training step">"Dispatches/step"</th></tr>
                    <For each=move || epochs.get() key=|r| r.epoch let:r>
                        <tr class="epoch-row">
                            <td>{format!("{}/{}", r.epoch, r.epochs)}</td>
                            <td>{format!("{:.4}", r.train_loss)}</td>
                            <td>{format!("{:.4}", r.train_acc)}</td>
                            <td>{format!("{:.4}", r.test_loss)}</td>
                            <td>{format!("{:.4}", r.test_acc)}</td>
                            <td>{format!("{:.2}", r.seconds)}</td>
                            <td>{r.dispatches_per_step.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    </For>
                </table>
            </section>
            <section class="panel">
                <h2>"Draw a digit"</h2>
                <pad::DrawPad on_clear=move || { set_prediction.set(None); set_refused.set(None); } />
                <div data-testid="prediction" class="prediction"
                    data-digit=move || prediction.get().map(|p| p.digits.digit(if p.probabilities[1] > p.probabilities[0] { 1 } else { 0 }).to_string()).unwrap_or_default()>
                    {move || match prediction.get() {
                        None => refused.get().unwrap_or_else(|| "Draw with the mouse, a pen or a finger.".to_string()),
                        Some(p) => {
                            let best = if p.probabilities[1] > p.probabilities[0] { 1 } else { 0 };
                            format!("It is a {} — P({}) = {:.1} %, P({}) = {:.1} %",
                                p.digits.digit(best),
                                p.digits.negative, 100.0 * p.probabilities[0],
                                p.digits.positive, 100.0 * p.probabilities[1])
                        }
                    }}
                </div>
                <p>"What the network saw (28×28):"</p>
                <canvas node_ref=seen_canvas data-testid="seen" width="112" height="112"
                    data-image=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.image)).unwrap_or_default())></canvas>
            </section>
            <section class="panel wide-all">
                <h2>"What the network does with your digit"</h2>
                <p class="small">{move || match prediction.get() {
                    None => "Draw a digit to see the eight feature maps it makes.".to_string(),
                    Some(p) => format!(
                        "Each filter's output on the 28×28 image (one colour scale for all maps), pooled to 4×4, and how much each pooled value pushed towards {} and towards {} (weight × value: red for, blue against). Logits {:.3} and {:.3}.",
                        p.digits.negative, p.digits.positive, p.explanation.logits[0], p.explanation.logits[1]),
                }}</p>
                <canvas node_ref=features_canvas data-testid="features" width=features_w height=features_h
                    data-conv=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.explanation.conv)).unwrap_or_default())
                    data-pooled=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.explanation.pooled)).unwrap_or_default())
                    data-contributions=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.explanation.contributions)).unwrap_or_default())
                    data-logits=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.explanation.logits)).unwrap_or_default())
                    data-probabilities=move || prediction.with(|p| p.as_ref().map(|p| joined(&p.probabilities)).unwrap_or_default())
                ></canvas>
            </section>
            <section class="panel confusion">
                <h2>"Confusion matrix (test set)"</h2>
                {move || match confusion.get() {
                    None => view! { <p class="small" data-testid="confusion">"After the first epoch, or once a model is loaded."</p> }.into_any(),
                    Some((digits, epochs, m)) => {
                        let cell = move |a: usize, p: usize| {
                            let wrong = a != p;
                            view! {
                                <td><button data-testid=format!("cell-{a}-{p}") class:wrong=wrong
                                    title="Show these test images"
                                    on:click=move |_| worker::send(ToWorker::Examples { actual: a, predicted: p })>{m[a][p]}</button></td>
                            }
                        };
                        view! {
                            <table data-testid="confusion" data-matrix=format!("{},{},{},{}", m[0][0], m[0][1], m[1][0], m[1][1]) data-epochs=epochs>
                                <tr><th>{format!("after {epochs} epoch{}", if epochs == 1 { "" } else { "s" })}</th><th>{format!("read as {}", digits.negative)}</th><th>{format!("read as {}", digits.positive)}</th></tr>
                                <tr><th>{format!("a {}", digits.negative)}</th>{cell(0, 0)}{cell(0, 1)}</tr>
                                <tr><th>{format!("a {}", digits.positive)}</th>{cell(1, 0)}{cell(1, 1)}</tr>
                            </table>
                        }.into_any()
                    }
                }}
                <p class="small" data-testid="examples-caption">{move || examples.get().map(|(a, p, total, list)| {
                    let d = confusion.get().map(|c| c.0).unwrap_or_default();
                    format!("{total} test images of a {} read as {}; {} shown, least sure first, with P({}).", d.digit(a), d.digit(p), list.len(), d.digit(a))
                }).unwrap_or_default()}</p>
                <canvas node_ref=examples_canvas data-testid="examples" width="0" height="0"
                    data-total=move || examples.get().map(|e| e.2.to_string()).unwrap_or_default()
                    data-probabilities=move || examples.get().map(|(a, _, _, list)| joined(&list.iter().map(|e| e.probabilities[a]).collect::<Vec<_>>())).unwrap_or_default()
                ></canvas>
            </section>
            <section class="panel">
                <h2>"The data"</h2>
                <p class="small">{move || preview.get().map(|(d, _)| format!("Random training images: {}s (class 0) above, {}s (class 1) below.", d.negative, d.positive)).unwrap_or_default()}</p>
                <canvas node_ref=preview_canvas data-testid="preview" width="0" height="0"
                    data-images=move || preview.get().map(|p| (p.1[0].len() + p.1[1].len()).to_string()).unwrap_or_default()></canvas>
            </section>
            <section class="panel">
                <h2>"Runs"</h2>
                <p class="small">"Each finished or stopped run stays here; tick one to draw its test curves on the charts."</p>
                <ul data-testid="runs" class="runs">
                    <For each=move || runs.get() key=|r| (r.id, r.overlay) let:r>
                        <li data-testid=format!("run-{}", r.id)>
                            <label>
                                <input type="checkbox" data-testid=format!("run-overlay-{}", r.id) prop:checked=r.overlay
                                    on:change=move |_| runs.update(|all| all.iter_mut().filter(|x| x.id == r.id).for_each(|x| x.overlay = !x.overlay)) />
                                {r.label.clone()}
                            </label>
                            <button data-testid=format!("run-remove-{}", r.id) title="Remove from the list"
                                on:click=move |_| runs.update(|all| all.retain(|x| x.id != r.id))>"×"</button>
                        </li>
                    </For>
                </ul>
            </section>
        </main>
    }
}
