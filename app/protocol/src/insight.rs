//! What the page shows to explain the model: the intermediates for one image, the test set's
//! confusion matrix and the test images in one of its cells.

use serde::{Deserialize, Serialize};

use crate::shape::NetShape;

/// Everything the model computes for one 28×28 image, for the feature-map view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The network that computed it: the sizes below follow from it.
    pub shape: NetShape,
    /// The conv outputs, `[filters, 28, 28]` row-major (`[8, 28, 28]` for the notebook's).
    pub conv: Vec<f32>,
    /// The pooled maps, `[filters, side, side]`: the `fc_in` inputs of the linear layer.
    pub pooled: Vec<f32>,
    /// `[classes, fc_in]`: each pooled value times its weight towards each class (what pushed
    /// the decision); a class's logit is its row's sum plus its bias.
    pub contributions: Vec<f32>,
    /// One per class.
    pub logits: Vec<f32>,
}

/// Test images by actual class (row) and predicted class (column): classes × classes.
pub type Confusion = Vec<Vec<u32>>;

/// One test image in a confusion-matrix cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Its index in the test set.
    pub index: usize,
    pub image: Vec<f32>,
    /// One per class.
    pub probabilities: Vec<f32>,
}

/// The confusion matrix of `classes` (class indices below `n`) against the class each sample's
/// probabilities pick.
pub fn confusion(n: usize, classes: &[u8], probabilities: &[Vec<f32>]) -> Confusion {
    let mut m = vec![vec![0; n]; n];
    for (&actual, p) in classes.iter().zip(probabilities) {
        m[actual as usize][predicted(p)] += 1;
    }
    m
}

/// Each class's share of its test images read right (the diagonal over the row sums; 0 for a
/// class with no images).
pub fn per_class_accuracy(m: &Confusion) -> Vec<f32> {
    m.iter().enumerate().map(|(c, row)| row[c] as f32 / row.iter().sum::<u32>().max(1) as f32).collect()
}

/// The class probabilities pick: the first of the largest, as argmax does.
pub fn predicted(p: &[f32]) -> usize {
    p.iter().enumerate().fold(0, |best, (c, &v)| if v > p[best] { c } else { best })
}

/// Indices of the samples in cell (`actual`, `predicted`), least sure of the actual class first:
/// in the diagonal cells the near-misses lead, in the others the worst mistakes.
pub fn cell(classes: &[u8], probabilities: &[Vec<f32>], actual: usize, predicted_class: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..classes.len())
        .filter(|&i| classes[i] as usize == actual && predicted(&probabilities[i]) == predicted_class)
        .collect();
    idx.sort_by(|&a, &b| probabilities[a][actual].total_cmp(&probabilities[b][actual]));
    idx
}
