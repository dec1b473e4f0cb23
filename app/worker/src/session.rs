//! The worker's state and what it does with each message. Training runs as one async task that
//! yields to the event loop every few steps, so Stop and Classify are handled while it runs.

use std::{cell::RefCell, rc::Rc};

use filterlab_core::{
    Digits, Mnist, Model, Split, TrainConfig, Trainer, Weights,
    burn::prelude::*,
    dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS},
    drawing, explain,
    idx::PIXELS,
    training::{Progress, TrainError},
    model_file::ModelFile,
};
use filterlab_protocol::{
    DeviceKind, DevicePref, EpochRow, Example, FromWorker, ModelSource, Ops, Settings, ToWorker, TrainingRecord,
    insight,
};
use wasm_bindgen_futures::spawn_local;

use crate::{
    auto::{self, Plan},
    download,
    device::{self, Started},
    post,
};

/// Steps between loss read-backs, filter updates and yields to the event loop.
const REPORT_EVERY: usize = 10;

#[derive(Default)]
struct State {
    device: Option<(Device, DeviceKind)>,
    /// Fused training steps, or Burn's stock path (`?ops=stock`).
    ops: Ops,
    /// Where the page is: the MNIST files are under it.
    base_url: String,
    /// The MNIST train file, loaded at start.
    mnist: Option<Rc<Mnist>>,
    /// The t10k file, loaded the first time all ten digits are asked for.
    t10k: Option<Rc<Mnist>>,
    split: Option<Rc<Split>>,
    /// The latest model (without autodiff), for classifying drawings during and after training.
    model: Option<(Model, Digits)>,
    /// What the current model went through, for its checkpoints: the latest run's settings and
    /// every finished epoch.
    settings: Option<Settings>,
    history: Vec<EpochRow>,
    /// The test set of the latest confusion matrix and the model's class probabilities for each
    /// of its images, for the matrix's cells.
    test_probabilities: Option<(Rc<Split>, Vec<Vec<f32>>)>,
    /// Bumped by Train, Stop, Reset and device switches: a training task whose run id is no
    /// longer current stops at its next yield.
    run: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

pub fn handle(message: ToWorker) {
    match message {
        ToWorker::Start { device, base_url, calibrate, ops } => {
            with(|s| {
                s.ops = ops;
                s.base_url = base_url.clone();
            });
            spawn_local(start(device, base_url, calibrate))
        }
        ToWorker::Train { settings, resume } => spawn_local(async move {
            if let Err(failure) = train(settings, resume).await {
                post(&failure);
            }
            post_memory();
        }),
        ToWorker::Import { bytes, source } => import(&bytes, source),
        ToWorker::Stop => with(|s| s.run += 1),
        ToWorker::Reset => {
            with(|s| {
                s.run += 1;
                s.model = None;
                s.settings = None;
                s.history.clear();
                s.test_probabilities = None;
            });
            post(&FromWorker::ResetDone);
            post_memory();
        }
        ToWorker::Classify { width, height, ink } => spawn_local(async move {
            if let Err(message) = classify(&ink, width as usize, height as usize).await {
                post(&FromWorker::Error { message });
            }
        }),
        ToWorker::Examples { actual, predicted } => examples(actual, predicted),
        ToWorker::SetFilter { filter, weights, bias } => spawn_local(async move {
            if let Err(message) = set_filter(filter, &weights, bias).await {
                post(&FromWorker::Error { message });
            }
        }),
    }
}

/// Sets one filter of the current model by hand: a model change, like an import (a run in
/// progress stops; the filters, the checkpoint and the confusion matrix follow).
async fn set_filter(filter: usize, weights: &[f32], bias: f32) -> Result<(), String> {
    let (device, _) = with(|s| s.device.clone()).ok_or("no device yet: wait for the device badge")?;
    // Reading the weights is asynchronous: if the model changed meanwhile (another edit, a
    // Reset, an import, a training report), read the new one, so no change is lost or undone.
    let (mut w, digits) = loop {
        let (run, current) = with(|s| (s.run, s.model.clone()));
        let (model, digits) = current.ok_or("there is no model to edit yet: train or import one")?;
        let w = model.weights().await.map_err(|e| e.to_string())?;
        if with(|s| s.run) == run {
            break (w, digits);
        }
    };
    let shape = w.shape;
    if filter >= shape.filters {
        return Err(format!("filter {filter} cannot be set: the network has {} filters", shape.filters));
    }
    if weights.len() != shape.taps() {
        return Err(format!("filter {filter} is {0}×{0}: it takes {1} numbers, not {2}", shape.kernel, shape.taps(), weights.len()));
    }
    if let Some(v) = weights.iter().chain([&bias]).find(|v| !v.is_finite()) {
        return Err(format!("a filter's weights must be numbers, not {v}"));
    }
    w.conv_weight[filter * shape.taps()..(filter + 1) * shape.taps()].copy_from_slice(weights);
    w.conv_bias[filter] = bias;
    with(|s| {
        s.run += 1;
        s.model = Some((Model::from_weights(&w, &device), digits));
    });
    post_filters(&w);
    post_checkpoint(&w, digits, true);
    post(&FromWorker::FilterSet { filter });
    post_confusion().await
}

async fn start(pref: DevicePref, base_url: String, calibrate: bool) {
    // The model lives on the old device: the page gives it back (Import) once the data is ready.
    let run = with(|s| {
        s.run += 1;
        s.model = None;
        s.settings = None;
        s.history.clear();
        s.test_probabilities = None;
        s.run
    });
    // A later Start (the user switched again) wins; this one then stops quietly.
    let current = move || with(|s| s.run == run);
    let use_device = |started: Started| {
        post(&FromWorker::Device { kind: started.kind, name: started.name, note: started.note });
        with(|s| s.device = Some((started.device, started.kind)));
    };
    let plan = match pref {
        DevicePref::Auto => auto::plan(calibrate).await,
        pref => Plan::Decided(device::start(pref).await),
    };
    if !current() {
        return;
    }
    let to_calibrate = match plan {
        Plan::Decided(started) => {
            use_device(started);
            None
        }
        Plan::Calibrate(webgpu) => Some(webgpu),
    };
    if with(|s| s.mnist.is_none()) {
        match load_mnist(&base_url, [TRAIN_LABELS, TRAIN_IMAGES]).await.and_then(|[labels, images]| {
            Mnist::from_idx(&images, &labels).map_err(|e| format!("the MNIST data is damaged: {e}"))
        }) {
            Ok(mnist) => with(|s| s.mnist = Some(Rc::new(mnist))),
            Err(message) => return post(&FromWorker::Error { message }),
        }
    }
    let split = match split(Digits::default()).await {
        Ok(split) => split,
        Err(message) => return post(&FromWorker::Error { message }),
    };
    if let Some(webgpu) = to_calibrate {
        post(&FromWorker::Calibrating);
        let started = auto::calibrate(&split, webgpu, with(|s| s.ops)).await;
        if !current() {
            return;
        }
        use_device(started);
    }
    post(&FromWorker::DataReady { train: split.train.len(), test: split.test.len(), digits: split.digits });
    post_preview(&split);
}

/// A few random training images of each class: a row of eight for a pair, four each for ten.
fn post_preview(split: &Split) {
    let classes = split.digits.classes();
    let each = if classes == 2 { 8 } else { 4 };
    let mut images = vec![Vec::new(); classes];
    for (class, strip) in images.iter_mut().enumerate() {
        let of_class: Vec<usize> = (0..split.train.len()).filter(|&i| split.train.classes[i] as usize == class).collect();
        for _ in 0..each.min(of_class.len()) {
            let i = of_class[(js_sys::Math::random() * of_class.len() as f64) as usize % of_class.len()];
            strip.push(split.train.pixels[i * PIXELS..(i + 1) * PIXELS].to_vec());
        }
    }
    post(&FromWorker::Preview { digits: split.digits, images });
}

/// The current model's confusion matrix on its digits' test set, kept for `examples`.
async fn post_confusion() -> Result<(), String> {
    let Some((model, digits)) = with(|s| s.model.clone()) else { return Ok(()) };
    let Some((device, _)) = with(|s| s.device.clone()) else { return Ok(()) };
    let split = split(digits).await?;
    let probabilities = explain::probabilities(&model, &split.test, &device).await.map_err(|e| e.to_string())?;
    // The split may have taken a download: a model of other digits may be current by now.
    if with(|s| s.model.as_ref().map(|(_, d)| *d)) != Some(digits) {
        return Ok(());
    }
    let matrix = insight::confusion(digits.classes(), &split.test.classes, &probabilities);
    let epochs = with(|s| {
        s.test_probabilities = Some((split.clone(), probabilities));
        s.history.len()
    });
    post(&FromWorker::Confusion { digits, epochs, matrix });
    Ok(())
}

/// The test images in one confusion-matrix cell, the least sure first (at most 32).
fn examples(actual: usize, predicted: usize) {
    const MOST: usize = 32;
    let Some((split, probabilities)) = with(|s| s.test_probabilities.clone()) else {
        return post(&FromWorker::Error { message: "no confusion matrix yet: train or import a model".into() });
    };
    let classes = split.digits.classes();
    if actual >= classes || predicted >= classes {
        return post(&FromWorker::Error { message: format!("the confusion matrix has {classes} classes, no cell ({actual}, {predicted})") });
    }
    let indices = insight::cell(&split.test.classes, &probabilities, actual, predicted);
    let examples = indices
        .iter()
        .take(MOST)
        .map(|&index| Example { index, image: split.test.pixels[index * PIXELS..(index + 1) * PIXELS].to_vec(), probabilities: probabilities[index].clone() })
        .collect();
    post(&FromWorker::Examples { actual, predicted, total: indices.len(), examples });
}

/// Downloads two MNIST files (labels first: small, so the bar's total is known for the big file).
async fn load_mnist(base_url: &str, names: [&str; 2]) -> Result<[Vec<u8>; 2], String> {
    let mut done = 0u64;
    let mut files = Vec::new();
    for name in names {
        let url = format!("{base_url}{}{name}", filterlab_protocol::mnist::FOLDER);
        let bytes = download::fetch(&url, |loaded, total| {
            post(&FromWorker::DataProgress { loaded: done + loaded, total: total.map(|t| done + t) });
        })
        .await?;
        done += bytes.len() as u64;
        files.push(bytes);
    }
    Ok(files.try_into().unwrap())
}

/// The split for these digits, made once and kept; all ten digits download the t10k files
/// the first time.
async fn split(digits: Digits) -> Result<Rc<Split>, String> {
    if let Some(split) = with(|s| s.split.clone()).filter(|s| s.digits == digits) {
        return Ok(split);
    }
    let mnist = with(|s| s.mnist.clone()).ok_or("the MNIST data is not loaded yet")?;
    let split = match digits {
        Digits::Pair(pair) => Split::pair(&mnist, pair),
        Digits::All => {
            let t10k = match with(|s| s.t10k.clone()) {
                Some(t10k) => t10k,
                None => {
                    let base_url = with(|s| s.base_url.clone());
                    let [labels, images] = load_mnist(&base_url, [TEST_LABELS, TEST_IMAGES]).await?;
                    let t10k = Rc::new(Mnist::test_from_idx(&images, &labels).map_err(|e| format!("the MNIST test data is damaged: {e}"))?);
                    with(|s| s.t10k = Some(t10k.clone()));
                    t10k
                }
            };
            Split::all(&mnist, &t10k)
        }
    };
    let split = Rc::new(split.map_err(|e| e.to_string())?);
    with(|s| s.split = Some(split.clone()));
    Ok(split)
}

fn post_filters(w: &Weights) {
    post(&FromWorker::Filters { shape: w.shape, weights: w.conv_weight.clone(), biases: w.conv_bias.clone() });
}

/// What to tell the page when the device fails mid-run: on WebGPU the device is gone for this
/// worker (a lost device does not come back), so the page offers to go on on the CPU.
fn device_failure(kind: DeviceKind) -> impl Fn(TrainError) -> FromWorker {
    move |e| match (e, kind) {
        (TrainError::Device(why), DeviceKind::WebGpu) => {
            device::forget();
            let reason = device::lost_reason().map(|r| format!(" (the browser says: {r})")).unwrap_or_default();
            FromWorker::DeviceLost {
                message: format!(
                    "the GPU device failed or was lost: {why}{reason}. Training stopped; the model of the last reported step is kept."
                ),
            }
        }
        (TrainError::Device(why), DeviceKind::Cpu) => FromWorker::Error { message: format!("the CPU backend failed: {why}") },
        (diverged @ (TrainError::NotFinite { .. } | TrainError::WeightsNotFinite { .. }), _) => {
            FromWorker::Error { message: format!("{diverged}; the last good model is kept") }
        }
        (other, _) => FromWorker::Error { message: other.to_string() },
    }
}

fn error(message: impl Into<String>) -> FromWorker {
    FromWorker::Error { message: message.into() }
}

/// The current model as a model file with its settings and history, for the page to keep.
fn post_checkpoint(weights: &Weights, digits: Digits, epoch_end: bool) {
    let record = with(|s| TrainingRecord { settings: s.settings.clone(), history: s.history.clone() });
    let file = ModelFile { weights: weights.clone(), digits, record: record.to_json() };
    post(&FromWorker::Checkpoint { file: file.to_bytes(), epoch_end });
}

fn post_memory() {
    let device = with(|s| s.device.clone());
    let gpu = device.and_then(|(device, kind)| (kind == DeviceKind::WebGpu).then(|| device::memory(&device)).flatten());
    post(&FromWorker::Memory { wasm_bytes: crate::wasm_memory_bytes(), gpu });
}

async fn train(mut settings: Settings, resume: bool) -> Result<(), FromWorker> {
    // The page's form checks these too; a message from elsewhere gets the same answer.
    settings.validate().map_err(|e| error(format!("training refused: {e}")))?;
    let (device, kind) = with(|s| s.device.clone()).ok_or_else(|| error("no device yet: wait for the device badge"))?;
    let failed = device_failure(kind);
    let dispatches = move || if kind == DeviceKind::WebGpu { device::dispatches() } else { None };
    let config = TrainConfig::from(&settings).with_report_every(REPORT_EVERY).with_ops(with(|s| s.ops));
    let resumed = if resume {
        let (model, digits) = with(|s| s.model.clone()).ok_or_else(|| error("there is no model to continue: press Train"))?;
        if digits != settings.digits {
            return Err(error(format!("the model tells {}: set Digits to {digits} to continue it", digits.describe())));
        }
        // Continue trains the model as it is: its network, whatever the knobs now say (they
        // describe what Train would build). The run's settings say which network ran.
        settings.shape = model.shape();
        settings.frozen.retain(|&f| f < settings.shape.filters);
        Some(model)
    } else {
        None
    };
    // This run supersedes any other from here on, as the split may take a download (the t10k
    // files): a Train, Stop, Reset or import meanwhile wins, and this one ends without a word.
    let run = with(|s| {
        s.run += 1;
        s.run
    });
    let current = move || with(|s| s.run == run);
    let split = split(settings.digits).await.map_err(error)?;
    if !current() {
        return Ok(());
    }
    with(|s| {
        s.settings = Some(settings.clone());
        if !resume {
            s.history.clear();
        }
    });
    let resumed_from = with(|s| s.history.len());
    let mut trainer = match resumed {
        Some(model) => Trainer::with_model(&split, config, model, &device),
        None => Trainer::new(&split, config, &device).map_err(|e| error(e.to_string()))?,
    };
    let steps_per_epoch = trainer.steps_per_epoch();
    post(&FromWorker::Training { settings: settings.clone(), steps_per_epoch, resumed_from });
    post_preview(&split);
    // The page's drawings are read by a plain model built from the latest weights read back.
    let publish = |weights: &Weights| with(|s| s.model = Some((Model::from_weights(weights, &device), split.digits)));
    let weights = trainer.weights().await.map_err(&failed)?;
    publish(&weights);
    post_filters(&weights);

    // The core's loop (`Trainer::next`) takes the steps and says what to report. Dispatches
    // per step count the epoch's steps only: from its start to its last step's report.
    let mut dispatches_before = dispatches();
    let mut dispatches_at_last_step = None;
    while let Some(progress) = trainer.next().await.map_err(&failed)? {
        // A Stop, Reset, Import or filter edit came in while the steps ran: this run's model is
        // no longer the current one, so nothing of it is published.
        if !current() {
            post(&FromWorker::Stopped);
            return Ok(());
        }
        match progress {
            Progress::Step { epoch, step, steps_per_epoch, loss } => {
                post(&FromWorker::Step { epoch: resumed_from + epoch, step, steps_per_epoch, loss: loss.unwrap_or(f32::NAN) });
                if step == steps_per_epoch {
                    // Its loss was read back, so every step's dispatches have been issued.
                    dispatches_at_last_step = dispatches();
                }
                // Publish only finite weights (the core refuses others): a diverging run keeps
                // the last good model.
                let weights = trainer.weights().await.map_err(&failed)?;
                if !current() {
                    post(&FromWorker::Stopped);
                    return Ok(());
                }
                post_filters(&weights);
                post_checkpoint(&weights, split.digits, false);
                publish(&weights);
                // Let Stop, Reset and Classify messages in.
                crate::yield_now::yield_now().await;
                if !current() {
                    post(&FromWorker::Stopped);
                    return Ok(());
                }
            }
            Progress::Epoch(m) => {
                let mut row = m.row(resumed_from, settings.epochs, settings.optimizer);
                row.dispatches_per_step = dispatches_at_last_step.zip(dispatches_before).map(|(after, before)| (after - before) / steps_per_epoch as f64);
                with(|s| s.history.push(row.clone()));
                post(&FromWorker::Epoch { row });
                post_filters(&m.weights);
                post_checkpoint(&m.weights, split.digits, true);
                post_memory();
                publish(&m.weights);
                post_confusion().await.map_err(error)?;
                // The test set's evaluation and the confusion matrix are not steps.
                dispatches_before = dispatches();
            }
        }
    }
    post(&FromWorker::Finished);
    Ok(())
}

/// Makes a model file the current model, or says why not (the current model is then untouched).
fn import(bytes: &[u8], source: ModelSource) {
    let refuse = |reason: String| post(&FromWorker::ImportRefused { source: source.clone(), reason });
    let file = match ModelFile::from_bytes(bytes) {
        Ok(file) => file,
        Err(e) => return refuse(e.to_string()),
    };
    let shape = file.weights.shape;
    let mut record = match TrainingRecord::from_json(&file.record) {
        Ok(record) => record,
        Err(e) => return refuse(format!("the model file is not usable: {e}")),
    };
    // The weights' shape is the model's, whatever the record says (older records have none).
    if let Some(settings) = record.settings.as_mut() {
        settings.shape = shape;
    }
    let Some((device, _)) = with(|s| s.device.clone()) else {
        return refuse("no device yet: wait for the device badge".into());
    };
    let model = Model::from_weights(&file.weights, &device);
    with(|s| {
        // Stops a run in progress: its model is being replaced.
        s.run += 1;
        s.model = Some((model, file.digits));
        s.settings = record.settings.clone();
        s.history = record.history.clone();
    });
    post(&FromWorker::Restored { source, digits: file.digits, shape, settings: record.settings, history: record.history });
    post_filters(&file.weights);
    // The page keeps it (and stores it) like any checkpoint: Export then hands out this model.
    post_checkpoint(&file.weights, file.digits, true);
    spawn_local(async {
        if let Err(message) = post_confusion().await {
            post(&FromWorker::Error { message });
        }
    });
}

async fn classify(ink: &[u8], width: usize, height: usize) -> Result<(), String> {
    let image = match drawing::to_mnist(ink, width, height) {
        Ok(image) => image,
        Err(e) => return Ok(post(&FromWorker::DrawingRefused { reason: e.to_string() })),
    };
    let (model, digits) = with(|s| s.model.clone()).ok_or("train the model first, then draw")?;
    let explanation = model.explain(&image).await.map_err(|e| e.to_string())?;
    // Softmax of the logits: the model's log-softmax, exponentiated.
    let top = explanation.logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = explanation.logits.iter().map(|l| (l - top).exp()).collect();
    let probabilities = e.iter().map(|v| v / e.iter().sum::<f32>()).collect();
    post(&FromWorker::Prediction { digits, probabilities, image, explanation });
    Ok(())
}
