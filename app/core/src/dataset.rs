//! The notebook's two-digit data set: MNIST train file → (train, test) split for one digit pair.

use crate::idx::{self, IdxError, PIXELS};

/// Names of the MNIST files the app serves from `public/mnist/`.
pub use filterlab_protocol::mnist::{TRAIN_IMAGES, TRAIN_LABELS};

/// Images of each class held out for the test set, as in the notebook.
pub const TEST_PER_CLASS: usize = 1000;

/// A whole MNIST file pair: `labels.len()` images of 28×28 bytes.
#[derive(Debug, Clone)]
pub struct Mnist {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Mnist {
    /// Parses an images file and a labels file (gzip or raw) and checks they agree.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        let images = idx::parse_images(TRAIN_IMAGES, images)?;
        let labels = idx::parse_labels(TRAIN_LABELS, labels)?;
        if images.len() / PIXELS != labels.len() {
            return Err(IdxError::CountMismatch { images: images.len() / PIXELS, labels: labels.len() });
        }
        Ok(Self { images, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }
}

pub use filterlab_protocol::DigitPair;
use filterlab_protocol::DigitError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error(transparent)]
    Digits(#[from] DigitError),
    #[error("digit {digit} has {found} images, at least {needed} are needed")]
    TooFew { digit: u8, found: usize, needed: usize },
}

/// Images as floats in [0, 1] (pixel / 255), row-major `len × 784`, with class labels 0/1.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub pixels: Vec<f32>,
    pub classes: Vec<u8>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    fn push(&mut self, image: &[u8], class: u8) {
        self.pixels.extend(image.iter().map(|&p| p as f32 / 255.0));
        self.classes.push(class);
    }
}

/// The notebook's split: per class in file order, the first 1000 images test, the rest train;
/// each set holds all of class 0 then all of class 1.
#[derive(Debug, Clone)]
pub struct Split {
    pub pair: DigitPair,
    pub train: Samples,
    pub test: Samples,
}

impl Split {
    pub fn new(mnist: &Mnist, pair: DigitPair) -> Result<Self, SplitError> {
        let pair = DigitPair::new(pair.negative, pair.positive)?;
        let (mut train, mut test) = (Samples::default(), Samples::default());
        for class in 0..2u8 {
            let digit = pair.digit(class as usize);
            let indices: Vec<usize> = (0..mnist.len()).filter(|&i| mnist.labels[i] == digit).collect();
            if indices.len() <= TEST_PER_CLASS {
                return Err(SplitError::TooFew { digit, found: indices.len(), needed: TEST_PER_CLASS + 1 });
            }
            for (k, &i) in indices.iter().enumerate() {
                let set = if k < TEST_PER_CLASS { &mut test } else { &mut train };
                set.push(mnist.image(i), class);
            }
        }
        Ok(Self { pair, train, test })
    }
}
