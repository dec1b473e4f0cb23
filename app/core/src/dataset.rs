//! The data sets: the notebook's digit pair (MNIST train file → train and test split) and all ten
//! digits (the standard split: train file, t10k file).

use crate::idx::{self, IdxError, PIXELS};

/// Names of the MNIST files the app serves from `public/mnist/`.
pub use filterlab_protocol::mnist::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};

/// Images of each class held out for the test set, as in the notebook.
pub const TEST_PER_CLASS: usize = 1000;

/// A whole MNIST file pair: `labels.len()` images of 28×28 bytes.
#[derive(Debug, Clone)]
pub struct Mnist {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Mnist {
    /// Parses the train images file and labels file (gzip or raw) and checks they agree.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        Self::parse([TRAIN_IMAGES, TRAIN_LABELS], images, labels)
    }

    /// The same for the t10k (test) files.
    pub fn test_from_idx(images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        Self::parse([TEST_IMAGES, TEST_LABELS], images, labels)
    }

    fn parse([images_name, labels_name]: [&str; 2], images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        let images = idx::parse_images(images_name, images)?;
        let labels = idx::parse_labels(labels_name, labels)?;
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

pub use filterlab_protocol::{DigitPair, Digits};
use filterlab_protocol::DigitError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error(transparent)]
    Digits(#[from] DigitError),
    #[error("digit {digit} has {found} images, at least {needed} are needed")]
    TooFew { digit: u8, found: usize, needed: usize },
}

/// Images as MNIST's bytes, row-major `len × 784`, with class indices. Bytes, not floats: all
/// ten digits' 60,000 images are 47 MB so, four times less; the network sees [`intensity`],
/// widened where it reads them.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub pixels: Vec<u8>,
    pub classes: Vec<u8>,
}

/// What the network sees of a pixel: a float in [0, 1], the byte / 255 (torchvision's `ToTensor`).
#[inline]
pub fn intensity(pixel: u8) -> f32 {
    pixel as f32 / 255.0
}

/// Pixels in a word of [`Samples::packed`].
pub const PER_WORD: usize = 4;
/// Words an image takes in [`Samples::packed`].
pub const WORDS: usize = PIXELS / PER_WORD;

impl Samples {
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn push(&mut self, image: &[u8], class: u8) {
        self.pixels.extend_from_slice(image);
        self.classes.push(class);
    }

    /// Image `i`'s bytes.
    pub fn bytes(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Image `i` as the network sees it.
    pub fn image(&self, i: usize) -> Vec<f32> {
        self.bytes(i).iter().map(|&p| intensity(p)).collect()
    }

    /// Images `range` as the network sees them, one after another.
    pub fn floats(&self, range: std::ops::Range<usize>) -> Vec<f32> {
        self.pixels[range.start * PIXELS..range.end * PIXELS].iter().map(|&p| intensity(p)).collect()
    }

    /// The images four pixels to a word, little-endian (pixel `4w + b` in bits `8b..8b + 8` of
    /// word `w`), as the fused step reads them: GPU buffers hold 32-bit words, not bytes.
    pub fn packed(&self) -> Vec<i32> {
        self.pixels.chunks_exact(PER_WORD).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }
}

/// Widens one packed image (`WORDS` words of [`Samples::packed`]) into what the network sees.
#[inline]
pub fn unpack(words: &[i32], image: &mut [f32; PIXELS]) {
    for (pixels, word) in image.chunks_exact_mut(PER_WORD).zip(words) {
        for (pixel, byte) in pixels.iter_mut().zip(word.to_le_bytes()) {
            *pixel = intensity(byte);
        }
    }
}

/// A task's training and test images.
#[derive(Debug, Clone)]
pub struct Split {
    pub digits: Digits,
    pub train: Samples,
    pub test: Samples,
}

impl Split {
    /// The notebook's split of a digit pair: per class in file order, the first 1000 images
    /// test, the rest train; each set holds all of class 0 then all of class 1.
    pub fn pair(mnist: &Mnist, pair: DigitPair) -> Result<Self, SplitError> {
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
        Ok(Self { digits: Digits::Pair(pair), train, test })
    }

    /// All ten digits, the standard split: every image of the train file trains, every image
    /// of the t10k file tests, in file order; class k is digit k.
    pub fn all(train_file: &Mnist, test_file: &Mnist) -> Result<Self, SplitError> {
        let samples = |mnist: &Mnist| {
            let mut set = Samples { pixels: Vec::with_capacity(mnist.images.len()), classes: Vec::with_capacity(mnist.len()) };
            for i in 0..mnist.len() {
                set.push(mnist.image(i), mnist.labels[i]);
            }
            set
        };
        if let Some(&bad) = train_file.labels.iter().chain(&test_file.labels).find(|&&l| l > 9) {
            return Err(SplitError::Digits(DigitError::NotADigit(bad)));
        }
        Ok(Self { digits: Digits::All, train: samples(train_file), test: samples(test_file) })
    }
}
