//! The fused step and evaluation as a Burn backend extension: one op each, implemented for the
//! CPU backend (flex, `cpu/` on its storage) and for CubeCL (wgpu, `gpu/`'s kernels).

use std::borrow::Cow;

use burn::{
    backend::{
        Backend, Dispatch, Flex, backend_extension,
        flex::FlexTensor,
        tensor::{FloatTensor, IntTensor},
    },
    prelude::*,
    tensor::DType,
};

use super::{
    cpu,
    layout::{Layout, StepArgs},
};
use crate::{dataset::WORDS, model::NetShape};

#[backend_extension(Flex, Cube: cfg(feature = "wgpu"))]
pub trait FusedOps: Backend {
    /// `args.count` training steps on `state` (layout.rs); returns the updated state, written in
    /// place when nothing else holds it. `images` `[n, 196]` (`Samples::packed`), `classes` `[n]`, `order` `[n]`,
    /// `schedule` at least `[2 · count]` (see [`crate::optimizer::schedule`]; padded to one length
    /// for a whole run, it keeps the GPU's launch numbers the same from dispatch to dispatch).
    fn train_step(
        images: IntTensor<Self>,
        classes: IntTensor<Self>,
        order: IntTensor<Self>,
        schedule: FloatTensor<Self>,
        state: FloatTensor<Self>,
        args: StepArgs,
    ) -> FloatTensor<Self>;

    /// Σ loss and number correct over a set, as `[parts, 2]` partial sums (add the rows up),
    /// for a network of `shape`; `images` packed as for the step.
    fn evaluate(images: IntTensor<Self>, classes: IntTensor<Self>, params: FloatTensor<Self>, shape: NetShape) -> FloatTensor<Self>;
}

/// Fused training steps (see [`FusedOps::train_step`]); every tensor on the same device, without
/// autodiff.
pub fn train_step(images: Tensor<2, Int>, classes: Tensor<1, Int>, order: Tensor<1, Int>, schedule: Tensor<1>, state: Tensor<1>, args: StepArgs) -> Tensor<1> {
    // The GPU kernel reads without bounds checks: shapes are checked here, on the host.
    let [rows, words] = images.dims();
    assert_eq!((words, classes.dims()[0]), (WORDS, rows), "fused step: packed images [n, 196] and classes [n]");
    assert!(args.len > 0 && args.count > 0, "fused step: no batch");
    assert!(args.end as usize <= order.dims()[0].min(rows), "fused step: the epoch's order ends past the images");
    assert!(args.start + (args.count - 1) * args.len < args.end, "fused step: a batch outside the order");
    assert!(schedule.dims()[0] >= 2 * args.count as usize, "fused step: two schedule numbers a step");
    let len = Layout::of(args.shape).len;
    assert_eq!(state.dims()[0], len, "fused step: the state of {} holds {len} numbers", args.shape);
    Tensor::from_dispatch(<Dispatch as FusedOps>::train_step(
        images.inner().into_dispatch(),
        classes.inner().into_dispatch(),
        order.inner().into_dispatch(),
        schedule.inner().into_dispatch(),
        state.inner().into_dispatch(),
        args,
    ))
}

/// `[parts, 2]` partial (Σ loss, correct) over a set (see [`FusedOps::evaluate`]).
pub fn evaluate(images: Tensor<2, Int>, classes: Tensor<1, Int>, params: Tensor<1>, shape: NetShape) -> Tensor<2> {
    let [rows, words] = images.dims();
    assert_eq!((words, classes.dims()[0]), (WORDS, rows), "fused evaluation: packed images [n, 196] and classes [n]");
    let n = shape.params();
    assert!(params.dims()[0] >= n, "fused evaluation: {n} parameters for {shape}");
    Tensor::from_dispatch(<Dispatch as FusedOps>::evaluate(
        images.inner().into_dispatch(),
        classes.inner().into_dispatch(),
        params.inner().into_dispatch(),
        shape,
    ))
}

/// A float tensor's values, borrowed when they already lie contiguous.
fn floats(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(t.to_contiguous().into_data().try_into_vec::<f32>().expect("an f32 tensor")),
    }
}

/// An Int tensor's values as i32: borrowed as flex keeps them by default, converted when the
/// tensor holds i64.
fn ints(t: &FlexTensor) -> Cow<'_, [i32]> {
    match t.dtype() {
        DType::I32 => t.as_slice().map_or_else(|| Cow::Owned(t.to_contiguous().into_data().try_to_vec().unwrap()), Cow::Borrowed),
        DType::I64 => Cow::Owned(t.to_contiguous().into_data().try_to_vec::<i64>().unwrap().into_iter().map(|v| v as i32).collect()),
        other => panic!("fused ops: index tensor of type {other:?}"),
    }
}

/// `t` as a tensor this op may write: unique, contiguous, exactly its own buffer (else a copy).
fn owned(t: FlexTensor) -> FlexTensor {
    let n = t.layout().num_elements();
    if t.is_unique() && t.layout().contiguous_offsets() == Some((0, n)) && t.bytes().len() == n * 4 {
        t
    } else {
        FlexTensor::from_data(t.into_data())
    }
}

impl FusedOps for Flex {
    fn train_step(images: FlexTensor, classes: FlexTensor, order: FlexTensor, schedule: FlexTensor, state: FlexTensor, args: StepArgs) -> FlexTensor {
        let mut state = owned(state);
        let (images, classes, order, schedule) = (ints(&images), ints(&classes), ints(&order), floats(&schedule));
        for k in 0..args.count {
            let at = 2 * k as usize;
            let step = StepArgs { update: args.update.with_constants([schedule[at], schedule[at + 1]]), ..args.nth(k) };
            cpu::train_step(&images, &classes, &order, state.storage_mut::<f32>(), &step);
        }
        state
    }

    fn evaluate(images: FlexTensor, classes: FlexTensor, params: FlexTensor, shape: NetShape) -> FlexTensor {
        let (images, params) = (ints(&images), floats(&params));
        let totals = cpu::evaluate(&images, &ints(&classes), &params, shape);
        FlexTensor::from_data(TensorData::new(totals.to_vec(), [1, 2]))
    }
}
