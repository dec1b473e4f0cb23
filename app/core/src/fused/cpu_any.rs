//! The fused step and evaluation for a network of any shape the filter lab allows: the same
//! arithmetic as `cpu.rs` (whose fixed-size loops, faster, are the notebook's shape's), in loops
//! sized at run time. Ties in a pooling window go to the first position in row-major order and
//! ties between classes to the first class, as in Burn.

use super::{
    cpu::AsIndex,
    layout::{Layout, StepArgs},
};
use crate::{
    idx::{PIXELS, SIDE},
    model::NetShape,
};

/// Filters computed side by side: eight at a time in fixed-size arrays, which rustc turns into
/// SIMD (a last, partial group is padded with zero filters whose outputs are dropped).
const LANES: usize = 8;
type Lanes = [f32; LANES];

/// The conv's weights laid out for the loops: per group of eight filters, `[tap][lane]`.
struct Conv {
    groups: usize,
    taps: Vec<Lanes>,
    bias: Vec<Lanes>,
}

impl Conv {
    fn new(l: &Layout, p: &[f32]) -> Self {
        let (filters, taps) = (l.shape.filters, l.shape.taps());
        let groups = filters.div_ceil(LANES);
        let mut by_tap = vec![[0.0; LANES]; groups * taps];
        let mut bias = vec![[0.0; LANES]; groups];
        for f in 0..filters {
            let (g, lane) = (f / LANES, f % LANES);
            for t in 0..taps {
                by_tap[g * taps + t][lane] = p[l.conv_w + f * taps + t];
            }
            bias[g][lane] = p[l.conv_b + f];
        }
        Self { groups, taps: by_tap, bias }
    }
}

/// One image's way through the network, with buffers reused from image to image.
struct Pass {
    shape: NetShape,
    /// Side of the zero-padded image, and each tap's offset in it from a window's top-left.
    wide: usize,
    offsets: Vec<usize>,
    padded: Vec<f32>,
    /// Pooled features in flatten order (filter, row, column) and where each max was: the
    /// top-left of its k×k window in `padded`.
    pooled: Vec<f32>,
    at: Vec<usize>,
    log_probs: Vec<f32>,
}

impl Pass {
    fn new(shape: NetShape) -> Self {
        let wide = SIDE + 2 * shape.padding();
        let k = shape.kernel;
        Self {
            shape,
            wide,
            offsets: (0..shape.taps()).map(|t| t / k * wide + t % k).collect(),
            padded: vec![0.0; wide * wide],
            pooled: vec![0.0; shape.fc_in()],
            at: vec![0; shape.fc_in()],
            log_probs: vec![0.0; shape.classes],
        }
    }

    /// Conv k×k → max-pool → linear → log-softmax, with the parameters `p` (model file order).
    fn forward(&mut self, l: &Layout, conv: &Conv, p: &[f32], image: &[f32]) {
        let (s, wide) = (self.shape, self.wide);
        let (pad, side, pool, taps) = (s.padding(), s.pooled_side(), s.pool, s.taps());
        for (y, row) in image.chunks_exact(SIDE).enumerate() {
            let start = (y + pad) * wide + pad;
            self.padded[start..start + SIDE].copy_from_slice(row);
        }
        let cells = side * side;
        for g in 0..conv.groups {
            let weights = &conv.taps[g * taps..(g + 1) * taps];
            for cell in 0..cells {
                let (cy, cx) = (cell / side * pool, cell % side * pool);
                let mut max = [f32::NEG_INFINITY; LANES];
                let mut arg = [0usize; LANES];
                for y in cy..cy + pool {
                    for x in cx..cx + pool {
                        let at = y * wide + x;
                        let mut acc = conv.bias[g];
                        for (&offset, w) in self.offsets.iter().zip(weights) {
                            let v = self.padded[at + offset];
                            for f in 0..LANES {
                                acc[f] += v * w[f];
                            }
                        }
                        for f in 0..LANES {
                            let more = acc[f] > max[f];
                            max[f] = if more { acc[f] } else { max[f] };
                            arg[f] = if more { at } else { arg[f] };
                        }
                    }
                }
                for lane in 0..LANES.min(s.filters - g * LANES) {
                    let j = (g * LANES + lane) * cells + cell;
                    self.pooled[j] = max[lane];
                    self.at[j] = arg[lane];
                }
            }
        }
        let fc_in = s.fc_in();
        for (c, lp) in self.log_probs.iter_mut().enumerate() {
            let row = &p[l.fc_w + c * fc_in..l.fc_w + (c + 1) * fc_in];
            *lp = p[l.fc_b + c] + row.iter().zip(&self.pooled).map(|(w, x)| w * x).sum::<f32>();
        }
        let max = self.log_probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = max + self.log_probs.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
        self.log_probs.iter_mut().for_each(|v| *v -= lse);
    }

