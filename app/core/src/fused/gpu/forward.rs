//! The forward pass as CubeCL functions, shared by the training step (`step.rs`) and the
//! evaluation kernel here: the same arithmetic as `cpu/`, for every network the knobs allow, laid
//! out over one workgroup by the [`Plan`] they compile with.

use burn_cubecl::cubecl;
use cubecl::prelude::*;

use super::plan::{EVAL_CHUNK, Plan, THREADS};
use crate::{
    dataset::{PER_WORD, WORDS},
    idx::{PIXELS, SIDE},
};

/// A "minus infinity" WGSL accepts as a constant (it has no infinities).
const LOWEST: f32 = -3.0e38;

/// Where an invocation works: part of the pooling window, image slot, index `u` among the slot's
/// invocations, filter `f`, first cell `q` (then q + group, …). Every part works on the forward
/// pass (`working`); the first part's invocations (`owner`) own the cells and their gradients.
#[derive(CubeType)]
pub(super) struct Place {
    pub(super) tid: usize,
    pub(super) part: usize,
    pub(super) slot: usize,
    pub(super) u: usize,
    pub(super) f: usize,
    pub(super) q: usize,
    pub(super) working: bool,
    pub(super) owner: bool,
}

#[cube]
impl Place {
    pub(super) fn of(#[comptime] plan: Plan) -> Place {
        let tid = UNIT_POS as usize;
        let lane = tid % comptime!(plan.lanes);
        let u = lane % comptime!(plan.active);
        let part = tid / comptime!(plan.lanes);
        let group = comptime!(plan.group);
        Place { tid, part, slot: lane / comptime!(plan.active), u, f: u / group, q: u % group, working: part < comptime!(plan.parts), owner: tid < comptime!(plan.lanes) }
    }
}

/// An invocation's filter: its taps and bias (left zero for an invocation that does not work).
#[derive(CubeType)]
pub(super) struct Filter {
    pub(super) taps: Array<f32>,
    pub(super) bias: f32,
}

#[cube]
impl Filter {
    pub(super) fn load(params: &Tensor<f32>, place: &Place, #[comptime] plan: Plan) -> Filter {
        let taps = comptime!(plan.taps);
        let mut w = Array::<f32>::new(taps);
        let mut bias = 0.0f32;
        if place.working {
            #[unroll]
            for t in 0..taps {
                w[t] = params[comptime!(plan.layout.conv_w) + place.f * taps + t];
            }
            bias = params[comptime!(plan.layout.conv_b) + place.f];
        }
        Filter { taps: w, bias }
    }
}

/// The workgroup memory of the forward pass: the scratch (image slots with their zero borders,
/// pooled values, partial logits: see [`Plan`]), and with parts, each part's maxima and where
/// they lie.
#[derive(CubeType)]
pub(super) struct Memory {
    pub(super) scratch: Shared<[f32]>,
    pub(super) part_best: Shared<[f32]>,
    pub(super) part_at: Shared<[u32]>,
}

#[cube]
impl Memory {
    /// With the image slots zeroed (their borders stay so); ends on a barrier.
    pub(super) fn new(#[comptime] plan: Plan) -> Memory {
        let mut mem = Memory {
            scratch: Shared::<[f32]>::new_slice(comptime!(plan.scratch)),
            part_best: Shared::<[f32]>::new_slice(comptime!(plan.by_part)),
            part_at: Shared::<[u32]>::new_slice(comptime!(plan.by_part)),
        };
        mem.clear(plan);
        mem
    }

    /// Zeroes the image slots (a step's last sums lie over them); ends on a barrier.
    pub(super) fn clear(&mut self, #[comptime] plan: Plan) {
        for i in range_stepped(UNIT_POS as usize, comptime!(plan.slots * plan.wide * plan.wide), THREADS) {
            self.scratch[i] = 0.0f32;
        }
        sync_cube();
    }
}

/// Copies the image at `row` (or nothing, for a negative row) into image slot `slot`, inside its
/// zero border, each byte of the packed images (`Samples::packed`: four a word, little-endian)
/// widened to what the network sees, byte / 255, as `dataset::intensity` does.
#[cube]
pub(super) fn stage_image(images: &Tensor<i32>, row: i32, slot: usize, mem: &mut Memory, #[comptime] plan: Plan) {
    let pad = comptime!(plan.kernel / 2);
    let wide = comptime!(plan.wide);
    if row >= 0 {
        let from = row as usize * WORDS;
        let base = slot * wide * wide;
        for p in range_stepped(UNIT_POS as usize, PIXELS, THREADS) {
            let word = u32::cast_from(images[from + p / PER_WORD]);
            let byte = (word >> (8 * (p % PER_WORD) as u32)) & 255u32;
            mem.scratch[base + (p / SIDE + pad) * wide + p % SIDE + pad] = f32::cast_from(byte) / 255.0f32;
        }
    }
}

