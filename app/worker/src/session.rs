//! The worker's state and what it does with each message. Training runs as one async task that
//! yields to the event loop every few steps, so Stop and Classify are handled while it runs.

use std::{cell::RefCell, rc::Rc};

use filterlab_core::{
    DigitPair, Mnist, Model, Split, TrainConfig, Trainer, Weights,
    burn::{module::Module, prelude::*},
    dataset::{TRAIN_IMAGES, TRAIN_LABELS},
    drawing, model,
    training::TrainError,
};
use filterlab_protocol::{DeviceKind, DevicePref, EpochRow, FromWorker, ParamRow, Settings, ToWorker};
use wasm_bindgen_futures::spawn_local;

use crate::{
    auto::{self, Plan},
    download,
    gpu::{self, Started},
    post,
};

/// Steps between loss read-backs, filter updates and yields to the event loop.
const REPORT_EVERY: usize = 10;

#[derive(Default)]
struct State {
    device: Option<(Device, DeviceKind)>,
    mnist: Option<Rc<Mnist>>,
    split: Option<Rc<Split>>,
    /// The latest model (without autodiff), for classifying drawings during and after training.
    model: Option<(Model, DigitPair)>,
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
        ToWorker::Start { device, base_url, calibrate } => spawn_local(start(device, base_url, calibrate)),
        ToWorker::Train { settings } => spawn_local(async move {
            if let Err(e) = train(settings).await {
                post(&FromWorker::Error { message: e });
            }
        }),
        ToWorker::Stop => with(|s| s.run += 1),
        ToWorker::Reset => {
            with(|s| {
                s.run += 1;
                s.model = None;
            });
            post(&FromWorker::ResetDone);
        }
        ToWorker::Classify { width, height, ink } => spawn_local(async move {
            if let Err(message) = classify(&ink, width as usize, height as usize).await {
                post(&FromWorker::Error { message });
            }
        }),
    }
}

