//! The fused training path: a whole training step (gather the batch, forward, loss, exact
//! backward, optimizer update, epoch figures) as one op on the device: one kernel on a GPU, one
//! pass of plain loops on the CPU. One op takes every step up to the next report (the trainer
//! caps them by time), so on a GPU that is one dispatch for up to ten steps (a batch of 256 or
//! more is split over workgroups: two dispatches a step). The stock Burn path (autodiff +
//! optimizer) stays as the reference it is tested against, and for inference.

mod cpu;
#[cfg(feature = "wgpu")]
mod gpu;
pub mod layout;
pub mod op;

use burn::prelude::*;

pub use crate::optimizer::Update;
pub use layout::StepArgs;

use crate::{
    model::{Model, NetShape},
    weights::Weights,
};

/// A model's parameters packed into a fresh fused state (layout.rs), on the model's device
/// (without autodiff). Runs on the device: no read-back.
pub fn state_of(model: &Model) -> Tensor<1> {
    let layout = layout::Layout::of(model.shape());
    let model = model.valid();
    let weight = model.conv1.weight.val();
    let device = weight.device();
    let rest = layout.len - layout.params;
    Tensor::cat(
        vec![
            weight.reshape([-1]),
            model.conv1.bias.expect("conv1 has a bias").val(),
            // Burn keeps the linear weight as [in, out]; the state holds PyTorch's [out, in].
            model.fc.weight.val().swap_dims(0, 1).reshape([-1]),
            model.fc.bias.expect("fc has a bias").val(),
            Tensor::zeros([rest], &device),
        ],
        0,
    )
}

/// The weights in a state of a `shape` network read back from the device.
pub fn weights_of(state: &[f32], shape: NetShape) -> Weights {
    Weights::from_slice(shape, &state[..shape.params()])
}