/// The invocation's filter over its cells `q`, `q + group`, … of the image in its slot, rows
/// `part·rows ..` of each pooling window: conv k×k + max-pool, the maximum and the top-left of
/// its k×k window (in the padded image; first maximum on ties, as Burn's pool). With one part,
/// into the pooled values and `at`; with more, into `part_best` and `part_at` for
/// [`combine_parts`]. Each window's input patch is read once into registers (fully unrolled): far
/// fewer loads than 2 per multiply-add, which is what software adapters are slow at.
#[cube]
fn pool_features(mem: &mut Memory, filter: &Filter, at: &mut Array<u32>, place: &Place, #[comptime] plan: Plan) {
    let (wide, pool, kernel, side, cells) = comptime!((plan.wide, plan.pool, plan.kernel, plan.side, plan.cells));
    let span = comptime!(plan.pool + plan.kernel - 1);
    let rows = comptime!(plan.rows);
    let tall = comptime!(plan.rows + plan.kernel - 1);
    let pooled = comptime!(plan.pooled_at) + place.slot * comptime!(plan.fc_in) + place.f * cells;
    for m in 0..comptime!(plan.each) {
        let cell = place.q + comptime!(plan.group) * m;
        if cell < cells {
            let origin = ((cell / side) * wide + cell % side) * pool + place.part * rows * wide;
            let corner = place.slot * wide * wide + origin;
            let mut patch = Array::<f32>::new(comptime!(tall * span));
            #[unroll]
            for r in 0..tall {
                #[unroll]
                for c in 0..span {
                    patch[r * span + c] = mem.scratch[corner + r * wide + c];
                }
            }
            let mut best = f32::new(LOWEST);
            let mut arg = 0u32;
            #[unroll]
            for dy in 0..rows {
                #[unroll]
                for dx in 0..pool {
                    let o = dy * span + dx;
                    let mut v = filter.bias;
                    #[unroll]
                    for ty in 0..kernel {
                        #[unroll]
                        for tx in 0..kernel {
                            v += filter.taps[ty * kernel + tx] * patch[o + ty * span + tx];
                        }
                    }
                    if v > best {
                        best = v;
                        arg = (origin + dy * wide + dx) as u32;
                    }
                }
            }
            if comptime!(plan.parts == 1) {
                mem.scratch[pooled + cell] = best;
                at[m] = arg;
            } else {
                mem.part_best[m * THREADS + place.tid] = best;
                mem.part_at[m * THREADS + place.tid] = arg;
            }
        }
    }
}

/// The first part's invocation takes the largest of its parts' maxima (the earliest on ties: the
/// parts hold the window's rows in order) into the pooled values and `at`.
#[cube]
fn combine_parts(mem: &mut Memory, at: &mut Array<u32>, place: &Place, #[comptime] plan: Plan) {
    let cells = comptime!(plan.cells);
    let lanes = comptime!(plan.lanes);
    let pooled = comptime!(plan.pooled_at) + place.slot * comptime!(plan.fc_in) + place.f * cells;
    #[unroll]
    for m in 0..comptime!(plan.each) {
        let cell = place.q + comptime!(plan.group) * m;
        if cell < cells {
            let mut best = mem.part_best[m * THREADS + place.tid];
            let mut arg = mem.part_at[m * THREADS + place.tid];
            for k in 1..comptime!(plan.parts) {
                let v = mem.part_best[m * THREADS + k * lanes + place.tid];
                if v > best {
                    best = v;
                    arg = mem.part_at[m * THREADS + k * lanes + place.tid];
                }
            }
            mem.scratch[pooled + cell] = best;
            at[m] = arg;
        }
    }
}

/// The logits' partial sums: item `i` is (slot, class, chunk), the fc weights of `class` (read
/// from `params`) times a chunk of the pooled features of the image in `slot`, for the first
/// `filled` slots.
#[cube]
fn partial_logits(params: &Tensor<f32>, mem: &mut Memory, filled: usize, #[comptime] plan: Plan) {
    let (classes, chunks, chunk, fc_in) = comptime!((plan.classes, plan.chunks, plan.chunk, plan.fc_in));
    let partial_at = comptime!(plan.partial_at);
    for i in range_stepped(UNIT_POS as usize, comptime!(plan.slots * plan.classes * plan.chunks), THREADS) {
        let slot = i / (classes * chunks);
        let class = (i / chunks) % classes;
        let from = (i % chunks) * chunk;
        if slot < filled && from < fc_in {
            let to = (from + chunk).min(fc_in);
            let weights = comptime!(plan.layout.fc_w) + class * fc_in;
            let pooled = comptime!(plan.pooled_at) + slot * fc_in;
            let mut sum = 0.0f32;
            for j in from..to {
                sum += params[weights + j] * mem.scratch[pooled + j];
            }
            mem.scratch[partial_at + i] = sum;
        } else {
            mem.scratch[partial_at + i] = 0.0f32;
        }
    }
}

