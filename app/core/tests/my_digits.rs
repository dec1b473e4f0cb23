//! The user's kept digits as data: added to a task's training set (as drawn and shifted one
//! pixel each way), and a model scored on them.

mod common;

use burn::prelude::*;
use filterlab_core::{Digits, Model, NetShape, Weights, my_digits};
use filterlab_protocol::MyDigit;

/// A digit whose pixels are `ink` in a square at rows 10–13, columns 12–15.
fn drawn(digit: u8, ink: u8) -> MyDigit {
    let mut pixels = vec![0u8; 784];
    for r in 10..14 {
        for c in 12..16 {
            pixels[r * 28 + c] = ink;
        }
    }
    MyDigit::new(digit, pixels, 0.0).unwrap()
}

#[test]
fn the_tasks_digits_join_the_training_set_five_times_each() {
    let split = common::split();
    // The notebook's pair is 8 (class 0) vs 1 (class 1); a 3 is kept but not used.
    let set = [drawn(8, 255), drawn(3, 255), drawn(1, 128)];
    let (more, used) = my_digits::with_my_digits(split, &set);
    assert_eq!(used, 2);
    assert_eq!(more.train.len(), split.train.len() + 10);
    assert_eq!(more.test.classes, split.test.classes, "the test set stays MNIST's");
    assert_eq!(&more.train.pixels[..split.train.pixels.len()], &split.train.pixels[..]);
    let added = &more.train.classes[split.train.len()..];
    assert_eq!(added, &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // The first copy is the drawing as it is; the next ones are shifted up, down, left, right.
    let image = |i: usize| &more.train.pixels[(split.train.len() + i) * 784..(split.train.len() + i + 1) * 784];
    assert_eq!(image(0)[10 * 28 + 12], 255);
    assert_eq!((image(1)[9 * 28 + 12], image(1)[13 * 28 + 12]), (255, 0), "up one row");
    assert_eq!((image(2)[14 * 28 + 12], image(2)[10 * 28 + 12]), (255, 0), "down one row");
    assert_eq!((image(3)[10 * 28 + 11], image(3)[10 * 28 + 15]), (255, 0), "left one column");
    assert_eq!((image(4)[10 * 28 + 16], image(4)[10 * 28 + 12]), (255, 0), "right one column");
    assert_eq!(image(5)[10 * 28 + 12], 128);
    // Ink shifted past the edge is gone, and paper comes in.
    let mut edge = vec![0u8; 784];
    edge[27] = 9;
    assert_eq!(my_digits::shifted(&edge, 0, 1), vec![0u8; 784]);
    assert_eq!(my_digits::shifted(&edge, 1, 0)[28 + 27], 9);
    // All ten digits use every kept digit.
    let ten = filterlab_core::Split { digits: Digits::All, ..split.clone() };
    assert_eq!(my_digits::with_my_digits(&ten, &set).1, 3);
}

#[test]
fn a_model_is_scored_on_the_tasks_digits() {
    // Class 1 (the digit 1) adds up the copied image's pooled values, class 0 (the 8) a bias:
    // ink reads as 1, paper as 8.
    let mut conv_weight = vec![0.0; 72];
    conv_weight[4] = 1.0;
    let mut fc_weight = vec![0.0; 256];
    fc_weight[128..144].fill(1.0);
    let weights = Weights { shape: NetShape::NOTEBOOK, conv_weight, conv_bias: vec![0.0; 8], fc_weight, fc_bias: vec![0.5, 0.0] };
    let device = Device::flex();
    let model = Model::from_weights(&weights, &device);
    let set = [drawn(1, 255), drawn(8, 255), drawn(8, 0), drawn(3, 255), drawn(7, 0)];
    let score = pollster::block_on(my_digits::score(&model, &set, Digits::default(), &device)).unwrap();
    // Rows: the actual 8, the actual 1; columns: read as 8, as 1.
    assert_eq!(score.matrix, vec![vec![1, 1], vec![0, 1]]);
    assert_eq!((score.used(), score.right(), score.unused), (3, 2, 2));
    let empty = pollster::block_on(my_digits::score(&model, &[], Digits::default(), &device)).unwrap();
    assert_eq!((empty.used(), empty.accuracy()), (0, None));
}
