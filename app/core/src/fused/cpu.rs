//! The fused step and evaluation as plain loops over slices: what Burn's CPU backend (flex) runs,
//! and the same arithmetic as the GPU kernel (`gpu.rs`). No intermediate tensors, no im2col: the
//! conv keeps the 8 filters of a tap side by side (`[f32; 8]`), which rustc turns into SIMD.

use super::layout::{CELLS, CONV_B, CONV_W, FC_B, FC_W, Layout, POOL, StepArgs, TAPS};
use crate::{
    model::NetShape,
    idx::{PIXELS, SIDE},
    weights::{CLASSES, FC_IN, FILTERS, PARAMS},
};

/// The image with a one-pixel border of zeros (the conv's padding): 30×30.
const PADDED: usize = SIDE + 2;
type Padded = [f32; PADDED * PADDED];

/// An integer element of a Burn Int tensor (the backends keep i64 or i32) used as an index.
pub trait AsIndex: Copy {
    fn index(self) -> usize;
}
impl AsIndex for i64 {
    fn index(self) -> usize {
        self as usize
    }
}
impl AsIndex for i32 {
    fn index(self) -> usize {
        self as usize
    }
}

/// The parameters laid out for the loops: conv weights as `[tap][filter]`.
struct Params<'a> {
    taps: [[f32; FILTERS]; TAPS],
    bias: [f32; FILTERS],
    fc_w: &'a [f32],
    fc_b: &'a [f32],
}

impl<'a> Params<'a> {
    fn new(p: &'a [f32]) -> Self {
        let mut taps = [[0.0; FILTERS]; TAPS];
        for (f, filter) in p[CONV_W..CONV_B].chunks_exact(TAPS).enumerate() {
            for (t, &w) in filter.iter().enumerate() {
                taps[t][f] = w;
            }
        }
        Self { taps, bias: p[CONV_B..FC_W].try_into().unwrap(), fc_w: &p[FC_W..FC_B], fc_b: &p[FC_B..PARAMS] }
    }
}

/// One image's way through the network.
struct Pass {
    padded: Padded,
    /// Pooled features in flatten order (filter, row, column), and where each max was: the
    /// top-left of its 3×3 window in `padded`.
    pooled: [f32; FC_IN],
    at: [u32; FC_IN],
    log_probs: [f32; CLASSES],
}

impl Pass {
    fn new() -> Self {
        Self { padded: [0.0; PADDED * PADDED], pooled: [0.0; FC_IN], at: [0; FC_IN], log_probs: [0.0; CLASSES] }
    }

    /// Conv 3×3 → max-pool 7×7 → linear → log-softmax. Ties in a pooling window go to the first
    /// position in row-major order, as in Burn's max-pool.
    fn forward(&mut self, p: &Params, image: &[f32]) {
        for (y, row) in image.chunks_exact(SIDE).enumerate() {
            let start = (y + 1) * PADDED + 1;
            self.padded[start..start + SIDE].copy_from_slice(row);
        }
        for cell in 0..CELLS {
            let (cy, cx) = (cell / 4 * POOL, cell % 4 * POOL);
            let mut max = [f32::NEG_INFINITY; FILTERS];
            let mut arg = [0u32; FILTERS];
            for y in cy..cy + POOL {
                for x in cx..cx + POOL {
                    let at = y * PADDED + x;
                    let mut acc = p.bias;
                    for (t, w) in p.taps.iter().enumerate() {
                        let v = self.padded[at + t / 3 * PADDED + t % 3];
                        for f in 0..FILTERS {
                            acc[f] += v * w[f];
                        }
                    }
                    for f in 0..FILTERS {
                        let more = acc[f] > max[f];
                        max[f] = if more { acc[f] } else { max[f] };
                        arg[f] = if more { at as u32 } else { arg[f] };
                    }
                }
            }
            for f in 0..FILTERS {
                self.pooled[f * CELLS + cell] = max[f];
                self.at[f * CELLS + cell] = arg[f];
            }
        }
        let mut logits = [0.0f32; CLASSES];
        for (k, logit) in logits.iter_mut().enumerate() {
            let row = &p.fc_w[k * FC_IN..(k + 1) * FC_IN];
            *logit = p.fc_b[k] + row.iter().zip(&self.pooled).map(|(w, x)| w * x).sum::<f32>();
        }
        self.log_probs = log_softmax(logits);
    }

