//! The notebook's split on the real MNIST train file.

mod common;

use filterlab_core::{DigitPair, Split, dataset::SplitError};

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
    assert_eq!(&split.test.pixels[..784], &expected[..]);
    assert!(split.train.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
}

#[test]
fn any_pair_of_distinct_digits_works() {
    let split = Split::new(common::mnist(), "3,5".parse().unwrap()).unwrap();
    assert_eq!(split.test.len(), 2000);
    let threes = common::mnist().labels.iter().filter(|&&l| l == 3).count();
    let fives = common::mnist().labels.iter().filter(|&&l| l == 5).count();
    assert_eq!(split.train.len(), threes + fives - 2000);
}

#[test]
fn a_bad_digit_pair_is_refused() {
    let bad = DigitPair { negative: 4, positive: 4 };
    assert!(matches!(Split::new(common::mnist(), bad), Err(SplitError::Digits(_))));
}

#[test]
fn too_few_images_of_a_digit_is_an_error() {
    let tiny = filterlab_core::Mnist { images: vec![0; 5 * 784], labels: vec![8, 1, 8, 1, 8] };
    let err = Split::new(&tiny, DigitPair::default()).unwrap_err();
    assert_eq!(err, SplitError::TooFew { digit: 8, found: 3, needed: 1001 });
}
