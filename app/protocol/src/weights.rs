//! The network's shape and its 338 numbers as plain data (no Burn): what the model file stores,
//! the page draws and the worker sends.

/// 3×3 convolution filters (padding 1).
pub const FILTERS: usize = 8;
pub const FILTER_SIZE: usize = 3;
/// Max-pooling 7×7 with stride 7 leaves 4×4 of each filter's 28×28 map.
pub const FC_IN: usize = FILTERS * 4 * 4;
pub const CLASSES: usize = 2;
/// Numbers in the whole model.
pub const PARAMS: usize = FILTERS * FILTER_SIZE * FILTER_SIZE + FILTERS + CLASSES * FC_IN + CLASSES;

/// Every parameter of the model, in PyTorch's layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// `[8, 1, 3, 3]`: filter `f` is `conv_weight[f*9 .. f*9+9]`, row-major.
    pub conv_weight: Vec<f32>,
    pub conv_bias: Vec<f32>,
    /// `[2, 128]`: row `o` maps the 128 pooled features to class `o`.
    pub fc_weight: Vec<f32>,
    pub fc_bias: Vec<f32>,
}

impl Weights {
    /// The 3×3 kernel of filter `f`, row-major.
    pub fn filter(&self, f: usize) -> [f32; 9] {
        self.conv_weight[f * 9..f * 9 + 9].try_into().unwrap()
    }

    /// Whether every parameter is a finite number (a diverged run has NaN or infinities).
    pub fn is_finite(&self) -> bool {
        self.values().all(f32::is_finite)
    }

    /// All 338 numbers in the model file's order (conv weight, conv bias, fc weight, fc bias).
    pub fn to_vec(&self) -> Vec<f32> {
        self.values().collect()
    }

    /// The inverse of [`Weights::to_vec`]; `values` holds exactly [`PARAMS`] numbers.
    pub fn from_slice(values: &[f32]) -> Self {
        assert_eq!(values.len(), PARAMS, "a model has {PARAMS} parameters");
        let (conv_weight, rest) = values.split_at(FILTERS * 9);
        let (conv_bias, rest) = rest.split_at(FILTERS);
        let (fc_weight, fc_bias) = rest.split_at(CLASSES * FC_IN);
        Weights {
            conv_weight: conv_weight.to_vec(),
            conv_bias: conv_bias.to_vec(),
            fc_weight: fc_weight.to_vec(),
            fc_bias: fc_bias.to_vec(),
        }
    }

    /// All 338 numbers in the model file's order, without collecting them.
    pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.conv_weight.iter().chain(&self.conv_bias).chain(&self.fc_weight).chain(&self.fc_bias).copied()
    }
}
