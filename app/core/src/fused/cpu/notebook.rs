//! The notebook's network (8 filters 3×3, pool 7, two classes) in loops of fixed sizes: the conv
//! keeps the 8 filters of a tap side by side (`[f32; 8]`), which rustc turns into SIMD. Kept
//! beside the any-shape loops (`pass.rs`) because it is measurably faster in the browser, where
//! the notebook trains (see `mod.rs`).

use super::super::layout::Layout;
use crate::{idx::SIDE, model::NetShape};

const SHAPE: NetShape = NetShape::NOTEBOOK;
const FILTERS: usize = SHAPE.filters;
const TAPS: usize = SHAPE.taps();
const KERNEL: usize = SHAPE.kernel;
const POOL: usize = SHAPE.pool;
/// Pooled cells per filter (4×4) and their grid's side.
const CELLS: usize = SHAPE.cells();
const GRID: usize = SHAPE.pooled_side();
const FC_IN: usize = SHAPE.fc_in();
const CLASSES: usize = SHAPE.classes;
const LAYOUT: Layout = Layout::of(SHAPE);
const CONV_W: usize = LAYOUT.conv_w;
const CONV_B: usize = LAYOUT.conv_b;
const FC_W: usize = LAYOUT.fc_w;
const FC_B: usize = LAYOUT.fc_b;
const PARAMS: usize = LAYOUT.params;

/// The image with a one-pixel border of zeros (the conv's padding): 30×30.
const PADDED: usize = SIDE + 2 * SHAPE.padding();
type Padded = [f32; PADDED * PADDED];

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
pub(super) struct Pass<'a> {
    params: Params<'a>,
    padded: Padded,
    /// Pooled features in flatten order (filter, row, column), and where each max was: the
    /// top-left of its 3×3 window in `padded`.
    pooled: [f32; FC_IN],
    at: [u32; FC_IN],
    log_probs: [f32; CLASSES],
}

impl<'a> Pass<'a> {
    pub(super) fn new(params: &'a [f32]) -> Self {
        Self { params: Params::new(params), padded: [0.0; PADDED * PADDED], pooled: [0.0; FC_IN], at: [0; FC_IN], log_probs: [0.0; CLASSES] }
    }
}

impl super::Pass for Pass<'_> {
    /// Conv 3×3 → max-pool 7×7 → linear → log-softmax. Ties in a pooling window go to the first
    /// position in row-major order, as in Burn's max-pool.
    fn forward(&mut self, image: &[f32]) {
        let p = &self.params;
        for (y, row) in image.chunks_exact(SIDE).enumerate() {
            let start = (y + 1) * PADDED + 1;
            self.padded[start..start + SIDE].copy_from_slice(row);
        }
        for cell in 0..CELLS {
            let (cy, cx) = (cell / GRID * POOL, cell % GRID * POOL);
            let mut max = [f32::NEG_INFINITY; FILTERS];
            let mut arg = [0u32; FILTERS];
            for y in cy..cy + POOL {
                for x in cx..cx + POOL {
                    let at = y * PADDED + x;
                    let mut acc = p.bias;
                    for (t, w) in p.taps.iter().enumerate() {
                        let v = self.padded[at + t / KERNEL * PADDED + t % KERNEL];
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

    fn log_probs(&self) -> &[f32] {
        &self.log_probs
    }

    /// Adds this image's gradient, given d(loss)/d(logits), to `grad` (laid out like the parameters).
    fn backward(&self, d_logits: &[f32], grad: &mut [f32]) {
        let p = &self.params;
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
                conv[CONV_W + f * TAPS + t] += d * self.padded[at + t / KERNEL * PADDED + t % KERNEL];
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

