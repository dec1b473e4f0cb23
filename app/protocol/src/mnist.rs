//! The MNIST files: the app downloads them from `mnist/` next to the page, the CLI reads them
//! from a folder. The notebook's split (train and test) is all in the train files; the ten-digit
//! task tests on the t10k files (the standard split), which are downloaded only for it.

pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";
/// Where the page keeps them, relative to itself.
pub const FOLDER: &str = "mnist/";

/// Side of one MNIST image.
pub const SIDE: usize = 28;
/// Pixels in one MNIST image.
pub const PIXELS: usize = SIDE * SIDE;
