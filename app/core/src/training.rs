//! The notebook's training loop, on any Burn device, asynchronous and stoppable between steps.
//!
//! The data set lives on the device; each step gathers its batch there. Loss and correct counts
//! accumulate on the device and are read back once per epoch (plus the latest batch loss every
//! `report_every` steps), always with async reads so the same code runs in a browser worker.

use std::ops::ControlFlow;

use burn::{
    module::Module,
    optim::{GradientsParams, ModuleOptimizer},
    prelude::*,
    tensor::{ExecutionError, Transaction},
};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use web_time::Instant;

use crate::{
    dataset::{Digits, Samples, Split, WORDS},
    fused::{self, StepArgs},
    idx::PIXELS,
    model::{Model, ModelConfig, NetShape},
    optimizer,
    weights::Weights,
};

pub use filterlab_protocol::{Ops, OptimizerKind, SettingsError as ConfigError};
use filterlab_protocol::{EpochRow, GradientNorms, Settings, settings};

/// Hyper-parameters; the defaults are the notebook's.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    #[config(default = "OptimizerKind::Sgd")]
    pub optimizer: OptimizerKind,
    #[config(default = 1e-3)]
    pub lr: f64,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 10)]
    pub epochs: usize,
    #[config(default = 42)]
    pub seed: u64,
    /// Read the latest batch loss back every this many steps (each read is a device sync).
    #[config(default = 10)]
    pub report_every: usize,
    /// The fused op (default; every network the knobs allow, on both devices) or Burn's stock
    /// autodiff path (the reference it is tested against).
    #[config(default = "Ops::Fused")]
    pub ops: Ops,
    /// The network a fresh run builds (a run that continues a model keeps the model's).
    #[config(default = "ModelConfig::new()")]
    pub model: ModelConfig,
    /// Filters training leaves as they are (their weights and bias): "train the head only".
    #[config(default = "Vec::new()")]
    pub frozen: Vec<usize>,
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        settings::check(self.lr, self.batch_size, self.epochs)?;
        if self.report_every == 0 {
            return Err(ConfigError::ReportEvery);
        }
        self.model.validate()?;
        settings::check_frozen(&self.frozen, self.model.filters)
    }

    /// The frozen filters as a bit set (bit `f` for filter `f`; at most 32 filters).
    pub fn frozen_bits(&self) -> u32 {
        self.frozen.iter().filter(|&&f| f < 32).fold(0, |bits, &f| bits | 1 << f)
    }
}

impl From<&Settings> for TrainConfig {
    fn from(s: &Settings) -> Self {
        Self::new()
            .with_optimizer(s.optimizer)
            .with_lr(s.lr)
            .with_epochs(s.epochs)
            .with_batch_size(s.batch_size)
            .with_seed(s.seed)
            .with_model(ModelConfig::from(s.shape))
            .with_frozen(s.frozen.clone())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the device failed: {0}")]
    Device(String),
    #[error("the loss became {value} at epoch {epoch}: training diverged (try a smaller learning rate)")]
    NotFinite { epoch: usize, value: f32 },
    #[error("the weights became NaN or infinite at epoch {epoch}: training diverged (try a smaller learning rate)")]
    WeightsNotFinite { epoch: usize },
}

/// Burn's reason, cut to its innermost cause: the reason can hold a chain of "Caused by:" lines
/// and a backtrace, and people need the last line of the chain.
impl From<ExecutionError> for TrainError {
    fn from(e: ExecutionError) -> Self {
        let reason = match &e {
            ExecutionError::WithContext { reason } | ExecutionError::Generic { reason, .. } => reason,
            ExecutionError::DevicePoisoned { reason } => reason,
        };
        let before_backtrace = reason.split("Backtrace:").next().unwrap_or(reason);
        let innermost = before_backtrace.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "Caused by:").last();
        Self::Device(innermost.unwrap_or("no reason given").to_string())
    }
}