async fn start(pref: DevicePref, base_url: String, calibrate: bool) {
    let run = with(|s| {
        s.run += 1;
        s.model = None;
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
        pref => Plan::Decided(gpu::start(pref).await),
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
    let params = model::param_table()
        .into_iter()
        .map(|p| ParamRow { name: p.name.into(), count: p.count(), shape: p.shape })
        .collect();
    post(&FromWorker::Model { params });
    if with(|s| s.mnist.is_none()) {
        match load_mnist(&base_url).await {
            Ok(mnist) => with(|s| s.mnist = Some(Rc::new(mnist))),
            Err(message) => return post(&FromWorker::Error { message }),
        }
    }
    let split = match split(DigitPair::default()) {
        Ok(split) => split,
        Err(message) => return post(&FromWorker::Error { message }),
    };
    if let Some(webgpu) = to_calibrate {
        post(&FromWorker::Calibrating);
        let started = auto::calibrate(&split, webgpu).await;
        if !current() {
            return;
        }
        use_device(started);
    }
    post(&FromWorker::DataReady { train: split.train.len(), test: split.test.len(), digits: split.pair });
}

async fn load_mnist(base_url: &str) -> Result<Mnist, String> {
    let mut done = 0u64;
    let mut files = Vec::new();
    // Labels first: small, so the bar's total is known for the big file.
    for name in [TRAIN_LABELS, TRAIN_IMAGES] {
        let url = format!("{base_url}mnist/{name}");
        let bytes = download::fetch(&url, |loaded, total| {
            post(&FromWorker::DataProgress { loaded: done + loaded, total: total.map(|t| done + t) });
        })
        .await?;
        done += bytes.len() as u64;
        files.push(bytes);
    }
    Mnist::from_idx(&files[1], &files[0]).map_err(|e| format!("the MNIST data is damaged: {e}"))
}

/// The split for a digit pair, made once and kept.
fn split(digits: DigitPair) -> Result<Rc<Split>, String> {
    if let Some(split) = with(|s| s.split.clone()).filter(|s| s.pair == digits) {
        return Ok(split);
    }
    let mnist = with(|s| s.mnist.clone()).ok_or("the MNIST data is not loaded yet")?;
    let split = Rc::new(Split::new(&mnist, digits).map_err(|e| e.to_string())?);
    with(|s| s.split = Some(split.clone()));
    Ok(split)
}

fn post_filters(w: &Weights) {
    post(&FromWorker::Filters { weights: w.conv_weight.clone(), biases: w.conv_bias.clone() });
}

fn device_error(e: TrainError) -> String {
    match e {
        TrainError::Device(why) => format!("the GPU device failed (it may have been lost): {why}. Switch device or reload to go on."),
        other => other.to_string(),
    }
}

async fn train(settings: Settings) -> Result<(), String> {
    settings.validate().map_err(|e| e.to_string())?;
    let (device, kind) = with(|s| s.device.clone()).ok_or("no device yet: wait for the device badge")?;
    let dispatches = move || if kind == DeviceKind::WebGpu { gpu::dispatches() } else { None };
    let split = split(settings.digits)?;
    let config = TrainConfig::from(&settings).with_report_every(REPORT_EVERY);
    let run = with(|s| {
        s.run += 1;
        s.run
    });
    let current = move || with(|s| s.run == run);
    let mut trainer = Trainer::new(&split, config, &device).map_err(|e| e.to_string())?;
    let steps_per_epoch = trainer.steps_per_epoch();
    post(&FromWorker::Training { settings: settings.clone(), steps_per_epoch });
    let publish = |trainer: &Trainer| with(|s| s.model = Some((trainer.model().valid(), split.pair)));
    publish(&trainer);
    post_filters(&trainer.model().weights().await.map_err(|e| device_error(e.into()))?);

    for _ in 0..settings.epochs {
        let dispatches_before = dispatches();
        while trainer.step() {
            let step = trainer.step_in_epoch();
            // Step 1 too, so the page sees the first finished step as soon as it is done.
            if step == 1 || step % REPORT_EVERY == 0 || step == steps_per_epoch {
                let loss = trainer.last_loss().await.map_err(device_error)?.unwrap_or(f32::NAN);
                post(&FromWorker::Step { epoch: trainer.epochs_done() + 1, step, steps_per_epoch, loss });
                let weights = trainer.model().weights().await.map_err(|e| device_error(e.into()))?;
                // Publish only finite weights: a diverging run keeps the last good model.
                if !weights.is_finite() {
                    return Err(format!("the weights became NaN or infinite at epoch {}: training diverged (try a smaller learning rate); the last good model is kept", trainer.epochs_done() + 1));
                }
                post_filters(&weights);
                publish(&trainer);
                // Let Stop, Reset and Classify messages in.
                crate::yield_now::yield_now().await;
                if !current() {
                    post(&FromWorker::Stopped);
                    return Ok(());
                }
            }
        }
        // The last step's loss was read back above, so every step's dispatches have been issued.
        let dispatches_per_step = dispatches().zip(dispatches_before).map(|(after, before)| (after - before) / steps_per_epoch as f64);
        let m = trainer.finish_epoch().await.map_err(device_error)?;
        post(&FromWorker::Epoch {
            row: EpochRow {
                epoch: m.epoch,
                epochs: settings.epochs,
                optimizer: settings.optimizer,
                train_loss: m.train_loss,
                train_acc: m.train_acc,
                test_loss: m.test_loss,
                test_acc: m.test_acc,
                seconds: m.seconds,
                dispatches_per_step,
            },
        });
        post_filters(&m.weights);
        publish(&trainer);
    }
    post(&FromWorker::Finished);
    Ok(())
}

async fn classify(ink: &[u8], width: usize, height: usize) -> Result<(), String> {
    let image = match drawing::to_mnist(ink, width, height) {
        Ok(image) => image,
        Err(e) => return Ok(post(&FromWorker::DrawingRefused { reason: e.to_string() })),
    };
    let (model, digits) = with(|s| s.model.clone()).ok_or("train the model first, then draw")?;
    let device = model.conv1.weight.val().device();
    let input = Tensor::<2>::from_data(TensorData::new(image.clone(), [1, 784]), &device);
    let probs = model.forward_flat(input).exp().into_data_async().await.map_err(|e| format!("{e:?}"))?;
    let p = probs.convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))?;
    post(&FromWorker::Prediction { digits, probabilities: [p[0], p[1]], image });
    Ok(())
}
