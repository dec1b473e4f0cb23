//! The real MNIST files from `public/mnist/`, parsed once per test binary.

use std::sync::OnceLock;

use filterlab_core::{
    DigitPair, Mnist, Split,
    dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS},
};

fn read(name: &str) -> Vec<u8> {
    // Read at run time: a build shared between clones (one target dir) must not bake in a path.
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test");
    let dir = std::path::Path::new(&root).join("../../public/mnist");
    std::fs::read(dir.join(name)).expect("public/mnist holds the MNIST files")
}

/// The train file.
pub fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::from_idx(&read(TRAIN_IMAGES), &read(TRAIN_LABELS)).unwrap())
}

/// The t10k file (the ten-digit task's test set).
#[allow(dead_code)]
pub fn t10k() -> &'static Mnist {
    static T10K: OnceLock<Mnist> = OnceLock::new();
    T10K.get_or_init(|| Mnist::test_from_idx(&read(TEST_IMAGES), &read(TEST_LABELS)).unwrap())
}

#[allow(dead_code)]
pub fn split() -> &'static Split {
    static SPLIT: OnceLock<Split> = OnceLock::new();
    SPLIT.get_or_init(|| Split::pair(mnist(), DigitPair::default()).unwrap())
}
