//! The fused step and evaluation as CubeCL kernels (WGSL on wgpu, WebGPU in a browser): the same
//! arithmetic as `cpu/`, for every network the knobs allow (filters, kernel, pool and classes
//! are compile-time parameters: each network compiles its kernels once, laid out by [`plan`]).
//!
//! A training step is one workgroup, because the batch's gradients must be summed before the
//! update and WebGPU has no float atomics. Invocation `t` owns one filter and a few of its pooled
//! cells (`plan.each`) of one image slot, and keeps their filter, fc weights and gradient shares
//! in registers; a round takes `plan.slots` images at once, and a small network splits each
//! pooling window among `plan.parts` invocations so that few stay idle. Per round: stage the
//! images, conv + pool, the logits as partial sums over chunks of the pooled features, the
//! softmax, the backward pass. At the end each filter's shares are summed through workgroup
//! memory, and every parameter is updated by the invocation that owns its gradient.
//! WebGPU's guaranteed limits shape it: 16 KiB of workgroup memory, 256 invocations, and barriers
//! only in uniform control flow (loop bounds come from scalars, never from invocation ids).

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
    layout::{self, StepArgs},
    op::FusedOps,
};
use crate::model::NetShape;

const THREADS: usize = 256;
const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;
/// Images each evaluation workgroup reads.
const EVAL_CHUNK: usize = 32;
/// A "minus infinity" WGSL accepts as a constant (it has no infinities).
const LOWEST: f32 = -3.0e38;
/// Workgroup memory the kernels may take, in 4-byte numbers: 15.6 KiB of the 16 KiB WebGPU
/// guarantees.
const BUDGET: usize = 4000;

// The conv weights come first; everything after them moves with the filter count.
const CONV_W: usize = 0;
const _: () = assert!(layout::Layout::of(NetShape::NOTEBOOK).conv_w == CONV_W);

/// Side of the image with its zero border (the conv's padding): 30 for 3×3, 32 for 5×5.
const fn padded(kernel: usize) -> usize {
    SIDE + 2 * (kernel / 2)
}

/// How a network's work is spread over the 256 invocations; everything is known when the
/// kernel compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Pooled cells per filter (49, 16 or 4).
    pub cells: usize,
    /// Invocations per filter and image, and cells each of them takes.
    pub group: usize,
    pub each: usize,
    /// Invocations per image (`filters · group`), and images per round.
    pub active: usize,
    pub slots: usize,
    /// A small network would leave invocations idle: each pooling window's rows are then split
    /// among `parts` invocations (a divisor of the pool size; 1 when there is no room).
    pub parts: usize,
    /// The logits are summed in `chunks` partial sums of `chunk` features each.
    pub chunks: usize,
    pub chunk: usize,
    /// Offsets in the workgroup scratch: staged images (0), pooled values, partial logits; at the
    /// end, the shares being summed (0) and each filter's sums (`THREADS`).
    pub pooled_at: usize,
    pub partial_at: usize,
    pub scratch: usize,
    /// The whole workgroup memory, in numbers (scratch, d(loss)/d(logits), per-slot totals).
    pub memory: usize,
}