    /// Adds this image's gradient, given d(loss)/d(logits), to `grad` (laid out like the parameters).
    fn backward(&self, p: &Params, d_logits: [f32; CLASSES], grad: &mut [f32]) {
        let (conv, rest) = grad.split_at_mut(FC_W);
        let (fc_w, fc_b) = rest.split_at_mut(FC_B - FC_W);
        for k in 0..CLASSES {
            fc_b[k] += d_logits[k];
            for (g, x) in fc_w[k * FC_IN..(k + 1) * FC_IN].iter_mut().zip(&self.pooled) {
                *g += d_logits[k] * x;
            }
        }
        for j in 0..FC_IN {
            let f = j / CELLS;
            let d = d_logits[0] * p.fc_w[j] + d_logits[1] * p.fc_w[FC_IN + j];
            conv[CONV_B + f] += d;
            let at = self.at[j] as usize;
            for t in 0..TAPS {
                conv[CONV_W + f * TAPS + t] += d * self.padded[at + t / 3 * PADDED + t % 3];
            }
        }
    }

    /// The class the model picks (the first on a tie, like Burn's argmax) and the loss for `class`.
    fn outcome(&self, class: usize) -> (bool, f32) {
        let predicted = usize::from(self.log_probs[1] > self.log_probs[0]);
        (predicted == class, -self.log_probs[class])
    }
}

fn log_softmax(logits: [f32; CLASSES]) -> [f32; CLASSES] {
    let max = logits[0].max(logits[1]);
    let lse = max + ((logits[0] - max).exp() + (logits[1] - max).exp()).ln();
    [logits[0] - lse, logits[1] - lse]
}

/// One training step on `state` (layout.rs): the batch `order[start..start+len]`, its mean NLL
/// loss's exact gradient, the optimizer's update, and the epoch's running figures.
pub fn train_step<I: AsIndex, C: AsIndex>(images: &[f32], classes: &[C], order: &[I], state: &mut [f32], args: &StepArgs) {
    let (start, len) = (args.start as usize, args.len as usize);
    let params = Params::new(&state[..PARAMS]);
    let mut grad = [0.0f32; PARAMS];
    let mut pass = Pass::new();
    let (mut loss_sum, mut correct) = (0.0f32, 0.0f32);
    let scale = 1.0 / len as f32;
    for &n in &order[start..start + len] {
        let n = n.index();
        pass.forward(&params, &images[n * PIXELS..(n + 1) * PIXELS]);
        let class = classes[n].index();
        let (right, loss) = pass.outcome(class);
        loss_sum += loss;
        correct += f32::from(u8::from(right));
        // d(mean NLL)/d(logits) = (softmax − one-hot) / batch.
        let d = std::array::from_fn(|k| (pass.log_probs[k].exp() - f32::from(u8::from(k == class))) * scale);
        pass.backward(&params, d, &mut grad);
    }
    Layout::of(NetShape::NOTEBOOK).finish_step(state, &mut grad, args, loss_sum, correct);
}

/// Σ NLL loss and the number of correct predictions over every image of a set.
pub fn evaluate<C: AsIndex>(images: &[f32], classes: &[C], params: &[f32]) -> [f32; 2] {
    let params = Params::new(&params[..PARAMS]);
    let mut pass = Pass::new();
    let mut totals = [0.0f32; 2];
    for (image, &class) in images.chunks_exact(PIXELS).zip(classes) {
        pass.forward(&params, image);
        let (right, loss) = pass.outcome(class.index());
        totals[0] += loss;
        totals[1] += f32::from(u8::from(right));
    }
    totals
}
