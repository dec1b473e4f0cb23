//! A network's numbers as plain data (no Burn): what the model file stores, the page draws and
//! the worker sends.

use crate::shape::NetShape;

/// Every parameter of the model, in PyTorch's layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// The network these numbers belong to; every vector's length follows from it.
    pub shape: NetShape,
    /// `[filters, 1, k, k]`: filter `f` is `conv_weight[f·k² .. (f+1)·k²]`, row-major.
    pub conv_weight: Vec<f32>,
    pub conv_bias: Vec<f32>,
    /// `[classes, fc_in]`: row `o` maps the pooled features to class `o`.
    pub fc_weight: Vec<f32>,
    pub fc_bias: Vec<f32>,
}

impl Weights {
    /// The k×k kernel of filter `f`, row-major.
    pub fn filter(&self, f: usize) -> &[f32] {
        let taps = self.shape.taps();
        &self.conv_weight[f * taps..(f + 1) * taps]
    }

    /// Whether every parameter is a finite number (a diverged run has NaN or infinities).
    pub fn is_finite(&self) -> bool {
        self.values().all(f32::is_finite)
    }

    /// Every number in the model file's order (conv weight, conv bias, fc weight, fc bias).
    pub fn to_vec(&self) -> Vec<f32> {
        self.values().collect()
    }

    /// The inverse of [`Weights::to_vec`]; `values` holds exactly `shape.params()` numbers.
    pub fn from_slice(shape: NetShape, values: &[f32]) -> Self {
        assert_eq!(values.len(), shape.params(), "a network of {shape} has {} parameters", shape.params());
        let (conv_weight, rest) = values.split_at(shape.filters * shape.taps());
        let (conv_bias, rest) = rest.split_at(shape.filters);
        let (fc_weight, fc_bias) = rest.split_at(shape.classes * shape.fc_in());
        Weights {
            shape,
            conv_weight: conv_weight.to_vec(),
            conv_bias: conv_bias.to_vec(),
            fc_weight: fc_weight.to_vec(),
            fc_bias: fc_bias.to_vec(),
        }
    }

    /// Every number in the model file's order, without collecting them.
    pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.conv_weight.iter().chain(&self.conv_bias).chain(&self.fc_weight).chain(&self.fc_bias).copied()
    }
}
