//! The training step's kernel: the forward pass of `forward.rs` over the batch in rounds, then
//! the loss, the backward pass, the two layers' updates and the epoch's figures, each a function
//! of its own.

use burn_cubecl::cubecl;
use cubecl::prelude::*;

use super::{
    forward::{Filter, Memory, Place, argmax, forward_round, log_sum_exp, stage_image},
    plan::{Plan, THREADS},
};
use crate::optimizer::Update;

/// [`Optimizer::kind`]'s codes, given by the host from an `Update` just below.
const SGD: u32 = 0;
const ADAM: u32 = 1;
const MOMENTUM: u32 = 2;

/// What stays the same through a run (`StepArgs`): the batch size `len` and the frozen filters
/// (bit `f` keeps filter `f` as it is). What changes from dispatch to dispatch comes in a tensor,
/// `cursor`: CubeCL keeps a uniform buffer for each distinct set of launch numbers (up to 512, in
/// use until a memory cleanup), which launch numbers that change at every dispatch would fill.
#[derive(CubeType, CubeLaunch)]
pub(super) struct Batch {
    pub len: u32,
    pub frozen: u32,
}

/// `cursor`'s numbers: where in the order the steps start, how many steps, whether the first is
/// the epoch's first (its figures start from zero), and the last step's batch (the epoch's last
/// batch may be short).
pub(super) const CURSOR_START: usize = 0;
pub(super) const CURSOR_COUNT: usize = 1;
pub(super) const CURSOR_FIRST: usize = 2;
pub(super) const CURSOR_LAST: usize = 3;

/// The optimizer's update (`optimizer::Update`): its kind, lr, β1 (or momentum's μ), β2. Adam's
/// scale and eps_hat change every step: they come from the schedule (`Constants`).
#[derive(CubeType, CubeLaunch)]
pub(super) struct Optimizer {
    pub kind: u32,
    pub lr: f32,
    pub beta_1: f32,
    pub beta_2: f32,
}

impl From<Update> for OptimizerLaunch {
    fn from(update: Update) -> Self {
        match update {
            Update::Sgd { lr } => Self::new(SGD, lr, 0.0, 0.0),
            Update::Momentum { lr, momentum } => Self::new(MOMENTUM, lr, momentum, 0.0),
            Update::Adam { lr, beta_1, beta_2, .. } => Self::new(ADAM, lr, beta_1, beta_2),
        }
    }
}

/// One step's `Update::constants`: Adam's scale and eps_hat.
#[derive(CubeType)]
pub(super) struct Constants {
    pub scale: f32,
    pub eps_hat: f32,
}

/// What a cell-owning invocation keeps in registers through a step: its cells' fc weights and
/// its gradient shares (its filter's taps then bias; its fc weights).
#[derive(CubeType)]
pub(super) struct Shares {
    w_fc: Array<f32>,
    pub(super) conv: Array<f32>,
    pub(super) fc: Array<f32>,
}

#[cube]
impl Shares {
    pub(super) fn load(params: &Tensor<f32>, place: &Place, #[comptime] plan: Plan) -> Shares {
        let (each, classes, cells) = comptime!((plan.each, plan.classes, plan.cells));
        let mut w_fc = Array::<f32>::new(comptime!(plan.each * plan.classes));
        let mut fc = Array::<f32>::new(comptime!(plan.each * plan.classes));
        let mut conv = Array::<f32>::new(comptime!(plan.share));
        #[unroll]
        for t in 0..comptime!(plan.share) {
            conv[t] = 0.0f32;
        }
        #[unroll]
        for m in 0..each {
            let cell = place.q + comptime!(plan.group) * m;
            #[unroll]
            for c in 0..classes {
                fc[m * classes + c] = 0.0f32;
                if place.owner && cell < cells {
                    w_fc[m * classes + c] = params[comptime!(plan.layout.fc_w) + c * comptime!(plan.fc_in) + place.f * cells + cell];
                }
            }
        }
        Shares { w_fc, conv, fc }
    }
}

