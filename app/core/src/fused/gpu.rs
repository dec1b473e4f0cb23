//! The fused step and evaluation as CubeCL kernels (WGSL on wgpu, WebGPU in a browser): the same
//! arithmetic as `cpu.rs`, laid out for one workgroup of 256 invocations, for networks of up to
//! 128 pooled features (64 for 5×5) and 2 or 10 classes (filters, kernel, pool and classes are
//! compile-time parameters: each network compiles its kernels once; `fused::gpu_kernels_take`
//! says which).
//!
//! A training step is one workgroup, because the batch's gradients must be summed before the
//! update and WebGPU has no float atomics: invocation `t` owns pooled feature `t % 128` of image
//! slot `t / 128` (those past the network's features idle), two images a round, and keeps its share of the gradient in registers; the
//! shares are summed through workgroup memory at the end, then every parameter is updated.
//! WebGPU's guaranteed limits shape it: 16 KiB of workgroup memory, 256 invocations, and barriers
//! only in uniform control flow (loop bounds come from scalars, never from invocation ids).

use burn::{
    backend::{
        Cube, TensorMetadata,
        tensor::{FloatTensor, IntTensor},
    },
    tensor::{DType, Shape},
};
use burn_cubecl::{
    cubecl,
    kernel::into_contiguous,
    ops::numeric::empty_device_contiguous_dtype,
    tensor::CubeTensor,
};
use cubecl::prelude::*;

use super::{
    layout::{self, StepArgs},
    op::FusedOps,
};
use crate::model::NetShape;

const THREADS: usize = 256;
/// Pooled features per image; images processed per round.
const FEATURES: usize = 128;
const SLOTS: usize = THREADS / FEATURES;
const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;
/// Side of the image with its zero border (the conv's padding): 30 for 3×3, 32 for 5×5.
const fn padded(kernel: usize) -> usize {
    SIDE + 2 * (kernel / 2)
}

/// Workgroup memory for staged images during the rounds (two padded images), and for the
/// gradient shares after: k²+1 conv numbers (taps, bias) per feature, then one fc number per
/// feature and class. With the parameters (1,370 for the notebook's conv and ten classes, 1,610
/// at most), 256 pooled values and their positions: at most 15.5 KiB of the 16 KiB WebGPU
/// guarantees (`fused::gpu_kernels_take` keeps to the networks for which this holds).
const fn scratch_len(kernel: usize, fc_in: usize, classes: usize) -> usize {
    let images = SLOTS * padded(kernel) * padded(kernel);
    let conv = fc_in * (kernel * kernel + 1);
    let fc = FEATURES * classes;
    let most = if images > conv { images } else { conv };
    if most > fc { most } else { fc }
}
/// Images each evaluation workgroup reads.
const EVAL_CHUNK: usize = 32;
/// A "minus infinity" WGSL accepts as a constant (it has no infinities).
const LOWEST: f32 = -3.0e38;

// The conv weights come first; everything after them moves with the filter count.
const CONV_W: usize = layout::CONV_W;

/// Copies the images of this round's slots into `scratch` (inside their zero borders); `row(s)`
/// is the image of slot `s`, or a negative number for an empty slot.
#[cube]
fn stage_image(images: &Tensor<f32>, row: i32, slot: usize, scratch: &mut Shared<[f32]>, tid: usize, #[comptime] kernel: usize) {
    let pad = kernel / 2;
    let side = comptime!(padded(kernel));
    if row >= 0 {
        let from = row as usize * PIXELS;
        let base = slot * side * side;
        for p in range_stepped(tid, PIXELS, THREADS) {
            scratch[base + (p / SIDE + pad) * side + p % SIDE + pad] = images[from + p];
        }
    }
}

