//! The notebook's CNN: conv 3×3 (8 filters, padding 1) → max-pool 7×7/7 → flatten → linear → log-softmax.

use burn::{
    module::Param,
    nn::{
        Linear, LinearConfig, PaddingConfig2d,
        conv::{Conv2d, Conv2dConfig},
        pool::{MaxPool2d, MaxPool2dConfig},
    },
    prelude::*,
    tensor::{Transaction, activation::log_softmax},
};

use crate::{
    idx::SIDE,
    weights::{FILTERS, FILTER_SIZE, FC_IN, CLASSES, Weights},
};

/// Pooling window and stride: 28×28 → 4×4.
const POOL: usize = 7;

#[derive(Module, Debug)]
pub struct Model {
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    pub fc: Linear,
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

/// The four parameter tensors of the model, in the notebook's order (338 numbers in all).
pub fn param_table() -> Vec<ParamInfo> {
    vec![
        ParamInfo { name: "conv1.weight", shape: vec![FILTERS, 1, FILTER_SIZE, FILTER_SIZE] },
        ParamInfo { name: "conv1.bias", shape: vec![FILTERS] },
        ParamInfo { name: "fc.weight", shape: vec![CLASSES, FC_IN] },
        ParamInfo { name: "fc.bias", shape: vec![CLASSES] },
    ]
}

/// The model as PyTorch prints it (`print(conv_class)` in the notebook).
pub fn summary() -> String {
    format!(
        "classifier(\n  (conv1): Conv2d(1, {FILTERS}, kernel_size=({FILTER_SIZE}, {FILTER_SIZE}), stride=(1, 1), padding=(1, 1))\n  (fc): Linear(in_features={FC_IN}, out_features={CLASSES}, bias=True)\n)"
    )
}

impl Model {
    /// A freshly initialised model (PyTorch's default init: uniform ±1/√fan_in), drawn from the
    /// device's random generator, so `device.seed(..)` makes it reproducible.
    pub fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, FILTERS], [FILTER_SIZE, FILTER_SIZE])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            pool: MaxPool2dConfig::new([POOL, POOL]).with_strides([POOL, POOL]).init(),
            fc: LinearConfig::new(FC_IN, CLASSES).init(device),
        }
    }

    /// Images `[batch, 1, 28, 28]` in [0, 1] → log-probabilities `[batch, 2]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let [batch, _, _, _] = images.dims();
        let x = self.conv1.forward(images); // [batch, 8, 28, 28]
        let x = self.pool.forward(x); // [batch, 8, 4, 4]
        let x = x.reshape([batch, FC_IN]); // [batch, 128]
        let x = self.fc.forward(x); // [batch, 2]
        log_softmax(x, 1)
    }

    /// Flat images `[batch, 784]` (as the data set and the draw pad hold them) → log-probabilities.
    pub fn forward_flat(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        self.forward(images.reshape([batch, 1, SIDE, SIDE]))
    }

    /// Reads every parameter back (one transfer, asynchronous so it also works in a browser).
    pub async fn weights(&self) -> Result<Weights, burn::tensor::ExecutionError> {
        // Reads go through the inner (non-autodiff) backend, like every other read.
        let data = self.valid().register_weights(Transaction::default()).execute_async().await?;
        Ok(Self::weights_from_data(data))
    }

    /// Adds the four parameter tensors of a model without autodiff to a read transaction, for [`Model::weights_from_data`].
    pub fn register_weights(&self, tx: Transaction) -> Transaction {
        tx.register(self.conv1.weight.val())
            .register(self.conv1.bias.as_ref().expect("conv1 has a bias").val())
            .register(self.fc.weight.val())
            .register(self.fc.bias.as_ref().expect("fc has a bias").val())
    }

    /// The weights from the four tensors [`Model::register_weights`] added, in that order.
    pub fn weights_from_data(data: Vec<TensorData>) -> Weights {
        let v: Vec<Vec<f32>> = data.into_iter().map(|d| d.convert::<f32>().try_into_vec::<f32>().unwrap()).collect();
        // Burn keeps the linear weight as [in, out]; Weights holds PyTorch's [out, in].
        let fc_weight = transpose(&v[2], FC_IN, CLASSES);
        Weights { conv_weight: v[0].clone(), conv_bias: v[1].clone(), fc_weight, fc_bias: v[3].clone() }
    }

    /// A model holding exactly these weights, on `device`.
    pub fn from_weights(weights: &Weights, device: &Device) -> Self {
        let mut model = Self::new(device);
        let fc_weight = transpose(&weights.fc_weight, CLASSES, FC_IN);
        let vector = |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        model.conv1.weight = Param::from_tensor(
            Tensor::<4>::from_data(TensorData::new(weights.conv_weight.clone(), [FILTERS, 1, FILTER_SIZE, FILTER_SIZE]), device),
        );
        model.conv1.bias = Some(Param::from_tensor(vector(&weights.conv_bias)));
        model.fc.weight = Param::from_tensor(Tensor::<2>::from_data(TensorData::new(fc_weight, [FC_IN, CLASSES]), device));
        model.fc.bias = Some(Param::from_tensor(vector(&weights.fc_bias)));
        model
    }
}

/// A row-major `rows × cols` matrix, transposed to `cols × rows`.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|c| (0..rows).map(move |r| m[r * cols + c])).collect()
}
