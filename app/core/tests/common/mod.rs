//! The real MNIST train files from `public/mnist/`, parsed once per test binary.

use std::sync::OnceLock;

use filterlab_core::{
    DigitPair, Mnist, Split,
    dataset::{TRAIN_IMAGES, TRAIN_LABELS},
};

pub fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| {
        // Read at run time: a build shared between clones (one target dir) must not bake in a path.
        let root = std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test");
        let dir = std::path::Path::new(&root).join("../../public/mnist");
        let read = |name| std::fs::read(dir.join(name)).expect("public/mnist holds the MNIST files");
        Mnist::from_idx(&read(TRAIN_IMAGES), &read(TRAIN_LABELS)).unwrap()
    })
}

#[allow(dead_code)]
pub fn split() -> &'static Split {
    static SPLIT: OnceLock<Split> = OnceLock::new();
    SPLIT.get_or_init(|| Split::new(mnist(), DigitPair::default()).unwrap())
}