/// Conv k×k + max-pool `pool`×`pool` for this invocation's (slot, filter, cell): the pooled
/// value and the top-left of its k×k window in the padded image (first maximum on ties, as Burn's
/// pool). The window's (pool+k-1)² input patch and the filter are read once into registers (fully
/// unrolled): far fewer loads than 2 per multiply-add, which is what software adapters are slow at.
#[cube]
#[allow(clippy::too_many_arguments)]
fn conv_pool(
    params: &Shared<[f32]>,
    scratch: &Shared<[f32]>,
    pooled: &mut Shared<[f32]>,
    at: &mut Shared<[u32]>,
    tid: usize,
    conv_b: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
) {
    let taps = kernel * kernel;
    let wide = comptime!(padded(kernel));
    let side = SIDE / pool;
    let cells = side * side;
    let span = pool + kernel - 1;
    let slot = tid / FEATURES;
    let j = tid % FEATURES;
    let f = j / cells;
    let cell = j % cells;
    let origin = ((cell / side) * wide + cell % side) * pool;
    let corner = slot * wide * wide + origin;
    let mut w = Array::<f32>::new(taps);
    #[unroll]
    for t in 0..taps {
        w[t] = params[CONV_W + f * taps + t];
    }
    let mut patch = Array::<f32>::new(span * span);
    #[unroll]
    for r in 0..span {
        #[unroll]
        for c in 0..span {
            patch[r * span + c] = scratch[corner + r * wide + c];
        }
    }
    let bias = params[conv_b + f];
    let mut best = f32::new(LOWEST);
    let mut arg = 0u32;
    #[unroll]
    for dy in 0..pool {
        #[unroll]
        for dx in 0..pool {
            let p = dy * span + dx;
            let mut v = bias;
            #[unroll]
            for ty in 0..kernel {
                #[unroll]
                for tx in 0..kernel {
                    v += w[ty * kernel + tx] * patch[p + ty * span + tx];
                }
            }
            if v > best {
                best = v;
                arg = (origin + dy * wide + dx) as u32;
            }
        }
    }
    pooled[tid] = best;
    at[tid] = arg;
}

/// Logit of `class` for the image in `slot`: fc weights from `fc_w` (`[classes, fc_in]`), fc
/// biases from `fc_b`.
#[cube]
fn logit(params: &Shared<[f32]>, pooled: &Shared<[f32]>, slot: usize, class: usize, fc_w: usize, fc_b: usize, fc_in: usize) -> f32 {
    let mut sum = 0.0f32;
    for q in 0..fc_in {
        sum += params[fc_w + class * fc_in + q] * pooled[slot * FEATURES + q];
    }
    params[fc_b + class] + sum
}

/// The logits of the image in `slot` (into `logits`) and their log-sum-exp.
#[cube]
#[allow(clippy::too_many_arguments)]
fn log_sum_exp(params: &Shared<[f32]>, pooled: &Shared<[f32]>, slot: usize, fc_w: usize, fc_b: usize, fc_in: usize, logits: &mut Array<f32>, #[comptime] class_count: usize) -> f32 {
    let mut m = f32::new(LOWEST);
    #[unroll]
    for c in 0..class_count {
        logits[c] = logit(params, pooled, slot, c, fc_w, fc_b, fc_in);
        m = m.max(logits[c]);
    }
    let mut z = 0.0f32;
    #[unroll]
    for c in 0..class_count {
        z += (logits[c] - m).exp();
    }
    m + z.ln()
}

/// The class the log-probabilities pick: the first of the largest, like Burn's argmax.
#[cube]
fn argmax(logits: &Array<f32>, lse: f32, #[comptime] class_count: usize) -> usize {
    let mut best = 0usize;
    #[unroll]
    for c in 1..class_count {
        if logits[c] - lse > logits[best] - lse {
            best = c;
        }
    }
    best
}

/// One parameter's optimizer update, in the state buffer (Adam's moments after the parameters).
#[cube]
#[allow(clippy::too_many_arguments)]
fn update(state: &mut Tensor<f32>, i: usize, p: f32, g: f32, adam: u32, lr: f32, beta_1: f32, beta_2: f32, scale: f32, eps_hat: f32, #[comptime] params_len: usize) {
    if adam == 1u32 {
        let m = state[params_len + i] * beta_1 + g * (1.0f32 - beta_1);
        let v = state[2 * params_len + i] * beta_2 + g * g * (1.0f32 - beta_2);
        state[params_len + i] = m;
        state[2 * params_len + i] = v;
        state[i] = p - (m * scale) / (v.sqrt() + eps_hat) * lr;
    } else {
        state[i] = p - g * lr;
    }
}

