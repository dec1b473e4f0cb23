//! The network itself: shapes, log-probabilities, parameter count, weights round trip.

mod common;

use burn::{module::Module, prelude::*};
use filterlab_core::{Model, Weights, model, weights::PARAMS};

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
    let table = model::param_table();
    let counts: Vec<_> = table.iter().map(|p| (p.name, p.count())).collect();
    assert_eq!(counts, [("conv1.weight", 72), ("conv1.bias", 8), ("fc.weight", 256), ("fc.bias", 2)]);
    assert_eq!(PARAMS, 338);
    assert_eq!(Model::new(&Device::flex()).num_params(), 338);
}

#[test]
fn weights_round_trip_through_a_model() {
    let device = Device::flex();
    let weights = Weights {
        conv_weight: (0..72).map(|i| i as f32 / 100.0).collect(),
        conv_bias: (0..8).map(|i| -(i as f32)).collect(),
        fc_weight: (0..256).map(|i| (i as f32).sin()).collect(),
        fc_bias: vec![0.5, -0.5],
    };
    let model = Model::from_weights(&weights, &device);
    assert_eq!(pollster::block_on(model.weights()).unwrap(), weights);
    assert_eq!(weights.filter(1), [0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17]);
}