/// The notebook's four numbers after an epoch, and how long the epoch took.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// 1-based, as the notebook prints it.
    pub epoch: usize,
    pub train_loss: f32,
    pub train_acc: f32,
    pub test_loss: f32,
    pub test_acc: f32,
    /// Training steps and test evaluation, wall clock.
    pub seconds: f64,
    /// The model's parameters at the end of the epoch (the filters change as it learns).
    pub weights: Weights,
}

impl EpochMetrics {
    /// The epoch's row in a run's history, for a model that had `done_before` epochs when this
    /// run of `epochs` more began. (Dispatches per step are the browser worker's to count.)
    pub fn row(&self, done_before: usize, epochs: usize, optimizer: OptimizerKind) -> EpochRow {
        EpochRow {
            epoch: done_before + self.epoch,
            epochs: done_before + epochs,
            optimizer,
            train_loss: self.train_loss,
            train_acc: self.train_acc,
            test_loss: self.test_loss,
            test_acc: self.test_acc,
            seconds: self.seconds,
            dispatches_per_step: None,
            my_acc: None,
        }
    }
}

/// What [`Trainer::next`] (and so [`Trainer::run`]) reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A reported step: an epoch's first and last, and every `report_every`-th. `loss` is that
    /// batch's loss, `gradient` its gradient's norms, read back from the device.
    Step { epoch: usize, step: usize, steps_per_epoch: usize, loss: Option<f32>, gradient: Option<GradientNorms> },
    Epoch(EpochMetrics),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Stopped,
}

/// A data set resident on the device: images and classes `[n]`.
struct DeviceSet {
    images: Images,
    classes: Tensor<1, Int>,
    len: usize,
}

/// The images as Burn's stock ops read them, floats `[n, 784]`, or as the fused op reads them,
/// bytes packed four to a word `[n, 196]` (`Samples::packed`): 47 MB for all ten digits' 60,000
/// rather than 188, which no GPU buffer of WebGPU's default limits (128 MiB) could hold.
enum Images {
    Floats(Tensor<2>),
    Packed(Tensor<2, Int>),
}

impl DeviceSet {
    fn new(samples: &Samples, ops: Ops, device: &Device) -> Self {
        let len = samples.len();
        let classes: Vec<i64> = samples.classes.iter().map(|&c| c as i64).collect();
        let images = match ops {
            Ops::Stock => Images::Floats(Tensor::from_data(TensorData::new(samples.floats(0..len), [len, PIXELS]), device)),
            Ops::Fused => Images::Packed(Tensor::from_data(TensorData::new(samples.packed(), [len, WORDS]), device)),
        };
        Self { images, classes: Tensor::from_data(TensorData::new(classes, [len]), device), len }
    }

    fn floats(&self) -> Tensor<2> {
        match &self.images {
            Images::Floats(t) => t.clone(),
            Images::Packed(_) => unreachable!("the stock path's sets hold floats"),
        }
    }

    fn packed(&self) -> Tensor<2, Int> {
        match &self.images {
            Images::Packed(t) => t.clone(),
            Images::Floats(_) => unreachable!("the fused path's sets hold packed bytes"),
        }
    }
}

/// Mean negative log-likelihood of the true classes, like `nn.NLLLoss()`: `[batch, classes]` → `[1]`.
pub fn nll_loss(log_probs: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = log_probs.dims();
    log_probs.gather(1, classes.reshape([batch, 1])).mean().neg()
}

/// How the steps are taken: Burn's autodiff and optimizer on a [`Model`], or the fused op on
/// one packed state buffer (see [`crate::fused`]).
enum Engine {
    Stock {
        /// With autodiff.
        model: Model,
        optim: ModuleOptimizer,
        loss_sum: Tensor<1>,
        correct: Tensor<1, Int>,
        /// The latest step's loss and squared gradient norms (conv, fc).
        last_step: Option<Tensor<1>>,
    },
    Fused {
        /// Taken out for each step so the op can update it in place.
        state: Option<Tensor<1>>,
        /// Steps taken since the optimizer started (Adam's bias correction).
        steps: u32,
    },
}

