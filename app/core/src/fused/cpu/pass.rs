//! One image's way through a network of any shape the filter lab allows, forward and back, in
//! loops sized at run time that still compute eight filters side by side (SIMD). Ties in a
//! pooling window go to the first position in row-major order and ties between classes to the
//! first class, as in Burn.

use super::super::layout::Layout;
use crate::idx::SIDE;

/// Filters computed side by side: eight at a time in fixed-size arrays, which rustc turns into
/// SIMD (a last, partial group is padded with zero filters whose outputs are dropped).
const LANES: usize = 8;
type Lanes = [f32; LANES];

/// The conv's weights laid out for the loops: per group of eight filters, `[tap][lane]`.
struct Conv {
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
        Self { taps: by_tap, bias }
    }
}

/// One image's way through the network, with buffers reused from image to image.
pub(super) struct Pass<'a> {
    layout: Layout,
    conv: Conv,
    /// The parameters (model file order).
    p: &'a [f32],
    /// The zero-padded image, and each tap's offset in it from a window's top-left.
    padded: Vec<f32>,
    offsets: Vec<usize>,
    /// Pooled features in flatten order (filter, row, column) and where each max was: the
    /// top-left of its k×k window in `padded`.
    pooled: Vec<f32>,
    at: Vec<u32>,
    log_probs: Vec<f32>,
}

impl<'a> Pass<'a> {
    pub(super) fn new(layout: Layout, p: &'a [f32]) -> Self {
        let s = layout.shape;
        let wide = SIDE + 2 * s.padding();
        Self {
            layout,
            conv: Conv::new(&layout, p),
            p,
            padded: vec![0.0; wide * wide],
            offsets: (0..s.taps()).map(|t| t / s.kernel * wide + t % s.kernel).collect(),
            pooled: vec![0.0; s.fc_in()],
            at: vec![0; s.fc_in()],
            log_probs: vec![0.0; s.classes],
        }
    }
}

impl super::Pass for Pass<'_> {
    /// Conv k×k → max-pool → linear → log-softmax, with the parameters `p` (model file order).
    fn forward(&mut self, image: &[f32]) {
        let (l, conv, p) = (&self.layout, &self.conv, self.p);
        let s = l.shape;
        let wide = SIDE + 2 * s.padding();
        let (pad, side, pool, taps) = (s.padding(), s.pooled_side(), s.pool, s.taps());
        for (y, row) in image.chunks_exact(SIDE).enumerate() {
            let start = (y + pad) * wide + pad;
            self.padded[start..start + SIDE].copy_from_slice(row);
        }
        let cells = side * side;
        for g in 0..s.filters.div_ceil(LANES) {
            let weights = &conv.taps[g * taps..(g + 1) * taps];
            for cell in 0..cells {
                let (cy, cx) = (cell / side * pool, cell % side * pool);
                let mut max = [f32::NEG_INFINITY; LANES];
                let mut arg = [0u32; LANES];
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
                            arg[f] = if more { at as u32 } else { arg[f] };
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

    fn log_probs(&self) -> &[f32] {
        &self.log_probs
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
    fn backward(&self, d_logits: &[f32], grad: &mut [f32]) {
        let (l, p) = (&self.layout, self.p);
        let s = l.shape;
        let (taps, cells, fc_in) = (s.taps(), s.cells(), s.fc_in());
        for c in 0..s.classes {
            let d = d_logits[c];
            grad[l.fc_b + c] += d;
            for (g, x) in grad[l.fc_w + c * fc_in..l.fc_w + (c + 1) * fc_in].iter_mut().zip(&self.pooled) {
                *g += d * x;
            }
        }
        for j in 0..fc_in {
            let f = j / cells;
            let d: f32 = (0..s.classes).map(|c| d_logits[c] * p[l.fc_w + c * fc_in + j]).sum();
            grad[l.conv_b + f] += d;
            let at = self.at[j] as usize;
            let filter = &mut grad[l.conv_w + f * taps..l.conv_w + (f + 1) * taps];
            for (g, &offset) in filter.iter_mut().zip(&self.offsets) {
                *g += d * self.padded[at + offset];
            }
        }
    }
}