/// One training step for `filters` k×k filters, max-pool `pool` and a linear layer of
/// `class_count` outputs (2 for a digit pair, 10 for all digits).
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn train_step_kernel(
    images: &Tensor<f32>,
    classes: &Tensor<i32>,
    order: &Tensor<i32>,
    state: &mut Tensor<f32>,
    start: u32,
    len: u32,
    first: u32,
    frozen: u32,
    adam: u32,
    lr: f32,
    beta_1: f32,
    beta_2: f32,
    scale: f32,
    eps_hat: f32,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let tid = UNIT_POS as usize;
    let taps = kernel * kernel;
    // A conv share per feature: its taps, then its bias.
    let share = taps + 1;
    let wide = comptime!(padded(kernel));
    let cells = (SIDE / pool) * (SIDE / pool);
    let fc_in = filters * cells;
    let conv_b = filters * taps;
    let fc_w = filters * share;
    let fc_b = fc_w + class_count * fc_in;
    let params_len = fc_b + class_count;
    let loss_at = 3 * params_len;
    let mut params = Shared::<[f32]>::new_slice(params_len);
    let mut scratch = Shared::<[f32]>::new_slice(comptime!(scratch_len(kernel, fc_in, class_count)));
    let mut pooled = Shared::<[f32]>::new_slice(THREADS);
    let mut at = Shared::<[u32]>::new_slice(THREADS);
    // d(loss)/d(logits) of each slot's image, then each of the first two invocations' totals:
    // loss, correct count, then the fc bias gradient of each class.
    let mut d_logits = Shared::<[f32]>::new_slice(SLOTS * class_count);
    let mut totals = Shared::<[f32]>::new_slice(SLOTS * (2 + class_count));

    for i in range_stepped(tid, params_len, THREADS) {
        params[i] = state[i];
    }
    for i in range_stepped(tid, SLOTS * wide * wide, THREADS) {
        scratch[i] = 0.0f32;
    }
    sync_cube();

    let n = len as usize;
    let first_pick = start as usize;
    let inv_len = 1.0f32 / f32::cast_from(len);
    let slot = tid / FEATURES;
    let j = tid % FEATURES;
    // This invocation's gradient shares: conv taps and bias of filter f, fc weights of feature j.
    let mut g_taps = Array::<f32>::new(taps);
    #[unroll]
    for t in 0..taps {
        g_taps[t] = 0.0f32;
    }
    let mut g_bias = 0.0f32;
    let mut g_fc = Array::<f32>::new(class_count);
    // Invocations 0 and 1 (one per slot): loss and correct count, fc bias gradient.
    let mut loss_sum = 0.0f32;
    let mut correct = 0.0f32;
    let mut g_fcb = Array::<f32>::new(class_count);
    let mut logits = Array::<f32>::new(class_count);
    #[unroll]
    for c in 0..class_count {
        g_fc[c] = 0.0f32;
        g_fcb[c] = 0.0f32;
    }

    let rounds = (n + SLOTS - 1) / SLOTS;
    for r in 0..rounds {
        for s in 0..SLOTS {
            let b = r * SLOTS + s;
            let mut row = i32::new(-1);
            if b < n {
                row = order[first_pick + b];
            }
            stage_image(images, row, s, &mut scratch, tid, kernel);
        }
        sync_cube();
        // Invocations past the network's pooled features idle.
        let mine = r * SLOTS + slot < n && j < fc_in;
        if mine {
            conv_pool(&params, &scratch, &mut pooled, &mut at, tid, conv_b, kernel, pool);
        }
        sync_cube();
        if tid < SLOTS {
            let b = r * SLOTS + tid;
            if b < n {
                let class = classes[order[first_pick + b] as usize] as usize;
                let lse = log_sum_exp(&params, &pooled, tid, fc_w, fc_b, fc_in, &mut logits, class_count);
                let picked = argmax(&logits, lse, class_count);
                if picked == class {
                    correct += 1.0f32;
                }
                #[unroll]
                for c in 0..class_count {
                    let p = logits[c] - lse;
                    let mut y = 0.0f32;
                    if c == class {
                        y = 1.0f32;
                        loss_sum -= p;
                    }
                    let d = (p.exp() - y) * inv_len;
                    d_logits[tid * class_count + c] = d;
                    g_fcb[c] += d;
                }
            }
        }
        sync_cube();
        if mine {
            let x = pooled[tid];
            let mut d = 0.0f32;
            #[unroll]
            for c in 0..class_count {
                let dc = d_logits[slot * class_count + c];
                g_fc[c] += dc * x;
                d += dc * params[fc_w + c * fc_in + j];
            }
            g_bias += d;
            let a = slot * wide * wide + at[tid] as usize;
            #[unroll]
            for t in 0..taps {
                g_taps[t] += d * scratch[a + (t / kernel) * wide + t % kernel];
            }
        }
        sync_cube();
    }

    // Sum the shares, slot 1's into slot 0's: conv numbers at scratch[j*share ..] first (of the
    // network's features only).
    if slot == 1 && j < fc_in {
        #[unroll]
        for t in 0..taps {
            scratch[j * share + t] = g_taps[t];
        }
        scratch[j * share + taps] = g_bias;
    }
    if tid < SLOTS {
        totals[tid * (2 + class_count)] = loss_sum;
        totals[tid * (2 + class_count) + 1] = correct;
        #[unroll]
        for c in 0..class_count {
            totals[tid * (2 + class_count) + 2 + c] = g_fcb[c];
        }
    }
    sync_cube();
    if slot == 0 && j < fc_in {
        #[unroll]
        for t in 0..taps {
            scratch[j * share + t] += g_taps[t];
        }
        scratch[j * share + taps] += g_bias;
    }
    sync_cube();
    // The conv layer: a weight (filter i/k², tap i%k²) or a bias (filter i - conv_b) sums the
    // shares of the cells of its filter.
    for i in range_stepped(tid, fc_w, THREADS) {
        let mut filter = i / taps;
        let mut k = i % taps;
        if i >= conv_b {
            filter = i - conv_b;
            k = taps;
        }
        let mut g = 0.0f32;
        for c in 0..cells {
            g += scratch[(filter * cells + c) * share + k];
        }
        // A frozen filter's gradient is zero (bit `filter` of `frozen`).
        if ((frozen >> (filter as u32)) & 1u32) == 1u32 {
            g = 0.0f32;
        }
        update(state, i, params[i], g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
    }
    sync_cube();
    // Then the fc weights' shares, class by class, at scratch[c*128 + j].
    if slot == 1 {
        #[unroll]
        for c in 0..class_count {
            scratch[c * FEATURES + j] = g_fc[c];
        }
    }
    sync_cube();
    if slot == 0 {
        #[unroll]
        for c in 0..class_count {
            scratch[c * FEATURES + j] += g_fc[c];
        }
    }
    sync_cube();
    for i in range_stepped(tid + fc_w, params_len, THREADS) {
        let mut g = 0.0f32;
        if i < fc_b {
            g = scratch[((i - fc_w) / fc_in) * FEATURES + (i - fc_w) % fc_in];
        } else {
            let class = i - fc_b;
            for s in 0..SLOTS {
                g += totals[s * (2 + class_count) + 2 + class];
            }
        }
        update(state, i, params[i], g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
    }
    if tid == 0 {
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for s in 0..SLOTS {
            loss += totals[s * (2 + class_count)];
            right += totals[s * (2 + class_count) + 1];
        }
        let mut before_loss = state[loss_at];
        let mut before_correct = state[loss_at + 1];
        if first == 1u32 {
            before_loss = 0.0f32;
            before_correct = 0.0f32;
        }
        state[loss_at] = before_loss + loss;
        state[loss_at + 1] = before_correct + right;
        state[loss_at + 2] = loss * inv_len;
    }
}

/// Forward only, `EVAL_CHUNK` images per workgroup; workgroup g writes its (Σ loss, correct) to
/// `out[2g..2g+2]`.
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn evaluate_kernel(
    images: &Tensor<f32>,
    classes: &Tensor<i32>,
    state: &Tensor<f32>,
    out: &mut Tensor<f32>,
    len: u32,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let tid = UNIT_POS as usize;
    let group = CUBE_POS_X as usize;
    let taps = kernel * kernel;
    let wide = comptime!(padded(kernel));
    let cells = (SIDE / pool) * (SIDE / pool);
    let fc_in = filters * cells;
    let conv_b = filters * taps;
    let fc_w = filters * (taps + 1);
    let fc_b = fc_w + class_count * fc_in;
    let params_len = fc_b + class_count;
    let mut params = Shared::<[f32]>::new_slice(params_len);
    let mut scratch = Shared::<[f32]>::new_slice(SLOTS * wide * wide);
    let mut pooled = Shared::<[f32]>::new_slice(THREADS);
    let mut at = Shared::<[u32]>::new_slice(THREADS);
    let mut totals = Shared::<[f32]>::new_slice(4usize);
    let mut logits = Array::<f32>::new(class_count);
    for i in range_stepped(tid, params_len, THREADS) {
        params[i] = state[i];
    }
    for i in range_stepped(tid, SLOTS * wide * wide, THREADS) {
        scratch[i] = 0.0f32;
    }
    sync_cube();
    let n = len as usize;
    let from = group * EVAL_CHUNK;
    let mut loss_sum = 0.0f32;
    let mut correct = 0.0f32;
    let slot = tid / FEATURES;
    for r in 0..EVAL_CHUNK / SLOTS {
        for s in 0..SLOTS {
            let b = from + r * SLOTS + s;
            let mut row = i32::new(-1);
            if b < n {
                row = b as i32;
            }
            stage_image(images, row, s, &mut scratch, tid, kernel);
        }
        sync_cube();
        if from + r * SLOTS + slot < n && tid % FEATURES < fc_in {
            conv_pool(&params, &scratch, &mut pooled, &mut at, tid, conv_b, kernel, pool);
        }
        sync_cube();
        if tid < SLOTS {
            let b = from + r * SLOTS + tid;
            if b < n {
                let class = classes[b] as usize;
                let lse = log_sum_exp(&params, &pooled, tid, fc_w, fc_b, fc_in, &mut logits, class_count);
                let picked = argmax(&logits, lse, class_count);
                #[unroll]
                for c in 0..class_count {
                    if c == class {
                        loss_sum += lse - logits[c];
                    }
                }
                if picked == class {
                    correct += 1.0f32;
                }
            }
        }
        sync_cube();
    }
    if tid < SLOTS {
        totals[tid * 2] = loss_sum;
        totals[tid * 2 + 1] = correct;
    }
    sync_cube();
    if tid == 0 {
        out[group * 2] = totals[0] + totals[2];
        out[group * 2 + 1] = totals[1] + totals[3];
    }
}

/// The class count to compile the kernels for; the trainer takes the stock path on a GPU for
/// other networks (see `fused::runs_on`).
fn taken(shape: &NetShape) -> (usize, usize, usize, usize) {
    assert!(super::gpu_kernels_take(shape), "the fused GPU kernels do not take the network {shape}");
    (shape.filters, shape.kernel, shape.pool, shape.classes)
}

fn checked(t: CubeTensor, dtype: DType, what: &str) -> CubeTensor {
    assert_eq!(t.dtype, dtype, "fused ops: {what} must be {dtype:?}");
    into_contiguous(t)
}

impl FusedOps for Cube {
    fn train_step(images: FloatTensor<Cube>, classes: IntTensor<Cube>, order: IntTensor<Cube>, state: FloatTensor<Cube>, args: StepArgs) -> FloatTensor<Cube> {
        let (filters, kernel, pool, class_count) = taken(&args.shape);
        let images = checked(images, DType::F32, "images");
        let classes = checked(classes, DType::I32, "classes");
        let order = checked(order, DType::I32, "the order");
        let state = checked(state, DType::F32, "the state");
        // Written in place when nothing else holds the buffer (as Burn's own in-place kernels do).
        let state = if state.can_mut() && state.is_nonoverlapping() { state } else { state.copy() };
        let (adam, [lr, beta_1, beta_2, scale, eps_hat]) = args.update.scalars();
        let client = state.client.clone();
        // SAFETY: every index the kernel reads or writes is in bounds by construction (images
        // come from `order`, which holds rows of `images`; the state has STATE_LEN values).
        unsafe { train_step_kernel::launch_unchecked(
            &client,
            CubeCount::Static(1, 1, 1),
            CubeDim::new_1d(THREADS as u32),
            images.into_tensor_arg(),
            classes.into_tensor_arg(),
            order.into_tensor_arg(),
            state.clone().into_tensor_arg(),
            args.start,
            args.len,
            u32::from(args.first),
            args.frozen,
            adam,
            lr,
            beta_1,
            beta_2,
            scale,
            eps_hat,
            filters,
            kernel,
            pool,
            class_count,
        ) };
        state
    }

    fn evaluate(images: FloatTensor<Cube>, classes: IntTensor<Cube>, params: FloatTensor<Cube>, shape: NetShape) -> FloatTensor<Cube> {
        let (filters, kernel, pool, class_count) = taken(&shape);
        let images = checked(images, DType::F32, "images");
        let classes = checked(classes, DType::I32, "classes");
        let params = checked(params, DType::F32, "the parameters");
        let len = images.shape().dims::<2>()[0];
        let groups = len.div_ceil(EVAL_CHUNK).max(1);
        let client = images.client.clone();
        let out = empty_device_contiguous_dtype(client.clone(), images.device.clone(), Shape::new([groups, 2]), DType::F32);
        // SAFETY: workgroup g reads images g·32.. only below `len`, and writes out[2g], out[2g+1].
        unsafe { evaluate_kernel::launch_unchecked(
            &client,
            CubeCount::Static(groups as u32, 1, 1),
            CubeDim::new_1d(THREADS as u32),
            images.into_tensor_arg(),
            classes.into_tensor_arg(),
            params.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            len as u32,
            filters,
            kernel,
            pool,
            class_count,
        ) };
        out
    }
}
