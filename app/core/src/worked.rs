//! One feature-map cell worked out as a student would on paper: the window of the image, each
//! input times its weight, the sum, the bias; the max-pool window it belongs to; the linear
//! layer's weights on the pooled value. Plain f32 arithmetic on the model's numbers, in the order
//! written, so every number the page shows adds up to the next one. (The device's conv may
//! differ from it in the last bit; the page shows these numbers.)

use filterlab_protocol::{
    MapCell, PoolStep, Weights, WorkedStep,
    mnist::{PIXELS, SIDE},
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkedError {
    #[error("the image has {0} pixels, not 28×28")]
    Image(usize),
    #[error("the network has {filters} filters: there is no filter {filter}")]
    Filter { filter: usize, filters: usize },
    #[error("the feature maps are 28×28: there is no cell ({row}, {col})")]
    Cell { row: usize, col: usize },
}

/// The window's inputs (`None` on the padding), in reading order.
fn window(kernel: usize, padding: usize, image: &[f32], row: usize, col: usize) -> Vec<Option<f32>> {
    let at = |r: usize, c: usize| -> Option<f32> {
        let (r, c) = ((r + row).checked_sub(padding)?, (c + col).checked_sub(padding)?);
        (r < SIDE && c < SIDE).then(|| image[r * SIDE + c])
    };
    (0..kernel * kernel).map(|i| at(i / kernel, i % kernel)).collect()
}

/// The products of a window and a filter, and their sum in reading order.
fn products(inputs: &[Option<f32>], weights: &[f32]) -> (Vec<f32>, f32) {
    let products: Vec<f32> = inputs.iter().zip(weights).map(|(x, w)| x.unwrap_or(0.0) * w).collect();
    let sum = products.iter().sum();
    (products, sum)
}

/// The map's value at (`row`, `col`) of filter `f`, worked as [`worked`] shows it.
fn value(w: &Weights, image: &[f32], f: usize, row: usize, col: usize) -> f32 {
    let s = w.shape;
    let (_, sum) = products(&window(s.kernel, s.padding(), image, row, col), w.filter(f));
    sum + w.conv_bias[f]
}

/// Works out `cell` of `image` (28×28, as the model reads it) with the model `w`.
pub fn worked(w: &Weights, image: &[f32], cell: MapCell) -> Result<WorkedStep, WorkedError> {
    let s = w.shape;
    if image.len() != PIXELS {
        return Err(WorkedError::Image(image.len()));
    }
    if cell.filter >= s.filters {
        return Err(WorkedError::Filter { filter: cell.filter, filters: s.filters });
    }
    if cell.row >= SIDE || cell.col >= SIDE {
        return Err(WorkedError::Cell { row: cell.row, col: cell.col });
    }
    let MapCell { filter: f, row, col } = cell;
    let inputs = window(s.kernel, s.padding(), image, row, col);
    let weights = w.filter(f).to_vec();
    let (products, sum) = products(&inputs, &weights);
    let bias = w.conv_bias[f];
    // The pooling window holding the cell, and its largest value (the first, on a tie, as
    // PyTorch's and Burn's max-pool keep it).
    let (p, side) = (s.pool, s.pooled_side());
    let (pr, pc) = (row / p, col / p);
    let mut winner = (pr * p, pc * p);
    let mut best = f32::NEG_INFINITY;
    for r in pr * p..(pr + 1) * p {
        for c in pc * p..(pc + 1) * p {
            let v = value(w, image, f, r, c);
            if v > best {
                (best, winner) = (v, (r, c));
            }
        }
    }
    let feature = f * side * side + pr * side + pc;
    let fc_in = s.fc_in();
    let class_weights: Vec<f32> = (0..s.classes).map(|k| w.fc_weight[k * fc_in + feature]).collect();
    let contributions = class_weights.iter().map(|k| k * best).collect();
    let pool = PoolStep { row: pr, col: pc, winner, value: best, feature, weights: class_weights, contributions };
    Ok(WorkedStep { shape: s, cell, inputs, weights, products, sum, bias, value: sum + bias, pool })
}
