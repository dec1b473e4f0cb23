//! The fused ops' GPU half: checks the tensors, works out the plan, and launches the kernels.

use burn::{
    backend::{
        Cube, TensorMetadata,
        tensor::{FloatTensor, IntTensor},
    },
    tensor::{DType, Shape},
};
use burn_cubecl::{cubecl, kernel::into_contiguous, ops::numeric::empty_device_contiguous_dtype, tensor::CubeTensor};
use cubecl::prelude::*;

use super::{
    forward::evaluate_kernel,
    plan::{EVAL_CHUNK, Plan, THREADS},
    step::{BatchLaunch, OptimizerLaunch, train_step_kernel},
};
use crate::{
    fused::{layout::StepArgs, op::FusedOps},
    model::NetShape,
};

fn checked(t: CubeTensor, dtype: DType, what: &str) -> CubeTensor {
    assert_eq!(t.dtype, dtype, "fused ops: {what} must be {dtype:?}");
    into_contiguous(t)
}

impl FusedOps for Cube {
    fn train_step(images: IntTensor<Cube>, classes: IntTensor<Cube>, order: IntTensor<Cube>, schedule: FloatTensor<Cube>, state: FloatTensor<Cube>, args: StepArgs) -> FloatTensor<Cube> {
        let images = checked(images, DType::I32, "the packed images");
        let classes = checked(classes, DType::I32, "classes");
        let order = checked(order, DType::I32, "the order");
        let schedule = checked(schedule, DType::F32, "the schedule");
        let state = checked(state, DType::F32, "the state");
        // Written in place when nothing else holds the buffer (as Burn's own in-place kernels do).
        let state = if state.can_mut() && state.is_nonoverlapping() { state } else { state.copy() };
        let client = state.client.clone();
        let batch = BatchLaunch::new(args.start, args.len, args.count, args.end, u32::from(args.first), args.frozen);
        // SAFETY: every index the kernel reads or writes is in bounds by construction (images
        // come from `order` below `end`, which holds rows of `images`; the schedule has two
        // numbers a step; the state has the layout's length).
        unsafe {
            train_step_kernel::launch_unchecked(
                &client,
                CubeCount::Static(1, 1, 1),
                CubeDim::new_1d(THREADS as u32),
                images.into_tensor_arg(),
                classes.into_tensor_arg(),
                order.into_tensor_arg(),
                schedule.into_tensor_arg(),
                state.clone().into_tensor_arg(),
                batch,
                OptimizerLaunch::from(args.update),
                Plan::of(args.shape),
            )
        };
        state
    }

    fn evaluate(images: IntTensor<Cube>, classes: IntTensor<Cube>, params: FloatTensor<Cube>, shape: NetShape) -> FloatTensor<Cube> {
        let images = checked(images, DType::I32, "the packed images");
        let classes = checked(classes, DType::I32, "classes");
        let params = checked(params, DType::F32, "the parameters");
        let len = images.shape().dims::<2>()[0];
        let groups = len.div_ceil(EVAL_CHUNK).max(1);
        let client = images.client.clone();
        let out = empty_device_contiguous_dtype(client.clone(), images.device.clone(), Shape::new([groups, 2]), DType::F32);
        // SAFETY: workgroup g reads images g·32.. only below `len`, and writes out[2g], out[2g+1].
        unsafe {
            evaluate_kernel::launch_unchecked(
                &client,
                CubeCount::Static(groups as u32, 1, 1),
                CubeDim::new_1d(THREADS as u32),
                images.into_tensor_arg(),
                classes.into_tensor_arg(),
                params.into_tensor_arg(),
                out.clone().into_tensor_arg(),
                len as u32,
                Plan::of(shape),
            )
        };
        out
    }
}
