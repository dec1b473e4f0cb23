//! One convolution worked out: a planted Sobel filter's products and sums by hand, padding at the
//! edges, the max-pool's winner, and every network's worked value against the model's own map.

use burn::prelude::*;
use filterlab_core::{Model, NetShape, Weights, worked::{WorkedError, worked}};
use filterlab_protocol::MapCell;

/// Sobel's horizontal-edge filter.
const SOBEL: [f32; 9] = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];

/// The notebook's network with filter 2 set to Sobel (bias 0.25) and fc weights numbered so each
/// feature's weight can be told apart.
fn sobel_model() -> Weights {
    let s = NetShape::NOTEBOOK;
    let mut conv_weight = vec![0.0; s.filters * 9];
    conv_weight[18..27].copy_from_slice(&SOBEL);
    let mut conv_bias = vec![0.0; s.filters];
    conv_bias[2] = 0.25;
    let fc_weight = (0..s.classes * s.fc_in()).map(|i| i as f32 / 1000.0).collect();
    Weights { shape: s, conv_weight, conv_bias, fc_weight, fc_bias: vec![0.0; 2] }
}

/// A bright bar on rows 10-12, columns 5-20 (1.0 at row 12, 0.5 above it), dark elsewhere.
fn bar() -> Vec<f32> {
    let mut img = vec![0.0; 784];
    for c in 5..21 {
        img[10 * 28 + c] = 0.5;
        img[11 * 28 + c] = 0.5;
        img[12 * 28 + c] = 1.0;
    }
    img
}

#[test]
fn a_sobel_cell_worked_by_hand() {
    let w = sobel_model();
    // Cell (9, 8): the window covers rows 8-10, columns 7-9: only row 10 is lit (0.5 each).
    let step = worked(&w, &bar(), MapCell { filter: 2, row: 9, col: 8 }).unwrap();
    assert_eq!(step.inputs, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5].map(Some));
    assert_eq!(step.weights, SOBEL);
    assert_eq!(step.products, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 0.5]);
    assert_eq!((step.sum, step.bias, step.value), (2.0, 0.25, 2.25));
    // Its pooling window: rows 7-13, columns 7-13 (pooled cell (1, 1)). A cell there is
    // 4·(row below − row above) + 0.25: rows 9, 10 and 11 give 2.25, row 13 gives −3.75; the
    // first in reading order wins.
    assert_eq!((step.pool.row, step.pool.col), (1, 1));
    assert_eq!(step.pool.winner, (9, 7));
    assert_eq!(step.pool.value, 2.25);
    // Feature index: filter 2's block of 16, cell 1·4 + 1.
    assert_eq!(step.pool.feature, 2 * 16 + 5);
    assert_eq!(step.pool.weights, [37.0 / 1000.0, (128.0 + 37.0) / 1000.0]);
    assert_eq!(step.pool.contributions, [2.25 * 0.037, 2.25 * 0.165]);
}

#[test]
fn padding_reads_as_zero_and_is_marked() {
    let w = sobel_model();
    let mut img = vec![1.0; 784];
    img[0] = 0.5;
    // The corner: the window's top row and left column hang over the edge.
    let step = worked(&w, &img, MapCell { filter: 2, row: 0, col: 0 }).unwrap();
    assert_eq!(step.inputs, [None, None, None, None, Some(0.5), Some(1.0), None, Some(1.0), Some(1.0)]);
    assert_eq!(step.products, [-0.0, -0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0]);
    assert_eq!(step.value, 3.25);
    assert_eq!(step.window_origin(), (-1, -1));
    // 5×5 pads by 2.
    let five = Weights { shape: NetShape { kernel: 5, ..NetShape::NOTEBOOK }, conv_weight: vec![1.0; 200], conv_bias: vec![0.0; 8], fc_weight: vec![0.0; 256], fc_bias: vec![0.0; 2] };
    let step = worked(&five, &img, MapCell { filter: 0, row: 27, col: 1 }).unwrap();
    // Rows 25-29 and columns -1-3: rows 28 and 29 (10 cells) and column -1 of rows 25-27 (3).
    assert_eq!(step.inputs.iter().filter(|x| x.is_none()).count(), 13, "{:?}", step.inputs);
    assert_eq!(step.value, step.inputs.iter().flatten().sum::<f32>());
}

#[test]
fn bad_requests_are_refused() {
    let w = sobel_model();
    assert_eq!(worked(&w, &[0.0; 10], MapCell { filter: 0, row: 0, col: 0 }), Err(WorkedError::Image(10)));
    assert_eq!(worked(&w, &bar(), MapCell { filter: 8, row: 0, col: 0 }), Err(WorkedError::Filter { filter: 8, filters: 8 }));
    assert_eq!(worked(&w, &bar(), MapCell { filter: 0, row: 28, col: 0 }), Err(WorkedError::Cell { row: 28, col: 0 }));
    let corner = MapCell { filter: 0, row: 0, col: 27 };
    assert_eq!(corner.moved((-1, 1)), corner, "moves stop at the map's edge");
    assert_eq!(corner.moved((3, -2)), MapCell { filter: 0, row: 3, col: 25 });
}

/// Random-looking weights for `shape`, the same each time.
fn weights_of(shape: NetShape) -> Weights {
    let mut seed = 3u32;
    let mut next = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    };
    let taps = shape.taps();
    Weights { shape, conv_weight: next(shape.filters * taps), conv_bias: next(shape.filters), fc_weight: next(shape.classes * shape.fc_in()), fc_bias: next(shape.classes) }
}

/// In every kind of network the lab allows, every worked value is the model's map value (to
/// float rounding), and the pooled value and its contributions are the explanation's.
#[test]
fn worked_values_are_the_models_own() {
    let device = Device::flex();
    let image: Vec<f32> = (0..784).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    for kernel in [3, 5] {
        for pool in [4, 7, 14] {
            for classes in [2, 10] {
                let shape = NetShape { filters: 3, kernel, pool, classes };
                let w = weights_of(shape);
                let e = pollster::block_on(Model::from_weights(&w, &device).explain(&image)).unwrap();
                for (f, row, col) in [(0, 0, 0), (1, 13, 27), (2, 27, 4), (2, 6, 6)] {
                    let step = worked(&w, &image, MapCell { filter: f, row, col }).unwrap();
                    let map = e.conv[f * 784 + row * 28 + col];
                    let close = |a: f32, b: f32| (a - b).abs() <= 2e-5 * b.abs().max(1.0);
                    assert!(close(step.value, map), "{shape} ({f}, {row}, {col}): worked {} vs map {map}", step.value);
                    let (sum, pooled) = (step.products.iter().sum::<f32>(), e.pooled[step.pool.feature]);
                    assert_eq!(step.sum, sum);
                    assert!(close(step.pool.value, pooled), "{shape}: pooled {} vs {pooled}", step.pool.value);
                    let (wr, wc) = step.pool.winner;
                    assert!(close(e.conv[f * 784 + wr * 28 + wc], pooled), "{shape}: the winner holds the max");
                    for k in 0..classes {
                        let c = e.contributions[k * shape.fc_in() + step.pool.feature];
                        assert!(close(step.pool.contributions[k], c), "{shape}: contribution {k}");
                    }
                }
            }
        }
    }
}
