//! The network's shape as plain data: the knobs of the filter lab and everything derived from
//! them (parameter table and count, PyTorch-style summary, the pooled grid). The core's
//! `ModelConfig` builds a Burn model from it; the page and the model file read it without Burn.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::mnist::SIDE;

/// conv k×k (`filters` maps, padding keeps 28×28) → max-pool `pool`×`pool` with stride `pool` →
/// flatten → linear → log-softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetShape {
    pub filters: usize,
    pub kernel: usize,
    pub pool: usize,
    pub classes: usize,
}

/// Filters a network may have.
pub const FILTER_RANGE: std::ops::RangeInclusive<usize> = 1..=32;
/// Kernel sides: odd, so a padding of `kernel / 2` keeps 28×28.
pub const KERNELS: [usize; 2] = [3, 5];
/// Pooling sides that divide 28: 7×7, 4×4 or 2×2 pooled cells per map.
pub const POOLS: [usize; 3] = [4, 7, 14];
/// A digit pair, or all ten digits.
pub const CLASS_COUNTS: [usize; 2] = [2, 10];

impl Default for NetShape {
    fn default() -> Self {
        Self::NOTEBOOK
    }
}

/// One parameter tensor, named and shaped as PyTorch's `named_parameters()` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub shape: Vec<usize>,
}

impl ParamInfo {
    pub fn count(&self) -> usize {
        self.shape.iter().product()
    }
}

impl NetShape {
    /// The notebook's network: 8 filters 3×3, pool 7 (28 → 4×4), two classes; 338 parameters.
    pub const NOTEBOOK: Self = Self { filters: 8, kernel: 3, pool: 7, classes: 2 };

    /// Every knob within what the lab offers (see the constants above).
    pub fn validate(&self) -> Result<(), ShapeError> {
        if !FILTER_RANGE.contains(&self.filters) {
            return Err(ShapeError::Filters(self.filters));
        }
        if !KERNELS.contains(&self.kernel) {
            return Err(ShapeError::Kernel(self.kernel));
        }
        if !POOLS.contains(&self.pool) {
            return Err(ShapeError::Pool(self.pool));
        }
        if !CLASS_COUNTS.contains(&self.classes) {
            return Err(ShapeError::Classes(self.classes));
        }
        Ok(())
    }

    /// Weights of one filter (kernel × kernel).
    pub const fn taps(&self) -> usize {
        self.kernel * self.kernel
    }

    /// Zeros around the image so the conv keeps 28×28.
    pub const fn padding(&self) -> usize {
        self.kernel / 2
    }

    /// Side of a pooled map: 28 / pool.
    pub const fn pooled_side(&self) -> usize {
        SIDE / self.pool
    }

    /// Pooled cells per filter.
    pub const fn cells(&self) -> usize {
        self.pooled_side() * self.pooled_side()
    }

    /// Inputs of the linear layer: every pooled cell of every filter.
    pub const fn fc_in(&self) -> usize {
        self.filters * self.cells()
    }

    /// The four parameter tensors, in the notebook's (and the model file's) order.
    pub fn param_table(&self) -> Vec<ParamInfo> {
        vec![
            ParamInfo { name: "conv1.weight", shape: vec![self.filters, 1, self.kernel, self.kernel] },
            ParamInfo { name: "conv1.bias", shape: vec![self.filters] },
            ParamInfo { name: "fc.weight", shape: vec![self.classes, self.fc_in()] },
            ParamInfo { name: "fc.bias", shape: vec![self.classes] },
        ]
    }

    /// Numbers in the whole model: filters·(k²+1) + classes·(fc_in+1).
    pub const fn params(&self) -> usize {
        self.filters * (self.taps() + 1) + self.classes * (self.fc_in() + 1)
    }

    /// The model as PyTorch prints it (`print(conv_class)` in the notebook).
    pub fn summary(&self) -> String {
        let (k, p) = (self.kernel, self.padding());
        format!(
            "classifier(\n  (conv1): Conv2d(1, {}, kernel_size=({k}, {k}), stride=(1, 1), padding=({p}, {p}))\n  (fc): Linear(in_features={}, out_features={}, bias=True)\n)",
            self.filters,
            self.fc_in(),
            self.classes
        )
    }
}

impl NetShape {
    /// The knobs without the classes, for labels: "8 filters 3×3, pool 7".
    pub fn knobs(&self) -> String {
        let plural = if self.filters == 1 { "" } else { "s" };
        format!("{} filter{plural} {}×{}, pool {}", self.filters, self.kernel, self.kernel, self.pool)
    }
}

/// For people: "8 filters 3×3, pool 7, 2 classes".
impl fmt::Display for NetShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {} classes", self.knobs(), self.classes)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("{0} filters: a network has 1 to 32")]
    Filters(usize),
    #[error("kernel size {0}: it is 3 or 5")]
    Kernel(usize),
    #[error("pool size {0}: it is 4, 7 or 14 (28 is divided into 7×7, 4×4 or 2×2 cells)")]
    Pool(usize),
    #[error("{0} classes: a network tells a digit pair apart (2) or all ten digits (10)")]
    Classes(usize),
}
