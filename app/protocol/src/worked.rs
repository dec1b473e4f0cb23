//! One convolution worked out by hand: one cell of one filter's feature map, the window of the
//! image it reads, the arithmetic, the max-pool it takes part in and the linear layer's weights
//! for its pooled value. The core computes it (filterlab-core's `worked`); the page shows it.

use serde::{Deserialize, Serialize};

use crate::{mnist::SIDE, shape::NetShape};

/// A cell of a filter's 28×28 feature map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCell {
    pub filter: usize,
    pub row: usize,
    pub col: usize,
}

impl MapCell {
    /// The cell `by` (rows, columns) away, kept on the 28×28 map (the padded convolution keeps
    /// the image's side).
    pub fn moved(self, by: (isize, isize)) -> Self {
        let step = |v: usize, d: isize| v.saturating_add_signed(d).min(SIDE - 1);
        Self { row: step(self.row, by.0), col: step(self.col, by.1), ..self }
    }
}

/// Which cell of a pooling window won its max-pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolStep {
    /// The pooled map's cell (row, column): the window covers rows `row·pool ..` of the map.
    pub row: usize,
    pub col: usize,
    /// The map cell with the window's largest value (the first one, in reading order, on a tie).
    pub winner: (usize, usize),
    /// That largest value: the pooled value, the linear layer's input number `feature`.
    pub value: f32,
    pub feature: usize,
    /// The linear layer's weight on `feature` for each class, and what it adds to each logit.
    pub weights: Vec<f32>,
    pub contributions: Vec<f32>,
}

/// The worked step for one map cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkedStep {
    /// The network that computed it.
    pub shape: NetShape,
    pub cell: MapCell,
    /// The k×k window of the image, row-major: `None` where it hangs over the image's edge (the
    /// padding, which reads as 0).
    pub inputs: Vec<Option<f32>>,
    /// The filter's k×k weights, and each input times its weight.
    pub weights: Vec<f32>,
    pub products: Vec<f32>,
    /// The products' sum, the filter's bias, and their sum: the map's value at the cell.
    pub sum: f32,
    pub bias: f32,
    pub value: f32,
    pub pool: PoolStep,
}

impl WorkedStep {
    /// The top-left image cell the window reads (negative on the padding).
    pub fn window_origin(&self) -> (isize, isize) {
        let p = self.shape.padding() as isize;
        (self.cell.row as isize - p, self.cell.col as isize - p)
    }
}
