//! The user's kept digits as data: the ones of a task as samples (to score a model on), and a
//! task's split with them added for "train on my digits too", each as drawn and shifted one pixel
//! up, down, left and right (`COPIES` in all), so a few drawings weigh a little more and the
//! network sees them at more than one position.

use burn::prelude::*;
use filterlab_protocol::{
    Digits, MyDigit, MyScore, insight,
    idx::SIDE,
    my_digits::{COPIES, used_by},
};

use crate::{
    Model,
    dataset::{Samples, Split},
    explain,
    training::TrainError,
};

/// The model's score on the set's digits of its task (`digits`).
pub async fn score(model: &Model, set: &[MyDigit], digits: Digits, device: &Device) -> Result<MyScore, TrainError> {
    let samples = samples(set, digits);
    let probabilities = explain::probabilities(model, &samples, device).await?;
    let matrix = insight::confusion(digits.classes(), &samples.classes, &probabilities);
    Ok(MyScore { digits, matrix, unused: used_by(set, digits).1 })
}

/// The task's digits of the set, as drawn, with their classes; the others are left out.
pub fn samples(set: &[MyDigit], digits: Digits) -> Samples {
    let mut samples = Samples::default();
    for d in set {
        if let Some(class) = digits.class_of(d.digit) {
            samples.push(&d.pixels, class as u8);
        }
    }
    samples
}

/// The split with the task's digits of the set added to its training images, `COPIES` each;
/// and how many of the set were used. The test set stays MNIST's.
pub fn with_my_digits(split: &Split, set: &[MyDigit]) -> (Split, usize) {
    let used = used_by(set, split.digits).0;
    if used == 0 {
        return (split.clone(), 0);
    }
    // One allocation of the final size: the ten-digit task's 60,000 images are 47 MB.
    let added = COPIES * used;
    let mut train = Samples { pixels: Vec::with_capacity(split.train.pixels.len() + added * SIDE * SIDE), classes: Vec::with_capacity(split.train.len() + added) };
    train.pixels.extend_from_slice(&split.train.pixels);
    train.classes.extend_from_slice(&split.train.classes);
    for d in set {
        let Some(class) = split.digits.class_of(d.digit) else { continue };
        for (dr, dc) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)] {
            train.push(&shifted(&d.pixels, dr, dc), class as u8);
        }
    }
    debug_assert_eq!(train.len(), split.train.len() + COPIES * used);
    (Split { digits: split.digits, train, test: split.test.clone() }, used)
}

/// The image moved `dr` rows down and `dc` columns right; what comes in is paper.
pub fn shifted(pixels: &[u8], dr: isize, dc: isize) -> Vec<u8> {
    let mut out = vec![0u8; SIDE * SIDE];
    for r in 0..SIDE as isize {
        for c in 0..SIDE as isize {
            let (from_r, from_c) = (r - dr, c - dc);
            if (0..SIDE as isize).contains(&from_r) && (0..SIDE as isize).contains(&from_c) {
                out[(r * SIDE as isize + c) as usize] = pixels[(from_r * SIDE as isize + from_c) as usize];
            }
        }
    }
    out
}
