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
    split::{SPLIT_AT, SPLIT_CHUNK, apply_kernel, gradient_kernel, row_len},
    step::{BatchLaunch, CURSOR_COUNT, CURSOR_FIRST, CURSOR_LAST, CURSOR_START, OptimizerLaunch, train_step_kernel},
};
use crate::{
    fused::{layout::StepArgs, op::FusedOps},
    model::NetShape,
};

fn checked(t: CubeTensor, dtype: DType, what: &str) -> CubeTensor {
    assert_eq!(t.dtype, dtype, "fused ops: {what} must be {dtype:?}");
    into_contiguous(t)
}

/// The steps' `cursor` (`step.rs`): where they start in the order, how many, whether the first
/// is the epoch's first, and the last one's batch; a tensor on the state's device.
fn cursor(state: &CubeTensor, args: &StepArgs) -> CubeTensor {
    let mut numbers = [0i32; 4];
    numbers[CURSOR_START] = args.start as i32;
    numbers[CURSOR_COUNT] = args.count as i32;
    numbers[CURSOR_FIRST] = i32::from(args.first);
    numbers[CURSOR_LAST] = args.nth(args.count - 1).len as i32;
    let bytes: Vec<u8> = numbers.iter().flat_map(|n| n.to_ne_bytes()).collect();
    let handle = state.client.create_from_slice(&bytes);
    CubeTensor::new_contiguous(state.client.clone(), state.device.clone(), Shape::new([numbers.len()]), handle, DType::I32)
}

/// A big batch's steps, two dispatches each (`split.rs`): its chunks' gradients, then the update.
fn split_steps(images: CubeTensor, classes: CubeTensor, order: CubeTensor, schedule: CubeTensor, state: &CubeTensor, args: StepArgs, plan: Plan) {
    let client = state.client.clone();
    let most = (args.len as usize).div_ceil(SPLIT_CHUNK);
    let partials = empty_device_contiguous_dtype(client.clone(), state.device.clone(), Shape::new([most * row_len(&plan)]), DType::F32);
    let update = OptimizerLaunch::from(args.update);
    let cursor = cursor(state, &args);
    for k in 0..args.count {
        let step = args.nth(k);
        let parts = step.len.div_ceil(SPLIT_CHUNK as u32);
        // SAFETY: workgroup w reads order[step.start + w·SPLIT_CHUNK..] below step.start + len ≤ end, rows
        // of `images`, and writes row w of `partials` (`most` rows); the apply pass reads the
        // `parts` rows written and updates the state within its layout.
        unsafe {
            gradient_kernel::launch_unchecked(
                &client,
                CubeCount::Static(parts, 1, 1),
                CubeDim::new_1d(THREADS as u32),
                images.clone().into_tensor_arg(),
                classes.clone().into_tensor_arg(),
                order.clone().into_tensor_arg(),
                cursor.clone().into_tensor_arg(),
                state.clone().into_tensor_arg(),
                partials.clone().into_tensor_arg(),
                k,
                args.len,
                step.len,
                plan,
            );
            apply_kernel::launch_unchecked(
                &client,
                CubeCount::Static(1, 1, 1),
                CubeDim::new_1d(THREADS as u32),
                partials.clone().into_tensor_arg(),
                schedule.clone().into_tensor_arg(),
                state.clone().into_tensor_arg(),
                parts,
                k,
                u32::from(step.first),
                args.frozen,
                step.len,
                OptimizerLaunch::new(update.kind, update.lr, update.beta_1, update.beta_2),
                plan,
            );
        }
    }
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
        let plan = Plan::of(args.shape);
        if args.len as usize >= SPLIT_AT {
            split_steps(images, classes, order, schedule, &state, args, plan);
            return state;
        }
        let batch = BatchLaunch::new(args.len, args.frozen);
        let cursor = cursor(&state, &args);
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
                cursor.into_tensor_arg(),
                schedule.into_tensor_arg(),
                state.clone().into_tensor_arg(),
                batch,
                OptimizerLaunch::from(args.update),
                plan,
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
