//! Everything the page shows, as one plain struct, and how each worker message changes it.
//! The page's components only read it; what must happen outside it (a message to the worker,
//! saving the model in the browser, classifying the drawing again) comes back as [`Effect`]s.

use filterlab_protocol::{
    Confusion, DeviceKind, DevicePref, Digits, EpochRow, Example, Explanation, FromWorker, GpuMemory, ModelSource,
    NetShape, OptimizerKind, Settings, ToWorker, insight,
};

use crate::{address::Address, form::Form, presets::Preset};

/// The device the worker trains on.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceInfo {
    pub kind: DeviceKind,
    pub name: String,
    /// Why it is not the one asked for, or why Auto chose it.
    pub note: Option<String>,
}

/// The data set's download.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub loaded: u64,
    pub total: Option<u64>,
}

/// One reported training step's loss, at `at` epochs (fractional: 1.5 is half-way through the 2nd).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchLoss {
    pub at: f64,
    pub loss: f64,
}

/// The model's filters (filters × k × k row-major; the notebook's eight 3×3) and their biases.
#[derive(Clone, Debug, PartialEq)]
pub struct Filters {
    pub shape: NetShape,
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

/// The filter being edited by hand: its k×k weights then its bias, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterEdit {
    pub filter: usize,
    pub kernel: usize,
    pub draft: Vec<String>,
}

impl FilterEdit {
    /// The typed numbers: (weights, bias), or what is wrong.
    pub fn values(&self) -> Result<(Vec<f32>, f32), String> {
        let mut numbers = Vec::with_capacity(self.draft.len());
        for (i, text) in self.draft.iter().enumerate() {
            let place = if i + 1 == self.draft.len() { "the bias".to_string() } else { format!("weight ({}, {})", i / self.kernel + 1, i % self.kernel + 1) };
            let v: f32 = text.trim().parse().map_err(|_| format!("{place}: {text:?} is not a number"))?;
            if !v.is_finite() {
                return Err(format!("{place}: {text:?} is not a finite number"));
            }
            numbers.push(v);
        }
        let bias = numbers.pop().unwrap_or_default();
        Ok((numbers, bias))
    }
}

/// What the model made of the drawing on the pad.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub digits: Digits,
    /// One per class.
    pub probabilities: Vec<f32>,
    /// The 28×28 image the network saw.
    pub image: Vec<f32>,
    pub explanation: Explanation,
}

impl Prediction {
    /// The class it picks.
    pub fn class(&self) -> usize {
        insight::predicted(&self.probabilities)
    }

    /// The digit it reads.
    pub fn digit(&self) -> u8 {
        self.digits.digit(self.class())
    }
}

/// The test set's confusion matrix after `epochs` epochs.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfusionView {
    pub digits: Digits,
    pub epochs: usize,
    pub matrix: Confusion,
}

/// Test images of one confusion-matrix cell: the first `examples.len()` of `total`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleSet {
    pub actual: usize,
    pub predicted: usize,
    pub total: usize,
    pub examples: Vec<Example>,
}

/// A few training images of each class (`images[class]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub digits: Digits,
    pub images: Vec<Vec<Vec<f32>>>,
}

/// The worker's memory figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Memory {
    pub wasm_bytes: u64,
    pub gpu: Option<GpuMemory>,
}

/// A finished (or stopped) run, kept for comparison on the charts.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub id: usize,
    pub label: String,
    pub history: Vec<EpochRow>,
    /// Drawn on the charts.
    pub overlay: bool,
}

/// What went wrong with the worker itself, and so which way back the page offers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Failure {
    /// The GPU device was lost: go on on the CPU with the latest checkpoint.
    DeviceLost,
    /// The worker panicked or died: start a new one with the latest checkpoint.
    Crashed,
}

/// What the page must do outside its state after a change.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Send(ToWorker),
    /// Store this model file in the browser; it holds `epochs` epochs.
    Save { file: Vec<u8>, epochs: usize },
    /// Classify the drawing on the pad again (the model changed).
    Reclassify,
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    /// One line on what is happening and what to do next.
    pub status: String,
    /// The device asked for (the toggle).
    pub pref: DevicePref,
    /// The device in use, once started.
    pub device: Option<DeviceInfo>,
    pub progress: Option<Progress>,
    pub data_ready: bool,
    pub training: bool,
    /// The settings of the run in progress, for its entry in the run list.
    pub running: Option<Settings>,
    pub used_optimizer: Option<OptimizerKind>,
    /// The current model's epochs.
    pub history: Vec<EpochRow>,
    pub batches: Vec<BatchLoss>,
    /// Epochs the charts' x axis spans.
    pub total_epochs: usize,
    pub filters: Option<Filters>,
    pub prediction: Option<Prediction>,
    /// Why the drawing was not classified.
    pub refused: Option<String>,
    pub error: Option<String>,
    pub failure: Option<Failure>,
    /// Something the user should know that stops nothing (the model can't be saved here).
    pub notice: Option<String>,
    pub memory: Option<Memory>,
    /// When the first training step of this page's life finished (ms since open), for the benchmark.
    pub first_step_ms: Option<f64>,
    pub confusion: Option<ConfusionView>,
    pub examples: Option<ExampleSet>,
    pub preview: Option<Preview>,
    pub runs: Vec<Run>,
    /// The latest model file from the worker: kept across device switches, worker restarts and
    /// lost GPUs, stored after each epoch, and what Export downloads.
    pub checkpoint: Option<Vec<u8>>,
    /// A model file to give the worker once its data is ready (saved, kept, or being imported).
    pub restore: Option<(Vec<u8>, ModelSource)>,
    /// Epochs of the model stored in this browser, once stored.
    pub saved_epochs: Option<usize>,
    pub form: Form,
    /// The address named settings: they win over a restored model's.
    pub link_settings: bool,
    /// The filter open in the filter editor.
    pub edit: Option<FilterEdit>,
    /// Presets of random filters given so far (each one differs).
    pub randoms: u32,
}

