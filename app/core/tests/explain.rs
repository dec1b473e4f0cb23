//! The feature-map view's numbers, checked against a model whose outputs can be worked out by hand.

use burn::prelude::*;
use filterlab_core::{Model, NetShape, Weights, explain};
use filterlab_protocol::insight::{cell, confusion, per_class_accuracy, predicted};

/// Filter 0 copies the image (centre 1), filter 1 is a constant (bias 0.5), the rest are zero;
/// class 1's weights pick filter 0's pooled values, class 0 weighs nothing; biases 0.1 and -0.2.
fn hand_made() -> Weights {
    let mut conv_weight = vec![0.0; 72];
    conv_weight[4] = 1.0;
    let mut conv_bias = vec![0.0; 8];
    conv_bias[1] = 0.5;
    let mut fc_weight = vec![0.0; 256];
    for i in 0..16 {
        fc_weight[128 + i] = 1.0;
    }
    Weights { shape: NetShape::NOTEBOOK, conv_weight, conv_bias, fc_weight, fc_bias: vec![0.1, -0.2] }
}

/// A 28×28 image with one bright 3×3 square at rows 8-10, columns 15-17.
/// A small bright square with a brighter centre, as the bytes a data set holds.
fn bytes() -> Vec<u8> {
    let mut img = vec![0; 784];
    for r in 8..11 {
        for c in 15..18 {
            img[r * 28 + c] = 191;
        }
    }
    img[9 * 28 + 16] = 255;
    img
}

/// [`bytes`] as the network sees them.
fn image() -> Vec<f32> {
    bytes().into_iter().map(filterlab_core::dataset::intensity).collect()
}

#[test]
fn feature_maps_and_contributions_match_the_hand_computation() {
    let device = Device::flex();
    let model = Model::from_weights(&hand_made(), &device);
    let e = pollster::block_on(model.explain(&image())).unwrap();
    assert_eq!(e.conv.len(), 8 * 784);
    assert_eq!(&e.conv[..784], image().as_slice(), "filter 0 copies the image");
    assert!(e.conv[784..2 * 784].iter().all(|&v| v == 0.5), "filter 1 is its bias everywhere");
    assert!(e.conv[2 * 784..].iter().all(|&v| v == 0.0));
    // Pooling 7×7: the square lies in block (row 1, column 2) and its maximum is 1.
    let mut pooled0 = [0.0; 16];
    pooled0[4 + 2] = 1.0;
    assert_eq!(&e.pooled[..16], &pooled0);
    assert!(e.pooled[16..32].iter().all(|&v| v == 0.5));
    assert!(e.contributions[..128].iter().all(|&v| v == 0.0));
    assert_eq!(&e.contributions[128..144], &pooled0);
    assert!((e.logits[0] - 0.1).abs() < 1e-6 && (e.logits[1] - 0.8).abs() < 1e-6, "{:?}", e.logits);
    // The same logits as the forward pass.
    let input = Tensor::<2>::from_data(TensorData::new(image(), [1, 784]), &device);
    let p: Vec<f32> = model.forward_flat(input).exp().into_data().try_to_vec::<f32>().unwrap();
    let softmax1 = 1.0 / (1.0 + (e.logits[0] - e.logits[1]).exp());
    assert!((p[1] - softmax1).abs() < 1e-6, "{p:?} vs {softmax1}");
}

#[test]
fn confusion_matrix_and_cells() {
    let classes = [0, 0, 1, 1, 1];
    let probabilities = [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3], [0.45, 0.55]].map(|p| p.to_vec());
    assert_eq!(confusion(2, &classes, &probabilities), [[1, 1], [1, 2]]);
    // Class 1 read right: the least sure first.
    assert_eq!(cell(&classes, &probabilities, 1, 1), [4, 2]);
    assert_eq!(cell(&classes, &probabilities, 0, 1), [1]);
}

#[test]
fn test_set_probabilities_agree_with_the_model() {
    let device = Device::flex();
    let model = Model::from_weights(&hand_made(), &device);
    let samples = filterlab_core::dataset::Samples { pixels: [bytes(), vec![0; 784]].concat(), classes: vec![1, 0] };
    let p = pollster::block_on(explain::probabilities(&model, &samples, &device)).unwrap();
    assert_eq!(p.len(), 2);
    assert!(p[0][1] > p[0][0], "the square lights class 1: {p:?}");
    assert!(p[1][0] > p[1][1], "an empty image leans to class 0 (bias 0.1 > -0.2): {p:?}");
    assert_eq!(confusion(2, &samples.classes, &p), [[1, 0], [0, 1]]);
}

/// Ten classes: the matrix is 10×10, argmax takes the first of equal maxima, and per-class
/// accuracy is the diagonal over each row's sum.
#[test]
fn ten_class_confusion_and_accuracy() {
    let one_hot = |c: usize| (0..10).map(|k| if k == c { 0.9 } else { 0.01 }).collect::<Vec<f32>>();
    let classes = [7, 7, 7, 1, 0];
    let probabilities = vec![one_hot(7), one_hot(1), one_hot(7), one_hot(1), one_hot(9)];
    let m = confusion(10, &classes, &probabilities);
    assert_eq!((m.len(), m[0].len()), (10, 10));
    assert_eq!((m[7][7], m[7][1], m[1][1], m[0][9]), (2, 1, 1, 1));
    assert_eq!(m.iter().flatten().sum::<u32>(), 5);
    let acc = per_class_accuracy(&m);
    assert_eq!((acc[7], acc[1], acc[0], acc[5]), (2.0 / 3.0, 1.0, 0.0, 0.0));
    assert_eq!(predicted(&[0.2, 0.4, 0.4]), 1);
    assert_eq!(cell(&classes, &probabilities, 7, 7), [0, 2]);
}

/// A ten-class network explains itself with ten logits, and its test probabilities are rows of
/// ten that sum to 1 and agree with the logits.
#[test]
fn ten_class_models_explain_themselves() {
    let device = Device::flex();
    let ten = NetShape { classes: 10, ..NetShape::NOTEBOOK };
    let values: Vec<f32> = (0..ten.params()).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01).collect();
    let model = Model::from_weights(&Weights::from_slice(ten, &values), &device);
    let e = pollster::block_on(model.explain(&image())).unwrap();
    assert_eq!((e.logits.len(), e.contributions.len()), (10, 10 * 128));
    let samples = filterlab_core::dataset::Samples { pixels: bytes(), classes: vec![3] };
    let p = pollster::block_on(explain::probabilities(&model, &samples, &device)).unwrap();
    assert_eq!(p[0].len(), 10);
    assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let top = e.logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let z: f32 = e.logits.iter().map(|l| (l - top).exp()).sum();
    for c in 0..10 {
        assert!((p[0][c] - (e.logits[c] - top).exp() / z).abs() < 1e-5, "class {c}: {p:?} vs {:?}", e.logits);
    }
}