/// `cursor`'s count of training steps for the network of `plan`, one after another: each step's
/// updates reach global memory before the next step's invocations read the state again.
#[cube(launch_unchecked)]
pub(super) fn train_step_kernel(images: &Tensor<i32>, classes: &Tensor<i32>, order: &Tensor<i32>, cursor: &Tensor<i32>, schedule: &Tensor<f32>, state: &mut Tensor<f32>, batch: Batch, optimizer: Optimizer, #[comptime] plan: Plan) {
    let place = Place::of(plan);
    let mut mem = Memory::new(plan);
    let mut at = Array::<u32>::new(comptime!(plan.each));
    // d(loss)/d(logits) of each slot's image.
    let mut d_logits = Shared::<[f32]>::new_slice(comptime!(plan.slots * plan.classes));
    // Each slot's tally for the updates and the figures.
    let mut totals = Shared::<[f32]>::new_slice(comptime!(plan.slots * (2 + plan.classes)));
    // Read-only storage, the same for every invocation: uniform, so the barriers below may follow.
    let count = cursor[CURSOR_COUNT] as usize;
    for k in 0..count {
        if k > 0 {
            // The previous step's updates, visible to every invocation; its sums, off the image slots.
            sync_storage();
            mem.clear(plan);
        }
        let start = cursor[CURSOR_START] as usize + k * batch.len as usize;
        let mut len = batch.len as usize;
        if k + 1 == count {
            len = cursor[CURSOR_LAST] as usize;
        }
        let mut first = 0u32;
        if k == 0 {
            first = cursor[CURSOR_FIRST] as u32;
        }
        let constants = Constants { scale: schedule[2 * k], eps_hat: schedule[2 * k + 1] };
        one_step(images, classes, order, state, &place, &mut mem, &mut at, &mut d_logits, &mut totals, start, len, first, batch.frozen, &optimizer, &constants, plan);
    }
}

/// One training step: `len` images from `order[start..]`.
#[cube]
#[allow(clippy::too_many_arguments)]
fn one_step(
    images: &Tensor<i32>,
    classes: &Tensor<i32>,
    order: &Tensor<i32>,
    state: &mut Tensor<f32>,
    place: &Place,
    mem: &mut Memory,
    at: &mut Array<u32>,
    d_logits: &mut Shared<[f32]>,
    totals: &mut Shared<[f32]>,
    start: usize,
    len: usize,
    first: u32,
    frozen: u32,
    optimizer: &Optimizer,
    constants: &Constants,
    #[comptime] plan: Plan,
) {
    let filter = Filter::load(&*state, place, plan);
    let mut shares = Shares::load(&*state, place, plan);
    let inv_len = 1.0f32 / f32::cast_from(len as u32);
    accumulate(images, classes, order, &*state, place, mem, &filter, &mut shares, at, d_logits, totals, start, len, inv_len, plan);
    let conv_sq = update_conv(state, mem, &shares, place, frozen, optimizer, constants, plan);
    let fc_sq = update_fc(state, mem, &shares, place, &*totals, optimizer, constants, plan);
    gradient_norms(state, mem, conv_sq, fc_sq, plan);
    if place.tid == 0 {
        let tally_len = comptime!(2 + plan.classes);
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for s in 0..comptime!(plan.slots) {
            loss += totals[s * tally_len];
            right += totals[s * tally_len + 1];
        }
        epoch_figures(state, loss, right, first, inv_len, plan);
    }
}

