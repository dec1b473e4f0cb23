//! What the worker reports about its device, the data and the current model, as the page keeps
//! it: each is the body of one `FromWorker` message, so the page stores what arrives and copies
//! no fields. On the wire the fields sit beside the message's `type`, as before they had types.

use serde::{Deserialize, Serialize};

use crate::{
    insight::{self, Confusion, Example, Explanation},
    messages::{DeviceKind, GpuMemory},
    settings::Digits,
    shape::NetShape,
};

/// The device the worker trains on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub kind: DeviceKind,
    pub name: String,
    /// Why it is not the one asked for, or why Auto chose it.
    pub note: Option<String>,
}

/// One reported training step's loss, at `at` epochs (fractional: 1.5 is half-way through the
/// 2nd), and its gradient's norms (none in runs kept before they were reported).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchLoss {
    pub at: f64,
    pub loss: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<GradientNorms>,
}

/// How large a step's gradient was: the L2 norms of the conv layer's part (its weights and
/// biases) and the linear layer's, as the optimizer got them (a frozen filter's part is zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradientNorms {
    pub conv: f32,
    pub fc: f32,
}

/// The data set's download: bytes so far, of `total` when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub loaded: u64,
    pub total: Option<u64>,
}

/// The model's filters: `weights` is filters × k × k row-major (the notebook's eight 3×3),
/// `biases` one per filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub shape: NetShape,
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

impl From<&crate::Weights> for Filters {
    fn from(w: &crate::Weights) -> Self {
        Self { shape: w.shape, weights: w.conv_weight.clone(), biases: w.conv_bias.clone() }
    }
}

/// What the model made of a drawing: the 28×28 image it saw, each class's probability, and every
/// intermediate on the way (feature maps, contributions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub digits: Digits,
    /// One per class.
    pub probabilities: Vec<f32>,
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

/// The current model's confusion matrix on the test set (rows: actual class, columns:
/// predicted), after `epochs` epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub digits: Digits,
    pub epochs: usize,
    pub matrix: Confusion,
}

/// Test images of one confusion-matrix cell, least sure of their actual class first: the first
/// `examples.len()` of `total`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleSet {
    pub actual: usize,
    pub predicted: usize,
    pub total: usize,
    pub examples: Vec<Example>,
}

/// A few random training images of each class (`images[class]`), as the notebook plots them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub digits: Digits,
    pub images: Vec<Vec<Vec<f32>>>,
}

/// Memory in use: the worker's WebAssembly memory and, on WebGPU, the GPU allocator's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub wasm_bytes: u64,
    pub gpu: Option<GpuMemory>,
}
