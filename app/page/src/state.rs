//! Everything the page shows, as one plain struct, and how each worker message changes it.
//! The page's components only read it; what must happen outside it (a message to the worker,
//! saving the model in the browser, classifying the drawing again, keeping files for offline
//! use) comes back as [`Effect`]s.
//!
//! The state is grouped by how long each part lives: the worker and its data ([`WorkerView`],
//! until a device switch or a restart), the current model's views ([`ModelView`], until Reset or
//! another model), the messages to the user ([`Messages`]), the run list and the form.

use filterlab_protocol::{
    BatchLoss, ConfusionMatrix, DeviceInfo, DevicePref, Digits, EpochRow, ExampleSet, Filters, FromWorker, Memory, ModelSource,
    KeptRun, MapCell, MyDigit, MyScore, NetShape, OptimizerKind, Prediction, Preview, Progress, RunRecord, Settings, ToWorker, WorkedStep,
};

use crate::{
    address::Address,
    form::Form,
    lesson::{LessonDraft, LessonView},
    my_digits::MyDigits,
    presets::Preset,
    words::{epochs, short},
};

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
    /// Keep this run in the browser's run library, with its model file (replacing its earlier
    /// version).
    Keep { record: RunRecord, file: Vec<u8> },
    /// Delete these kept runs, then keep this run (the storage was full).
    MakeRoom { delete: Vec<String>, record: RunRecord, file: Vec<u8> },
    /// Keep these runs and digits of an imported library file, all or none (`already`: how many
    /// of the file's runs were here before).
    KeepAll { runs: Vec<KeptRun>, digits: Vec<MyDigit>, already: usize, name: String },
    /// Keep these digits and delete those (by id) from the user's kept digits, in one write;
    /// then [`PageState::digits_changed`] says `said`.
    ChangeDigits { add: Vec<MyDigit>, remove: Vec<String>, said: String },
    /// Write this kept run's record alone (a new name).
    Relabel { record: RunRecord },
    /// Read this kept run's model file and open it ([`PageState::run_file_read`]).
    Open { id: String, at_load: bool },
    /// Delete this kept run.
    Delete { id: String },
    /// Read this kept run's model file for its filters ([`PageState::compare_read`]).
    Compare { id: String },
    /// Classify the drawing on the pad again (the model changed).
    Reclassify,
    /// Ask the service worker to keep what this visit used for offline use: the worker build and
    /// the train files, and with `ten_digits` the t10k files too.
    KeepOffline { ten_digits: bool },
}

/// A kept run's filters, shown next to the current model's.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    pub id: String,
    /// "#1 SGD lr 0.001 …", as the run list names it.
    pub title: String,
    /// Once its model file is read.
    pub filters: Option<Filters>,
}

/// The worker, its device and its data: new with each worker start or device switch.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerView {
    /// The device asked for (the toggle).
    pub pref: DevicePref,
    /// The device in use, once started.
    pub device: Option<DeviceInfo>,
    pub progress: Option<Progress>,
    pub data_ready: bool,
    /// A few training images of each class.
    pub preview: Option<Preview>,
    pub memory: Option<Memory>,
    /// What went wrong with the worker itself.
    pub failure: Option<Failure>,
}

impl WorkerView {
    fn new(pref: DevicePref) -> Self {
        Self { pref, device: None, progress: None, data_ready: false, preview: None, memory: None, failure: None }
    }
}

/// Everything shown of the current model: forgetting the model is `model = ModelView::default()`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelView {
    /// Its epochs.
    pub history: Vec<EpochRow>,
    /// Its reported steps' losses.
    pub batches: Vec<BatchLoss>,
    /// Epochs the charts' x axis spans.
    pub total_epochs: usize,
    /// The optimizer its last run used.
    pub optimizer: Option<OptimizerKind>,
    /// How many images its last run trained on, and how many of the user's digits were among
    /// them (each `my_digits::COPIES` times).
    pub trained_on: Option<(usize, usize)>,
    pub filters: Option<Filters>,
    pub prediction: Option<Prediction>,
    /// The drawing as the network sees it (28×28 in [0, 1]), read or not: what "keep" keeps.
    pub seen: Option<Vec<f32>>,
    /// The feature-map cell of the drawing being worked out (worked.rs), and the worker's answer.
    pub work: Option<MapCell>,
    pub worked: Option<WorkedStep>,
    /// Why the drawing was not classified.
    pub refused: Option<String>,
    pub confusion: Option<ConfusionMatrix>,
    /// Its score on the user's kept digits of its task.
    pub my_score: Option<MyScore>,
    pub examples: Option<ExampleSet>,
    /// The filter open in the filter editor.
    pub edit: Option<FilterEdit>,
    /// The latest model file from the worker: kept across device switches, worker restarts and
    /// lost GPUs, stored after each epoch, and what Export downloads.
    pub checkpoint: Option<Vec<u8>>,
    /// A model file to give the worker once its data is ready (saved, kept, or being imported).
    pub restore: Option<(Vec<u8>, ModelSource)>,
    /// Epochs of the model stored in this browser, once stored.
    pub saved_epochs: Option<usize>,
    /// The run library's record of this model, once it has one (from its first Train, or opened
    /// from the library).
    pub record: Option<RunRecord>,
    /// This tab started the record: Continue adds to it. A run opened from the library is
    /// continued as a new run that names it as its parent, so no two tabs write one record.
    pub own_record: bool,
    /// It came from a file: kept even with no epochs (a run is kept from its first epoch).
    pub imported: bool,
    /// The kept run being opened, until its file is read: anything the user does meanwhile
    /// (Train, Import, Reset, another Open) wins over it.
    pub opening: Option<String>,
    /// What the user should know about the file being imported (how its digits were read),
    /// said once the worker has it.
    pub import_note: Option<String>,
}

impl Default for ModelView {
    fn default() -> Self {
        Self {
            history: Vec::new(),
            batches: Vec::new(),
            total_epochs: Settings::default().epochs,
            optimizer: None,
            trained_on: None,
            filters: None,
            prediction: None,
            seen: None,
            work: None,
            worked: None,
            refused: None,
            confusion: None,
            my_score: None,
            examples: None,
            edit: None,
            checkpoint: None,
            restore: None,
            saved_epochs: None,
            record: None,
            own_record: false,
            imported: false,
            opening: None,
            import_note: None,
        }
    }
}

/// What the page tells the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Messages {
    /// One line on what is happening and what to do next.
    pub status: String,
    pub error: Option<String>,
    /// Something the user should know that stops nothing (the model can't be saved here).
    pub notice: Option<String>,
}

