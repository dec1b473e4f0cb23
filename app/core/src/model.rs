//! The notebook's CNN, with the filter lab's knobs: conv k×k (padding k/2) → max-pool p×p/p →
//! flatten → linear → log-softmax. The notebook's: 8 filters 3×3, pool 7, two classes.

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

use crate::{idx::SIDE, weights::Weights};
pub use filterlab_protocol::{NetShape, ParamInfo, ShapeError, shape};

/// The network's knobs (the filter lab's), as Burn's own examples configure a model; the
/// defaults are the notebook's. Everything about the shape is derived in [`NetShape`].
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub struct ModelConfig {
    /// Conv filters, 1–32.
    #[config(default = 8)]
    pub filters: usize,
    /// Kernel side, 3 or 5 (padding keeps 28×28).
    #[config(default = 3)]
    pub kernel: usize,
    /// Pooling side and stride, 4, 7 or 14 (28 → 7×7, 4×4, 2×2).
    #[config(default = 7)]
    pub pool: usize,
    /// 2 (a digit pair) or 10 (every digit).
    #[config(default = 2)]
    pub classes: usize,
}

impl ModelConfig {
    pub fn shape(&self) -> NetShape {
        NetShape { filters: self.filters, kernel: self.kernel, pool: self.pool, classes: self.classes }
    }

    pub fn validate(&self) -> Result<(), ShapeError> {
        self.shape().validate()
    }

    /// A freshly initialised model (PyTorch's default init: uniform ±1/√fan_in), drawn from the
    /// device's random generator, so `device.seed(..)` makes it reproducible.
    ///
    /// # Panics
    /// On a shape [`ModelConfig::validate`] refuses.
    pub fn init(&self, device: &Device) -> Model {
        let shape = self.shape();
        if let Err(e) = shape.validate() {
            panic!("{e}");
        }
        let p = shape.padding();
        Model {
            conv1: Conv2dConfig::new([1, shape.filters], [shape.kernel, shape.kernel])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .init(device),
            pool: MaxPool2dConfig::new([shape.pool, shape.pool]).with_strides([shape.pool, shape.pool]).init(),
            fc: LinearConfig::new(shape.fc_in(), shape.classes).init(device),
        }
    }
}

impl From<NetShape> for ModelConfig {
    fn from(s: NetShape) -> Self {
        Self { filters: s.filters, kernel: s.kernel, pool: s.pool, classes: s.classes }
    }
}

#[derive(Module, Debug)]
pub struct Model {
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    pub fc: Linear,
}

impl Model {
    /// A fresh model of the notebook's shape (see [`ModelConfig::init`]).
    pub fn new(device: &Device) -> Self {
        ModelConfig::new().init(device)
    }

    /// The shape this model was built with (read from its tensors' dimensions: no device work).
    pub fn shape(&self) -> NetShape {
        let [filters, _, kernel, _] = self.conv1.weight.dims();
        let [_, classes] = self.fc.weight.dims();
        NetShape { filters, kernel, pool: self.pool.kernel_size[0], classes }
    }

    /// Images `[batch, 1, 28, 28]` in [0, 1] → log-probabilities `[batch, classes]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let [batch, _, _, _] = images.dims();
        let x = self.conv1.forward(images); // [batch, filters, 28, 28]
        let x = self.pool.forward(x); // [batch, filters, 28/pool, 28/pool]
        let x = x.reshape([batch, self.shape().fc_in()]); // [batch, fc_in]
        let x = self.fc.forward(x); // [batch, classes]
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
        Ok(self.weights_from_data(data))
    }

    /// Adds the four parameter tensors of a model without autodiff to a read transaction, for [`Model::weights_from_data`].
    pub fn register_weights(&self, tx: Transaction) -> Transaction {
        tx.register(self.conv1.weight.val())
            .register(self.conv1.bias.as_ref().expect("conv1 has a bias").val())
            .register(self.fc.weight.val())
            .register(self.fc.bias.as_ref().expect("fc has a bias").val())
    }

    /// The weights from the four tensors [`Model::register_weights`] added, in that order.
    pub fn weights_from_data(&self, data: Vec<TensorData>) -> Weights {
        let shape = self.shape();
        let v: Vec<Vec<f32>> = data.into_iter().map(|d| d.convert::<f32>().try_into_vec::<f32>().unwrap()).collect();
        // Burn keeps the linear weight as [in, out]; Weights holds PyTorch's [out, in].
        let fc_weight = transpose(&v[2], shape.fc_in(), shape.classes);
        Weights { shape, conv_weight: v[0].clone(), conv_bias: v[1].clone(), fc_weight, fc_bias: v[3].clone() }
    }

    /// A model of the weights' shape holding exactly these weights, on `device`.
    pub fn from_weights(weights: &Weights, device: &Device) -> Self {
        let shape = weights.shape;
        let mut model = ModelConfig::from(shape).init(device);
        let (fc_in, classes, k) = (shape.fc_in(), shape.classes, shape.kernel);
        let fc_weight = transpose(&weights.fc_weight, classes, fc_in);
        let vector = |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        model.conv1.weight = Param::from_tensor(
            Tensor::<4>::from_data(TensorData::new(weights.conv_weight.clone(), [shape.filters, 1, k, k]), device),
        );
        model.conv1.bias = Some(Param::from_tensor(vector(&weights.conv_bias)));
        model.fc.weight = Param::from_tensor(Tensor::<2>::from_data(TensorData::new(fc_weight, [fc_in, classes]), device));
        model.fc.bias = Some(Param::from_tensor(vector(&weights.fc_bias)));
        model
    }
}

/// A row-major `rows × cols` matrix, transposed to `cols × rows`.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|c| (0..rows).map(move |r| m[r * cols + c])).collect()
}
