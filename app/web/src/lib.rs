//! Filterlab's page: controls, device badge, live charts and filters, the draw pad. It trains
//! nothing itself: every number comes from the worker (see `worker.rs`), so the page never freezes.

mod charts;
mod filters;
mod frames;
mod pad;
mod worker;

use filterlab_protocol::{
    DeviceKind, DevicePref, DigitPair, EpochRow, FromWorker, OptimizerKind, ParamRow, Settings, ToWorker,
};
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
}

/// The form's raw text, parsed into settings only when every field is valid.
#[derive(Clone, Debug, PartialEq)]
struct Form {
    optimizer: OptimizerKind,
    lr: String,
    epochs: String,
    batch_size: String,
    seed: String,
    digits: String,
}

impl Default for Form {
    fn default() -> Self {
        let s = Settings::default();
        Self {
            optimizer: s.optimizer,
            lr: s.lr.to_string(),
            epochs: s.epochs.to_string(),
            batch_size: s.batch_size.to_string(),
            seed: s.seed.to_string(),
            digits: s.digits.to_string(),
        }
    }
}

impl Form {
    fn settings(&self) -> Result<Settings, String> {
        let number = |name: &str, text: &str| text.trim().parse::<f64>().map_err(|_| format!("{name}: {text:?} is not a number"));
        let whole = |name: &str, text: &str| text.trim().parse::<u64>().map_err(|_| format!("{name}: {text:?} is not a whole number"));
        let settings = Settings {
            optimizer: self.optimizer,
            lr: number("learning rate", &self.lr)?,
            epochs: whole("epochs", &self.epochs)? as usize,
            batch_size: whole("batch size", &self.batch_size)? as usize,
            seed: whole("seed", &self.seed)?,
            digits: self.digits.parse().map_err(|e| format!("digits: {e}"))?,
        };
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }
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

/// Milliseconds since the page was opened.
fn since_open_ms() -> f64 {
    leptos::prelude::window().performance().map(|p| p.now()).unwrap_or_default()
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
    // When the first training step of this page's life finished (ms since open), for the benchmark.
    let (first_step_ms, set_first_step_ms) = signal(None::<f64>);
    let form = RwSignal::new(Form::default());

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
        }
        FromWorker::Model { params } => set_params.set(params),
        FromWorker::Training { settings, .. } => {
            set_training.set(true);
            set_used_optimizer.set(Some(settings.optimizer));
            set_total_epochs.set(settings.epochs);
            set_epochs.set(Vec::new());
            set_batches.set(Vec::new());
            set_error.set(None);
            set_status.set(format!("Training with {} (lr {})…", settings.optimizer, settings.lr));
        }
        FromWorker::Step { epoch, step, steps_per_epoch, loss } => {
            if first_step_ms.get_untracked().is_none() {
                set_first_step_ms.set(Some(since_open_ms()));
            }
            set_batches.update(|b| b.push((epoch as f64 - 1.0 + step as f64 / steps_per_epoch as f64, loss as f64)));
            set_status.set(format!("Training: epoch {epoch}, step {step}/{steps_per_epoch}, batch loss {loss:.4}"));
        }
        FromWorker::Epoch { row } => set_epochs.update(|e| e.push(row)),
        FromWorker::Filters { weights, biases } => set_filters.set(Some((weights, biases))),
        FromWorker::Prediction { digits, probabilities, image } => {
            set_refused.set(None);
            set_prediction.set(Some(Prediction { digits, probabilities, image }))
        }
        FromWorker::DrawingRefused { reason } => {
            set_prediction.set(None);
            set_refused.set(Some(reason));
        }
        FromWorker::Stopped => {
            set_training.set(false);
            set_status.set("Stopped.".into());
        }
        FromWorker::Finished => {
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
        set_error.set(Some(crash));
    });
    // Starts the device the user asked for, in the worker build that can run it: Auto needs the
    // WebGPU build only when there is a real GPU to time against the CPU.
    let start = move |to: DevicePref| {
        leptos::task::spawn_local(async move {
            let build = match to {
                DevicePref::Cpu => worker::Build::Cpu,
                DevicePref::WebGpu => worker::Build::Gpu,
                DevicePref::Auto if calibrate_always() || worker::has_hardware_adapter().await => worker::Build::Gpu,
                DevicePref::Auto => worker::Build::Cpu,
            };
            match worker::use_build(build) {
                Ok(()) => worker::send(ToWorker::Start { device: to, base_url: base_url(), calibrate: calibrate_always() }),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    start(pref.get_untracked());

    let switch = move |to: DevicePref| {
        set_pref.set(to);
        set_device.set(None);
        set_training.set(false);
        set_error.set(None);
        start(to);
    };
    let settings = Memo::new(move |_| form.with(|f| f.settings()));
    let train = move |_| {
        if let Ok(s) = settings.get() {
            worker::send(ToWorker::Train { settings: s });
        }
    };
    let reset = move |_| {
        worker::send(ToWorker::Reset);
        set_epochs.set(Vec::new());
        set_batches.set(Vec::new());
        set_filters.set(None);
        set_prediction.set(None);
        set_used_optimizer.set(None);
    };

    // Charts and canvases redraw when what they show changes, at most once per animation frame.
    let loss_canvas = NodeRef::<html::Canvas>::new();
    let accuracy_canvas = NodeRef::<html::Canvas>::new();
    let filters_canvas = NodeRef::<html::Canvas>::new();
    let seen_canvas = NodeRef::<html::Canvas>::new();
    let draw_loss = frames::on_next_frame(move || {
        if let Some(c) = loss_canvas.get_untracked() {
            epochs.with_untracked(|e| batches.with_untracked(|b| charts::draw_loss(&c, b, e, total_epochs.get_untracked())));
        }
    });
    Effect::new(move |_| {
        (loss_canvas.get(), epochs.track(), batches.track(), total_epochs.track());
        draw_loss();
    });
    let draw_accuracy = frames::on_next_frame(move || {
        if let Some(c) = accuracy_canvas.get_untracked() {
            epochs.with_untracked(|e| charts::draw_accuracy(&c, e, total_epochs.get_untracked()));
        }
    });
    Effect::new(move |_| {
        (accuracy_canvas.get(), epochs.track(), total_epochs.track());
        draw_accuracy();
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
            <button data-testid="retry" class:hidden=move || data_ready.get() on:click=move |_| switch(pref.get_untracked())>"Retry"</button>
        </div>
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
                    <button data-testid="train" on:click=train prop:disabled=move || training.get() || !data_ready.get() || settings.get().is_err()>"Train"</button>
                    <button data-testid="stop" on:click=move |_| worker::send(ToWorker::Stop) prop:disabled=move || !training.get()>"Stop"</button>
                    <button data-testid="reset" on:click=reset>"Reset"</button>
                </div>
                <p data-testid="optimizer-used">{move || used_optimizer.get().map(|o| format!("Optimizer in use: {o}")).unwrap_or_default()}</p>
            </section>
            <section class="panel charts">
                <canvas node_ref=loss_canvas data-testid="chart-loss" width="460" height="260"
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
                <canvas node_ref=seen_canvas data-testid="seen" width="112" height="112"></canvas>
            </section>
        </main>
    }
}
