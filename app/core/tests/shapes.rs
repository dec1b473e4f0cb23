//! Every network the filter lab's knobs allow builds, trains a few steps on the CPU backend and
//! goes through a model file unchanged (on the fused op's loops, which take any shape on the CPU).

mod common;

use burn::prelude::*;
use filterlab_core::{
    Digits, Model, ModelConfig, NetShape, Ops, Split, TrainConfig, Trainer,
    dataset::Samples,
    idx::PIXELS,
    model::shape,
    model_file::ModelFile,
};

/// 16 training and 8 test images of the notebook's pair.
fn tiny_split() -> Split {
    let real = common::split();
    let take = |s: &Samples, range: std::ops::Range<usize>| Samples {
        pixels: real_pixels(s, range.clone()),
        classes: s.classes[range].to_vec(),
    };
    // Both classes in each part: the test set is eights first, then ones.
    let train = take(&real.train, 0..16);
    let mut test = take(&real.test, 0..4);
    let ones = take(&real.test, 1000..1004);
    test.pixels.extend(ones.pixels);
    test.classes.extend(ones.classes);
    Split { digits: Digits::default(), train, test }
}

fn real_pixels(s: &Samples, range: std::ops::Range<usize>) -> Vec<u8> {
    s.pixels[range.start * PIXELS..range.end * PIXELS].to_vec()
}

#[test]
fn every_shape_builds_trains_and_round_trips_through_a_file() {
    let pair = tiny_split();
    // A ten-class network learns the same images as digits 0 to 9 (here only 8s as 0s, 1s as 1s).
    let all = Split { digits: Digits::All, ..pair.clone() };
    let device = Device::flex();
    let mut shapes = 0u64;
    for filters in shape::FILTER_RANGE {
        for kernel in shape::KERNELS {
            for pool in shape::POOLS {
                for classes in shape::CLASS_COUNTS {
                    let split = if classes == 10 { &all } else { &pair };
                    let model = ModelConfig::new().with_filters(filters).with_kernel(kernel).with_pool(pool).with_classes(classes);
                    let expected = model.shape();
                    let config = TrainConfig::new().with_model(model).with_batch_size(8).with_epochs(1).with_lr(0.1).with_seed(shapes);
                    let mut trainer = Trainer::new(split, config, &device).unwrap();
                    let before = pollster::block_on(trainer.weights()).unwrap();
                    assert_eq!(before.shape, expected);
                    assert_eq!(before.to_vec().len(), expected.params());
                    while trainer.step() {}
                    let metrics = pollster::block_on(trainer.finish_epoch()).unwrap();
                    assert!(metrics.train_loss.is_finite() && (0.0..=1.0).contains(&metrics.test_acc), "{expected}: {metrics:?}");
                    let after = metrics.weights;
                    assert_ne!(after, before, "{expected}: two steps of SGD changed nothing");

                    let file = ModelFile { weights: after.clone(), digits: split.digits, record: String::new() };
                    let loaded = ModelFile::from_bytes(&file.to_bytes()).unwrap();
                    assert_eq!(loaded.weights, after, "{expected}");
                    let model = Model::from_weights(&loaded.weights, &device);
                    assert_eq!(model.shape(), expected);
                    assert_eq!(pollster::block_on(model.weights()).unwrap(), after, "{expected}");
                    shapes += 1;
                }
            }
        }
    }
    assert_eq!(shapes, 384);
}

/// On the CPU backend the fused op takes every shape (its loops are sized at run time); the
/// trainer's configuration says which path runs, and keeps a handed-over model's shape.
#[test]
fn the_cpu_takes_the_fused_op_for_every_shape() {
    let split = tiny_split();
    let device = Device::flex();
    let ops_for = |model: ModelConfig| {
        let trainer = Trainer::new(&split, TrainConfig::new().with_model(model).with_ops(Ops::Fused), &device).unwrap();
        (trainer.config().ops, trainer.config().model.shape())
    };
    assert_eq!(ops_for(ModelConfig::new()), (Ops::Fused, NetShape::NOTEBOOK));
    let two = ModelConfig::new().with_filters(2).with_pool(4);
    assert_eq!(ops_for(two), (Ops::Fused, two.shape()));
    // A model handed over keeps its own shape, whatever the configuration said.
    let trainer = Trainer::with_model(&split, TrainConfig::new(), two.init(&device), &device);
    assert_eq!(trainer.config().model, two);
}
