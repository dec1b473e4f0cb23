//! Filterlab's core: the MNIST "1 vs 8" notebook as pure Rust on Burn, independent of the browser
//! and of the device it runs on. The CLI and the web worker are thin shells over it.

pub mod dataset;
pub mod device;
pub mod drawing;
pub mod explain;
pub mod fused;
pub mod model;
pub mod my_digits;
pub mod optimizer;
pub mod training;
pub mod worked;
/// The network's numbers, the model file and the idx format live in the protocol crate: plain
/// data that the page and the browser tests read and write too, without Burn.
pub use filterlab_protocol::{idx, model_file, weights};

pub use dataset::{DigitPair, Digits, Mnist, Split};
pub use model::{Model, ModelConfig, NetShape};
pub use training::{EpochMetrics, Ops, OptimizerKind, Outcome, Progress, TrainConfig, Trainer};
pub use weights::Weights;

/// Burn, re-exported so the shells use exactly the core's version and features.
pub use burn;