/// Holds the model, its optimizer and the device-resident data; advance it with
/// [`Trainer::step`] and [`Trainer::finish_epoch`], or let [`Trainer::run`] drive it.
pub struct Trainer {
    config: TrainConfig,
    engine: Engine,
    train: DeviceSet,
    test: DeviceSet,
    rng: StdRng,
    /// Epochs finished so far.
    epoch: usize,
    /// This epoch's shuffled sample order, on the device.
    order: Tensor<1, Int>,
    cursor: usize,
    step_in_epoch: usize,
    epoch_start: Instant,
    pace: Pace,
}

/// How many steps [`Trainer::next`] queues at once (one dispatch on a GPU; two a step for batches
/// split over workgroups): up to the next report,
/// and no more than take [`Pace::BUDGET`] at the pace of the latest reported ones, so that no
/// dispatch runs long enough to trip a GPU watchdog (Windows resets a GPU after 2 s).
#[derive(Debug, Clone, Copy, Default)]
struct Pace {
    /// Seconds a step, from queueing the latest reported steps to reading their report back.
    per_step: Option<f64>,
}

impl Pace {
    const BUDGET: f64 = 0.5;

    fn most(&self) -> usize {
        self.per_step.map_or(usize::MAX, |s| ((Self::BUDGET / s) as usize).max(1))
    }

    fn took(&mut self, steps: usize, seconds: f64) {
        self.per_step = Some(seconds / steps as f64);
    }
}

impl Trainer {
    /// Seeds the device, initialises a fresh model of `config.model` and moves the data onto `device`.
    pub fn new(split: &Split, config: TrainConfig, device: &Device) -> Result<Self, TrainError> {
        config.validate()?;
        settings::check_classes(split.digits, config.model.classes)?;
        device.seed(config.seed);
        let model = config.model.init(&device.clone().autodiff());
        Ok(Self::with_model(split, config, model, device))
    }

    /// Continues training an existing model (for example one loaded from a file), with a fresh
    /// optimizer. `config.model` becomes the model's shape.
    ///
    /// The model must have the split's classes (the page and the CLI check its digits first).
    pub fn with_model(split: &Split, mut config: TrainConfig, model: Model, device: &Device) -> Self {
        let shape = model.shape();
        assert_eq!(shape.classes, split.digits.classes(), "a model of {} classes cannot learn {}", shape.classes, split.digits.describe());
        config.model = ModelConfig::from(shape);
        let engine = match config.ops {
            Ops::Stock => Engine::Stock {
                // `train()` turns gradient tracking (back) on for a model built without autodiff.
                model: model.fork(&device.clone().autodiff()).train(),
                optim: optimizer::stock(config.optimizer),
                loss_sum: Tensor::zeros([1], device),
                correct: Tensor::zeros([1], device),
                last_step: None,
            },
            Ops::Fused => Engine::Fused { state: Some(fused::state_of(&model)), steps: 0 },
        };
        // The stock path gathers batches on the autodiff device; the fused op reads plain tensors.
        let train_device = match config.ops {
            Ops::Stock => device.clone().autodiff(),
            Ops::Fused => device.clone(),
        };
        let mut trainer = Self {
            rng: StdRng::seed_from_u64(config.seed),
            engine,
            train: DeviceSet::new(&split.train, config.ops, &train_device),
            test: DeviceSet::new(&split.test, config.ops, device),
            epoch: 0,
            order: Tensor::zeros([1], device),
            cursor: 0,
            step_in_epoch: 0,
            epoch_start: Instant::now(),
            pace: Pace::default(),
            config,
        };
        trainer.start_epoch();
        trainer
    }