/// The forward and backward passes of `len` images from `order[start..]`, each weighing
/// `inv_len` in the mean loss: every invocation's gradient shares added to `shares`, each slot's
/// tally into `totals` (to be read after the next barrier).
#[cube]
#[allow(clippy::too_many_arguments)]
pub(super) fn accumulate(
    images: &Tensor<i32>,
    classes: &Tensor<i32>,
    order: &Tensor<i32>,
    params: &Tensor<f32>,
    place: &Place,
    mem: &mut Memory,
    filter: &Filter,
    shares: &mut Shares,
    at: &mut Array<u32>,
    d_logits: &mut Shared<[f32]>,
    totals: &mut Shared<[f32]>,
    start: usize,
    len: usize,
    inv_len: f32,
    #[comptime] plan: Plan,
) {
    let slots = comptime!(plan.slots);
    let tally_len = comptime!(2 + plan.classes);
    // Invocations below `slots` (one per slot): Σ loss, number correct, the fc bias's gradient.
    let mut tally = Array::<f32>::new(tally_len);
    #[unroll]
    for k in 0..tally_len {
        tally[k] = 0.0f32;
    }
    for r in 0..len.div_ceil(slots) {
        let first_image = start + r * slots;
        let filled = (len - r * slots).min(slots);
        for s in 0..slots {
            let mut row = i32::new(-1);
            if s < filled {
                row = order[first_image + s];
            }
            stage_image(images, row, s, mem, plan);
        }
        sync_cube();
        forward_round(params, mem, filter, at, place, filled, plan);
        if place.tid < filled {
            let class = classes[order[first_image + place.tid] as usize] as usize;
            loss_round(params, &*mem, class, &mut tally, d_logits, inv_len, plan);
        }
        sync_cube();
        if place.owner && place.slot < filled {
            backward_round(&*mem, &*d_logits, &*at, shares, place, plan);
        }
        sync_cube();
    }
    if place.tid < slots {
        #[unroll]
        for k in 0..tally_len {
            totals[place.tid * tally_len + k] = tally[k];
        }
    }
}

/// The softmax of the image in the slot numbered like this invocation: its loss and whether the
/// model was right, added to `tally`; d(loss)/d(logits) into `d_logits`, and added to the fc
/// bias's gradient in `tally`.
#[cube]
fn loss_round(params: &Tensor<f32>, mem: &Memory, class: usize, tally: &mut Array<f32>, d_logits: &mut Shared<[f32]>, inv_len: f32, #[comptime] plan: Plan) {
    let classes = comptime!(plan.classes);
    let slot = UNIT_POS as usize;
    let mut logits = Array::<f32>::new(classes);
    let lse = log_sum_exp(params, mem, slot, &mut logits, plan);
    if argmax(&logits, lse, classes) == class {
        tally[1] += 1.0f32;
    }
    #[unroll]
    for c in 0..classes {
        let lp = logits[c] - lse;
        let mut y = 0.0f32;
        if c == class {
            y = 1.0f32;
            tally[0] -= lp;
        }
        let d = (lp.exp() - y) * inv_len;
        d_logits[slot * classes + c] = d;
        tally[2 + c] += d;
    }
}

/// The invocation's cells' share of the gradient of the image in its slot: of the fc weights
/// (d_logits × the pooled value) and, through the max-pool's winner at `at`, of its filter.
#[cube]
fn backward_round(mem: &Memory, d_logits: &Shared<[f32]>, at: &Array<u32>, shares: &mut Shares, place: &Place, #[comptime] plan: Plan) {
    let (classes, cells, kernel, wide, taps) = comptime!((plan.classes, plan.cells, plan.kernel, plan.wide, plan.taps));
    #[unroll]
    for m in 0..comptime!(plan.each) {
        let cell = place.q + comptime!(plan.group) * m;
        if cell < cells {
            let x = mem.scratch[comptime!(plan.pooled_at) + place.slot * comptime!(plan.fc_in) + place.f * cells + cell];
            let mut d = 0.0f32;
            #[unroll]
            for c in 0..classes {
                let dc = d_logits[place.slot * classes + c];
                shares.fc[m * classes + c] += dc * x;
                d += dc * shares.w_fc[m * classes + c];
            }
            shares.conv[taps] += d;
            let a = place.slot * wide * wide + at[m] as usize;
            #[unroll]
            for t in 0..taps {
                shares.conv[t] += d * mem.scratch[a + (t / kernel) * wide + t % kernel];
            }
        }
    }
}