pub(crate) const fn plan(filters: usize, kernel: usize, pool: usize, classes: usize) -> Plan {
    let side = SIDE / pool;
    let cells = side * side;
    let fc_in = filters * cells;
    let most = THREADS / filters;
    let first = if most < cells { most } else { cells };
    let each = cells.div_ceil(first);
    // As few invocations as take `each` cells apiece, so none has fewer to do than the others.
    let group = cells.div_ceil(each);
    let active = filters * group;
    let area = padded(kernel) * padded(kernel);
    let share = kernel * kernel + 1;
    let mut slots = THREADS / active;
    loop {
        let by_class = THREADS / (slots * classes);
        let mut chunks = (fc_in / classes).isqrt();
        if chunks > by_class {
            chunks = by_class;
        }
        if chunks == 0 {
            chunks = 1;
        }
        let chunk = fc_in.div_ceil(chunks);
        let pooled_at = slots * area;
        let partial_at = pooled_at + slots * fc_in;
        let forward = partial_at + slots * classes * chunks;
        let end = THREADS + filters * share;
        let scratch = if forward > end { forward } else { end };
        let mut parts = pool;
        while parts > 1 && (!pool.is_multiple_of(parts) || slots * active * parts > THREADS) {
            parts -= 1;
        }
        // Each part's maximum and where it lies, for the part that combines them.
        let by_part = 2 * if parts > 1 { each * THREADS } else { 1 };
        let memory = scratch + slots * classes + slots * (2 + classes) + by_part;
        if memory <= BUDGET || slots == 1 {
            return Plan { cells, group, each, active, slots, parts, chunks, chunk, pooled_at, partial_at, scratch, memory };
        }
        slots -= 1;
    }
}

/// Where invocation `tid` works (see [`plan`]): (part of the pooling window, image slot, index
/// `u` among the slot's invocations, filter `f`, first cell `q`; then q + group, …). Every part
/// works on the forward pass; the first part's invocations own the cells and their gradients.
#[cube]
fn place(tid: usize, #[comptime] filters: usize, #[comptime] kernel: usize, #[comptime] pool: usize, #[comptime] class_count: usize) -> (usize, usize, usize, usize, usize) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let lanes = comptime!(p.slots * p.active);
    let lane = tid % lanes;
    let u = lane % comptime!(p.active);
    (tid / lanes, lane / comptime!(p.active), u, u / comptime!(p.group), u % comptime!(p.group))
}

/// Filter `f`'s taps into `w`, and its bias, for an invocation that works (else zeros).
#[cube]
fn load_filter(params: &Tensor<f32>, w: &mut Array<f32>, f: usize, working: bool, #[comptime] filters: usize, #[comptime] kernel: usize) -> f32 {
    let taps = kernel * kernel;
    let mut bias = 0.0f32;
    if working {
        #[unroll]
        for t in 0..taps {
            w[t] = params[CONV_W + f * taps + t];
        }
        bias = params[filters * taps + f];
    }
    bias
}

/// Copies the image at `row` (or nothing, for a negative row) into image slot `slot` of
/// `scratch`, inside its zero border.
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

/// This invocation's filter `w` (with `bias`) over its cells `q`, `q + group`, … of the image in
/// `slot`, rows `part·pool/parts ..` of each pooling window: conv k×k + max-pool, the maximum
/// and the top-left of its k×k window (in the padded image; first maximum on ties, as Burn's
/// pool). With one part, into the pooled values and `at`; with more, into `part_best` and
/// `part_at` for [`combine_parts`]. Each window's input patch is read once into registers (fully
/// unrolled): far fewer loads than 2 per multiply-add, which is what software adapters are slow at.
#[cube]
#[allow(clippy::too_many_arguments)]
fn pool_features(
    scratch: &mut Shared<[f32]>,
    w: &Array<f32>,
    bias: f32,
    at: &mut Array<u32>,
    part_best: &mut Shared<[f32]>,
    part_at: &mut Shared<[u32]>,
    tid: usize,
    slot: usize,
    f: usize,
    q: usize,
    part: usize,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let wide = comptime!(padded(kernel));
    let side = SIDE / pool;
    let cells = side * side;
    let span = pool + kernel - 1;
    let rows = comptime!(pool / p.parts);
    let tall = rows + kernel - 1;
    let group = comptime!(p.group);
    let pooled = comptime!(p.pooled_at) + slot * filters * cells + f * cells;
    for m in 0..comptime!(p.each) {
        let cell = q + group * m;
        if cell < cells {
            let origin = ((cell / side) * wide + cell % side) * pool + part * rows * wide;
            let corner = slot * wide * wide + origin;
            let mut patch = Array::<f32>::new(tall * span);
            #[unroll]
            for r in 0..tall {
                #[unroll]
                for c in 0..span {
                    patch[r * span + c] = scratch[corner + r * wide + c];
                }
            }
            let mut best = f32::new(LOWEST);
            let mut arg = 0u32;
            #[unroll]
            for dy in 0..rows {
                #[unroll]
                for dx in 0..pool {
                    let o = dy * span + dx;
                    let mut v = bias;
                    #[unroll]
                    for ty in 0..kernel {
                        #[unroll]
                        for tx in 0..kernel {
                            v += w[ty * kernel + tx] * patch[o + ty * span + tx];
                        }
                    }
                    if v > best {
                        best = v;
                        arg = (origin + dy * wide + dx) as u32;
                    }
                }
            }
            if comptime!(p.parts == 1) {
                scratch[pooled + cell] = best;
                at[m] = arg;
            } else {
                part_best[m * THREADS + tid] = best;
                part_at[m * THREADS + tid] = arg;
            }
        }
    }
}