/// A round's forward pass once its first `filled` image slots are staged: conv + pool (the
/// window's parts combined), then the logits' partial sums; it ends on a barrier, so the softmax
/// may read them.
#[cube]
pub(super) fn forward_round(params: &Tensor<f32>, mem: &mut Memory, filter: &Filter, at: &mut Array<u32>, place: &Place, filled: usize, #[comptime] plan: Plan) {
    if place.working && place.slot < filled {
        pool_features(mem, filter, at, place, plan);
    }
    sync_cube();
    if comptime!(plan.parts > 1) {
        if place.owner && place.slot < filled {
            combine_parts(mem, at, place, plan);
        }
        sync_cube();
    }
    partial_logits(params, mem, filled, plan);
    sync_cube();
}

/// The logits of the image in `slot` (into `logits`: fc bias plus the partial sums) and their
/// log-sum-exp.
#[cube]
pub(super) fn log_sum_exp(params: &Tensor<f32>, mem: &Memory, slot: usize, logits: &mut Array<f32>, #[comptime] plan: Plan) -> f32 {
    let (classes, chunks) = comptime!((plan.classes, plan.chunks));
    let mut m = f32::new(LOWEST);
    #[unroll]
    for c in 0..classes {
        let mut v = params[comptime!(plan.layout.fc_b) + c];
        let from = comptime!(plan.partial_at) + (slot * classes + c) * chunks;
        for k in 0..chunks {
            v += mem.scratch[from + k];
        }
        logits[c] = v;
        m = m.max(v);
    }
    let mut z = 0.0f32;
    #[unroll]
    for c in 0..classes {
        z += (logits[c] - m).exp();
    }
    m + z.ln()
}

/// The class the log-probabilities pick: the first of the largest, like Burn's argmax.
#[cube]
pub(super) fn argmax(logits: &Array<f32>, lse: f32, #[comptime] classes: usize) -> usize {
    let mut best = 0usize;
    #[unroll]
    for c in 1..classes {
        if logits[c] - lse > logits[best] - lse {
            best = c;
        }
    }
    best
}

/// Forward only, `EVAL_CHUNK` images per workgroup; workgroup g writes its (Σ loss, correct) to
/// `out[2g..2g+2]`.
#[cube(launch_unchecked)]
pub(super) fn evaluate_kernel(images: &Tensor<i32>, classes: &Tensor<i32>, params: &Tensor<f32>, out: &mut Tensor<f32>, len: u32, #[comptime] plan: Plan) {
    let slots = comptime!(plan.slots);
    let place = Place::of(plan);
    let mut mem = Memory::new(plan);
    let filter = Filter::load(params, &place, plan);
    let mut at = Array::<u32>::new(comptime!(plan.each));
    let mut logits = Array::<f32>::new(comptime!(plan.classes));
    let mut totals = Shared::<[f32]>::new_slice(comptime!(plan.slots * 2));
    let from = CUBE_POS_X as usize * EVAL_CHUNK;
    // This workgroup's images: from..from + here.
    let here = (len as usize - from).min(EVAL_CHUNK);
    let mut loss_sum = 0.0f32;
    let mut correct = 0.0f32;
    for r in 0..comptime!(EVAL_CHUNK.div_ceil(plan.slots)) {
        let mut filled = 0usize;
        if here > r * slots {
            filled = (here - r * slots).min(slots);
        }
        for s in 0..slots {
            let mut row = i32::new(-1);
            if s < filled {
                row = (from + r * slots + s) as i32;
            }
            stage_image(images, row, s, &mut mem, plan);
        }
        sync_cube();
        forward_round(params, &mut mem, &filter, &mut at, &place, filled, plan);
        if place.tid < filled {
            let class = classes[from + r * slots + place.tid] as usize;
            let lse = log_sum_exp(params, &mem, place.tid, &mut logits, plan);
            #[unroll]
            for c in 0..comptime!(plan.classes) {
                if c == class {
                    loss_sum += lse - logits[c];
                }
            }
            if argmax(&logits, lse, comptime!(plan.classes)) == class {
                correct += 1.0f32;
            }
        }
        sync_cube();
    }
    if place.tid < slots {
        totals[place.tid * 2] = loss_sum;
        totals[place.tid * 2 + 1] = correct;
    }
    sync_cube();
    if place.tid == 0 {
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