    /// The configuration as the trainer runs it (`model` is the shape of the model it trains).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Epochs finished so far.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.train.len.div_ceil(self.config.batch_size)
    }

    /// Steps taken in the current epoch.
    pub fn step_in_epoch(&self) -> usize {
        self.step_in_epoch
    }

    fn start_epoch(&mut self) {
        let device = self.train.classes.device();
        let mut order: Vec<i64> = (0..self.train.len as i64).collect();
        order.shuffle(&mut self.rng);
        self.order = Tensor::from_data(TensorData::new(order, [self.train.len]), &device);
        self.cursor = 0;
        self.step_in_epoch = 0;
        if let Engine::Stock { loss_sum, correct, last_step, .. } = &mut self.engine {
            let inner = self.test.classes.device();
            *loss_sum = Tensor::zeros([1], &inner);
            *correct = Tensor::zeros([1], &inner);
            *last_step = None;
        }
        self.epoch_start = Instant::now();
    }

    /// Queues one optimizer step on the next batch; reads nothing back.
    /// Returns `false` (and does nothing) when this epoch's batches are used up.
    pub fn step(&mut self) -> bool {
        self.steps(1) == 1
    }

    /// Queues up to `most` optimizer steps on this epoch's next batches (on a GPU the fused path
    /// takes them in one dispatch, or two a step for a batch of 256 or more); reads nothing back. Returns how many it queued: none once
    /// the epoch's batches are used up.
    pub fn steps(&mut self, most: usize) -> usize {
        let size = self.config.batch_size;
        let count = most.min((self.train.len - self.cursor).div_ceil(size));
        if count == 0 {
            return 0;
        }
        if self.step_in_epoch == 0 {
            // The epoch's clock starts with its first step, not with whatever the caller does
            // between epochs (the page's confusion matrix, say).
            self.epoch_start = Instant::now();
        }
        let end = (self.cursor + count * size).min(self.train.len);
        match &mut self.engine {
            Engine::Stock { model, optim, loss_sum, correct, last_step } => {
                for from in (self.cursor..end).step_by(size) {
                    let to = (from + size).min(end);
                    let batch = to - from;
                    let picks = self.order.clone().slice(from..to);
                    let images = self.train.floats().select(0, picks.clone());
                    let classes = self.train.classes.clone().select(0, picks);

                    let log_probs = model.forward_flat(images); // [batch, classes]
                    let loss = nll_loss(log_probs.clone(), classes.clone());
                    let mut grads = GradientsParams::from_grads(loss.backward(), model);
                    freeze(&mut grads, model, self.config.frozen_bits());
                    let grad_sq = squared_norms(&grads, model);
                    *model = optim.step(self.config.lr, model.clone(), grads);

                    // The notebook's bookkeeping: loss × batch size summed, correct predictions counted.
                    let loss = loss.inner();
                    let predicted = log_probs.inner().argmax(1).reshape([batch]);
                    let right = predicted.equal(classes.inner()).int().sum();
                    *loss_sum = loss_sum.clone() + loss.clone() * batch as f32;
                    *correct = correct.clone() + right;
                    *last_step = Some(Tensor::cat(vec![loss, grad_sq], 0));
                }
            }
            Engine::Fused { state, steps } => {
                let from = *steps + 1;
                *steps += count as u32;
                let args = StepArgs {
                    shape: self.config.model.shape(),
                    start: self.cursor as u32,
                    len: size as u32,
                    count: count as u32,
                    end: self.train.len as u32,
                    first: self.step_in_epoch == 0,
                    update: optimizer::fused(&self.config, from),
                    frozen: self.config.frozen_bits(),
                };
                // One length for the run's every dispatch (its groups are at most `report_every`
                // steps long), so that the kernel's launch numbers stay the same (see `Batch`).
                let mut schedule = optimizer::schedule(&self.config, from, count as u32);
                schedule.resize(2 * count.max(self.config.report_every), 0.0);
                let len = schedule.len();
                let schedule = Tensor::from_data(TensorData::new(schedule, [len]), &self.order.device());
                let current = state.take().expect("the fused state is put back after every step");
                *state = Some(fused::op::train_step(
                    self.train.packed(),
                    self.train.classes.clone(),
                    self.order.clone(),
                    schedule,
                    current,
                    args,
                ));
            }
        }
        self.cursor = end;
        self.step_in_epoch += count;
        count
    }

    /// The epoch's next reported step: its first, every `report_every`-th, and its last.
    fn next_report(&self) -> usize {
        let every = self.config.report_every;
        if self.step_in_epoch == 0 { 1 } else { ((self.step_in_epoch / every + 1) * every).min(self.steps_per_epoch()) }
    }

    /// Reads the loss of the latest step back from the device.
    pub async fn last_loss(&self) -> Result<Option<f32>, TrainError> {
        Ok(self.last_step().await?.map(|(loss, _)| loss))
    }

    /// Reads the latest step's loss and gradient norms back from the device, in one read.
    pub async fn last_step(&self) -> Result<Option<(f32, GradientNorms)>, TrainError> {
        if self.step_in_epoch == 0 {
            return Ok(None);
        }
        // The loss, then Σg² of the conv layer's gradient and of the linear layer's.
        let [loss, conv, fc] = match &self.engine {
            Engine::Stock { last_step, .. } => match last_step.clone() {
                Some(figures) => {
                    let data = figures.into_data_async().await?;
                    let v = data.as_slice::<f32>().expect("f32 figures");
                    [v[0], v[1], v[2]]
                }
                None => return Ok(None),
            },
            Engine::Fused { state, .. } => {
                let state = state.clone().expect("between steps").into_data_async().await?;
                let state = state.as_slice::<f32>().expect("an f32 state");
                let layout = fused::layout::Layout::of(self.config.model.shape());
                [state[layout.last_loss], state[layout.grad_sq], state[layout.grad_sq + 1]]
            }
        };
        if !loss.is_finite() {
            return Err(TrainError::NotFinite { epoch: self.epoch + 1, value: loss });
        }
        Ok(Some((loss, GradientNorms { conv: conv.sqrt(), fc: fc.sqrt() })))
    }

    /// Reads the model's parameters back from the device (one transfer).
    /// A diverging run's NaN or infinite weights are an error, never handed out.
    pub async fn weights(&self) -> Result<Weights, TrainError> {
        let weights = match &self.engine {
            Engine::Stock { model, .. } => model.weights().await?,
            Engine::Fused { state, .. } => {
                let state = state.clone().expect("between steps").into_data_async().await?;
                fused::weights_of(state.as_slice::<f32>().expect("an f32 state"), self.config.model.shape())
            }
        };
        if !weights.is_finite() {
            return Err(TrainError::WeightsNotFinite { epoch: self.epoch + 1 });
        }
        Ok(weights)
    }

    /// Evaluates on the test set, reads the epoch's numbers back in one transfer, and starts the
    /// next epoch. Call when [`Trainer::step`] returns `false`.
    pub async fn finish_epoch(&mut self) -> Result<EpochMetrics, TrainError> {
        let (loss_sum, correct, test_loss_sum, test_correct, weights) = match &self.engine {
            Engine::Stock { model, loss_sum, correct, .. } => {
                let model = model.valid();
                let (test_loss, test_correct) = evaluate(&model, &self.test);
                let tx = Transaction::default()
                    .register(loss_sum.clone())
                    .register(correct.clone())
                    .register(test_loss)
                    .register(test_correct);
                let mut data = model.register_weights(tx).execute_async().await?;
                let weights = model.weights_from_data(data.split_off(4));
                let scalar = |d: TensorData| d.convert::<f32>().try_into_vec::<f32>().unwrap()[0];
                let v: Vec<f32> = data.into_iter().map(scalar).collect();
                (v[0], v[1], v[2], v[3], weights)
            }
            Engine::Fused { state, .. } => {
                let state = state.clone().expect("between steps");
                let shape = self.config.model.shape();
                let test = fused::op::evaluate(self.test.packed(), self.test.classes.clone(), state.clone(), shape);
                let mut data = Transaction::default().register(state).register(test).execute_async().await?.into_iter();
                let state = data.next().unwrap().try_to_vec::<f32>().unwrap();
                // The evaluation's partial sums, one (loss, correct) pair per part.
                let parts = data.next().unwrap().try_to_vec::<f32>().unwrap();
                let (test_loss, test_correct) = parts.chunks_exact(2).fold((0.0, 0.0), |(l, c), p| (l + p[0], c + p[1]));
                let l = fused::layout::Layout::of(shape);
                (state[l.loss_sum], state[l.correct], test_loss, test_correct, fused::weights_of(&state, shape))
            }
        };
        let seen = self.cursor as f32;
        let metrics = EpochMetrics {
            epoch: self.epoch + 1,
            train_loss: loss_sum / seen,
            train_acc: correct / seen,
            test_loss: test_loss_sum / self.test.len as f32,
            test_acc: test_correct / self.test.len as f32,
            seconds: self.epoch_start.elapsed().as_secs_f64(),
            weights,
        };
        // The weights too: a NaN filter can leave the loss finite (its pooled maxima never win).
        if !metrics.train_loss.is_finite() || !metrics.weights.is_finite() {
            return Err(TrainError::NotFinite { epoch: metrics.epoch, value: metrics.train_loss });
        }
        self.epoch += 1;
        self.start_epoch();
        Ok(metrics)
    }

    /// Takes steps up to the next thing to report: a reported step (an epoch's first and last,
    /// and every `report_every`-th, with its loss read back) or an epoch's end (with the test
    /// set's numbers). `None` once the configured epochs are done. The one training loop: the CLI
    /// and the browser worker both drive it.
    pub async fn next(&mut self) -> Result<Option<Progress>, TrainError> {
        if self.epoch >= self.config.epochs {
            return Ok(None);
        }
        let steps_per_epoch = self.steps_per_epoch();
        loop {
            let report = self.next_report();
            let began = Instant::now();
            let taken = self.steps((report - self.step_in_epoch).min(self.pace.most()));
            if taken == 0 {
                return Ok(Some(Progress::Epoch(self.finish_epoch().await?)));
            }
            // Reading back waits for the steps, so the pace is measured either way.
            let read = self.last_step().await?;
            self.pace.took(taken, began.elapsed().as_secs_f64());
            if self.step_in_epoch == report {
                let (loss, gradient) = read.unzip();
                return Ok(Some(Progress::Step { epoch: self.epoch + 1, step: report, steps_per_epoch, loss, gradient }));
            }
            // Cut short by the pace (the run's first steps wait for shaders to compile, which
            // made them look slow): measured again, the rest go at the pace just measured.
        }
    }

    /// Trains for the configured number of epochs, giving each report of [`Trainer::next`] to
    /// `on`; `on` returning `Break` stops there.
    pub async fn run(
        &mut self,
        mut on: impl FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<Outcome, TrainError> {
        while let Some(progress) = self.next().await? {
            if on(&progress).is_break() {
                return Ok(Outcome::Stopped);
            }
        }
        Ok(Outcome::Finished)
    }
}