impl PageState {
    pub fn new(address: &Address) -> Self {
        Self {
            status: "Starting the training worker…".into(),
            pref: address.device,
            device: None,
            progress: None,
            data_ready: false,
            training: false,
            running: None,
            used_optimizer: None,
            history: Vec::new(),
            batches: Vec::new(),
            total_epochs: Settings::default().epochs,
            filters: None,
            prediction: None,
            refused: None,
            error: None,
            failure: None,
            notice: None,
            memory: None,
            first_step_ms: None,
            confusion: None,
            examples: None,
            preview: None,
            runs: Vec::new(),
            checkpoint: None,
            restore: None,
            saved_epochs: None,
            form: address.form.clone(),
            link_settings: address.names_settings,
            edit: None,
            randoms: 0,
        }
    }

    /// The state after a worker message; `now_ms` is the time since the page opened.
    pub fn apply(&mut self, message: FromWorker, now_ms: f64) -> Vec<Effect> {
        let mut effects = Vec::new();
        match message {
            FromWorker::Ready => self.status = "Worker ready; starting the device…".into(),
            FromWorker::Device { kind, name, note } => self.device = Some(DeviceInfo { kind, name, note }),
            FromWorker::Calibrating => self.status = "Auto: timing a few training steps on WebGPU and on the CPU…".into(),
            FromWorker::DataProgress { loaded, total } => {
                self.progress = Some(Progress { loaded, total });
                // Later downloads (the t10k files, for all ten digits) leave the status as it is.
                if !self.data_ready {
                    self.status = "Loading MNIST…".into();
                }
            }
            FromWorker::DataReady { train, test, digits } => {
                self.data_ready = true;
                self.status = format!("Ready: {train} training and {test} test images ({}). Press Train.", digits.describe());
                effects.extend(self.take_restore());
            }
            FromWorker::Training { settings, resumed_from, .. } => {
                self.training = true;
                self.used_optimizer = Some(settings.optimizer);
                self.total_epochs = resumed_from + settings.epochs;
                if resumed_from == 0 {
                    self.history.clear();
                    self.batches.clear();
                }
                self.error = None;
                self.notice = None;
                self.status = format!("Training with {} (lr {})…", settings.optimizer, settings.lr);
                self.running = Some(settings);
            }
            FromWorker::Step { epoch, step, steps_per_epoch, loss } => {
                self.first_step_ms.get_or_insert(now_ms);
                self.batches.push(BatchLoss { at: epoch as f64 - 1.0 + step as f64 / steps_per_epoch as f64, loss: loss as f64 });
                self.status = format!("Training: epoch {epoch}, step {step}/{steps_per_epoch}, batch loss {loss:.4}");
            }
            FromWorker::Epoch { row } => {
                self.history.push(row);
                // The feature maps follow the model.
                if self.prediction.is_some() {
                    effects.push(Effect::Reclassify);
                }
            }
            FromWorker::Confusion { digits, epochs, matrix } => {
                self.confusion = Some(ConfusionView { digits, epochs, matrix });
                self.examples = None;
            }
            FromWorker::Examples { actual, predicted, total, examples } => {
                // An answer about a matrix no longer shown (another model's classes) is dropped.
                let fits = |c: usize| c < self.confusion.as_ref().map_or(0, |m| m.matrix.len());
                if fits(actual) && fits(predicted) && examples.iter().all(|x| x.probabilities.len() > actual) {
                    self.examples = Some(ExampleSet { actual, predicted, total, examples });
                }
            }
            FromWorker::Preview { digits, images } => self.preview = Some(Preview { digits, images }),
            FromWorker::Filters { shape, weights, biases } => {
                // Freeze ticks are for this model's filters.
                self.form.frozen.retain(|&f| f < shape.filters);
                self.filters = Some(Filters { shape, weights, biases });
                // The editor shows the model's numbers (a filter it no longer has closes it).
                if let Some(f) = self.edit.as_ref().map(|e| e.filter) {
                    self.edit_filter(f);
                }
            }
            FromWorker::FilterSet { filter } => {
                self.status = format!("Filter {filter} set by hand. The drawing's maps, its prediction and the confusion matrix follow; Continue trains from here.");
                if self.prediction.is_some() {
                    effects.push(Effect::Reclassify);
                }
            }
            FromWorker::Prediction { digits, probabilities, image, explanation } => {
                self.refused = None;
                self.prediction = Some(Prediction { digits, probabilities, image, explanation });
            }
            FromWorker::DrawingRefused { reason } => {
                self.prediction = None;
                self.refused = Some(reason);
            }
            FromWorker::Checkpoint { file, epoch_end } => {
                if epoch_end {
                    effects.push(Effect::Save { file: file.clone(), epochs: self.history.len() });
                }
                self.checkpoint = Some(file);
            }
            FromWorker::Restored { source, digits, shape, settings, history } => {
                let n = history.len();
                let linked = matches!(source, ModelSource::Saved) && self.link_settings;
                match settings.as_ref() {
                    Some(s) if !linked => self.form = Form::from_settings(s),
                    // No settings in the file: no ticks from the model before it.
                    None if !linked => self.form.frozen.clear(),
                    _ => {}
                }
                // Continue needs the model's own digits, and network (unless a link named one:
                // the link's settings win, and Continue says why it cannot go on).
                self.form.set_digits(digits);
                if !linked {
                    self.form.set_shape(shape);
                }
                self.total_epochs = n.max(1);
                self.used_optimizer = settings.map(|s| s.optimizer);
                self.history = history;
                self.batches.clear();
                self.prediction = None;
                let from = match source {
                    ModelSource::Saved => "Restored the saved model".to_string(),
                    ModelSource::File { name } => format!("Imported {name}"),
                };
                self.status = format!("{from} ({}, {} trained). Draw a digit, or press Continue to train it further.", digits.describe(), epochs(n));
            }
            FromWorker::ImportRefused { source, reason } => {
                let what = match source {
                    ModelSource::Saved => "The saved model could not be restored".to_string(),
                    ModelSource::File { name } => format!("{name} was not imported"),
                };
                self.error = Some(format!("{what}: {reason}. The current model is unchanged."));
            }
            FromWorker::Memory { wasm_bytes, gpu } => self.memory = Some(Memory { wasm_bytes, gpu }),
            FromWorker::DeviceLost { message } => {
                self.training = false;
                self.status = "The GPU is gone; the model is kept. Continue on the CPU.".into();
                self.failure = Some(Failure::DeviceLost);
                self.error = Some(message);
            }
            FromWorker::Crashed { message } => {
                self.training = false;
                self.status = "The training worker crashed; the model is kept. Restart it.".into();
                self.failure = Some(Failure::Crashed);
                self.error = Some(format!("the training worker crashed: {message}"));
            }
            FromWorker::Stopped => {
                self.keep_run();
                self.training = false;
                self.status = "Stopped.".into();
            }
            FromWorker::Finished => {
                self.keep_run();
                self.training = false;
                self.status = "Finished. Draw a digit to test the model.".into();
            }
            FromWorker::ResetDone => {
                self.training = false;
                self.status = "Reset: the model is forgotten. Press Train.".into();
            }
            FromWorker::Error { message } => {
                self.training = false;
                self.status = "Something went wrong; see the message below.".into();
                self.error = Some(message);
            }
        }
        effects
    }

