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
    pub logits: [f32; 2],
}

/// Test images by actual class (row) and predicted class (column).
pub type Confusion = [[u32; 2]; 2];

/// One test image in a confusion-matrix cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Its index in the test set.
    pub index: usize,
    pub image: Vec<f32>,
    pub probabilities: [f32; 2],
}

/// The confusion matrix of `classes` (0 or 1) against the predicted class of each probability pair.
pub fn confusion(classes: &[u8], probabilities: &[[f32; 2]]) -> Confusion {
    let mut m = [[0; 2]; 2];
    for (&actual, p) in classes.iter().zip(probabilities) {
        m[actual as usize][predicted(p)] += 1;
    }
    m
}

/// The class a probability pair picks (class 0 on a tie, as argmax does).
pub fn predicted(p: &[f32; 2]) -> usize {
    usize::from(p[1] > p[0])
}

/// Indices of the samples in cell (`actual`, `predicted`), least sure of the actual class first:
/// in the diagonal cells the near-misses lead, in the others the worst mistakes.
pub fn cell(classes: &[u8], probabilities: &[[f32; 2]], actual: usize, predicted_class: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..classes.len())
        .filter(|&i| classes[i] as usize == actual && predicted(&probabilities[i]) == predicted_class)
        .collect();
    idx.sort_by(|&a, &b| probabilities[a][actual].total_cmp(&probabilities[b][actual]));
    idx
}