/// Queues a tiny run's work on `device` and reads nothing back: a fresh model of `shape`, one
/// fused step and the test evaluation, on two blank images. A GPU compiles a kernel at its first
/// launch, so this, called once the data is ready (the worker does), compiles the kernels while
/// the user reads the page instead of in the first training step.
pub fn warm_up(shape: NetShape, device: &Device) {
    let mut images = Samples::default();
    for class in 0..2 {
        images.push(&[0; PIXELS], class);
    }
    let digits = if shape.classes == 10 { Digits::All } else { Digits::default() };
    let split = Split { digits, train: images.clone(), test: images };
    let config = TrainConfig::new().with_model(ModelConfig::from(shape)).with_batch_size(2);
    if let Ok(mut trainer) = Trainer::new(&split, config, device) {
        trainer.steps(1);
        if let Engine::Fused { state: Some(state), .. } = &trainer.engine {
            let _queued = fused::op::evaluate(trainer.test.packed(), trainer.test.classes.clone(), state.clone(), shape);
        }
    }
}

/// Zeroes the gradient of every filter in `frozen` (bit `f` for filter `f`), so the optimizer
/// leaves it exactly as it is: SGD moves it by lr·0, momentum's velocity and Adam's moments stay zero.
fn freeze(grads: &mut GradientsParams, model: &Model, frozen: u32) {
    if frozen == 0 {
        return;
    }
    let filters = model.shape().filters;
    let keep: Vec<f32> = (0..filters).map(|f| if fused::layout::is_frozen(frozen, f) { 0.0 } else { 1.0 }).collect();
    let weight = model.conv1.weight.id;
    if let Some(g) = grads.remove::<4>(weight) {
        let mask = Tensor::<1>::from_data(TensorData::new(keep.clone(), [filters]), &g.device()).reshape([filters, 1, 1, 1]);
        grads.register(weight, g * mask);
    }
    let bias = model.conv1.bias.as_ref().expect("conv1 has a bias").id;
    if let Some(g) = grads.remove::<1>(bias) {
        let mask = Tensor::<1>::from_data(TensorData::new(keep, [filters]), &g.device());
        grads.register(bias, g * mask);
    }
}

