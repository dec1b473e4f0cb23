//! The model taken apart for the page's pictures: every intermediate for one image, and the
//! test set's probabilities for the confusion matrix.

use burn::{prelude::*, tensor::Transaction};
use filterlab_protocol::Explanation;

use crate::{
    Model,
    dataset::Samples,
    idx::{PIXELS, SIDE},
    training::TrainError,
};

impl Model {
    /// The conv outputs, pooled maps and per-class contributions for one 28×28 image.
    pub async fn explain(&self, image: &[f32]) -> Result<Explanation, TrainError> {
        let device = self.conv1.weight.val().device();
        let input = Tensor::<4>::from_data(TensorData::new(image.to_vec(), [1, 1, SIDE, SIDE]), &device);
        let conv = self.conv1.forward(input); // [1, filters, 28, 28]
        let pooled = self.pool.forward(conv.clone()); // [1, filters, 28/pool, 28/pool]
        let tx = Transaction::default().register(conv).register(pooled);
        let mut data = self.register_weights(tx).execute_async().await?;
        let weights = self.weights_from_data(data.split_off(2));
        let (classes, fc_in) = (weights.shape.classes, weights.shape.fc_in());
        let mut values = data.into_iter().map(|d| d.convert::<f32>().try_into_vec::<f32>().unwrap());
        let (conv, pooled) = (values.next().unwrap(), values.next().unwrap());
        // fc_weight is PyTorch's [classes, fc_in]: row c weighs the pooled values towards class c.
        let contributions: Vec<f32> = (0..classes).flat_map(|c| (0..fc_in).map(move |i| (c, i))).map(|(c, i)| pooled[i] * weights.fc_weight[c * fc_in + i]).collect();
        let logit = |c: usize| contributions[c * fc_in..(c + 1) * fc_in].iter().sum::<f32>() + weights.fc_bias[c];
        let logits = (0..classes).map(logit).collect();
        Ok(Explanation { shape: weights.shape, conv, pooled, contributions, logits })
    }
}

/// Each sample's class probabilities, in order (one read for the whole test set).
pub async fn probabilities(model: &Model, samples: &Samples, device: &Device) -> Result<Vec<Vec<f32>>, TrainError> {
    let classes = model.shape().classes;
    const CHUNK: usize = 500;
    let mut tx = Transaction::default();
    for start in (0..samples.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(samples.len());
        let pixels = samples.floats(start..end);
        let images = Tensor::<2>::from_data(TensorData::new(pixels, [end - start, PIXELS]), device);
        tx = tx.register(model.forward_flat(images).exp());
    }
    let chunks = tx.execute_async().await?;
    Ok(chunks
        .into_iter()
        .flat_map(|d| d.convert::<f32>().try_into_vec::<f32>().unwrap())
        .collect::<Vec<f32>>()
        .chunks_exact(classes)
        .map(<[f32]>::to_vec)
        .collect())
}