    /// The worker died without a word from its panic hook (an error event): say so, unless the
    /// panic hook's message (which says more) is already shown.
    pub fn worker_died(&mut self, message: String) {
        self.training = false;
        if self.failure != Some(Failure::Crashed) {
            self.failure = Some(Failure::Crashed);
            self.error = Some(message);
        }
    }

    /// A new device or worker is starting: the latest checkpoint goes back in once it has its data.
    pub fn restart(&mut self, to: DevicePref) {
        self.pref = to;
        self.device = None;
        self.training = false;
        self.data_ready = false;
        self.error = None;
        self.failure = None;
        if let Some(bytes) = self.checkpoint.clone() {
            self.restore = Some((bytes, ModelSource::Saved));
        }
    }

    /// A model saved by an earlier visit, read from the browser's storage: it is restored once
    /// the worker has its data (now, if it has), unless another model is already on its way.
    pub fn saved_model_found(&mut self, bytes: Vec<u8>) -> Vec<Effect> {
        if self.restore.is_some() {
            return Vec::new();
        }
        self.restore = Some((bytes.clone(), ModelSource::Saved));
        self.checkpoint = Some(bytes);
        if self.data_ready { self.take_restore().into_iter().collect() } else { Vec::new() }
    }

    /// The message that starts a run with the form's settings (`resume`: go on with the current
    /// model), if the form is valid. A new run dismisses the last run's error.
    pub fn train(&mut self, resume: bool) -> Option<ToWorker> {
        let mut settings = self.form.settings().ok()?;
        // Continue trains the model as it is: its network, and the ticks on its filters.
        if let (true, Some(model)) = (resume, self.filters.as_ref()) {
            settings.shape = model.shape;
            settings.frozen = self.form.frozen.iter().copied().filter(|&f| f < model.shape.filters).collect();
        }
        self.error = None;
        Some(ToWorker::Train { settings, resume })
    }