/// Σg² of the conv layer's gradients (weights and bias) and of the linear layer's, as `[2]`.
fn squared_norms(grads: &GradientsParams, model: &Model) -> Tensor<1> {
    let sq = |g: Option<Tensor<1>>| g.map(|g| (g.clone() * g).sum());
    let conv_b = model.conv1.bias.as_ref().expect("conv1 has a bias").id;
    let fc_b = model.fc.bias.as_ref().expect("fc has a bias").id;
    let conv = [sq(grads.get::<4>(model.conv1.weight.id).map(|g| g.reshape([-1]))), sq(grads.get::<1>(conv_b))];
    let fc = [sq(grads.get::<2>(model.fc.weight.id).map(|g| g.reshape([-1]))), sq(grads.get::<1>(fc_b))];
    let total = |parts: [Option<Tensor<1>>; 2]| parts.into_iter().flatten().reduce(|a, b| a + b);
    let device = model.conv1.weight.val().inner().device();
    let zero = || Tensor::zeros([1], &device);
    Tensor::cat(vec![total(conv).unwrap_or_else(zero), total(fc).unwrap_or_else(zero)], 0)
}

/// Test loss and accuracy of a model (no autodiff) on a set of samples.
pub async fn test_metrics(model: &Model, samples: &Samples, device: &Device) -> Result<(f32, f32), TrainError> {
    let set = DeviceSet::new(samples, Ops::Stock, device);
    let (loss, correct) = evaluate(model, &set);
    let data = Transaction::default().register(loss).register(correct).execute_async().await?;
    let v: Vec<f32> = data.into_iter().map(|d| d.convert::<f32>().try_into_vec::<f32>().unwrap()[0]).collect();
    Ok((v[0] / set.len as f32, v[1] / set.len as f32))
}

/// Summed NLL and correct count over a whole set, on the device, in chunks of 500 images.
fn evaluate(model: &Model, set: &DeviceSet) -> (Tensor<1>, Tensor<1, Int>) {
    const CHUNK: usize = 500;
    let device = set.classes.device();
    let mut loss = Tensor::<1>::zeros([1], &device);
    let mut correct = Tensor::<1, Int>::zeros([1], &device);
    for start in (0..set.len).step_by(CHUNK) {
        let end = (start + CHUNK).min(set.len);
        let images = set.floats().slice(start..end);
        let classes = set.classes.clone().slice(start..end);
        let log_probs = model.forward_flat(images);
        loss = loss + nll_loss(log_probs.clone(), classes.clone()) * (end - start) as f32;
        correct = correct + log_probs.argmax(1).reshape([end - start]).equal(classes).int().sum();
    }
    (loss, correct)
}
