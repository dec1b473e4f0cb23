//! Where everything lives in the fused path's one state buffer, and the numbers a step needs.
//!
//! One buffer, because a WebGPU kernel may bind only 8 storage buffers: the parameters in the
//! model file's order (PyTorch's layouts), the optimizer's two slots per parameter (Adam's
//! moments; momentum's velocity in the first), then the epoch's running figures and the latest
//! step's.

use crate::{model::NetShape, optimizer::Update};

/// The places for a network of `shape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    pub shape: NetShape,
    /// conv1.weight `[filters, 1, k, k]`, conv1.bias, fc.weight `[classes, fc_in]` (out × in),
    /// fc.bias: the model file's order.
    pub conv_w: usize,
    pub conv_b: usize,
    pub fc_w: usize,
    pub fc_b: usize,
    /// Numbers in the parameters.
    pub params: usize,
    /// The optimizer's two slots per parameter.
    pub moment_1: usize,
    pub moment_2: usize,
    /// This epoch so far: Σ per-image loss, number correct; and the latest batch's mean loss.
    pub loss_sum: usize,
    pub correct: usize,
    pub last_loss: usize,
    /// The latest step's squared gradient norms: the conv layer's, then the linear layer's.
    pub grad_sq: usize,
    /// Numbers in the whole state.
    pub len: usize,
}

impl Layout {
    pub const fn of(shape: NetShape) -> Self {
        let conv_b = shape.filters * shape.taps();
        let fc_w = conv_b + shape.filters;
        let fc_b = fc_w + shape.classes * shape.fc_in();
        let params = shape.params();
        Self {
            shape,
            conv_w: 0,
            conv_b,
            fc_w,
            fc_b,
            params,
            moment_1: params,
            moment_2: 2 * params,
            loss_sum: 3 * params,
            correct: 3 * params + 1,
            last_loss: 3 * params + 2,
            grad_sq: 3 * params + 3,
            len: 3 * params + 5,
        }
    }
}

/// What the op does: `count` steps, each gathering up to `len` images from the epoch's shuffled
/// order (`order[start..]`, then the next `len`, …; the last step may be short, at `end`).
/// One dispatch runs them all on a GPU (a batch of 256 or more: two dispatches a step, split
/// over workgroups): the page's reports come between dispatches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepArgs {
    /// The network the state holds.
    pub shape: NetShape,
    /// First position in the epoch's shuffled order, and the batch size.
    pub start: u32,
    pub len: u32,
    /// Steps to take, and where the epoch's order ends (a step never reads past it).
    pub count: u32,
    pub end: u32,
    /// Zero the epoch figures before adding the first step's batch (the epoch's first step).
    pub first: bool,
    /// The first step's update; Adam's per-step constants for every step come in the schedule
    /// (see [`crate::optimizer::schedule`]).
    pub update: Update,
    /// Filters whose weights and bias stay as they are: bit `f` for filter `f`.
    pub frozen: u32,
}

impl StepArgs {
    /// Step `k` of these alone (`count` 1); its update's constants are the schedule's `k`-th.
    pub fn nth(&self, k: u32) -> StepArgs {
        let start = self.start + k * self.len;
        StepArgs { start, len: self.len.min(self.end - start), count: 1, first: self.first && k == 0, ..*self }
    }
}

impl Layout {
    /// The end of a step, the same for every CPU loop: frozen filters' gradients zeroed (so SGD,
    /// momentum and Adam, whose velocity and moments then stay zero, leave them exactly as they
    /// were), the step's squared gradient norms, the optimizer's update with its two slots, and
    /// the batch's `loss_sum` and `correct` added to the epoch's figures (zeroed first on the
    /// epoch's first step).
    pub fn finish_step(&self, state: &mut [f32], grad: &mut [f32], args: &StepArgs, loss_sum: f32, correct: f32) {
        let taps = self.shape.taps();
        for f in (0..self.shape.filters).filter(|&f| is_frozen(args.frozen, f)) {
            grad[self.conv_w + f * taps..self.conv_w + (f + 1) * taps].fill(0.0);
            grad[self.conv_b + f] = 0.0;
        }
        let squares = |part: &[f32]| part.iter().map(|g| g * g).sum::<f32>();
        state[self.grad_sq] = squares(&grad[..self.fc_w]);
        state[self.grad_sq + 1] = squares(&grad[self.fc_w..self.params]);
        for (i, &g) in grad.iter().enumerate() {
            let (mut m, mut v) = (state[self.moment_1 + i], state[self.moment_2 + i]);
            state[i] = args.update.apply(state[i], g, &mut m, &mut v);
            state[self.moment_1 + i] = m;
            state[self.moment_2 + i] = v;
        }
        if args.first {
            state[self.loss_sum] = 0.0;
            state[self.correct] = 0.0;
        }
        state[self.loss_sum] += loss_sum;
        state[self.correct] += correct;
        state[self.last_loss] = loss_sum * (1.0 / args.len as f32);
    }
}

/// Whether filter `f` is in the `frozen` bit set.
#[inline]
pub fn is_frozen(frozen: u32, f: usize) -> bool {
    f < 32 && frozen >> f & 1 == 1
}
