//! The worker's one session: its state, and what it does with each message. The work itself is
//! in `impl Session` blocks by subject: `data.rs` (the device and MNIST), `train.rs` (the training
//! loop), `model.rs` (imports, filter edits, drawings, the confusion matrix).
//!
//! Async tasks (training, downloads, reads from the device) share the session; each checks with
//! [`Session::check`] after an await that no later message took its model over.

use std::{
    cell::{RefCell, RefMut},
    future::Future,
    rc::Rc,
};

use filterlab_core::{Digits, Mnist, Model, Split, Weights, burn::prelude::*, model_file::ModelFile};
use filterlab_protocol::{
    DeviceKind, EpochRow, Filters, FromWorker, Memory, MyDigit, Ops, Settings, ToWorker, TrainingRecord,
};
use wasm_bindgen_futures::spawn_local;

use crate::{
    device,
    error::{Superseded, WorkerError},
    post,
};

#[derive(Default)]
pub struct State {
    pub device: Option<(Device, DeviceKind)>,
    /// Fused training steps, or Burn's stock path (`?ops=stock`).
    pub ops: Ops,
    /// Where the page is: the MNIST files are under it.
    pub base_url: String,
    /// The MNIST train file, loaded at start.
    pub mnist: Option<Rc<Mnist>>,
    /// The t10k file, loaded the first time all ten digits are asked for.
    pub t10k: Option<Rc<Mnist>>,
    pub split: Option<Rc<Split>>,
    /// The latest model (without autodiff), for classifying drawings during and after training.
    pub model: Option<(Model, Digits)>,
    /// What the current model went through, for its checkpoints: the latest run's settings and
    /// every finished epoch.
    pub settings: Option<Settings>,
    pub history: Vec<EpochRow>,
    /// The test set of the latest confusion matrix and the model's class probabilities for each
    /// of its images, for the matrix's cells.
    pub test_probabilities: Option<(Rc<Split>, Vec<Vec<f32>>)>,
    /// The user's kept digits, as the page last sent them.
    pub my_digits: Rc<Vec<MyDigit>>,
    /// Bumped by everything that takes the model over: a task holding an older [`Run`] is
    /// superseded.
    run: u64,
}

/// Which model a task works on: the one current when it began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run(u64);

/// What the page gets with a published model: its file too, and whether to store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// The filters only (a run's fresh model, before its first report).
    None,
    /// The file to keep in memory (a report within an epoch).
    Step,
    /// The file to keep and store (an epoch's end, an import, a filter set by hand).
    Store,
}

/// The worker's state, shared by the message handler and the tasks it starts.
#[derive(Clone, Default)]
pub struct Session(Rc<RefCell<State>>);

impl Session {
    pub fn handle(&self, message: ToWorker) {
        match message {
            ToWorker::Start { device, base_url, calibrate, ops } => {
                self.with(|s| {
                    s.ops = ops;
                    s.base_url = base_url;
                });
                self.spawn(self.clone().start(device, calibrate));
            }
            ToWorker::Train { settings, resume } => {
                let session = self.clone();
                spawn_local(async move {
                    if let Err(e) = session.train(settings, resume).await {
                        e.post();
                    }
                    session.post_memory();
                })
            }
            ToWorker::Import { bytes, source } => {
                if let Err(e) = self.import(&bytes, source) {
                    e.post();
                }
            }
            ToWorker::Stop => {
                self.begin();
            }
            ToWorker::Reset => {
                self.forget_model();
                post(&FromWorker::ResetDone);
                self.post_memory();
            }
            ToWorker::Classify { width, height, ink } => {
                let session = self.clone();
                self.spawn(async move { session.classify(&ink, width as usize, height as usize).await })
            }
            ToWorker::Examples { actual, predicted } => {
                if let Err(e) = self.examples(actual, predicted) {
                    e.post();
                }
            }
            ToWorker::SetFilter { filter, weights, bias } => {
                let session = self.clone();
                self.spawn(async move { session.set_filter(filter, &weights, bias).await })
            }
            ToWorker::Work { image, cell } => {
                let session = self.clone();
                self.spawn(async move { session.work(&image, cell).await })
            }
            ToWorker::MyDigits { set } => {
                self.with(|s| s.my_digits = Rc::new(set));
                let session = self.clone();
                self.spawn(async move { session.post_my_score().await })
            }
        }
    }

    /// Runs a task to its end, telling the page why if it ended early.
    fn spawn(&self, task: impl Future<Output = Result<(), WorkerError>> + 'static) {
        spawn_local(async move {
            if let Err(e) = task.await {
                e.post();
            }
        });
    }

    /// The state, briefly: never held across an await.
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state())
    }

    fn state(&self) -> RefMut<'_, State> {
        self.0.borrow_mut()
    }

    /// Takes the model over: tasks begun before this are superseded.
    pub fn begin(&self) -> Run {
        let mut s = self.state();
        s.run += 1;
        Run(s.run)
    }

    /// Whether `run`'s model is still the current one.
    pub fn check(&self, run: Run) -> Result<(), Superseded> {
        if self.state().run == run.0 { Ok(()) } else { Err(Superseded) }
    }

    /// The run current now, for a task that reads the model without taking it over.
    pub fn current(&self) -> Run {
        Run(self.state().run)
    }

    /// Forgets the model and what it went through (Reset, or a new device: the model lived on
    /// the old one, and the page gives it back).
    pub fn forget_model(&self) -> Run {
        let run = self.begin();
        self.with(|s| {
            s.model = None;
            s.settings = None;
            s.history.clear();
            s.test_probabilities = None;
        });
        run
    }

    pub fn device(&self) -> Result<(Device, DeviceKind), WorkerError> {
        self.with(|s| s.device.clone()).ok_or_else(|| "no device yet: wait for the device badge".into())
    }

    pub fn model(&self) -> Option<(Model, Digits)> {
        self.with(|s| s.model.clone())
    }

    /// Makes these weights the current model (drawings are read by a plain model built from
    /// them) and shows them: the filters, and as asked the model file.
    pub fn publish(&self, weights: &Weights, digits: Digits, device: &Device, checkpoint: Checkpoint) {
        self.with(|s| s.model = Some((Model::from_weights(weights, device), digits)));
        post(&FromWorker::Filters(Filters::from(weights)));
        if checkpoint == Checkpoint::None {
            return;
        }
        // The model file carries its settings and history, for the page to keep.
        let record = self.with(|s| TrainingRecord { settings: s.settings.clone(), history: s.history.clone() });
        let file = ModelFile { weights: weights.clone(), digits, record: record.to_json() };
        post(&FromWorker::Checkpoint { file: file.to_bytes(), epoch_end: checkpoint == Checkpoint::Store });
    }

    pub fn post_memory(&self) {
        let device = self.with(|s| s.device.clone());
        let gpu = device.and_then(|(device, kind)| (kind == DeviceKind::WebGpu).then(|| device::memory(&device)).flatten());
        post(&FromWorker::Memory(Memory { wasm_bytes: crate::wasm_memory_bytes(), gpu }));
    }
}
