//! Why a message's work ended early, and the one place that says what the page is told.

use filterlab_core::training::TrainError;
use filterlab_protocol::{DeviceKind, FromWorker, ModelSource};

use crate::{device, post};

/// A later Train, Stop, Reset, import, filter edit or device switch took over from the task that
/// checked: its results are no longer the current model's.
#[derive(Debug)]
pub struct Superseded;

#[derive(Debug)]
pub enum WorkerError {
    /// Taken over before the page was told anything: the task ends without a word.
    Superseded,
    /// Taken over in a run the page was told had started: it is told the run stopped.
    Stopped,
    /// Training failed on this device.
    Training(TrainError, DeviceKind),
    /// A model file that cannot become the current model; the current one is untouched.
    ImportRefused(ModelSource, String),
    /// Anything else that cannot be done: the reason, for the page's error line.
    Failed(String),
}

impl From<Superseded> for WorkerError {
    fn from(_: Superseded) -> Self {
        Self::Superseded
    }
}

impl From<String> for WorkerError {
    fn from(reason: String) -> Self {
        Self::Failed(reason)
    }
}

impl From<&str> for WorkerError {
    fn from(reason: &str) -> Self {
        Self::Failed(reason.into())
    }
}

impl WorkerError {
    /// Within a run the page knows of, being taken over means it stopped.
    pub fn in_run(self) -> Self {
        match self {
            Self::Superseded => Self::Stopped,
            other => other,
        }
    }

    /// What the page is told, if anything.
    pub fn message(self) -> Option<FromWorker> {
        Some(match self {
            Self::Superseded => return None,
            Self::Stopped => FromWorker::Stopped,
            // On WebGPU the device is gone for this worker (a lost device does not come back), so
            // the page offers to go on on the CPU.
            Self::Training(TrainError::Device(why), DeviceKind::WebGpu) => {
                device::forget();
                let reason = device::lost_reason().map(|r| format!(" (the browser says: {r})")).unwrap_or_default();
                FromWorker::DeviceLost {
                    message: format!("the GPU device failed or was lost: {why}{reason}. Training stopped; the model of the last reported step is kept."),
                }
            }
            Self::Training(TrainError::Device(why), DeviceKind::Cpu) => FromWorker::Error { message: format!("the CPU backend failed: {why}") },
            Self::Training(diverged @ (TrainError::NotFinite { .. } | TrainError::WeightsNotFinite { .. }), _) => {
                FromWorker::Error { message: format!("{diverged}; the last good model is kept") }
            }
            Self::Training(other, _) => FromWorker::Error { message: other.to_string() },
            Self::ImportRefused(source, reason) => FromWorker::ImportRefused { source, reason },
            Self::Failed(message) => FromWorker::Error { message },
        })
    }

    /// Tells the page.
    pub fn post(self) {
        if let Some(message) = self.message() {
            post(&message);
        }
    }
}
