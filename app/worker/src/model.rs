//! The current model, from outside a run: a model file made current, a filter set by hand, a
//! drawing read, and the test set's confusion matrix and its cells.

use filterlab_core::{drawing, explain, model_file::ModelFile, my_digits, worked};
use filterlab_protocol::{ConfusionMatrix, Example, ExampleSet, FromWorker, MapCell, ModelSource, Prediction, TrainingRecord, insight};

use crate::{
    error::WorkerError,
    post,
    session::{Checkpoint, Session},
};

impl Session {
    /// Makes a model file the current model, or says why not (the current model is then untouched).
    pub fn import(&self, bytes: &[u8], source: ModelSource) -> Result<(), WorkerError> {
        let refuse = |reason: String| WorkerError::ImportRefused(source.clone(), reason);
        let file = ModelFile::from_bytes(bytes).map_err(|e| refuse(e.to_string()))?;
        let shape = file.weights.shape;
        let mut record = TrainingRecord::from_json(&file.record).map_err(|e| refuse(format!("the model file is not usable: {e}")))?;
        // The weights' shape is the model's, whatever the record says (older records have none).
        if let Some(settings) = record.settings.as_mut() {
            settings.shape = shape;
        }
        let (device, _) = self.device().map_err(|_| refuse("no device yet: wait for the device badge".into()))?;
        // Stops a run in progress: its model is being replaced.
        self.begin();
        self.with(|s| {
            s.settings = record.settings.clone();
            s.history = record.history.clone();
        });
        post(&FromWorker::Restored { source, digits: file.digits, shape, settings: record.settings, history: record.history });
        // The page keeps it (and stores it) like any checkpoint: Export then hands out this model.
        self.publish(&file.weights, file.digits, &device, Checkpoint::Store);
        let session = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = session.post_confusion().await {
                e.post();
            }
            // What opening models costs (the library's runs, one after another).
            session.post_memory();
        });
        Ok(())
    }

    /// Sets one filter of the current model by hand: a model change, like an import (a run in
    /// progress stops; the filters, the checkpoint and the confusion matrix follow).
    pub async fn set_filter(&self, filter: usize, weights: &[f32], bias: f32) -> Result<(), WorkerError> {
        let (device, _) = self.device()?;
        // Reading the weights is asynchronous: if the model changed meanwhile (another edit, a
        // Reset, an import, a training report), read the new one, so no change is lost or undone.
        let (mut w, digits) = loop {
            let run = self.current();
            let (model, digits) = self.model().ok_or("there is no model to edit yet: train or import one")?;
            let w = model.weights().await.map_err(|e| e.to_string())?;
            if self.check(run).is_ok() {
                break (w, digits);
            }
        };
        let shape = w.shape;
        if filter >= shape.filters {
            return Err(format!("filter {filter} cannot be set: the network has {} filters", shape.filters).into());
        }
        if weights.len() != shape.taps() {
            return Err(format!("filter {filter} is {0}×{0}: it takes {1} numbers, not {2}", shape.kernel, shape.taps(), weights.len()).into());
        }
        if let Some(v) = weights.iter().chain([&bias]).find(|v| !v.is_finite()) {
            return Err(format!("a filter's weights must be numbers, not {v}").into());
        }
        w.conv_weight[filter * shape.taps()..(filter + 1) * shape.taps()].copy_from_slice(weights);
        w.conv_bias[filter] = bias;
        self.begin();
        self.publish(&w, digits, &device, Checkpoint::Store);
        post(&FromWorker::FilterSet { filter });
        self.post_confusion().await
    }

    /// Reads a drawing (`ink`: `width × height`, 0 = paper, 255 = ink) with the current model.
    pub async fn classify(&self, ink: &[u8], width: usize, height: usize) -> Result<(), WorkerError> {
        let image = match drawing::to_mnist(ink, width, height) {
            Ok(image) => image,
            Err(e) => {
                post(&FromWorker::DrawingRefused { reason: e.to_string() });
                return Ok(());
            }
        };
        // No model yet: the page still gets the image, to keep it in "My digits".
        let Some((model, digits)) = self.model() else {
            post(&FromWorker::Drawn { image });
            return Ok(());
        };
        let explanation = model.explain(&image).await.map_err(|e| e.to_string())?;
        // Softmax of the logits: the model's log-softmax, exponentiated.
        let top = explanation.logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = explanation.logits.iter().map(|l| (l - top).exp()).collect();
        let probabilities = e.iter().map(|v| v / e.iter().sum::<f32>()).collect();
        post(&FromWorker::Prediction(Prediction { digits, probabilities, image, explanation }));
        Ok(())
    }

    /// Works out one feature-map cell of a drawing's image with the current model.
    pub async fn work(&self, image: &[f32], cell: MapCell) -> Result<(), WorkerError> {
        let (model, _) = self.model().ok_or("train the model first, then draw")?;
        let w = model.weights().await.map_err(|e| e.to_string())?;
        post(&FromWorker::Worked(worked::worked(&w, image, cell).map_err(|e| e.to_string())?));
        Ok(())
    }

    /// The current model's confusion matrix on its digits' test set, kept for `examples`.
    pub async fn post_confusion(&self) -> Result<(), WorkerError> {
        let (Some((model, digits)), Ok((device, _))) = (self.model(), self.device()) else { return Ok(()) };
        let split = self.split(digits).await?;
        let probabilities = explain::probabilities(&model, &split.test, &device).await.map_err(|e| e.to_string())?;
        // The split may have taken a download: a model of other digits may be current by now.
        if self.model().map(|(_, d)| d) != Some(digits) {
            return Ok(());
        }
        let matrix = insight::confusion(digits.classes(), &split.test.classes, &probabilities);
        let epochs = self.with(|s| {
            s.test_probabilities = Some((split.clone(), probabilities));
            s.history.len()
        });
        post(&FromWorker::Confusion(ConfusionMatrix { digits, epochs, matrix }));
        self.post_my_score().await
    }

    /// The current model's score on the user's kept digits of its task.
    pub async fn post_my_score(&self) -> Result<(), WorkerError> {
        let run = self.current();
        let (Some((model, digits)), Ok((device, _))) = (self.model(), self.device()) else { return Ok(()) };
        let set = self.with(|s| s.my_digits.clone());
        let score = my_digits::score(&model, &set, digits, &device).await.map_err(|e| e.to_string())?;
        // Another model, or another set, may have come meanwhile: its own score follows it.
        if self.check(run).is_ok() && self.with(|s| std::rc::Rc::ptr_eq(&s.my_digits, &set)) {
            post(&FromWorker::MyScore(score));
        }
        Ok(())
    }

    /// The test images in one confusion-matrix cell, the least sure first (at most 32).
    pub fn examples(&self, actual: usize, predicted: usize) -> Result<(), WorkerError> {
        const MOST: usize = 32;
        let (split, probabilities) = self.with(|s| s.test_probabilities.clone()).ok_or("no confusion matrix yet: train or import a model")?;
        let classes = split.digits.classes();
        if actual >= classes || predicted >= classes {
            return Err(format!("the confusion matrix has {classes} classes, no cell ({actual}, {predicted})").into());
        }
        let indices = insight::cell(&split.test.classes, &probabilities, actual, predicted);
        let examples = indices
            .iter()
            .take(MOST)
            .map(|&index| Example { index, image: split.test.image(index), probabilities: probabilities[index].clone() })
            .collect();
        post(&FromWorker::Examples(ExampleSet { actual, predicted, total: indices.len(), examples }));
        Ok(())
    }
}