impl Messages {
    /// Adds to the notice shown (the run library's and the digits' listings each have theirs).
    pub fn add_notice(&mut self, text: String) {
        self.notice = Some(match self.notice.take() {
            Some(shown) if shown != text => format!("{shown} {text}"),
            _ => text,
        });
    }
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    pub worker: WorkerView,
    pub model: ModelView,
    pub messages: Messages,
    /// The settings of the run in progress, while one is.
    pub run: Option<Settings>,
    /// The run library: every kept run, newest first, as listed from the browser's storage.
    pub library: Vec<RunRecord>,
    /// The user's kept digits.
    pub my_digits: MyDigits,
    /// The kept runs whose curves are drawn on the charts.
    pub overlays: Vec<String>,
    /// Runs training in other tabs now: each with when its tab last beat (ms since this page
    /// opened).
    pub elsewhere: Vec<(String, f64)>,
    /// The oldest runs offered for deletion after a write failed for lack of space.
    pub room: Option<crate::room::Room>,
    /// A kept run whose filters are shown next to the current model's ("Compare").
    pub compare: Option<Compared>,
    /// A kept run whose Delete was pressed once: a second press deletes it.
    pub confirm_delete: Option<String>,
    /// The kept run being renamed, and its name as typed.
    pub renaming: Option<(String, String)>,
    /// What this site stores in the browser, and what the browser allows it, in bytes (as
    /// `navigator.storage.estimate()` says), once measured.
    pub storage: Option<(f64, f64)>,
    /// Persistent storage was asked for (once, after the first kept run), and the answer.
    pub persist: Option<Option<bool>>,
    /// This tab's name in run ids, and the wall clock when the page opened (ms since 1970).
    pub tab: String,
    pub opened_ms: f64,
    pub form: Form,
    /// The address named settings: they win over a restored model's.
    pub link_settings: bool,
    /// The link's model was refused: the address drops it, so a reload does not refuse it again.
    pub link_refused: bool,
    /// The lesson the link opened (lesson.rs); whether a lesson in the link was refused; what the
    /// lesson builder holds.
    pub lesson: Option<LessonView>,
    pub lesson_refused: bool,
    pub lesson_draft: LessonDraft,
    /// When the first training step of this page's life finished (ms since open), for the benchmark.
    pub first_step_ms: Option<f64>,
    /// When the run library was listed (ms since open), for the benchmark.
    pub listed_ms: Option<f64>,
    /// Presets of random filters given so far (each one differs).
    pub randoms: u32,
}

impl PageState {
    pub fn new(address: &Address) -> Self {
        let mut page = Self {
            worker: WorkerView::new(address.device),
            model: ModelView::default(),
            messages: Messages { status: "Starting the training worker…".into(), error: None, notice: None },
            run: None,
            library: Vec::new(),
            my_digits: MyDigits::default(),
            overlays: Vec::new(),
            elsewhere: Vec::new(),
            room: None,
            compare: None,
            confirm_delete: None,
            renaming: None,
            storage: None,
            persist: None,
            tab: String::new(),
            opened_ms: 0.0,
            form: address.form.clone(),
            link_settings: address.names_settings,
            link_refused: false,
            lesson: None,
            lesson_refused: false,
            lesson_draft: LessonDraft::default(),
            first_step_ms: None,
            listed_ms: None,
            randoms: 0,
        };
        page.open_link(address);
        page.open_lesson(address);
        page
    }

    /// A run is in progress.
    pub fn training(&self) -> bool {
        self.run.is_some()
    }