    /// Opens filter `f` of the current model in the editor (closes it when there is no such filter).
    pub fn edit_filter(&mut self, f: usize) {
        self.edit = self.filters.as_ref().filter(|m| f < m.shape.filters).map(|m| {
            let taps = m.shape.taps();
            let mut draft: Vec<String> = m.weights[f * taps..(f + 1) * taps].iter().map(|&v| short(v)).collect();
            draft.push(short(m.biases[f]));
            FilterEdit { filter: f, kernel: m.shape.kernel, draft }
        });
    }

    /// The message that sets the edited filter to the typed numbers, if they are numbers (else
    /// the reason shows as the error).
    pub fn apply_edit(&mut self) -> Option<ToWorker> {
        let edit = self.edit.as_ref()?;
        match edit.values() {
            Ok((weights, bias)) => Some(ToWorker::SetFilter { filter: edit.filter, weights, bias }),
            Err(e) => {
                self.error = Some(format!("Filter {} was not set: {e}.", edit.filter));
                None
            }
        }
    }

    /// Fills the edited filter with a preset (bias 0) and sets it.
    pub fn apply_preset(&mut self, preset: Preset) -> Option<ToWorker> {
        let edit = self.edit.as_mut()?;
        if preset == Preset::Random {
            self.randoms += 1;
        }
        let weights = preset.weights(edit.kernel, self.randoms);
        edit.draft = weights.iter().map(|&v| short(v)).chain(["0".to_string()]).collect();
        Some(ToWorker::SetFilter { filter: edit.filter, weights, bias: 0.0 })
    }

    /// Forgets the model here (the worker and the browser's storage are told by the caller).
    pub fn reset(&mut self) {
        self.edit = None;
        self.form.frozen.clear();
        self.history.clear();
        self.batches.clear();
        self.filters = None;
        self.prediction = None;
        self.used_optimizer = None;
        self.confusion = None;
        self.examples = None;
        self.checkpoint = None;
        self.restore = None;
        self.saved_epochs = None;
    }

    /// The network the parameter table shows: the current model's, or before there is one, the
    /// one Train would build (when the knobs describe a possible one).
    pub fn shown_shape(&self) -> Option<NetShape> {
        match &self.filters {
            Some(f) => Some(f.shape),
            None => self.form.shape().filter(|s| s.validate().is_ok()),
        }
    }

    pub fn can_train(&self) -> bool {
        !self.training && self.data_ready && self.form.settings().is_ok()
    }

    pub fn can_continue(&self) -> bool {
        self.can_train() && self.checkpoint.is_some()
    }

    pub fn toggle_overlay(&mut self, id: usize) {
        self.runs.iter_mut().filter(|r| r.id == id).for_each(|r| r.overlay = !r.overlay);
    }

    pub fn remove_run(&mut self, id: usize) {
        self.runs.retain(|r| r.id != id);
    }

    fn take_restore(&mut self) -> Option<Effect> {
        self.restore.take().map(|(bytes, source)| Effect::Send(ToWorker::Import { bytes, source }))
    }

    /// A run that ended goes into the run list, to be overlaid on the charts later.
    fn keep_run(&mut self) {
        let Some(s) = self.running.take() else { return };
        let Some(last) = self.history.last() else { return };
        let id = self.runs.last().map(|r| r.id + 1).unwrap_or(1);
        let label = format!(
            "#{id} {} lr {} seed {} {}, {} — {}, test acc {:.3}",
            s.optimizer,
            s.lr,
            s.seed,
            if s.digits == Digits::All { "0–9".to_string() } else { s.digits.to_string() },
            s.shape.knobs(),
            epochs(last.epoch),
            last.test_acc
        );
        self.runs.push(Run { id, label, history: self.history.clone(), overlay: false });
    }
}

