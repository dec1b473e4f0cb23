//! The network itself: shapes, log-probabilities, parameter count, weights round trip.

mod common;

use burn::{module::Module, prelude::*};
use filterlab_core::{Model, ModelConfig, NetShape, Weights};

#[test]
fn three_images_give_three_rows_of_log_probabilities() {
    let device = Device::flex();
    device.seed(0);
    let model = Model::new(&device);
    let mnist = common::mnist();
    // As the notebook does: the first three raw images, pixels 0-255 (not scaled).
    let raw: Vec<f32> = mnist.images[..3 * 784].iter().map(|&p| p as f32).collect();
    let images = Tensor::<4>::from_data(TensorData::new(raw, [3, 1, 28, 28]), &device);
    let out = model.forward(images);
    assert_eq!(out.dims(), [3, 2]);
    let values = out.into_data().try_to_vec::<f32>().unwrap();
    for row in values.chunks(2) {
        assert!(row.iter().all(|&v| v <= 1e-6 && v.is_finite()), "{row:?}");
        let total: f32 = row.iter().map(|v| v.exp()).sum();
        assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {total}");
    }
}

#[test]
fn the_network_has_338_parameters() {
    let table = NetShape::NOTEBOOK.param_table();
    let counts: Vec<_> = table.iter().map(|p| (p.name, p.count())).collect();
    assert_eq!(counts, [("conv1.weight", 72), ("conv1.bias", 8), ("fc.weight", 256), ("fc.bias", 2)]);
    assert_eq!(NetShape::NOTEBOOK.params(), 338);
    assert_eq!(Model::new(&Device::flex()).num_params(), 338);
}

#[test]
fn weights_round_trip_through_a_model() {
    let device = Device::flex();
    let weights = Weights {
        shape: NetShape::NOTEBOOK,
        conv_weight: (0..72).map(|i| i as f32 / 100.0).collect(),
        conv_bias: (0..8).map(|i| -(i as f32)).collect(),
        fc_weight: (0..256).map(|i| (i as f32).sin()).collect(),
        fc_bias: vec![0.5, -0.5],
    };
    let model = Model::from_weights(&weights, &device);
    assert_eq!(pollster::block_on(model.weights()).unwrap(), weights);
    assert_eq!(weights.filter(1), [0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17]);
}

/// Each knob reaches the model: its tensors, its output and its count follow the shape.
#[test]
fn models_follow_their_config() {
    let device = Device::flex();
    let config = ModelConfig::new().with_filters(2).with_kernel(5).with_pool(4).with_classes(10);
    let model = config.init(&device);
    let shape = config.shape();
    assert_eq!(model.shape(), shape);
    assert_eq!(model.conv1.weight.dims(), [2, 1, 5, 5]);
    assert_eq!(model.fc.weight.dims(), [2 * 7 * 7, 10]);
    assert_eq!(model.num_params(), shape.params());
    assert_eq!(model.forward_flat(Tensor::zeros([3, 784], &device)).dims(), [3, 10]);
    assert_eq!(ModelConfig::from(shape), config);
    assert_eq!(ModelConfig::new().shape(), NetShape::NOTEBOOK);
    assert!(ModelConfig::new().with_pool(5).validate().is_err());
}
