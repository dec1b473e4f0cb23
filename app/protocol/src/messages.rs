//! The typed messages between the page (main thread) and the training worker.
//! They travel as JSON strings through `postMessage`.

use serde::{Deserialize, Serialize};

use crate::{
    reports::{ConfusionMatrix, DeviceInfo, ExampleSet, Filters, GradientNorms, Memory, Prediction, Preview, Progress},
    settings::{Digits, Ops, OptimizerKind, Settings},
    shape::NetShape,
    my_digits::{MyDigit, MyScore},
    worked::{MapCell, WorkedStep},
};

/// Which device the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DevicePref {
    /// The faster of the two for this machine: see the worker's `auto.rs`.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

/// Which device trains: the CPU (Burn flex), or a GPU through wgpu (WebGPU in a browser; Vulkan,
/// Metal or DX12 natively). The worker reports it; the CLI's `--device` parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceKind {
    WebGpu,
    Cpu,
}

impl std::str::FromStr for DeviceKind {
    type Err = UnknownDevice;
    fn from_str(s: &str) -> Result<Self, UnknownDevice> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "wgpu" | "gpu" | "webgpu" => Ok(Self::WebGpu),
            _ => Err(UnknownDevice(s.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown device {0:?}: expected cpu or wgpu")]
pub struct UnknownDevice(pub String);

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ToWorker {
    /// Start a device (again) and load the data set from `{base_url}mnist/` if not loaded yet.
    /// `calibrate`: with `Auto`, time both devices even when the adapter is a software one.
    Start {
        device: DevicePref,
        base_url: String,
        calibrate: bool,
        /// Fused training steps (default) or Burn's stock path, for comparison (`?ops=stock`).
        #[serde(default)]
        ops: Ops,
    },
    /// Train a fresh model with these settings, or with `resume` go on training the current one
    /// for `settings.epochs` more epochs.
    Train {
        settings: Settings,
        #[serde(default)]
        resume: bool,
    },
    /// Replace the current model with this model file (`.flab`), if it is a good one.
    Import { bytes: Vec<u8>, source: ModelSource },
    /// Stop after the current step.
    Stop,
    /// Forget the trained model.
    Reset,
    /// Classify a drawing: `ink` is `width × height` intensities, 0 = paper, 255 = ink.
    Classify { width: u32, height: u32, ink: Vec<u8> },
    /// The test images in one cell of the confusion matrix (class indices).
    Examples { actual: usize, predicted: usize },
    /// Set filter `filter` of the current model by hand: its k×k `weights` (row-major) and bias.
    SetFilter { filter: usize, weights: Vec<f32>, bias: f32 },
    /// Work out one cell of one feature map of `image` (a drawing's 28×28, as its Prediction
    /// holds it) with the current model: answered by `Worked`.
    Work { image: Vec<f32>, cell: MapCell },
    /// The user's kept digits, whole (sent whenever the set changes, and to a new worker): the
    /// current model's score on them follows (`MyScore`), and "train on my digits too" uses them.
    MyDigits { set: Vec<MyDigit> },
}

/// Where an imported model comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelSource {
    /// The page's latest checkpoint, given back across a device switch or a worker restart.
    Saved,
    /// A file the user picked.
    File { name: String },
    /// A run kept in this browser's run library: opened from the list, or (`at_load`) the most
    /// recent one, opened when the page loads.
    Kept { id: String, at_load: bool },
    /// The model a link carried in its fragment (`#v=1&model=…`), opened with the page.
    Link,
}

/// What the WebGPU device's allocator holds (Burn's memory pool figures), and the GPU buffers
/// alive (created and not destroyed, counted by the worker's loader), when counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuMemory {
    pub allocations: u64,
    pub bytes_in_use: u64,
    pub bytes_reserved: u64,
    pub buffers: Option<u64>,
}

/// One finished epoch: the notebook's four numbers and the time it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    pub epoch: usize,
    pub epochs: usize,
    pub optimizer: OptimizerKind,
    pub train_loss: f32,
    pub train_acc: f32,
    pub test_loss: f32,
    pub test_acc: f32,
    pub seconds: f64,
    /// WebGPU compute dispatches per training step this epoch (`None` on the CPU).
    pub dispatches_per_step: Option<f64>,
    /// The accuracy on the user's digits of the task, when any are kept.
    #[serde(default)]
    pub my_acc: Option<f32>,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FromWorker {
    /// The worker's message handler is installed; messages sent before this are lost.
    Ready,
    /// The device training runs on; `note` says why when it is not the one asked for, or why
    /// Auto chose it.
    Device(DeviceInfo),
    /// Auto is timing a few training steps on each device.
    Calibrating,
    DataProgress(Progress),
    DataReady { train: usize, test: usize, digits: Digits },
    /// Training started with these settings (the optimizer actually used is in them), after
    /// `resumed_from` epochs already done (0 for a fresh model).
    Training {
        settings: Settings,
        steps_per_epoch: usize,
        resumed_from: usize,
        /// Training images in all, and how many of the user's digits are among them (each
        /// `my_digits::COPIES` times).
        #[serde(default)]
        train: usize,
        #[serde(default)]
        my_digits: usize,
    },
    /// A training step's loss and gradient norms, as read back from the device.
    Step { epoch: usize, step: usize, steps_per_epoch: usize, loss: f32, gradient: Option<GradientNorms> },
    Epoch { row: EpochRow },
    /// The current filters.
    Filters(Filters),
    /// What the model made of a drawing.
    Prediction(Prediction),
    /// One feature-map cell worked out (the answer to `Work`).
    Worked(WorkedStep),
    /// The current model's confusion matrix on the test set.
    Confusion(ConfusionMatrix),
    /// The current model on the user's kept digits of its task.
    MyScore(MyScore),
    /// Test images of one confusion-matrix cell.
    Examples(ExampleSet),
    /// A few random training images of each class.
    Preview(Preview),
    /// A drawing as the network would see it, when there is no model yet to read it.
    Drawn { image: Vec<f32> },
    /// The drawing could not be read as a digit (empty, a dot); nothing was classified.
    DrawingRefused { reason: String },
    /// The current model as a model file (`.flab`, with its settings and history), sent at every
    /// progress report: the page keeps the latest, stores it after each epoch (`epoch_end`) and
    /// gives it back after a crash, a lost GPU or a reload.
    Checkpoint { file: Vec<u8>, epoch_end: bool },
    /// An imported model is now the current one; `shape` is its network's.
    Restored { source: ModelSource, digits: Digits, shape: NetShape, settings: Option<Settings>, history: Vec<EpochRow> },
    /// Filter `filter` of the current model was set by hand (its Filters, Checkpoint and
    /// Confusion follow).
    FilterSet { filter: usize },
    /// An imported model was refused; the current model is untouched.
    ImportRefused { source: ModelSource, reason: String },
    Memory(Memory),
    Stopped,
    Finished,
    ResetDone,
    /// The GPU device failed or was lost; training stopped. The page's latest checkpoint holds the
    /// model of the last reported step, so training can go on on the CPU.
    DeviceLost { message: String },
    /// The worker panicked (sent from its panic hook); it must be restarted.
    Crashed { message: String },
    Error { message: String },
}

impl ToWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }

    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("malformed message to the worker: {e}"))
    }
}

impl FromWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }

    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("malformed message from the worker: {e}"))
    }
}