    /// The state after a worker message; `now_ms` is the time since the page opened.
    pub fn apply(&mut self, message: FromWorker, now_ms: f64) -> Vec<Effect> {
        let mut effects = Vec::new();
        let (model, say) = (&mut self.model, &mut self.messages);
        match message {
            FromWorker::Ready => {
                say.status = "Worker ready; starting the device…".into();
                // A new worker: it gets the kept digits (once they are read).
                if self.my_digits.listed {
                    effects.push(self.send_my_digits());
                }
            }
            FromWorker::Device(device) => self.worker.device = Some(device),
            FromWorker::Calibrating => say.status = "Auto: timing a few training steps on WebGPU and on the CPU…".into(),
            FromWorker::DataProgress(progress) => {
                self.worker.progress = Some(progress);
                // Later downloads (the t10k files, for all ten digits) leave the status as it is.
                if !self.worker.data_ready {
                    say.status = "Loading MNIST…".into();
                }
            }
            FromWorker::DataReady { train, test, digits } => {
                self.worker.data_ready = true;
                say.status = format!("Ready: {train} training and {test} test images ({}). Press Train.", digits.describe());
                effects.push(Effect::KeepOffline { ten_digits: false });
                effects.extend(self.take_restore());
            }
            FromWorker::Training { settings, resumed_from, train, my_digits, .. } => {
                model.optimizer = Some(settings.optimizer);
                model.total_epochs = resumed_from + settings.epochs;
                if resumed_from == 0 {
                    model.history.clear();
                    model.batches.clear();
                }
                say.error = None;
                say.notice = None;
                say.status = if resumed_from == 0 {
                    format!("Training with {} (lr {})", settings.optimizer, settings.lr)
                } else {
                    // The optimizer's state (momentum's velocity, Adam's moments) is not in the model file.
                    format!("Continuing from epoch {resumed_from} with {} (lr {}), its state started afresh,", settings.optimizer, settings.lr)
                };
                say.status += &crate::words::training_images(train, my_digits);
                model.trained_on = (train > 0).then_some((train, my_digits));
                self.start_record(&settings, resumed_from > 0, now_ms);
                self.run = Some(settings);
            }
            FromWorker::Step { epoch, step, steps_per_epoch, loss, gradient } => {
                self.first_step_ms.get_or_insert(now_ms);
                model.batches.push(BatchLoss { at: epoch as f64 - 1.0 + step as f64 / steps_per_epoch as f64, loss: loss as f64, gradient });
                say.status = format!("Training: epoch {epoch}, step {step}/{steps_per_epoch}, batch loss {loss:.4}");
            }
            FromWorker::Epoch { row } => {
                model.history.push(row);
                // The feature maps follow the model.
                if model.prediction.is_some() {
                    effects.push(Effect::Reclassify);
                }
            }
            FromWorker::Confusion(confusion) => {
                if confusion.digits == Digits::All {
                    effects.push(Effect::KeepOffline { ten_digits: true });
                }
                model.confusion = Some(confusion);
                model.examples = None;
            }
            FromWorker::MyScore(score) => self.take_my_score(score),
            FromWorker::Examples(set) => {
                // An answer about a matrix no longer shown (another model's classes) is dropped.
                let fits = |c: usize| c < model.confusion.as_ref().map_or(0, |m| m.matrix.len());
                if fits(set.actual) && fits(set.predicted) && set.examples.iter().all(|x| x.probabilities.len() > set.actual) {
                    model.examples = Some(set);
                }
            }
            FromWorker::Preview(preview) => {
                if preview.digits == Digits::All {
                    effects.push(Effect::KeepOffline { ten_digits: true });
                }
                self.worker.preview = Some(preview);
            }
            FromWorker::Filters(filters) => {
                // Freeze ticks are for this model's filters.
                self.form.frozen.retain(|&f| f < filters.shape.filters);
                model.filters = Some(filters);
                // The editor shows the model's numbers (a filter it no longer has closes it).
                if let Some(f) = model.edit.as_ref().map(|e| e.filter) {
                    self.edit_filter(f);
                }
            }
            FromWorker::FilterSet { filter } => {
                say.status = format!("Filter {filter} set by hand. The drawing's maps, its prediction and the confusion matrix follow; Continue trains from here.");
                if model.prediction.is_some() {
                    effects.push(Effect::Reclassify);
                }
            }
            FromWorker::Prediction(prediction) => {
                model.refused = None;
                model.seen = Some(prediction.image.clone());
                model.prediction = Some(prediction);
                effects.extend(self.rework());
            }
            FromWorker::Worked(step) => self.take_worked(step),
            FromWorker::Drawn { image } => {
                model.refused = None;
                model.seen = Some(image);
            }
            FromWorker::DrawingRefused { reason } => {
                model.prediction = None;
                model.seen = None;
                model.refused = Some(reason);
            }
            FromWorker::Checkpoint { file, epoch_end } => {
                model.checkpoint = Some(file);
                if epoch_end {
                    effects.extend(self.keep(now_ms));
                }
            }
            FromWorker::Restored { source, digits, shape, settings, history } => self.restored(source, digits, shape, settings, history, now_ms),
            FromWorker::ImportRefused { source, reason } => {
                let what = match source {
                    ModelSource::Saved => "The saved model could not be restored".to_string(),
                    ModelSource::File { name } => {
                        self.model.import_note = None;
                        format!("{name} was not imported")
                    }
                    ModelSource::Kept { id, .. } => {
                        let number = self.library.iter().find(|r| r.id == id).map(|r| r.number).unwrap_or_default();
                        format!("Run #{number} could not be opened")
                    }
                    ModelSource::Link => "The link's model could not be opened".to_string(),
                };
                say.error = Some(format!("{what}: {reason}. The current model is unchanged."));
            }
            FromWorker::Memory(memory) => self.worker.memory = Some(memory),
            FromWorker::DeviceLost { message } => {
                self.run = None;
                say.status = "The GPU is gone; the model is kept. Continue on the CPU.".into();
                say.error = Some(message);
                self.worker.failure = Some(Failure::DeviceLost);
            }
            FromWorker::Crashed { message } => {
                self.run = None;
                say.status = "The training worker crashed; the model is kept. Restart it.".into();
                say.error = Some(format!("the training worker crashed: {message}"));
                self.worker.failure = Some(Failure::Crashed);
            }
            FromWorker::Stopped => {
                // The model as it stopped, mid-epoch, is kept too (a run with no finished epoch
                // is not).
                if self.run.take().is_some() && !self.model.history.is_empty() {
                    effects.extend(self.keep(now_ms));
                }
                self.messages.status = "Stopped.".into();
            }
            FromWorker::Finished => {
                self.run = None;
                self.messages.status = "Finished. Draw a digit to test the model.".into();
            }
            FromWorker::ResetDone => {
                self.run = None;
                say.status = "Reset: the model is forgotten. Press Train.".into();
            }
            FromWorker::Error { message } => {
                self.run = None;
                say.status = "Something went wrong; see the message below.".into();
                say.error = Some(message);
            }
        }
        effects
    }

    /// An imported or restored model is now the current one: the form follows its settings (or
    /// the link's), and its views start from its history.
    fn restored(&mut self, source: ModelSource, digits: Digits, shape: NetShape, settings: Option<Settings>, history: Vec<EpochRow>, now_ms: f64) {
        let record_settings = settings.clone();
        let n = history.len();
        // The run opened at load is the page's own: the link's settings win over it.
        // A lesson that locks controls keeps its settings whatever model comes.
        let linked = (matches!(source, ModelSource::Saved | ModelSource::Kept { at_load: true, .. }) && self.link_settings) || self.lesson_locks();
        match settings.as_ref() {
            Some(s) if !linked => self.form = Form::from_settings(s),
            // No settings in the file: no ticks from the model before it (a link's are its own).
            None if !linked && source != ModelSource::Link => self.form.frozen.clear(),
            _ => {}
        }
        // Continue needs the model's own digits, and network (unless a link named one: the
        // link's settings win, and Continue says why it cannot go on).
        self.form.set_digits(digits);
        if !linked {
            self.form.set_shape(shape);
        }
        let model = &mut self.model;
        model.total_epochs = n.max(1);
        model.optimizer = settings.map(|s| s.optimizer);
        model.history = history;
        // The same model back after a restart keeps its curve; another model brings its own.
        if !matches!(source, ModelSource::Saved) {
            model.batches.clear();
        }
        model.prediction = None;
        let from = match source {
            ModelSource::Saved => "Restored the saved model".to_string(),
            ModelSource::File { name } => {
                // An imported model is kept as a run of its own, with the history it brings.
                let history = self.model.history.clone();
                self.new_record(format!("{name} (imported)"), None, record_settings, history, now_ms);
                self.model.own_record = true;
                self.model.imported = true;
                self.model.saved_epochs = None;
                self.messages.notice = self.model.import_note.take();
                format!("Imported {name}")
            }
            // A link's model is kept once it is trained further (a reload opens the link again).
            ModelSource::Link => {
                self.new_record("The link's model".into(), None, record_settings, Vec::new(), now_ms);
                self.model.own_record = true;
                self.model.imported = false;
                self.model.saved_epochs = None;
                "Opened the link's model".to_string()
            }
            ModelSource::Kept { id, at_load } => {
                self.model.record = self.library.iter().find(|r| r.id == id).cloned();
                self.model.own_record = false;
                self.model.imported = false;
                self.model.saved_epochs = self.model.record.as_ref().map(|r| r.history.len());
                self.model.batches = self.model.record.as_ref().map(|r| r.batches.clone()).unwrap_or_default();
                let verb = if at_load { "Restored" } else { "Opened" };
                match &self.model.record {
                    Some(r) => format!("{verb} run #{}", r.number),
                    None => format!("{verb} a kept run"),
                }
            }
        };
        self.messages.status = format!("{from} ({}, {} trained). Draw a digit, or press Continue to train it further.", digits.describe(), epochs(n));
    }