/// The first part's invocation takes the largest of its parts' maxima (the earliest on ties: the
/// parts hold the window's rows in order) into the pooled values and `at`.
#[cube]
#[allow(clippy::too_many_arguments)]
fn combine_parts(
    scratch: &mut Shared<[f32]>,
    at: &mut Array<u32>,
    part_best: &Shared<[f32]>,
    part_at: &Shared<[u32]>,
    tid: usize,
    slot: usize,
    f: usize,
    q: usize,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let cells = comptime!(p.cells);
    let lanes = comptime!(p.slots * p.active);
    let pooled = comptime!(p.pooled_at) + slot * filters * cells + f * cells;
    #[unroll]
    for m in 0..comptime!(p.each) {
        let cell = q + comptime!(p.group) * m;
        if cell < cells {
            let mut best = part_best[m * THREADS + tid];
            let mut arg = part_at[m * THREADS + tid];
            for k in 1..comptime!(p.parts) {
                let v = part_best[m * THREADS + k * lanes + tid];
                if v > best {
                    best = v;
                    arg = part_at[m * THREADS + k * lanes + tid];
                }
            }
            scratch[pooled + cell] = best;
            at[m] = arg;
        }
    }
}

/// The logits' partial sums: item `i` is (slot, class, chunk), the fc weights of `class` (read
/// from `params`) times a chunk of the pooled features of the image in `slot`, for the first
/// `filled` slots.
#[cube]
fn partial_logits(
    params: &Tensor<f32>,
    scratch: &mut Shared<[f32]>,
    filled: usize,
    tid: usize,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let fc_in = filters * comptime!(p.cells);
    let fc_w = filters * (kernel * kernel + 1);
    let chunks = comptime!(p.chunks);
    let chunk = comptime!(p.chunk);
    for i in range_stepped(tid, comptime!(p.slots * class_count * p.chunks), THREADS) {
        let slot = i / (class_count * chunks);
        let class = (i / chunks) % class_count;
        let from = (i % chunks) * chunk;
        if slot < filled && from < fc_in {
            let to = (from + chunk).min(fc_in);
            let weights = fc_w + class * fc_in;
            let pooled = comptime!(p.pooled_at) + slot * fc_in;
            let mut sum = 0.0f32;
            for j in from..to {
                sum += params[weights + j] * scratch[pooled + j];
            }
            scratch[comptime!(p.partial_at) + i] = sum;
        } else {
            scratch[comptime!(p.partial_at) + i] = 0.0f32;
        }
    }
}