/// The conv layer: each filter's shares summed, number by number, then a weight (filter i/k²,
/// tap i%k²) or a bias (filter i - conv_b) updated by one invocation. Returns the Σg² of the
/// gradients this invocation applied.
#[cube]
#[allow(clippy::too_many_arguments)]
fn update_conv(state: &mut Tensor<f32>, mem: &mut Memory, shares: &Shares, place: &Place, frozen: u32, optimizer: &Optimizer, constants: &Constants, #[comptime] plan: Plan) -> f32 {
    let (taps, share) = comptime!((plan.taps, plan.share));
    let conv_b = comptime!(plan.layout.conv_b);
    #[unroll]
    for k in 0..share {
        sum_conv_share(mem, shares.conv[k], place, k, plan);
    }
    let mut squares = 0.0f32;
    for i in range_stepped(place.tid, comptime!(plan.layout.fc_w), THREADS) {
        let mut filter = i / taps;
        let mut k = i % taps;
        if i >= conv_b {
            filter = i - conv_b;
            k = taps;
        }
        let mut g = mem.scratch[THREADS + filter * share + k];
        if ((frozen >> (filter as u32)) & 1u32) == 1u32 {
            g = 0.0f32;
        }
        let old = state[i];
        squares += g * g;
        update(state, i, old, g, optimizer, constants, plan);
    }
    squares
}

/// One number `k` of every filter's gradient share (a tap, or the bias at `k = taps`) summed
/// over the invocations and slots that hold the filter, into `scratch[THREADS + f·share + k]`.
#[cube]
pub(super) fn sum_conv_share(mem: &mut Memory, value: f32, place: &Place, k: usize, #[comptime] plan: Plan) {
    let (group, active) = comptime!((plan.group, plan.active));
    if place.owner {
        mem.scratch[place.tid] = value;
    }
    sync_cube();
    for f in range_stepped(place.tid, comptime!(plan.filters), THREADS) {
        let mut sum = 0.0f32;
        for s in 0..comptime!(plan.slots) {
            for q in 0..group {
                sum += mem.scratch[s * active + f * group + q];
            }
        }
        mem.scratch[THREADS + f * comptime!(plan.share) + k] = sum;
    }
    sync_cube();
}

/// The linear layer: each fc weight has one owner per slot; with one slot the owner updates it at
/// once, with more the other slots' shares are added to slot 0's, class by class. Then the fc
/// biases, from the slots' tallies. Returns the Σg² of the gradients this invocation applied.
#[cube]
#[allow(clippy::too_many_arguments)]
fn update_fc(state: &mut Tensor<f32>, mem: &mut Memory, shares: &Shares, place: &Place, totals: &Shared<[f32]>, optimizer: &Optimizer, constants: &Constants, #[comptime] plan: Plan) -> f32 {
    let (classes, cells) = comptime!((plan.classes, plan.cells));
    let mut squares = 0.0f32;
    #[unroll]
    for m in 0..comptime!(plan.each) {
        #[unroll]
        for c in 0..classes {
            let cell = place.q + comptime!(plan.group) * m;
            let g = sum_fc_share(mem, shares.fc[m * classes + c], place, plan);
            if place.owner && place.slot == 0 && cell < cells {
                let i = comptime!(plan.layout.fc_w) + c * comptime!(plan.fc_in) + place.f * cells + cell;
                squares += g * g;
                update(state, i, shares.w_fc[m * classes + c], g, optimizer, constants, plan);
            }
        }
    }
    for c in range_stepped(place.tid, classes, THREADS) {
        let g = fc_bias_gradient(totals, c, plan);
        let i = comptime!(plan.layout.fc_b) + c;
        let old = state[i];
        squares += g * g;
        update(state, i, old, g, optimizer, constants, plan);
    }
    squares
}