    /// Whether the first most likely class is `class`, and the loss for `class`.
    fn outcome(&self, class: usize) -> (bool, f32) {
        let mut best = 0;
        for (c, &v) in self.log_probs.iter().enumerate() {
            if v > self.log_probs[best] {
                best = c;
            }
        }
        (best == class, -self.log_probs[class])
    }

    /// Adds this image's gradient, given d(loss)/d(logits), to `grad` (laid out like the parameters).
    fn backward(&self, l: &Layout, p: &[f32], d_logits: &[f32], grad: &mut [f32]) {
        let s = self.shape;
        let (taps, cells, fc_in) = (s.taps(), s.cells(), s.fc_in());
        for (c, &d) in d_logits.iter().enumerate() {
            grad[l.fc_b + c] += d;
            for (g, x) in grad[l.fc_w + c * fc_in..l.fc_w + (c + 1) * fc_in].iter_mut().zip(&self.pooled) {
                *g += d * x;
            }
        }
        for j in 0..fc_in {
            let f = j / cells;
            let d: f32 = d_logits.iter().enumerate().map(|(c, d)| d * p[l.fc_w + c * fc_in + j]).sum();
            grad[l.conv_b + f] += d;
            let at = self.at[j];
            let filter = &mut grad[l.conv_w + f * taps..l.conv_w + (f + 1) * taps];
            for (g, &offset) in filter.iter_mut().zip(&self.offsets) {
                *g += d * self.padded[at + offset];
            }
        }
    }
}

/// One training step on `state` (laid out by [`Layout::of`] for `args.shape`), as
/// [`super::cpu::train_step`] does for the notebook's shape.
pub fn train_step<I: AsIndex, C: AsIndex>(images: &[f32], classes: &[C], order: &[I], state: &mut [f32], args: &StepArgs) {
    let l = Layout::of(args.shape);
    let s = args.shape;
    let (start, len) = (args.start as usize, args.len as usize);
    let mut grad = vec![0.0f32; l.params];
    let mut pass = Pass::new(s);
    let conv = Conv::new(&l, &state[..l.params]);
    let mut d = vec![0.0f32; s.classes];
    let (mut loss_sum, mut correct) = (0.0f32, 0.0f32);
    let scale = 1.0 / len as f32;
    for &n in &order[start..start + len] {
        let n = n.index();
        pass.forward(&l, &conv, &state[..l.params], &images[n * PIXELS..(n + 1) * PIXELS]);
        let class = classes[n].index();
        let (right, loss) = pass.outcome(class);
        loss_sum += loss;
        correct += f32::from(u8::from(right));
        // d(mean NLL)/d(logits) = (softmax − one-hot) / batch.
        for (c, d) in d.iter_mut().enumerate() {
            *d = (pass.log_probs[c].exp() - f32::from(u8::from(c == class))) * scale;
        }
        pass.backward(&l, &state[..l.params], &d, &mut grad);
    }
    l.finish_step(state, &mut grad, args, loss_sum, correct);
}

/// Σ NLL loss and the number of correct predictions over every image of a set.
pub fn evaluate<C: AsIndex>(images: &[f32], classes: &[C], params: &[f32], shape: NetShape) -> [f32; 2] {
    let l = Layout::of(shape);
    let mut pass = Pass::new(shape);
    let conv = Conv::new(&l, &params[..l.params]);
    let mut totals = [0.0f32; 2];
    for (image, &class) in images.chunks_exact(PIXELS).zip(classes) {
        pass.forward(&l, &conv, &params[..l.params], image);
        let (right, loss) = pass.outcome(class.index());
        totals[0] += loss;
        totals[1] += f32::from(u8::from(right));
    }
    totals
}