    /// The worker died without a word from its panic hook (an error event): say so, unless the
    /// panic hook's message (which says more) is already shown.
    pub fn worker_died(&mut self, message: String) {
        self.run = None;
        if self.worker.failure != Some(Failure::Crashed) {
            self.worker.failure = Some(Failure::Crashed);
            self.messages.error = Some(message);
        }
    }

    /// A new device or worker is starting: the latest checkpoint goes back in once it has its data.
    pub fn restart(&mut self, to: DevicePref) {
        self.worker = WorkerView { preview: self.worker.preview.take(), memory: self.worker.memory, ..WorkerView::new(to) };
        self.run = None;
        self.messages.error = None;
        // A model on its way in (an open, an import) still comes; else the latest checkpoint.
        if let (None, Some(bytes)) = (&self.model.restore, self.model.checkpoint.clone()) {
            self.model.restore = Some((bytes, ModelSource::Saved));
        }
    }

    /// The message that starts a run with the form's settings (`resume`: go on with the current
    /// model), if the form is valid. A new run dismisses the last run's error.
    pub fn train(&mut self, resume: bool) -> Option<ToWorker> {
        let mut settings = self.form.settings().ok()?;
        // Continue trains the model as it is: its network, and the ticks on its filters.
        if let (true, Some(model)) = (resume, self.model.filters.as_ref()) {
            settings.shape = model.shape;
            settings.frozen = self.form.frozen.iter().copied().filter(|&f| f < model.shape.filters).collect();
        }
        self.messages.error = None;
        self.model.opening = None;
        Some(ToWorker::Train { settings, resume })
    }

    /// Opens filter `f` of the current model in the editor (closes it when there is no such filter).
    pub fn edit_filter(&mut self, f: usize) {
        self.model.edit = self.model.filters.as_ref().filter(|m| f < m.shape.filters).map(|m| {
            let taps = m.shape.taps();
            let mut draft: Vec<String> = m.weights[f * taps..(f + 1) * taps].iter().map(|&v| short(v)).collect();
            draft.push(short(m.biases[f]));
            FilterEdit { filter: f, kernel: m.shape.kernel, draft }
        });
    }

    /// The message that sets the edited filter to the typed numbers, if they are numbers (else
    /// the reason shows as the error).
    pub fn apply_edit(&mut self) -> Option<ToWorker> {
        let edit = self.model.edit.as_ref()?;
        match edit.values() {
            Ok((weights, bias)) => Some(ToWorker::SetFilter { filter: edit.filter, weights, bias }),
            Err(e) => {
                self.messages.error = Some(format!("Filter {} was not set: {e}.", edit.filter));
                None
            }
        }
    }

    /// Fills the edited filter with a preset (bias 0) and sets it.
    pub fn apply_preset(&mut self, preset: Preset) -> Option<ToWorker> {
        let edit = self.model.edit.as_mut()?;
        if preset == Preset::Random {
            self.randoms += 1;
        }
        let weights = preset.weights(edit.kernel, self.randoms);
        edit.draft = weights.iter().map(|&v| short(v)).chain(["0".to_string()]).collect();
        Some(ToWorker::SetFilter { filter: edit.filter, weights, bias: 0.0 })
    }

    /// Starts afresh: the model is forgotten here and in the worker; every kept run stays.
    pub fn reset(&mut self) -> Vec<Effect> {
        self.model = ModelView::default();
        // A lesson that locks the filter editor keeps its frozen filters.
        if !self.locked(crate::lesson::Control::Filters) {
            self.form.frozen.clear();
        }
        vec![Effect::Send(ToWorker::Reset)]
    }

    /// The network the parameter table shows: the current model's, or before there is one, the
    /// one Train would build (when the knobs describe a possible one).
    pub fn shown_shape(&self) -> Option<NetShape> {
        match &self.model.filters {
            Some(f) => Some(f.shape),
            None => self.form.shape().filter(|s| s.validate().is_ok()),
        }
    }

    pub fn can_train(&self) -> bool {
        !self.training() && self.worker.data_ready && self.form.settings().is_ok()
    }

    pub fn can_continue(&self) -> bool {
        self.can_train() && self.model.checkpoint.is_some()
    }