/// An fc weight's gradient share `g` of this invocation's slot, summed over the slots (each slot
/// has an owner of the weight): the total, for the owner in slot 0. With several slots it
/// passes through the scratch, between barriers.
#[cube]
pub(super) fn sum_fc_share(mem: &mut Memory, g: f32, place: &Place, #[comptime] plan: Plan) -> f32 {
    let (slots, active) = comptime!((plan.slots, plan.active));
    let mut total = g;
    if comptime!(plan.slots > 1) {
        if place.owner && place.slot > 0 {
            mem.scratch[(place.slot - 1) * active + place.u] = g;
        }
        sync_cube();
        for s in 1..slots {
            total += mem.scratch[(s - 1) * active + place.u];
        }
        sync_cube();
    }
    total
}

/// Class `c`'s fc bias gradient: the slots' tallies added up.
#[cube]
pub(super) fn fc_bias_gradient(totals: &Shared<[f32]>, c: usize, #[comptime] plan: Plan) -> f32 {
    let mut g = 0.0f32;
    for s in 0..comptime!(plan.slots) {
        g += totals[s * comptime!(2 + plan.classes) + 2 + c];
    }
    g
}

/// One parameter's update, with the optimizer's two slots in the state. A kind without a code
/// here leaves the parameter as it is.
#[cube]
pub(super) fn update(state: &mut Tensor<f32>, i: usize, p: f32, g: f32, optimizer: &Optimizer, constants: &Constants, #[comptime] plan: Plan) {
    let m_at = comptime!(plan.layout.moment_1) + i;
    let v_at = comptime!(plan.layout.moment_2) + i;
    if optimizer.kind == SGD {
        state[i] = p - g * optimizer.lr;
    } else if optimizer.kind == MOMENTUM {
        // The velocity (μ in beta_1) in the first slot.
        let v = state[m_at] * optimizer.beta_1 + g;
        state[m_at] = v;
        state[i] = p - v * optimizer.lr;
    } else if optimizer.kind == ADAM {
        let m = state[m_at] * optimizer.beta_1 + g * (1.0f32 - optimizer.beta_1);
        let v = state[v_at] * optimizer.beta_2 + g * g * (1.0f32 - optimizer.beta_2);
        state[m_at] = m;
        state[v_at] = v;
        state[i] = p - (m * constants.scale) / (v.sqrt() + constants.eps_hat) * optimizer.lr;
    }
}

/// The step's squared gradient norms, each invocation's share summed through the scratch (free
/// now: every update has read what it needed).
#[cube]
pub(super) fn gradient_norms(state: &mut Tensor<f32>, mem: &mut Memory, conv_sq: f32, fc_sq: f32, #[comptime] plan: Plan) {
    let tid = UNIT_POS as usize;
    sync_cube();
    mem.scratch[tid] = conv_sq;
    sync_cube();
    let mut conv_total = 0.0f32;
    if tid == 0 {
        for t in 0..THREADS {
            conv_total += mem.scratch[t];
        }
    }
    sync_cube();
    mem.scratch[tid] = fc_sq;
    sync_cube();
    if tid == 0 {
        let mut fc_total = 0.0f32;
        for t in 0..THREADS {
            fc_total += mem.scratch[t];
        }
        state[comptime!(plan.layout.grad_sq)] = conv_total;
        state[comptime!(plan.layout.grad_sq) + 1] = fc_total;
    }
}

/// The batch's Σ loss and number correct added to the epoch's (zeroed first on its first step),
/// and the batch's mean loss.
#[cube]
pub(super) fn epoch_figures(state: &mut Tensor<f32>, loss: f32, right: f32, first: u32, inv_len: f32, #[comptime] plan: Plan) {
    let (loss_sum, correct) = comptime!((plan.layout.loss_sum, plan.layout.correct));
    let mut before_loss = state[loss_sum];
    let mut before_correct = state[correct];
    if first == 1u32 {
        before_loss = 0.0f32;
        before_correct = 0.0f32;
    }
    state[loss_sum] = before_loss + loss;
    state[correct] = before_correct + right;
    state[comptime!(plan.layout.last_loss)] = loss * inv_len;
}
