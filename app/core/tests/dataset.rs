//! The notebook's split on the real MNIST train file, and the ten digits' standard split.

mod common;

use filterlab_core::{DigitPair, Digits, Split, dataset::SplitError};

#[test]
fn one_vs_eight_split_matches_the_notebook() {
    let mnist = common::mnist();
    assert_eq!(mnist.len(), 60_000);
    let split = common::split();
    assert_eq!(split.train.len(), 10_593);
    assert_eq!(split.test.len(), 2_000);
    assert_eq!(split.train.pixels.len(), 10_593 * 784);
    // Test: the first 1000 eights (class 0) then the first 1000 ones (class 1).
    assert!(split.test.classes[..1000].iter().all(|&c| c == 0));
    assert!(split.test.classes[1000..].iter().all(|&c| c == 1));
    let eights = mnist.labels.iter().filter(|&&l| l == 8).count();
    assert_eq!(split.train.classes.iter().filter(|&&c| c == 0).count(), eights - 1000);
    // The first test image is the file's first 8, scaled to [0, 1].
    let first8 = mnist.labels.iter().position(|&l| l == 8).unwrap();
    let expected: Vec<f32> = mnist.image(first8).iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(split.test.bytes(0), mnist.image(first8));
    assert_eq!(split.test.image(0), expected);
}

#[test]
fn any_pair_of_distinct_digits_works() {
    let split = Split::pair(common::mnist(), "3,5".parse().unwrap()).unwrap();
    assert_eq!(split.test.len(), 2000);
    let threes = common::mnist().labels.iter().filter(|&&l| l == 3).count();
    let fives = common::mnist().labels.iter().filter(|&&l| l == 5).count();
    assert_eq!(split.train.len(), threes + fives - 2000);
}

#[test]
fn a_bad_digit_pair_is_refused() {
    let bad = DigitPair { negative: 4, positive: 4 };
    assert!(matches!(Split::pair(common::mnist(), bad), Err(SplitError::Digits(_))));
}

#[test]
fn too_few_images_of_a_digit_is_an_error() {
    let tiny = filterlab_core::Mnist { images: vec![0; 5 * 784], labels: vec![8, 1, 8, 1, 8] };
    let err = Split::pair(&tiny, DigitPair::default()).unwrap_err();
    assert_eq!(err, SplitError::TooFew { digit: 8, found: 3, needed: 1001 });
}

/// All ten digits: the whole train file trains, the whole t10k file tests, class k is digit k.
#[test]
fn ten_digits_take_the_standard_split() {
    let split = Split::all(common::mnist(), common::t10k()).unwrap();
    assert_eq!(split.digits, Digits::All);
    assert_eq!((split.train.len(), split.test.len()), (60_000, 10_000));
    assert_eq!(split.train.classes, common::mnist().labels);
    assert_eq!(split.test.classes, common::t10k().labels);
    // Every digit is there, in both sets (the t10k file has 1,135 ones and 892 fives).
    let count = |set: &[u8], d: u8| set.iter().filter(|&&c| c == d).count();
    assert!((0..10).all(|d| count(&split.train.classes, d) > 5000 && count(&split.test.classes, d) > 800));
    assert_eq!((count(&split.test.classes, 1), count(&split.test.classes, 5)), (1135, 892));
    // The t10k file's first image is its famous 7, scaled to [0, 1].
    assert_eq!(split.test.classes[0], 7);
    let first: Vec<f32> = common::t10k().image(0).iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(split.test.image(0), first);
}

#[test]
fn a_label_that_is_not_a_digit_is_refused() {
    let bad = filterlab_core::Mnist { images: vec![0; 2 * 784], labels: vec![3, 12] };
    assert!(matches!(Split::all(common::mnist(), &bad), Err(SplitError::Digits(_))));
}
