//! How a network's work is spread over one workgroup of 256 invocations, worked out on the host
//! (`const fn`) and passed to the kernels once, as their `#[comptime]` parameter: each network
//! compiles its kernels once.

use crate::{
    fused::layout::Layout,
    idx::SIDE,
    model::NetShape,
};

/// Invocations in the workgroup: WebGPU guarantees 256.
pub(super) const THREADS: usize = 256;
/// Workgroup memory the kernels may take, in 4-byte numbers: 15.6 KiB of the 16 KiB WebGPU
/// guarantees.
pub(super) const BUDGET: usize = 4000;
/// Images each evaluation workgroup reads.
pub(super) const EVAL_CHUNK: usize = 32;

/// Everything the kernels know when they compile: the network, where its numbers lie in the
/// state (`Layout`), and the workgroup's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Plan {
    pub layout: Layout,
    pub filters: usize,
    pub kernel: usize,
    pub pool: usize,
    pub classes: usize,
    /// Taps of a filter, and a filter's share of the conv gradient (its taps, then its bias).
    pub taps: usize,
    pub share: usize,
    /// Side of the image with its zero border (the conv's padding): 30 for 3×3, 32 for 5×5.
    pub wide: usize,
    /// Side of the pooled grid, pooled cells per filter (49, 16 or 4), and the linear layer's inputs.
    pub side: usize,
    pub cells: usize,
    pub fc_in: usize,
    /// Invocations per filter and image, and cells each of them takes.
    pub group: usize,
    pub each: usize,
    /// Invocations per image (`filters · group`), images per round, and the invocations that
    /// own cells (`slots · active`).
    pub active: usize,
    pub slots: usize,
    pub lanes: usize,
    /// A small network would leave invocations idle: each pooling window's rows are then split
    /// among `parts` invocations (a divisor of the pool size; 1 when there is no room), `rows`
    /// rows each; `by_part` numbers hold each part's maxima for the part that combines them.
    pub parts: usize,
    pub rows: usize,
    pub by_part: usize,
    /// The logits are summed in `chunks` partial sums of `chunk` features each.
    pub chunks: usize,
    pub chunk: usize,
    /// Offsets in the workgroup scratch: staged images (0), pooled values, partial logits; at the
    /// end, the shares being summed (0) and each filter's sums (`THREADS`).
    pub pooled_at: usize,
    pub partial_at: usize,
    pub scratch: usize,
    /// The whole workgroup memory, in numbers.
    pub memory: usize,
}

impl Plan {
    pub const fn of(shape: NetShape) -> Plan {
        let NetShape { filters, kernel, pool, classes } = shape;
        let side = SIDE / pool;
        let cells = side * side;
        let fc_in = filters * cells;
        let most = THREADS / filters;
        let first = if most < cells { most } else { cells };
        let each = cells.div_ceil(first);
        // As few invocations as take `each` cells apiece, so none has fewer to do than the others.
        let group = cells.div_ceil(each);
        let active = filters * group;
        let wide = SIDE + 2 * (kernel / 2);
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
            let pooled_at = slots * wide * wide;
            let partial_at = pooled_at + slots * fc_in;
            let forward = partial_at + slots * classes * chunks;
            let end = THREADS + filters * share;
            let scratch = if forward > end { forward } else { end };
            let mut parts = pool;
            while parts > 1 && (!pool.is_multiple_of(parts) || slots * active * parts > THREADS) {
                parts -= 1;
            }
            let by_part = if parts > 1 { each * THREADS } else { 1 };
            // Scratch, d(loss)/d(logits), per-slot totals, the parts' maxima and where they lie.
            let memory = scratch + slots * classes + slots * (2 + classes) + 2 * by_part;
            if memory <= BUDGET || slots == 1 {
                let (layout, taps, lanes, rows) = (Layout::of(shape), kernel * kernel, slots * active, pool / parts);
                return Plan { layout, filters, kernel, pool, classes, taps, share, wide, side, cells, fc_in, group, each, active, slots, lanes, parts, rows, by_part, chunks, chunk, pooled_at, partial_at, scratch, memory };
            }
            slots -= 1;
        }
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
                        let p = Plan::of(NetShape { filters, kernel, pool, classes });
                        let what = format!("{filters} filters {kernel}×{kernel} pool {pool}, {classes} classes: {p:?}");
                        assert!(p.memory * 4 <= 16 * 1024 && p.memory <= BUDGET, "{what}");
                        assert!(p.slots >= 1 && p.lanes * p.parts <= THREADS && pool % p.parts == 0, "{what}");
                        assert!(p.parts == 1 || p.each == 1, "{what}");
                        assert!(p.group * p.each >= p.cells && p.group * (p.each - 1) < p.cells, "{what}");
                        assert!(p.chunks * p.chunk >= p.fc_in, "{what}");
                        assert!(p.partial_at + p.slots * classes * p.chunks <= p.scratch && THREADS + filters * p.share <= p.scratch, "{what}");
                        assert_eq!(p.layout.fc_w, filters * p.share, "{what}");
                    }
                }
            }
        }
        // The notebook's network: 8 filters of 16 cells, one cell each, two images a round.
        let notebook = Plan::of(NetShape::NOTEBOOK);
        assert_eq!((notebook.group, notebook.each, notebook.active, notebook.slots, notebook.parts), (16, 1, 128, 2, 1));
        // 3 filters 5×5 pooled to 2×2: twelve invocations an image, so each window in 7 parts of 2 rows.
        let small = Plan::of(NetShape { filters: 3, kernel: 5, pool: 14, classes: 2 });
        assert_eq!((small.active, small.slots, small.parts), (12, 3, 7));
    }
}