    pub(crate) fn take_restore(&mut self) -> Option<Effect> {
        self.model.restore.take().map(|(bytes, source)| Effect::Send(ToWorker::Import { bytes, source }))
    }

}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use filterlab_protocol::{Confusion, DeviceKind, Example, Explanation, GradientNorms};

    pub(crate) fn page() -> PageState {
        PageState::new(&Address::parse(""))
    }

    pub(crate) fn row(epoch: usize, epochs: usize, test_acc: f32) -> EpochRow {
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
            my_acc: None,
        }
    }

    pub(crate) fn started(p: &mut PageState) {
        p.apply(FromWorker::Ready, 0.0);
        p.apply(FromWorker::Device(DeviceInfo { kind: DeviceKind::Cpu, name: "CPU".into(), note: None }), 0.0);
        p.apply(FromWorker::DataProgress(Progress { loaded: 10, total: Some(20) }), 0.0);
        p.apply(FromWorker::DataReady { train: 10593, test: 2000, digits: Digits::default() }, 0.0);
    }

    pub(crate) fn training(p: &mut PageState, resumed_from: usize) {
        let settings = p.form.settings().unwrap();
        p.apply(FromWorker::Training { settings, steps_per_epoch: 166, resumed_from, train: 10593, my_digits: 0 }, 0.0);
    }

    /// Applies a message, and has every run it asks to keep written (as the browser would).
    pub(crate) fn kept(p: &mut PageState, message: FromWorker) -> Vec<Effect> {
        let effects = p.apply(message, 0.0);
        for e in &effects {
            if let Effect::Keep { record, .. } = e {
                p.kept(record.clone());
            }
        }
        effects
    }

    /// The run list as the Runs panel titles it.
    pub(crate) fn listed(p: &PageState) -> Vec<String> {
        p.library.iter().map(|r| format!("#{} {}", r.number, r.label)).collect()
    }

    #[test]
    fn a_run_from_start_to_finish() {
        let mut p = page();
        assert!(!p.can_train(), "no data yet");
        started(&mut p);
        assert_eq!(p.worker.progress, Some(Progress { loaded: 10, total: Some(20) }));
        assert!(p.can_train() && !p.can_continue());
        assert!(p.messages.status.starts_with("Ready: 10593 training and 2000 test images (8 vs 1)"), "{}", p.messages.status);
        assert!(matches!(p.train(false), Some(ToWorker::Train { resume: false, .. })));
        training(&mut p, 0);
        assert!(p.training() && !p.can_train());
        assert_eq!(p.apply(FromWorker::Step { epoch: 1, step: 83, steps_per_epoch: 166, loss: 0.5, gradient: None }, 1234.0), vec![]);
        p.apply(FromWorker::Step { epoch: 2, step: 83, steps_per_epoch: 166, loss: 0.25, gradient: Some(GradientNorms { conv: 0.5, fc: 0.125 }) }, 2000.0);
        assert_eq!(p.model.batches, vec![BatchLoss { at: 0.5, loss: 0.5, gradient: None }, BatchLoss { at: 1.5, loss: 0.25, gradient: Some(GradientNorms { conv: 0.5, fc: 0.125 }) }]);
        assert_eq!(p.first_step_ms, Some(1234.0), "the first step's time stays");
        p.apply(FromWorker::Epoch { row: row(1, 10, 0.9) }, 0.0);
        // The epoch's checkpoint is kept as the run's record, with its epochs and its curve;
        // "Saved" shows once the write is done.
        let saved = p.apply(FromWorker::Checkpoint { file: vec![1, 2], epoch_end: true }, 0.0);
        let [Effect::Keep { record, file }] = &saved[..] else { panic!("{saved:?}") };
        assert_eq!((file.clone(), record.history.len(), record.batches.len(), record.file_bytes), (vec![1, 2], 1, 2, 2));
        assert_eq!(p.model.saved_epochs, None);
        p.kept(record.clone());
        assert_eq!(p.model.saved_epochs, Some(1));
        assert_eq!(p.apply(FromWorker::Checkpoint { file: vec![3], epoch_end: false }, 0.0), vec![]);
        assert_eq!(p.model.checkpoint, Some(vec![3]));
        p.apply(FromWorker::Finished, 0.0);
        assert!(!p.training() && p.can_continue());
        assert_eq!(listed(&p), ["#1 SGD lr 0.001 seed 42 8,1, 8 filters 3×3, pool 7"]);
        assert_eq!(p.library[0].test_acc(), Some(0.9));
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
        kept(&mut p, FromWorker::Checkpoint { file: vec![1], epoch_end: true });
        p.apply(FromWorker::Finished, 0.0);
        assert_eq!(listed(&p), ["#1 SGD lr 0.001 seed 42 8,1, 2 filters 3×3, pool 4"]);
        // A filter count the network cannot have stops Train, with the reason.
        p.form.filters = "0".into();
        assert!(!p.can_train());
        assert_eq!(p.form.settings().unwrap_err(), "0 filters: a network has 1 to 32");
        p.form.set_shape(NetShape::NOTEBOOK);
        assert!(p.can_train());
        // Continue trains the model as it is (its network and the ticks on its filters), Train
        // builds what the knobs say.
        p.apply(FromWorker::Filters(Filters { shape: NetShape { filters: 2, pool: 4, ..NetShape::NOTEBOOK }, weights: vec![0.0; 18], biases: vec![0.0; 2] }), 0.0);
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
        p.apply(FromWorker::Step { epoch: 2, step: 40, steps_per_epoch: 166, loss: 0.3, gradient: None }, 0.0);
        p.apply(FromWorker::Checkpoint { file: vec![7], epoch_end: false }, 0.0);
        // The model as it stopped is kept.
        let stopped = kept(&mut p, FromWorker::Stopped);
        assert!(matches!(&stopped[..], [Effect::Keep { file, .. }] if file == &vec![7]), "{stopped:?}");
        assert!(!p.training());
        assert_eq!(p.messages.status, "Stopped.");
        assert_eq!((p.model.history.len(), p.model.batches.len(), p.library.len()), (1, 1, 1));
        assert!(p.can_continue());
        // Continue keeps the history and the record (this tab started it); a fresh run clears
        // the history and starts a new record.
        training(&mut p, 1);
        assert_eq!((p.model.history.len(), p.model.total_epochs), (1, 11));
        assert_eq!(p.messages.status, "Continuing from epoch 1 with SGD (lr 0.001), its state started afresh, on 10593 images…");
        kept(&mut p, FromWorker::Stopped);
        assert_eq!(p.library.len(), 1, "Continue adds to the same record");
        training(&mut p, 0);
        assert!(p.model.history.is_empty() && p.model.batches.is_empty());
        // A run with no finished epoch is not kept.
        assert_eq!(kept(&mut p, FromWorker::Stopped), vec![]);
        assert_eq!(p.library.len(), 1);
    }

    #[test]
    fn a_crash_keeps_the_model_and_a_restart_restores_it() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Checkpoint { file: vec![9], epoch_end: false }, 0.0);
        p.apply(FromWorker::Crashed { message: "index out of bounds".into() }, 0.0);
        assert_eq!(p.worker.failure, Some(Failure::Crashed));
        assert_eq!(p.messages.error.as_deref(), Some("the training worker crashed: index out of bounds"));
        assert!(!p.training());
        // The error event after the panic hook's message does not replace it.
        p.worker_died("Uncaught RuntimeError: unreachable".into());
        assert_eq!(p.messages.error.as_deref(), Some("the training worker crashed: index out of bounds"));
        p.restart(DevicePref::Auto);
        assert_eq!((p.worker.failure, p.messages.error.clone(), p.worker.data_ready), (None, None, false));
        let effects = p.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        assert_eq!(effects, vec![Effect::KeepOffline { ten_digits: false }, Effect::Send(ToWorker::Import { bytes: vec![9], source: ModelSource::Saved })]);
        assert!(p.model.restore.is_none(), "given once");
    }

    #[test]
    fn a_worker_that_dies_silently_is_a_crash() {
        let mut p = page();
        started(&mut p);
        p.worker_died("the worker stopped".into());
        assert_eq!((p.worker.failure, p.messages.error.as_deref()), (Some(Failure::Crashed), Some("the worker stopped")));
    }

    /// A worker restart gives the same model back: its curve stays, and a run with no finished
    /// epoch is still not kept.
    #[test]
    fn a_restart_keeps_the_curve_and_keeps_no_empty_run() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Step { epoch: 1, step: 10, steps_per_epoch: 166, loss: 0.6, gradient: None }, 0.0);
        p.apply(FromWorker::Checkpoint { file: vec![1], epoch_end: false }, 0.0);
        p.apply(FromWorker::Crashed { message: "x".into() }, 0.0);
        p.restart(DevicePref::Cpu);
        p.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        let restored = FromWorker::Restored { source: ModelSource::Saved, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: None, history: vec![] };
        p.apply(restored, 0.0);
        assert_eq!(p.model.batches.len(), 1);
        assert_eq!(kept(&mut p, FromWorker::Checkpoint { file: vec![1], epoch_end: true }), vec![]);
    }

    #[test]
    fn a_lost_gpu_offers_the_cpu_with_the_model() {
        let mut p = page();
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Checkpoint { file: vec![4, 4], epoch_end: false }, 0.0);
        p.apply(FromWorker::DeviceLost { message: "the GPU device was lost".into() }, 0.0);
        assert_eq!(p.worker.failure, Some(Failure::DeviceLost));
        assert!(!p.training() && p.messages.status.contains("Continue on the CPU"));
        p.restart(DevicePref::Cpu);
        assert_eq!((p.worker.pref, p.worker.device.clone()), (DevicePref::Cpu, None));
        assert_eq!(p.model.restore, Some((vec![4, 4], ModelSource::Saved)));
    }

    /// A record as the library lists it.
    pub(crate) fn record(id: &str, number: u32, started_ms: f64) -> RunRecord {
        RunRecord {
            version: filterlab_protocol::RECORD_VERSION,
            id: id.into(),
            number,
            label: format!("run {number}"),
            parent: None,
            started_ms,
            updated_ms: started_ms,
            device: None,
            settings: Some(Settings::default()),
            history: vec![row(1, 1, 0.9)],
            batches: vec![],
            file_bytes: 10,
        }
    }

    #[test]
    fn the_newest_kept_run_opens_once_the_data_is_ready_and_an_import_in_flight_wins() {
        let mut p = page();
        let open = p.library_listed(vec![record("a", 1, 1.0), record("b", 2, 2.0)], vec![]);
        assert_eq!(open, vec![Effect::Open { id: "b".into(), at_load: true }], "the newest");
        assert_eq!(p.library.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["b", "a"], "newest first");
        assert_eq!(p.run_file_read("a".into(), true, vec![9]), vec![], "not the run being opened");
        assert_eq!(p.run_file_read("b".into(), true, vec![1]), vec![], "no data yet");
        // A restart meanwhile (a device switch) leaves the run on its way.
        p.restart(DevicePref::Cpu);
        assert_eq!(p.model.restore, Some((vec![1], ModelSource::Kept { id: "b".into(), at_load: true })));
        let ready = p.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        assert_eq!(ready[1], Effect::Send(ToWorker::Import { bytes: vec![1], source: ModelSource::Kept { id: "b".into(), at_load: true } }));
        assert!(p.model.restore.is_none());
        let mut late = page();
        started(&mut late);
        late.library_listed(vec![record("a", 1, 1.0)], vec![]);
        let source = ModelSource::Kept { id: "a".into(), at_load: true };
        assert_eq!(late.run_file_read("a".into(), true, vec![2]), vec![Effect::Send(ToWorker::Import { bytes: vec![2], source })]);
        let mut busy = page();
        busy.model.restore = Some((vec![3], ModelSource::Saved));
        assert_eq!(busy.library_listed(vec![record("a", 1, 1.0)], vec![]), vec![], "a model is on its way");
        // What the user does while a run is being opened wins: Train, or an Import.
        let mut user = page();
        started(&mut user);
        assert_eq!(user.library_listed(vec![record("a", 1, 1.0)], vec![]).len(), 1);
        user.train(false);
        assert_eq!(user.run_file_read("a".into(), true, vec![2]), vec![], "Train was pressed");
        assert_eq!(user.open("a").len(), 1);
        assert_eq!(user.import(vec![4], "bad.flab".into()), vec![], "a file that is not a model changes nothing");
        assert_eq!(user.model.opening.as_deref(), Some("a"));
        assert_eq!(user.import(crate::files::tests::flab(), "m.flab".into()).len(), 1);
        assert_eq!(user.run_file_read("a".into(), false, vec![2]), vec![], "a file was imported");
        assert!(user.model.restore.is_none());
        // Records that cannot be read are named; the others are listed.
        let mut damaged = page();
        damaged.library_listed(vec![record("a", 1, 1.0)], vec!["run x: it is damaged".into()]);
        assert_eq!(damaged.library.len(), 1);
        assert_eq!(damaged.messages.notice.as_deref(), Some("Skipped in the run library: run x: it is damaged. Every other run is listed."));
    }

    /// The notebook's exercise: SGD, Reset, Adam. Both runs are kept (Reset deletes nothing);
    /// the SGD run opens from the list; Continue on it is a new run naming it.
    #[test]
    fn sgd_then_reset_then_adam_keeps_both_runs() {
        let mut p = page();
        p.tab = "t1".into();
        p.opened_ms = 1_000_000.0;
        started(&mut p);
        training(&mut p, 0);
        p.apply(FromWorker::Epoch { row: row(1, 1, 0.9) }, 0.0);
        kept(&mut p, FromWorker::Checkpoint { file: vec![1], epoch_end: true });
        p.apply(FromWorker::Finished, 0.0);
        assert_eq!(p.reset(), vec![Effect::Send(ToWorker::Reset)], "nothing kept is deleted");
        p.apply(FromWorker::ResetDone, 0.0);
        p.form.optimizer = OptimizerKind::Adam;
        training(&mut p, 0);
        p.apply(FromWorker::Epoch { row: EpochRow { optimizer: OptimizerKind::Adam, ..row(1, 1, 0.97) } }, 500.0);
        kept(&mut p, FromWorker::Checkpoint { file: vec![2], epoch_end: true });
        p.apply(FromWorker::Finished, 0.0);
        assert_eq!(listed(&p), ["#2 Adam lr 0.001 seed 42 8,1, 8 filters 3×3, pool 7", "#1 SGD lr 0.001 seed 42 8,1, 8 filters 3×3, pool 7"]);
        let sgd = p.library[1].id.clone();
        assert!(sgd.ends_with("-t1") && sgd != p.library[0].id, "{sgd}");
        // Overlay, then open the SGD run: its record becomes the current model's.
        p.toggle_overlay(&sgd);
        assert_eq!(p.overlays, [sgd.clone()]);
        assert_eq!(p.open(&sgd), vec![Effect::Open { id: sgd.clone(), at_load: false }]);
        let import = p.run_file_read(sgd.clone(), false, vec![1]);
        assert_eq!(import, vec![Effect::Send(ToWorker::Import { bytes: vec![1], source: ModelSource::Kept { id: sgd.clone(), at_load: false } })]);
        let restored = FromWorker::Restored {
            source: ModelSource::Kept { id: sgd.clone(), at_load: false },
            digits: Digits::default(),
            shape: NetShape::NOTEBOOK,
            settings: Some(Settings::default()),
            history: vec![row(1, 1, 0.9)],
        };
        p.apply(restored, 0.0);
        assert!(p.messages.status.starts_with("Opened run #1 (8 vs 1, 1 epoch trained)"), "{}", p.messages.status);
        assert_eq!((p.model.record.as_ref().map(|r| r.id.clone()), p.model.saved_epochs), (Some(sgd.clone()), Some(1)));
        // Its checkpoint is not written back; Continue forks a new run that names it.
        assert_eq!(kept(&mut p, FromWorker::Checkpoint { file: vec![1], epoch_end: true }), vec![]);
        training(&mut p, 1);
        p.apply(FromWorker::Epoch { row: row(2, 2, 0.92) }, 0.0);
        kept(&mut p, FromWorker::Checkpoint { file: vec![3], epoch_end: true });
        assert_eq!(p.library.len(), 3);
        assert_eq!(p.library[0].parent, Some(sgd.clone()));
        assert_eq!((p.library[0].number, p.library[0].history.len()), (3, 2));
        assert!(p.library[0].label.ends_with("→ #1 continued"), "{}", p.library[0].label);
        // Delete asks first; the deleted run leaves the list and the charts.
        // Rename: a blank name is refused; a new one is written, and the list follows.
        p.start_rename(&sgd);
        p.renaming.as_mut().unwrap().1 = "  ".into();
        assert_eq!(p.finish_rename(), vec![]);
        assert!(p.messages.error.as_deref().unwrap().starts_with("A run needs a name"));
        p.start_rename(&sgd);
        assert_eq!(p.renaming.as_ref().map(|r| r.1.as_str()), Some("SGD lr 0.001 seed 42 8,1, 8 filters 3×3, pool 7"));
        p.renaming.as_mut().unwrap().1 = " SGD, the first half ".into();
        let [Effect::Relabel { record }] = &p.finish_rename()[..] else { panic!() };
        assert_eq!((record.id.as_str(), record.label.as_str(), record.history.len()), (sgd.as_str(), "SGD, the first half", 1));
        p.relabelled(record.clone());
        assert_eq!(listed(&p)[2], "#1 SGD, the first half");
        // Persistent storage is asked for once, now that runs are kept.
        assert!(p.ask_persist() && !p.ask_persist());
        assert_eq!(p.delete(&sgd), vec![]);
        assert_eq!(p.delete(&sgd), vec![Effect::Delete { id: sgd.clone() }]);
        p.deleted(&sgd);
        assert_eq!((p.library.len(), p.overlays.len()), (2, 0));
    }

    /// An imported model is kept as a run of its own.
    #[test]
    fn an_imported_model_is_kept_as_a_run() {
        let mut p = page();
        started(&mut p);
        let restored = FromWorker::Restored { source: ModelSource::File { name: "m.flab".into() }, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: None, history: vec![] };
        p.apply(restored, 0.0);
        let effects = kept(&mut p, FromWorker::Checkpoint { file: vec![5], epoch_end: true });
        assert!(matches!(&effects[..], [Effect::Keep { record, .. }] if record.label == "m.flab (imported)" && record.file_bytes == 1), "{effects:?}");
        assert_eq!(listed(&p), ["#1 m.flab (imported)"]);
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
        assert_eq!((p.model.history.len(), p.model.total_epochs, p.model.optimizer), (2, 2, Some(OptimizerKind::Adam)));
        assert!(p.messages.status.starts_with("Restored the saved model (3 vs 5, 2 epochs trained)"), "{}", p.messages.status);
        let mut linked = PageState::new(&Address::parse("?lr=0.5"));
        linked.apply(restored(ModelSource::Saved), 0.0);
        assert_eq!((linked.form.lr.as_str(), linked.form.digits.as_str()), ("0.5", "3,5"), "the link's settings stay; the digits are the model's");
        linked.apply(restored(ModelSource::File { name: "m.flab".into() }), 0.0);
        assert_eq!(linked.form.lr, "0.01", "a picked file brings its own settings");
        assert!(linked.messages.status.starts_with("Imported m.flab"));
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
        assert_eq!(p.messages.error.as_deref(), Some("x.flab was not imported: not a model file. The current model is unchanged."));
        assert!(p.train(false).is_some(), "a new run is possible");
        assert_eq!(p.messages.error, None, "and dismisses the error");
        p.apply(FromWorker::DrawingRefused { reason: "draw a digit first".into() }, 0.0);
        assert_eq!((p.model.prediction.clone(), p.model.refused.as_deref()), (None, Some("draw a digit first")));
    }

    #[test]
    fn a_new_epoch_reclassifies_the_drawing_and_reset_forgets_the_model() {
        let mut p = page();
        started(&mut p);
        assert_eq!(p.apply(FromWorker::Epoch { row: row(1, 1, 0.9) }, 0.0), vec![], "nothing drawn");
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        p.apply(FromWorker::Prediction(Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image: vec![0.0; 784], explanation }), 0.0);
        assert_eq!(p.model.prediction.as_ref().map(Prediction::digit), Some(1));
        assert_eq!(p.apply(FromWorker::Epoch { row: row(2, 2, 0.9) }, 0.0), vec![Effect::Reclassify]);
        p.apply(FromWorker::Checkpoint { file: vec![1], epoch_end: false }, 0.0);
        // Reset forgets the model here and in the worker.
        assert_eq!(p.reset(), vec![Effect::Send(ToWorker::Reset)]);
        assert_eq!(p.model, ModelView::default());
        assert!(!p.can_continue());
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
        assert!(p.messages.status.contains("Imported ten.flab (all ten digits"), "{}", p.messages.status);
        let mut probabilities = vec![0.01; 10];
        probabilities[7] = 0.91;
        let explanation = Explanation { shape: ten, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0; 10] };
        p.apply(FromWorker::Prediction(Prediction { digits: Digits::All, probabilities, image: vec![0.0; 784], explanation }), 0.0);
        assert_eq!(p.model.prediction.as_ref().map(|p| (p.class(), p.digit())), Some((7, 7)));
        let matrix: Confusion = (0..10).map(|a| (0..10).map(|b| if a == b { 900 } else { 10 }).collect()).collect();
        p.apply(FromWorker::Confusion(ConfusionMatrix { digits: Digits::All, epochs: 2, matrix: matrix.clone() }), 0.0);
        assert_eq!(p.model.confusion.as_ref().map(|c| (c.digits, c.matrix.clone())), Some((Digits::All, matrix)));
        // A late answer for a 10×10 cell after a pair's matrix came is dropped, not drawn.
        p.apply(FromWorker::Confusion(ConfusionMatrix { digits: Digits::default(), epochs: 1, matrix: vec![vec![1, 0], vec![0, 1]] }), 0.0);
        let seven = Example { index: 0, image: vec![0.0; 784], probabilities: vec![0.1; 10] };
        p.apply(FromWorker::Examples(ExampleSet { actual: 7, predicted: 7, total: 1, examples: vec![seven] }), 0.0);
        assert_eq!(p.model.examples, None);
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
        assert_eq!(p.model.edit, None, "no model yet");
        let weights: Vec<f32> = (0..72).map(|i| i as f32 / 100.0).collect();
        p.apply(FromWorker::Filters(Filters { shape: NetShape::NOTEBOOK, weights, biases: vec![0.5; 8] }), 0.0);
        p.edit_filter(2);
        let edit = p.model.edit.clone().unwrap();
        assert_eq!((edit.filter, edit.kernel, edit.draft.len()), (2, 3, 10));
        assert_eq!((edit.draft[0].as_str(), edit.draft[9].as_str()), ("0.18", "0.5"));
        let sobel = p.apply_preset(Preset::HorizontalEdge);
        assert_eq!(sobel, Some(ToWorker::SetFilter { filter: 2, weights: vec![-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0], bias: 0.0 }));
        assert_eq!(p.model.edit.as_ref().unwrap().draft[..3], ["-1", "-2", "-1"]);
        assert_eq!([short(-0.0001), short(0.12345), short(10.0)], ["0", "0.123", "10"]);
        // Two random presets differ.
        let (Some(ToWorker::SetFilter { weights: a, .. }), Some(ToWorker::SetFilter { weights: b, .. })) = (p.apply_preset(Preset::Random), p.apply_preset(Preset::Random)) else { panic!() };
        assert_ne!(a, b);
        p.model.edit.as_mut().unwrap().draft[3] = "x".into();
        assert_eq!(p.apply_edit(), None);
        assert_eq!(p.messages.error.as_deref(), Some("Filter 2 was not set: weight (2, 1): \"x\" is not a number."));
        p.model.edit.as_mut().unwrap().draft[3] = " 0.25 ".into();
        assert!(matches!(p.apply_edit(), Some(ToWorker::SetFilter { filter: 2, ref weights, .. }) if weights[3] == 0.25));
        // The model changed: the drawing is read again.
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![0.0, 1.0] };
        p.apply(FromWorker::Prediction(Prediction { digits: Digits::default(), probabilities: vec![0.2, 0.8], image: vec![0.0; 784], explanation }), 0.0);
        assert_eq!(p.apply(FromWorker::FilterSet { filter: 2 }, 0.0), vec![Effect::Reclassify]);
        assert!(p.messages.status.starts_with("Filter 2 set by hand"));
        // Freezing goes into the run's settings (ticks beyond the network's filters do not).
        p.form.set_frozen(2, true);
        p.form.set_frozen(0, true);
        p.form.set_frozen(2, false);
        p.form.set_frozen(5, true);
        assert_eq!(p.form.frozen, [0, 5]);
        p.form.filters = "4".into();
        assert_eq!(p.form.settings().unwrap().frozen, [0]);
        p.edit_filter(8);
        assert_eq!(p.model.edit, None, "the model has filters 0 to 7");
        // A model with fewer filters drops the ticks it lacks; Reset drops them all.
        p.form.set_frozen(7, true);
        p.apply(FromWorker::Filters(Filters { shape: NetShape { filters: 6, ..NetShape::NOTEBOOK }, weights: vec![0.0; 54], biases: vec![0.0; 6] }), 0.0);
        assert_eq!(p.form.frozen, [0, 5]);
        p.reset();
        assert!(p.form.frozen.is_empty() && p.model.edit.is_none());
    }

    /// The service worker is asked to keep the train files once the data is in, and the t10k
    /// files once the ten-digit task has used them.
    #[test]
    fn what_this_visit_used_is_kept_offline() {
        let mut p = page();
        p.apply(FromWorker::Ready, 0.0);
        let ready = p.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        assert_eq!(ready, vec![Effect::KeepOffline { ten_digits: false }]);
        let pair = Preview { digits: Digits::default(), images: vec![vec![], vec![]] };
        assert_eq!(p.apply(FromWorker::Preview(pair), 0.0), vec![]);
        let ten = Preview { digits: Digits::All, images: vec![vec![]; 10] };
        assert_eq!(p.apply(FromWorker::Preview(ten), 0.0), vec![Effect::KeepOffline { ten_digits: true }]);
        let matrix = ConfusionMatrix { digits: Digits::All, epochs: 1, matrix: vec![vec![1; 10]; 10] };
        assert_eq!(p.apply(FromWorker::Confusion(matrix), 0.0), vec![Effect::KeepOffline { ten_digits: true }]);
    }

    #[test]
    fn kept_runs_can_be_overlaid_and_a_deleted_current_run_is_no_longer_kept() {
        let mut p = page();
        started(&mut p);
        for _ in 0..2 {
            training(&mut p, 0);
            p.apply(FromWorker::Epoch { row: row(1, 1, 0.9) }, 0.0);
            kept(&mut p, FromWorker::Checkpoint { file: vec![1], epoch_end: true });
            p.apply(FromWorker::Finished, 0.0);
        }
        // A run kept in another tab is listed here too, in its place.
        p.kept_elsewhere(record("elsewhere", 9, -1.0));
        assert_eq!(p.library.last().map(|r| r.id.as_str()), Some("elsewhere"));
        p.deleted("elsewhere");
        let ids: Vec<String> = p.library.iter().map(|r| r.id.clone()).collect();
        p.toggle_overlay(&ids[1]);
        p.toggle_overlay("not kept");
        assert_eq!(p.overlays, [ids[1].clone()]);
        p.toggle_overlay(&ids[1]);
        assert!(p.overlays.is_empty());
        // The run being trained cannot be deleted.
        training(&mut p, 1);
        assert!(!p.can_delete(&ids[0]) && p.can_delete(&ids[1]));
        assert_eq!((p.delete(&ids[0]), p.delete(&ids[0])), (vec![], vec![]));
        p.apply(FromWorker::Stopped, 0.0);
        // The current model's run deleted: the model stays, unkept; its next epoch is a new run.
        p.delete(&ids[0]);
        p.delete(&ids[0]);
        p.deleted(&ids[0]);
        assert_eq!((p.model.record.clone(), p.model.saved_epochs, p.can_continue()), (None, None, true));
    }
}
