//! The network's shape: the parameter count formula against counts by hand, and the knobs' limits.

use filterlab_protocol::{NetShape, ShapeError, shape};

#[test]
fn parameter_counts_match_hand_counts() {
    let notebook = NetShape::NOTEBOOK;
    // 8·3·3 + 8 + 2·(8·4·4) + 2: the notebook's 338.
    assert_eq!(notebook.params(), 72 + 8 + 256 + 2);
    assert_eq!(notebook.params(), 338);
    // The filter lab's example: 2 filters, pool 4 → 2·9+2 + 2·(2·7·7)+2.
    let small = NetShape { filters: 2, pool: 4, ..notebook };
    assert_eq!(small.params(), 218);
    assert_eq!(small.fc_in(), 98);
    // Ten digits at the notebook's shape: 8·9+8 + 10·128+10.
    assert_eq!(NetShape { classes: 10, ..notebook }.params(), 1370);
    // The largest: 32 filters 5×5, pool 4, ten classes.
    let large = NetShape { filters: 32, kernel: 5, pool: 4, classes: 10 };
    assert_eq!(large.params(), 32 * 25 + 32 + 10 * (32 * 49) + 10);
    // The table adds up to the count, in the model file's order.
    for s in [notebook, small, large] {
        let table = s.param_table();
        assert_eq!(table.iter().map(|p| p.count()).sum::<usize>(), s.params());
        assert_eq!(table.iter().map(|p| p.name).collect::<Vec<_>>(), ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"]);
    }
    assert_eq!(large.param_table()[0].shape, [32, 1, 5, 5]);
    assert_eq!(large.param_table()[2].shape, [10, 1568]);
}

#[test]
fn pooling_and_padding_follow_the_knobs() {
    for (pool, side) in [(4, 7), (7, 4), (14, 2)] {
        assert_eq!(NetShape { pool, ..NetShape::NOTEBOOK }.pooled_side(), side);
    }
    assert_eq!(NetShape { kernel: 5, ..NetShape::NOTEBOOK }.padding(), 2);
    assert!(NetShape { kernel: 5, ..NetShape::NOTEBOOK }.summary().contains("kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)"));
    assert_eq!(
        NetShape::NOTEBOOK.summary(),
        "classifier(\n  (conv1): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  (fc): Linear(in_features=128, out_features=2, bias=True)\n)"
    );
    assert_eq!(NetShape::NOTEBOOK.to_string(), "8 filters 3×3, pool 7, 2 classes");
}

#[test]
fn every_offered_shape_is_valid_and_nothing_else() {
    let mut offered = 0;
    for filters in shape::FILTER_RANGE {
        for kernel in shape::KERNELS {
            for pool in shape::POOLS {
                for classes in shape::CLASS_COUNTS {
                    assert_eq!(NetShape { filters, kernel, pool, classes }.validate(), Ok(()));
                    offered += 1;
                }
            }
        }
    }
    assert_eq!(offered, 32 * 2 * 3 * 2);
    let n = NetShape::NOTEBOOK;
    assert_eq!(NetShape { filters: 0, ..n }.validate(), Err(ShapeError::Filters(0)));
    assert_eq!(NetShape { filters: 33, ..n }.validate(), Err(ShapeError::Filters(33)));
    assert_eq!(NetShape { kernel: 4, ..n }.validate(), Err(ShapeError::Kernel(4)));
    assert_eq!(NetShape { pool: 28, ..n }.validate(), Err(ShapeError::Pool(28)));
    assert_eq!(NetShape { classes: 3, ..n }.validate(), Err(ShapeError::Classes(3)));
}
