//! A big batch's step over many workgroups, in two dispatches: `gradient_kernel` gives each
//! workgroup a fixed chunk of the batch (`SPLIT_CHUNK` images) and writes its gradient and tally
//! to its own row of `partials`; `apply_kernel`, one workgroup, sums the rows in order and
//! updates the state as the one-workgroup step does. WGSL has no float atomics, hence the second
//! pass; fixed chunks summed in order make the result the same however the GPU schedules them.

use burn_cubecl::cubecl;
use cubecl::prelude::*;

use super::{
    forward::{Filter, Memory, Place},
    plan::{Plan, THREADS},
    step::{CURSOR_START, Constants, Optimizer, Shares, accumulate, epoch_figures, fc_bias_gradient, gradient_norms, sum_conv_share, sum_fc_share, update},
};

/// Images each workgroup of a split step takes.
pub(super) const SPLIT_CHUNK: usize = 128;
/// Batches of this many images or more are split; smaller ones take the one-workgroup step,
/// many steps a dispatch. At 256 a batch fills two workgroups: from there a GPU's second compute
/// unit (SwiftShader's second core) pays for the second dispatch a step.
pub(super) const SPLIT_AT: usize = 2 * SPLIT_CHUNK;

/// Numbers in a row of `partials`: the gradient (the parameters' layout), Σ loss, number correct.
pub(super) const fn row_len(plan: &Plan) -> usize {
    plan.layout.params + 2
}

/// Workgroup `w`: images `w·SPLIT_CHUNK..` of step `k`'s `len` from `order[start + k·stride..]`
/// (`start` in `cursor`, as for `step.rs`'s kernel), its share of the batch's gradient of the
/// mean loss into row `w` of `partials`.
#[cube(launch_unchecked)]
pub(super) fn gradient_kernel(images: &Tensor<i32>, classes: &Tensor<i32>, order: &Tensor<i32>, cursor: &Tensor<i32>, state: &Tensor<f32>, partials: &mut Tensor<f32>, k: u32, stride: u32, len: u32, #[comptime] plan: Plan) {
    let place = Place::of(plan);
    let mut mem = Memory::new(plan);
    let mut at = Array::<u32>::new(comptime!(plan.each));
    let mut d_logits = Shared::<[f32]>::new_slice(comptime!(plan.slots * plan.classes));
    let mut totals = Shared::<[f32]>::new_slice(comptime!(plan.slots * (2 + plan.classes)));
    let w = CUBE_POS_X as usize;
    let from = w * SPLIT_CHUNK;
    let here = (len as usize - from).min(SPLIT_CHUNK);
    let filter = Filter::load(state, &place, plan);
    let mut shares = Shares::load(state, &place, plan);
    let inv_len = 1.0f32 / f32::cast_from(len);
    let start = cursor[CURSOR_START] as usize + k as usize * stride as usize;
    accumulate(images, classes, order, state, &place, &mut mem, &filter, &mut shares, &mut at, &mut d_logits, &mut totals, start + from, here, inv_len, plan);
    store_gradient(partials, w * comptime!(row_len(&plan)), &mut mem, &shares, &place, &totals, plan);
}

/// The workgroup's gradient, summed as the one-workgroup step sums it before its updates, into
/// `partials[row..]`; then its Σ loss and number correct.
#[cube]
fn store_gradient(partials: &mut Tensor<f32>, row: usize, mem: &mut Memory, shares: &Shares, place: &Place, totals: &Shared<[f32]>, #[comptime] plan: Plan) {
    let (taps, share, classes, cells, slots) = comptime!((plan.taps, plan.share, plan.classes, plan.cells, plan.slots));
    let (conv_b, fc_w, fc_b, tally_len) = comptime!((plan.layout.conv_b, plan.layout.fc_w, plan.layout.fc_b, 2 + plan.classes));
    #[unroll]
    for k in 0..share {
        sum_conv_share(mem, shares.conv[k], place, k, plan);
    }
    for i in range_stepped(place.tid, fc_w, THREADS) {
        let mut filter = i / taps;
        let mut k = i % taps;
        if i >= conv_b {
            filter = i - conv_b;
            k = taps;
        }
        partials[row + i] = mem.scratch[THREADS + filter * share + k];
    }
    sync_cube();
    #[unroll]
    for m in 0..comptime!(plan.each) {
        #[unroll]
        for c in 0..classes {
            let cell = place.q + comptime!(plan.group) * m;
            let g = sum_fc_share(mem, shares.fc[m * classes + c], place, plan);
            if place.owner && place.slot == 0 && cell < cells {
                partials[row + fc_w + c * comptime!(plan.fc_in) + place.f * cells + cell] = g;
            }
        }
    }
    for c in range_stepped(place.tid, classes, THREADS) {
        partials[row + fc_b + c] = fc_bias_gradient(totals, c, plan);
    }
    if place.tid == 0 {
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for s in 0..slots {
            loss += totals[s * tally_len];
            right += totals[s * tally_len + 1];
        }
        partials[row + comptime!(plan.layout.params)] = loss;
        partials[row + comptime!(plan.layout.params) + 1] = right;
    }
}

/// One workgroup: the `parts` rows of `partials` summed in order, frozen filters' gradients
/// zeroed, every parameter updated (step `k` of the schedule), the gradient norms and the
/// epoch's figures, as the one-workgroup step leaves them.
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_kernel(partials: &Tensor<f32>, schedule: &Tensor<f32>, state: &mut Tensor<f32>, parts: u32, k: u32, first: u32, frozen: u32, len: u32, optimizer: Optimizer, #[comptime] plan: Plan) {
    let (taps, conv_b, fc_w, params) = comptime!((plan.taps, plan.layout.conv_b, plan.layout.fc_w, plan.layout.params));
    let row_len = comptime!(row_len(&plan));
    let tid = UNIT_POS as usize;
    let mut mem = Memory::new(plan);
    let constants = Constants { scale: schedule[2 * k as usize], eps_hat: schedule[2 * k as usize + 1] };
    let mut conv_sq = 0.0f32;
    let mut fc_sq = 0.0f32;
    for i in range_stepped(tid, params, THREADS) {
        let mut g = 0.0f32;
        for w in 0..parts as usize {
            g += partials[w * row_len + i];
        }
        if i < fc_w {
            let mut filter = i / taps;
            if i >= conv_b {
                filter = i - conv_b;
            }
            if ((frozen >> (filter as u32)) & 1u32) == 1u32 {
                g = 0.0f32;
            }
            conv_sq += g * g;
        } else {
            fc_sq += g * g;
        }
        let old = state[i];
        update(state, i, old, g, &optimizer, &constants, plan);
    }
    gradient_norms(state, &mut mem, conv_sq, fc_sq, plan);
    if tid == 0 {
        let mut loss = 0.0f32;
        let mut right = 0.0f32;
        for w in 0..parts as usize {
            loss += partials[w * row_len + params];
            right += partials[w * row_len + params + 1];
        }
        epoch_figures(state, loss, right, first, 1.0f32 / f32::cast_from(len), plan);
    }
}