/// A round's forward pass once its first `filled` image slots are staged: conv + pool (the
/// window's parts combined), then the logits' partial sums; it ends on a barrier, so the
/// softmax may read them.
#[cube]
#[allow(clippy::too_many_arguments)]
fn forward_round(
    params: &Tensor<f32>,
    scratch: &mut Shared<[f32]>,
    w: &Array<f32>,
    bias: f32,
    at: &mut Array<u32>,
    part_best: &mut Shared<[f32]>,
    part_at: &mut Shared<[u32]>,
    tid: usize,
    slot: usize,
    f: usize,
    q: usize,
    part: usize,
    working: bool,
    owner: bool,
    filled: usize,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    if working && slot < filled {
        pool_features(scratch, w, bias, at, part_best, part_at, tid, slot, f, q, part, filters, kernel, pool, class_count);
    }
    sync_cube();
    if comptime!(plan(filters, kernel, pool, class_count).parts > 1) {
        if owner && slot < filled {
            combine_parts(scratch, at, &*part_best, &*part_at, tid, slot, f, q, filters, kernel, pool, class_count);
        }
        sync_cube();
    }
    partial_logits(params, scratch, filled, tid, filters, kernel, pool, class_count);
    sync_cube();
}

/// The logits of the image in `slot` (into `logits`: fc bias plus the partial sums) and their
/// log-sum-exp.
#[cube]
#[allow(clippy::too_many_arguments)]
fn log_sum_exp(
    params: &Tensor<f32>,
    scratch: &Shared<[f32]>,
    slot: usize,
    logits: &mut Array<f32>,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) -> f32 {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let fc_b = filters * (kernel * kernel + 1) + class_count * filters * comptime!(p.cells);
    let chunks = comptime!(p.chunks);
    let mut m = f32::new(LOWEST);
    #[unroll]
    for c in 0..class_count {
        let mut v = params[fc_b + c];
        let from = comptime!(p.partial_at) + (slot * class_count + c) * chunks;
        for k in 0..chunks {
            v += scratch[from + k];
        }
        logits[c] = v;
        m = m.max(v);
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

/// One number `k` of every filter's gradient share (a tap, or the bias at `k = taps`) summed
/// over the invocations and slots that hold the filter, into `scratch[THREADS + f·share + k]`.
#[cube]
#[allow(clippy::too_many_arguments)]
fn sum_conv_share(
    scratch: &mut Shared<[f32]>,
    value: f32,
    owner: bool,
    tid: usize,
    k: usize,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let group = comptime!(p.group);
    let active = comptime!(p.active);
    if owner {
        scratch[tid] = value;
    }
    sync_cube();
    for f in range_stepped(tid, filters, THREADS) {
        let mut sum = 0.0f32;
        for s in 0..comptime!(p.slots) {
            for q in 0..group {
                sum += scratch[s * active + f * group + q];
            }
        }
        scratch[THREADS + f * (kernel * kernel + 1) + k] = sum;
    }
    sync_cube();
}

/// One parameter's optimizer update (`Update::scalars`: `adam` is the kind, 0 SGD, 1 Adam, 2
/// momentum), in the state buffer (the optimizer's two slots after the parameters).
#[cube]
#[allow(clippy::too_many_arguments)]
fn update(state: &mut Tensor<f32>, i: usize, p: f32, g: f32, adam: u32, lr: f32, beta_1: f32, beta_2: f32, scale: f32, eps_hat: f32, #[comptime] params_len: usize) {
    if adam == 1u32 {
        let m = state[params_len + i] * beta_1 + g * (1.0f32 - beta_1);
        let v = state[2 * params_len + i] * beta_2 + g * g * (1.0f32 - beta_2);
        state[params_len + i] = m;
        state[2 * params_len + i] = v;
        state[i] = p - (m * scale) / (v.sqrt() + eps_hat) * lr;
    } else if adam == 2u32 {
        // Momentum (μ in beta_1): the velocity in Adam's first-moment slot.
        let v = state[params_len + i] * beta_1 + g;
        state[params_len + i] = v;
        state[i] = p - v * lr;
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
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let tid = UNIT_POS as usize;
    let taps = kernel * kernel;
    // A conv share per filter: its taps, then its bias.
    let share = taps + 1;
    let wide = comptime!(padded(kernel));
    let cells = comptime!(p.cells);
    let fc_in = filters * cells;
    let conv_b = filters * taps;
    let fc_w = filters * share;
    let fc_b = fc_w + class_count * fc_in;
    let params_len = fc_b + class_count;
    let loss_at = 3 * params_len;
    let group = comptime!(p.group);
    let each = comptime!(p.each);
    let active = comptime!(p.active);
    let slots = comptime!(p.slots);
    let mut scratch = Shared::<[f32]>::new_slice(comptime!(p.scratch));
    // d(loss)/d(logits) of each slot's image; each slot's loss, correct count and fc bias gradient.
    let mut d_logits = Shared::<[f32]>::new_slice(slots * class_count);
    let mut totals = Shared::<[f32]>::new_slice(slots * (2 + class_count));

    let (part, slot, u, f, q) = place(tid, filters, kernel, pool, class_count);
    let working = part < comptime!(p.parts);
    let owner = tid < slots * active;
    let mut part_best = Shared::<[f32]>::new_slice(comptime!(if p.parts > 1 { p.each * THREADS } else { 1 }));
    let mut part_at = Shared::<[u32]>::new_slice(comptime!(if p.parts > 1 { p.each * THREADS } else { 1 }));
    let mut w = Array::<f32>::new(taps);
    let bias = load_filter(&*state, &mut w, f, working, filters, kernel);
    let mut w_fc = Array::<f32>::new(each * class_count);
    if owner {
        #[unroll]
        for m in 0..each {
            let cell = q + group * m;
            if cell < cells {
                #[unroll]
                for c in 0..class_count {
                    w_fc[m * class_count + c] = state[fc_w + c * fc_in + f * cells + cell];
                }
            }
        }
    }
    for i in range_stepped(tid, slots * wide * wide, THREADS) {
        scratch[i] = 0.0f32;
    }
    sync_cube();

    let n = len as usize;
    let first_pick = start as usize;
    let inv_len = 1.0f32 / f32::cast_from(len);
    // This invocation's gradient shares: of its filter's taps and bias, and of its fc weights.
    let mut g_taps = Array::<f32>::new(taps);
    #[unroll]
    for t in 0..taps {
        g_taps[t] = 0.0f32;
    }
    let mut g_bias = 0.0f32;
    let mut g_fc = Array::<f32>::new(each * class_count);
    #[unroll]
    for i in 0..each * class_count {
        g_fc[i] = 0.0f32;
    }
    let mut at = Array::<u32>::new(each);
    // Invocations below `slots` (one per slot): loss and correct count, fc bias gradient.
    let mut loss_sum = 0.0f32;
    let mut correct = 0.0f32;
    let mut g_fcb = Array::<f32>::new(class_count);
    let mut logits = Array::<f32>::new(class_count);
    #[unroll]
    for c in 0..class_count {
        g_fcb[c] = 0.0f32;
    }

    let rounds = (n + slots - 1) / slots;
    for r in 0..rounds {
        let filled = (n - r * slots).min(slots);
        for s in 0..slots {
            let mut row = i32::new(-1);
            if s < filled {
                row = order[first_pick + r * slots + s];
            }
            stage_image(images, row, s, &mut scratch, tid, kernel);
        }
        sync_cube();
        forward_round(&*state, &mut scratch, &w, bias, &mut at, &mut part_best, &mut part_at, tid, slot, f, q, part, working, owner, filled, filters, kernel, pool, class_count);
        let mine = owner && slot < filled;
        if tid < filled {
            let class = classes[order[first_pick + r * slots + tid] as usize] as usize;
            let lse = log_sum_exp(&*state, &scratch, tid, &mut logits, filters, kernel, pool, class_count);
            let picked = argmax(&logits, lse, class_count);
            if picked == class {
                correct += 1.0f32;
            }
            #[unroll]
            for c in 0..class_count {
                let lp = logits[c] - lse;
                let mut y = 0.0f32;
                if c == class {
                    y = 1.0f32;
                    loss_sum -= lp;
                }
                let d = (lp.exp() - y) * inv_len;
                d_logits[tid * class_count + c] = d;
                g_fcb[c] += d;
            }
        }
        sync_cube();
        if mine {
            #[unroll]
            for m in 0..each {
                let cell = q + group * m;
                if cell < cells {
                    let x = scratch[comptime!(p.pooled_at) + slot * fc_in + f * cells + cell];
                    let mut d = 0.0f32;
                    #[unroll]
                    for c in 0..class_count {
                        let dc = d_logits[slot * class_count + c];
                        g_fc[m * class_count + c] += dc * x;
                        d += dc * w_fc[m * class_count + c];
                    }
                    g_bias += d;
                    let a = slot * wide * wide + at[m] as usize;
                    #[unroll]
                    for t in 0..taps {
                        g_taps[t] += d * scratch[a + (t / kernel) * wide + t % kernel];
                    }
                }
            }
        }
        sync_cube();
    }

    if tid < slots {
        totals[tid * (2 + class_count)] = loss_sum;
        totals[tid * (2 + class_count) + 1] = correct;
        #[unroll]
        for c in 0..class_count {
            totals[tid * (2 + class_count) + 2 + c] = g_fcb[c];
        }
    }
    // Σg² of the gradients this invocation applies, for the step's gradient norms.
    let mut conv_sq = 0.0f32;
    let mut fc_sq = 0.0f32;
    // The conv layer: each filter's shares summed, number by number, then a weight (filter i/k²,
    // tap i%k²) or a bias (filter i - conv_b) updated by one invocation.
    #[unroll]
    for t in 0..taps {
        sum_conv_share(&mut scratch, g_taps[t], owner, tid, t, filters, kernel, pool, class_count);
    }
    sum_conv_share(&mut scratch, g_bias, owner, tid, taps, filters, kernel, pool, class_count);
    for i in range_stepped(tid, fc_w, THREADS) {
        let mut filter = i / taps;
        let mut k = i % taps;
        if i >= conv_b {
            filter = i - conv_b;
            k = taps;
        }
        let mut g = scratch[THREADS + filter * share + k];
        // A frozen filter's gradient is zero (bit `filter` of `frozen`).
        if ((frozen >> (filter as u32)) & 1u32) == 1u32 {
            g = 0.0f32;
        }
        let old = state[i];
        conv_sq += g * g;
        update(state, i, old, g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
    }
    // The fc weights: each has one owner per slot; with one slot the owner updates it at once,
    // with more the other slots' shares are added to slot 0's, class by class.
    if comptime!(p.slots == 1) {
        if owner {
            #[unroll]
            for m in 0..each {
                let cell = q + group * m;
                if cell < cells {
                    #[unroll]
                    for c in 0..class_count {
                        let i = fc_w + c * fc_in + f * cells + cell;
                        let g = g_fc[m * class_count + c];
                        fc_sq += g * g;
                        update(state, i, w_fc[m * class_count + c], g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
                    }
                }
            }
        }
    } else {
        #[unroll]
        for m in 0..each {
            #[unroll]
            for c in 0..class_count {
                let cell = q + group * m;
                if owner && slot > 0 {
                    scratch[(slot - 1) * active + u] = g_fc[m * class_count + c];
                }
                sync_cube();
                if owner && slot == 0 && cell < cells {
                    let mut g = g_fc[m * class_count + c];
                    for s in 1..slots {
                        g += scratch[(s - 1) * active + u];
                    }
                    let i = fc_w + c * fc_in + f * cells + cell;
                    fc_sq += g * g;
                    update(state, i, w_fc[m * class_count + c], g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
                }
                sync_cube();
            }
        }
    }
    for c in range_stepped(tid, class_count, THREADS) {
        let mut g = 0.0f32;
        for s in 0..slots {
            g += totals[s * (2 + class_count) + 2 + c];
        }
        let old = state[fc_b + c];
        fc_sq += g * g;
        update(state, fc_b + c, old, g, adam, lr, beta_1, beta_2, scale, eps_hat, params_len);
    }
    // The step's squared gradient norms, each invocation's share summed through `scratch`
    // (free now: every update above has read what it needed).
    sync_cube();
    scratch[tid] = conv_sq;
    sync_cube();
    let mut conv_total = 0.0f32;
    if tid == 0 {
        for t in 0..THREADS {
            conv_total += scratch[t];
        }
    }
    sync_cube();
    scratch[tid] = fc_sq;
    sync_cube();
    if tid == 0 {
        let mut fc_total = 0.0f32;
        for t in 0..THREADS {
            fc_total += scratch[t];
        }
        state[loss_at + 3] = conv_total;
        state[loss_at + 4] = fc_total;
    }
    if tid == 0 {
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for s in 0..slots {
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
    params: &Tensor<f32>,
    out: &mut Tensor<f32>,
    len: u32,
    #[comptime] filters: usize,
    #[comptime] kernel: usize,
    #[comptime] pool: usize,
    #[comptime] class_count: usize,
) {
    let p = comptime!(plan(filters, kernel, pool, class_count));
    let tid = UNIT_POS as usize;
    let taps = kernel * kernel;
    let wide = comptime!(padded(kernel));
    let active = comptime!(p.active);
    let slots = comptime!(p.slots);
    let mut scratch = Shared::<[f32]>::new_slice(comptime!(p.scratch));
    let mut totals = Shared::<[f32]>::new_slice(slots * 2);
    let (part, slot, _, f, q) = place(tid, filters, kernel, pool, class_count);
    let working = part < comptime!(p.parts);
    let owner = tid < slots * active;
    let mut part_best = Shared::<[f32]>::new_slice(comptime!(if p.parts > 1 { p.each * THREADS } else { 1 }));
    let mut part_at = Shared::<[u32]>::new_slice(comptime!(if p.parts > 1 { p.each * THREADS } else { 1 }));
    let mut w = Array::<f32>::new(taps);
    let bias = load_filter(params, &mut w, f, working, filters, kernel);
    let mut at = Array::<u32>::new(comptime!(p.each));
    let mut logits = Array::<f32>::new(class_count);
    for i in range_stepped(tid, slots * wide * wide, THREADS) {
        scratch[i] = 0.0f32;
    }
    sync_cube();
    let from = CUBE_POS_X as usize * EVAL_CHUNK;
    // This workgroup's images: from..from + here.
    let here = (len as usize - from).min(EVAL_CHUNK);
    let mut loss_sum = 0.0f32;
    let mut correct = 0.0f32;
    for r in 0..comptime!(EVAL_CHUNK.div_ceil(p.slots)) {
        let mut filled = 0usize;
        if here > r * slots {
            filled = (here - r * slots).min(slots);
        }
        for s in 0..slots {
            let mut row = i32::new(-1);
            if s < filled {
                row = (from + r * slots + s) as i32;
            }
            stage_image(images, row, s, &mut scratch, tid, kernel);
        }
        sync_cube();
        forward_round(params, &mut scratch, &w, bias, &mut at, &mut part_best, &mut part_at, tid, slot, f, q, part, working, owner, filled, filters, kernel, pool, class_count);
        if tid < filled {
            let class = classes[from + r * slots + tid] as usize;
            let lse = log_sum_exp(params, &scratch, tid, &mut logits, filters, kernel, pool, class_count);
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
        sync_cube();
    }
    if tid < slots {
        totals[tid * 2] = loss_sum;
        totals[tid * 2 + 1] = correct;
    }
    sync_cube();
    if tid == 0 {
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for s in 0..slots {
            loss += totals[s * 2];
            right += totals[s * 2 + 1];
        }
        out[CUBE_POS_X as usize * 2] = loss;
        out[CUBE_POS_X as usize * 2 + 1] = right;
    }
}

/// The compile-time parameters of a network's kernels.
fn comptime_args(shape: &NetShape) -> (usize, usize, usize, usize) {
    (shape.filters, shape.kernel, shape.pool, shape.classes)
}

fn checked(t: CubeTensor, dtype: DType, what: &str) -> CubeTensor {
    assert_eq!(t.dtype, dtype, "fused ops: {what} must be {dtype:?}");
    into_contiguous(t)
}

impl FusedOps for Cube {
    fn train_step(images: FloatTensor<Cube>, classes: IntTensor<Cube>, order: IntTensor<Cube>, state: FloatTensor<Cube>, args: StepArgs) -> FloatTensor<Cube> {
        let (filters, kernel, pool, class_count) = comptime_args(&args.shape);
        let images = checked(images, DType::F32, "images");
        let classes = checked(classes, DType::I32, "classes");
        let order = checked(order, DType::I32, "the order");
        let state = checked(state, DType::F32, "the state");
        // Written in place when nothing else holds the buffer (as Burn's own in-place kernels do).
        let state = if state.can_mut() && state.is_nonoverlapping() { state } else { state.copy() };
        let (adam, [lr, beta_1, beta_2, scale, eps_hat]) = args.update.scalars();
        let client = state.client.clone();
        // SAFETY: every index the kernel reads or writes is in bounds by construction (images
        // come from `order`, which holds rows of `images`; the state has the layout's length).
        unsafe {
            train_step_kernel::launch_unchecked(
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
            )
        };
        state
    }

    fn evaluate(images: FloatTensor<Cube>, classes: IntTensor<Cube>, params: FloatTensor<Cube>, shape: NetShape) -> FloatTensor<Cube> {
        let (filters, kernel, pool, class_count) = comptime_args(&shape);
        let images = checked(images, DType::F32, "images");
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
                filters,
                kernel,
                pool,
                class_count,
            )
        };
        out
    }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::shape::{CLASS_COUNTS, FILTER_RANGE, KERNELS, POOLS};

    use super::*;

    /// Every network the knobs allow fits the workgroup: its memory within WebGPU's 16 KiB, its
    /// invocations within 256, every cell of every filter owned, and the chunks cover the features.
    #[test]
    fn every_network_fits_one_workgroup() {
        for filters in FILTER_RANGE {
            for kernel in KERNELS {
                for pool in POOLS {
                    for classes in CLASS_COUNTS {
                        let p = plan(filters, kernel, pool, classes);
                        let what = format!("{filters} filters {kernel}×{kernel} pool {pool}, {classes} classes: {p:?}");
                        assert!(p.memory * 4 <= 16 * 1024 && p.memory <= BUDGET, "{what}");
                        assert!(p.slots >= 1 && p.slots * p.active * p.parts <= THREADS && pool % p.parts == 0, "{what}");
                        assert!(p.parts == 1 || p.each == 1, "{what}");
                        assert!(p.group * p.each >= p.cells && p.group * (p.each - 1) < p.cells, "{what}");
                        assert!(p.chunks * p.chunk >= filters * p.cells, "{what}");
                        assert!(p.partial_at + p.slots * classes * p.chunks <= p.scratch && THREADS + filters * (kernel * kernel + 1) <= p.scratch, "{what}");
                    }
                }
            }
        }
        // The notebook's network: 8 filters of 16 cells, one cell each, two images a round.
        let notebook = plan(8, 3, 7, 2);
        assert_eq!((notebook.group, notebook.each, notebook.active, notebook.slots, notebook.parts), (16, 1, 128, 2, 1));
        // 3 filters 5×5 pooled to 2×2: twelve invocations an image, so each window in 7 parts of 2 rows.
        let small = plan(3, 5, 14, 2);
        assert_eq!((small.active, small.slots, small.parts), (12, 3, 7));
    }
}
