//! What the page and the training worker say to each other, and the settings they agree on.
//! Plain data with serde, no Burn and no browser, so both sides (and native tests) share it; and
//! the model file format, which the browser tests write too.

pub mod adapter;
pub mod idx;
pub mod insight;
pub mod library;
pub mod library_file;
pub mod messages;
pub mod mnist;
pub mod my_digits;
pub mod model_file;
pub mod model_link;
pub mod notebook_file;
mod pickle_globals;
pub mod record;
pub mod reports;
pub mod settings;
pub mod shape;
pub mod weights;
pub mod worked;

pub use messages::{DeviceKind, DevicePref, EpochRow, FromWorker, GpuMemory, ModelSource, ToWorker, UnknownDevice};
pub use insight::{Confusion, Example, Explanation};
pub use record::{MAX_MODEL_FILE_BYTES, TrainingRecord};
pub use library::{RECORD_VERSION, RunRecord};
pub use library_file::{KeptRun, Library};
pub use reports::{BatchLoss, ConfusionMatrix, GradientNorms, DeviceInfo, ExampleSet, Filters, Memory, Prediction, Preview, Progress};
pub use settings::{DigitError, DigitPair, Digits, Ops, OptimizerKind, Settings, SettingsError};
pub use model_file::{ModelFile, ModelFileError};
pub use shape::{NetShape, ParamInfo, ShapeError};
pub use weights::Weights;
pub use worked::{MapCell, PoolStep, WorkedStep};
pub use my_digits::{MyDigit, MyScore};