/// A weight as the editor shows it: three decimals at most, no trailing zeros ("-1", "0.18").
pub fn short(v: f32) -> String {
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// "1 epoch", "3 epochs".
pub fn epochs(n: usize) -> String {
    if n == 1 { "1 epoch".into() } else { format!("{n} epochs") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> PageState {
        PageState::new(&Address::parse(""))
    }

    fn row(epoch: usize, epochs: usize, test_acc: f32) -> EpochRow {
        EpochRow {
            epoch,
            epochs,
            optimizer: OptimizerKind::Sgd,
            train_loss: 0.5,
            train_acc: 0.8,
            test_loss: 0.4,
            test_acc,
            seconds: 1.0,
            dispatches_per_step: None,
        }
    }

    fn started(p: &mut PageState) {
        p.apply(FromWorker::Ready, 0.0);
        p.apply(FromWorker::Device { kind: DeviceKind::Cpu, name: "CPU".into(), note: None }, 0.0);
        p.apply(FromWorker::DataProgress { loaded: 10, total: Some(20) }, 0.0);
        p.apply(FromWorker::DataReady { train: 10593, test: 2000, digits: Digits::default() }, 0.0);
    }

    fn training(p: &mut PageState, resumed_from: usize) {
        let settings = p.form.settings().unwrap();
        p.apply(FromWorker::Training { settings, steps_per_epoch: 166, resumed_from }, 0.0);
    }

    #[test]
    fn a_run_from_start_to_finish() {
        let mut p = page();
        assert!(!p.can_train(), "no data yet");
        started(&mut p);
        assert_eq!(p.progress, Some(Progress { loaded: 10, total: Some(20) }));
        assert!(p.can_train() && !p.can_continue());
        assert!(p.status.starts_with("Ready: 10593 training and 2000 test images (8 vs 1)"), "{}", p.status);
        assert!(matches!(p.train(false), Some(ToWorker::Train { resume: false, .. })));
        training(&mut p, 0);
        assert!(p.training && !p.can_train());
        assert_eq!(p.apply(FromWorker::Step { epoch: 1, step: 83, steps_per_epoch: 166, loss: 0.5 }, 1234.0), vec![]);
        p.apply(FromWorker::Step { epoch: 2, step: 83, steps_per_epoch: 166, loss: 0.25 }, 2000.0);
        assert_eq!(p.batches, vec![BatchLoss { at: 0.5, loss: 0.5 }, BatchLoss { at: 1.5, loss: 0.25 }]);
        assert_eq!(p.first_step_ms, Some(1234.0), "the first step's time stays");
        p.apply(FromWorker::Epoch { row: row(1, 10, 0.9) }, 0.0);
        // The epoch's checkpoint is kept and saved, with the epochs it holds.
        let saved = p.apply(FromWorker::Checkpoint { file: vec![1, 2], epoch_end: true }, 0.0);
        assert_eq!(saved, vec![Effect::Save { file: vec![1, 2], epochs: 1 }]);
        assert_eq!(p.apply(FromWorker::Checkpoint { file: vec![3], epoch_end: false }, 0.0), vec![]);
        assert_eq!(p.checkpoint, Some(vec![3]));
        p.apply(FromWorker::Finished, 0.0);
        assert!(!p.training && p.can_continue());
        assert_eq!(p.runs.len(), 1);
        assert_eq!(p.runs[0].label, "#1 SGD lr 0.001 seed 42 8,1, 8 filters 3×3, pool 7 — 1 epoch, test acc 0.900");
    }

    /// The knobs reach the run's settings, and the run list says which network each run had.
    #[test]
    fn runs_keep_their_network() {
        let mut p = page();
        started(&mut p);
        p.form.filters = "2".into();
        p.form.pool = 4;
        let Some(ToWorker::Train { settings, .. }) = p.train(false) else { panic!("a valid form trains") };
        assert_eq!(settings.shape, NetShape { filters: 2, kernel: 3, pool: 4, classes: 2 });
        training(&mut p, 0);
        p.apply(FromWorker::Epoch { row: row(1, 1, 0.8) }, 0.0);
        p.apply(FromWorker::Finished, 0.0);
        assert_eq!(p.runs[0].label, "#1 SGD lr 0.001 seed 42 8,1, 2 filters 3×3, pool 4 — 1 epoch, test acc 0.800");
        // A filter count the network cannot have stops Train, with the reason.
        p.form.filters = "0".into();
        assert!(!p.can_train());
        assert_eq!(p.form.settings().unwrap_err(), "0 filters: a network has 1 to 32");
        p.form.set_shape(NetShape::NOTEBOOK);
        assert!(p.can_train());
        // Continue trains the model as it is (its network and the ticks on its filters), Train
        // builds what the knobs say.
        p.apply(FromWorker::Filters { shape: NetShape { filters: 2, pool: 4, ..NetShape::NOTEBOOK }, weights: vec![0.0; 18], biases: vec![0.0; 2] }, 0.0);
        p.form.frozen = vec![1, 5];
        let Some(ToWorker::Train { settings, .. }) = p.train(true) else { panic!() };
        assert_eq!((settings.shape.filters, settings.shape.pool, settings.frozen), (2, 4, vec![1]));
        p.form.frozen = vec![1, 5];
        let Some(ToWorker::Train { settings, .. }) = p.train(false) else { panic!() };
        assert_eq!((settings.shape, settings.frozen), (NetShape::NOTEBOOK, vec![1, 5]));
    }

    #[test]
    fn stop_in_the_middle_of_an_epoch_keeps_the_run_and_the_model() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Epoch { row: row(1, 10, 0.9) }, 0.0);
        p.apply(FromWorker::Step { epoch: 2, step: 40, steps_per_epoch: 166, loss: 0.3 }, 0.0);
        p.apply(FromWorker::Checkpoint { file: vec![7], epoch_end: false }, 0.0);
        p.apply(FromWorker::Stopped, 0.0);
        assert!(!p.training);
        assert_eq!(p.status, "Stopped.");
        assert_eq!((p.history.len(), p.batches.len(), p.runs.len()), (1, 1, 1));
        assert!(p.can_continue());
        // Continue keeps the history; a fresh run clears it.
        training(&mut p, 1);
        assert_eq!((p.history.len(), p.total_epochs), (1, 11));
        p.apply(FromWorker::Stopped, 0.0);
        training(&mut p, 0);
        assert!(p.history.is_empty() && p.batches.is_empty());
        // A run with no finished epoch is not listed.
        p.apply(FromWorker::Stopped, 0.0);
        assert_eq!(p.runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn a_crash_keeps_the_model_and_a_restart_restores_it() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Checkpoint { file: vec![9], epoch_end: false }, 0.0);
        p.apply(FromWorker::Crashed { message: "index out of bounds".into() }, 0.0);
        assert_eq!(p.failure, Some(Failure::Crashed));
        assert_eq!(p.error.as_deref(), Some("the training worker crashed: index out of bounds"));
        assert!(!p.training);
        // The error event after the panic hook's message does not replace it.
        p.worker_died("Uncaught RuntimeError: unreachable".into());
        assert_eq!(p.error.as_deref(), Some("the training worker crashed: index out of bounds"));
        p.restart(DevicePref::Auto);
        assert_eq!((p.failure, p.error.clone(), p.data_ready), (None, None, false));
        let effects = p.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        assert_eq!(effects, vec![Effect::Send(ToWorker::Import { bytes: vec![9], source: ModelSource::Saved })]);
        assert!(p.restore.is_none(), "given once");
    }

    #[test]
    fn a_worker_that_dies_silently_is_a_crash() {
        let mut p = page();
        started(&mut p);
        p.worker_died("the worker stopped".into());
        assert_eq!((p.failure, p.error.as_deref()), (Some(Failure::Crashed), Some("the worker stopped")));
    }

    #[test]
    fn a_lost_gpu_offers_the_cpu_with_the_model() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Checkpoint { file: vec![4, 4], epoch_end: false }, 0.0);
        p.apply(FromWorker::DeviceLost { message: "the GPU device was lost".into() }, 0.0);
        assert_eq!(p.failure, Some(Failure::DeviceLost));
        assert!(!p.training && p.status.contains("Continue on the CPU"));
        p.restart(DevicePref::Cpu);
        assert_eq!((p.pref, p.device.clone()), (DevicePref::Cpu, None));
        assert_eq!(p.restore, Some((vec![4, 4], ModelSource::Saved)));
    }

    #[test]
    fn a_saved_model_waits_for_the_data_and_an_import_in_flight_wins() {
        let mut p = page();
        assert_eq!(p.saved_model_found(vec![1]), vec![], "no data yet");
        assert_eq!(p.checkpoint, Some(vec![1]));
        started(&mut p);
        assert!(p.restore.is_none());
        let mut late = page();
        started(&mut late);
        assert_eq!(late.saved_model_found(vec![2]), vec![Effect::Send(ToWorker::Import { bytes: vec![2], source: ModelSource::Saved })]);
        let mut busy = page();
        busy.restore = Some((vec![3], ModelSource::File { name: "a.flab".into() }));
        assert_eq!(busy.saved_model_found(vec![2]), vec![]);
        assert_eq!(busy.restore, Some((vec![3], ModelSource::File { name: "a.flab".into() })));
    }

    #[test]
    fn a_restored_model_sets_the_form_unless_the_link_named_settings() {
        let adam = Settings { optimizer: OptimizerKind::Adam, lr: 0.01, epochs: 3, ..Settings::default() };
        let restored = |source| FromWorker::Restored {
            source,
            digits: Digits::Pair(filterlab_protocol::DigitPair::new(3, 5).unwrap()),
            shape: NetShape::NOTEBOOK,
            settings: Some(adam.clone()),
            history: vec![row(1, 3, 0.9), row(2, 3, 0.95)],
        };
        let mut p = page();
        p.apply(restored(ModelSource::Saved), 0.0);
        assert_eq!(p.form.settings().unwrap(), Settings { digits: Digits::Pair(filterlab_protocol::DigitPair::new(3, 5).unwrap()), ..adam.clone() });
        assert_eq!((p.history.len(), p.total_epochs, p.used_optimizer), (2, 2, Some(OptimizerKind::Adam)));
        assert!(p.status.starts_with("Restored the saved model (3 vs 5, 2 epochs trained)"), "{}", p.status);
        let mut linked = PageState::new(&Address::parse("?lr=0.5"));
        linked.apply(restored(ModelSource::Saved), 0.0);
        assert_eq!((linked.form.lr.as_str(), linked.form.digits.as_str()), ("0.5", "3,5"), "the link's settings stay; the digits are the model's");
        linked.apply(restored(ModelSource::File { name: "m.flab".into() }), 0.0);
        assert_eq!(linked.form.lr, "0.01", "a picked file brings its own settings");
        assert!(linked.status.starts_with("Imported m.flab"));
        // The knobs follow the model's network, whatever its settings said; a link's network
        // wins over the saved model's, as the link's other settings do.
        let two = NetShape { filters: 2, pool: 14, ..NetShape::NOTEBOOK };
        let mut shaped = page();
        shaped.form.frozen = vec![1];
        shaped.apply(FromWorker::Restored { source: ModelSource::Saved, digits: Digits::default(), shape: two, settings: None, history: vec![] }, 0.0);
        assert_eq!((shaped.form.shape(), shaped.form.frozen.clone()), (Some(two), vec![]));
        let mut linked = PageState::new(&Address::parse("?filters=4"));
        linked.apply(FromWorker::Restored { source: ModelSource::Saved, digits: Digits::default(), shape: two, settings: None, history: vec![] }, 0.0);
        assert_eq!(linked.form.filters, "4");
        linked.apply(FromWorker::Restored { source: ModelSource::File { name: "two.flab".into() }, digits: Digits::default(), shape: two, settings: None, history: vec![] }, 0.0);
        assert_eq!(linked.form.shape(), Some(two), "a picked file brings its network");
    }

    #[test]
    fn refused_imports_and_drawings_say_why() {
        let mut p = page();
        p.apply(FromWorker::ImportRefused { source: ModelSource::File { name: "x.flab".into() }, reason: "not a model file".into() }, 0.0);
        assert_eq!(p.error.as_deref(), Some("x.flab was not imported: not a model file. The current model is unchanged."));
        assert!(p.train(false).is_some(), "a new run is possible");
        assert_eq!(p.error, None, "and dismisses the error");
        p.apply(FromWorker::DrawingRefused { reason: "draw a digit first".into() }, 0.0);
        assert_eq!((p.prediction.clone(), p.refused.as_deref()), (None, Some("draw a digit first")));
    }

    #[test]
    fn a_new_epoch_reclassifies_the_drawing_and_reset_forgets_the_model() {
        let mut p = page();
        started(&mut p);
        assert_eq!(p.apply(FromWorker::Epoch { row: row(1, 1, 0.9) }, 0.0), vec![], "nothing drawn");
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        p.apply(FromWorker::Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image: vec![0.0; 784], explanation }, 0.0);
        assert_eq!(p.prediction.as_ref().map(Prediction::digit), Some(1));
        assert_eq!(p.apply(FromWorker::Epoch { row: row(2, 2, 0.9) }, 0.0), vec![Effect::Reclassify]);
        p.apply(FromWorker::Checkpoint { file: vec![1], epoch_end: false }, 0.0);
        p.reset();
        assert!(p.history.is_empty() && p.prediction.is_none() && p.checkpoint.is_none() && !p.can_continue());
    }

    /// A ten-digit model: restoring it ticks "all ten digits" and sets the knobs' classes; its
    /// prediction reads the likeliest of ten; the matrix is kept as 10×10.
    #[test]
    fn ten_digit_models_fill_the_page() {
        let mut p = page();
        started(&mut p);
        let ten = NetShape { classes: 10, ..NetShape::NOTEBOOK };
        p.apply(FromWorker::Restored { source: ModelSource::File { name: "ten.flab".into() }, digits: Digits::All, shape: ten, settings: None, history: vec![] }, 0.0);
        assert!(p.form.all_digits);
        assert_eq!(p.form.shape(), Some(ten));
        assert_eq!(p.form.settings().unwrap().digits, Digits::All);
        assert!(p.status.contains("Imported ten.flab (all ten digits"), "{}", p.status);
        let mut probabilities = vec![0.01; 10];
        probabilities[7] = 0.91;
        let explanation = Explanation { shape: ten, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0; 10] };
        p.apply(FromWorker::Prediction { digits: Digits::All, probabilities, image: vec![0.0; 784], explanation }, 0.0);
        assert_eq!(p.prediction.as_ref().map(|p| (p.class(), p.digit())), Some((7, 7)));
        let matrix: Confusion = (0..10).map(|a| (0..10).map(|b| if a == b { 900 } else { 10 }).collect()).collect();
        p.apply(FromWorker::Confusion { digits: Digits::All, epochs: 2, matrix: matrix.clone() }, 0.0);
        assert_eq!(p.confusion.as_ref().map(|c| (c.digits, c.matrix.clone())), Some((Digits::All, matrix)));
        // A late answer for a 10×10 cell after a pair's matrix came is dropped, not drawn.
        p.apply(FromWorker::Confusion { digits: Digits::default(), epochs: 1, matrix: vec![vec![1, 0], vec![0, 1]] }, 0.0);
        let seven = Example { index: 0, image: vec![0.0; 784], probabilities: vec![0.1; 10] };
        p.apply(FromWorker::Examples { actual: 7, predicted: 7, total: 1, examples: vec![seven] }, 0.0);
        assert_eq!(p.examples, None);
        // "all" typed in the pair's field is the same task as the tick.
        p.form.all_digits = false;
        p.form.digits = "all".into();
        assert_eq!((p.form.settings().map(|s| s.digits), p.form.classes()), (Ok(Digits::All), 10));
    }

    /// The filter editor: a preset sets a filter exactly, typed numbers are checked, the model
    /// change reclassifies the drawing, and freezing reaches the settings.
    #[test]
    fn a_filter_is_set_by_hand() {
        let mut p = page();
        started(&mut p);
        p.edit_filter(0);
        assert_eq!(p.edit, None, "no model yet");
        let weights: Vec<f32> = (0..72).map(|i| i as f32 / 100.0).collect();
        p.apply(FromWorker::Filters { shape: NetShape::NOTEBOOK, weights, biases: vec![0.5; 8] }, 0.0);
        p.edit_filter(2);
        let edit = p.edit.clone().unwrap();
        assert_eq!((edit.filter, edit.kernel, edit.draft.len()), (2, 3, 10));
        assert_eq!((edit.draft[0].as_str(), edit.draft[9].as_str()), ("0.18", "0.5"));
        let sobel = p.apply_preset(Preset::HorizontalEdge);
        assert_eq!(sobel, Some(ToWorker::SetFilter { filter: 2, weights: vec![-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0], bias: 0.0 }));
        assert_eq!(p.edit.as_ref().unwrap().draft[..3], ["-1", "-2", "-1"]);
        assert_eq!([short(-0.0001), short(0.12345), short(10.0)], ["0", "0.123", "10"]);
        // Two random presets differ.
        let (Some(ToWorker::SetFilter { weights: a, .. }), Some(ToWorker::SetFilter { weights: b, .. })) = (p.apply_preset(Preset::Random), p.apply_preset(Preset::Random)) else { panic!() };
        assert_ne!(a, b);
        p.edit.as_mut().unwrap().draft[3] = "x".into();
        assert_eq!(p.apply_edit(), None);
        assert_eq!(p.error.as_deref(), Some("Filter 2 was not set: weight (2, 1): \"x\" is not a number."));
        p.edit.as_mut().unwrap().draft[3] = " 0.25 ".into();
        assert!(matches!(p.apply_edit(), Some(ToWorker::SetFilter { filter: 2, ref weights, .. }) if weights[3] == 0.25));
        // The model changed: the drawing is read again.
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        p.apply(FromWorker::Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image: vec![0.0; 784], explanation }, 0.0);
        assert_eq!(p.apply(FromWorker::FilterSet { filter: 2 }, 0.0), vec![Effect::Reclassify]);
        assert!(p.status.starts_with("Filter 2 set by hand"));
        // Freezing goes into the run's settings (ticks beyond the network's filters do not).
        p.form.set_frozen(2, true);
        p.form.set_frozen(0, true);
        p.form.set_frozen(2, false);
        p.form.set_frozen(5, true);
        assert_eq!(p.form.frozen, [0, 5]);
        p.form.filters = "4".into();
        assert_eq!(p.form.settings().unwrap().frozen, [0]);
        p.edit_filter(8);
        assert_eq!(p.edit, None, "the model has filters 0 to 7");
        // A model with fewer filters drops the ticks it lacks; Reset drops them all.
        p.form.set_frozen(7, true);
        p.apply(FromWorker::Filters { shape: NetShape { filters: 6, ..NetShape::NOTEBOOK }, weights: vec![0.0; 54], biases: vec![0.0; 6] }, 0.0);
        assert_eq!(p.form.frozen, [0, 5]);
        p.reset();
        assert!(p.form.frozen.is_empty() && p.edit.is_none());
    }

    #[test]
    fn runs_can_be_overlaid_and_removed() {
        let mut p = page();
        started(&mut p);
        for _ in 0..2 {
            training(&mut p, 0);
            p.apply(FromWorker::Epoch { row: row(1, 1, 0.9) }, 0.0);
            p.apply(FromWorker::Finished, 0.0);
        }
        p.toggle_overlay(2);
        assert_eq!(p.runs.iter().map(|r| (r.id, r.overlay)).collect::<Vec<_>>(), vec![(1, false), (2, true)]);
        p.remove_run(1);
        assert_eq!(p.runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
    }
}
