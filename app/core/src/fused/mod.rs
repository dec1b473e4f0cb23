//! The fused training path: a whole training step (gather the batch, forward, loss, exact
//! backward, optimizer update, epoch figures) as one op on the device: one kernel dispatch on a
//! GPU, one pass of plain loops on the CPU. The stock Burn path (autodiff + optimizer) stays as
//! the reference it is tested against, and for inference.

pub mod cpu;
pub mod cpu_any;
#[cfg(feature = "wgpu")]
mod gpu;
pub mod layout;
pub mod op;

use burn::prelude::*;

pub use layout::{StepArgs, Update};

use crate::{
    model::{Model, NetShape},
    weights::Weights,
};

/// Whether the fused op runs a network of `shape` on `device`: on the CPU backend any shape (its
/// loops are sized at run time), on a GPU the ones its kernels are written for.
pub fn runs_on(shape: &NetShape, device: &Device) -> bool {
    gpu_kernels_take(shape) || matches!(device.clone().inner().as_dispatch(), burn::backend::DispatchDevice::Flex(_))
}

/// The networks the GPU kernels take: pooled features that fit one slot of 128 invocations, and
/// for 5×5 filters (26 numbers of gradient share per feature, against 10) half a slot: 3×3 with
/// pool 7 up to 8 filters (the notebook's), pool 14 up to 32, pool 4 up to 2; 5×5 with pool 7 up
/// to 4, pool 14 up to 16, pool 4 one. With 2 classes (a digit pair) or 10 (all digits). Their
/// parameters, the staged images and the gradient shares then fit the 16 KiB of workgroup
/// memory WebGPU guarantees.
pub fn gpu_kernels_take(shape: &NetShape) -> bool {
    let most = match shape.kernel {
        3 => 128,
        5 => 64,
        _ => 0,
    };
    shape.fc_in() <= most && matches!(shape.classes, 2 | 10)
}

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
