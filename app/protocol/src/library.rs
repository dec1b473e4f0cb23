//! The run library's records: every run the browser keeps, as stored in IndexedDB. A record
//! holds everything the run list shows and the charts overlay; its model file (`.flab`) is
//! stored apart under the same id and read only when the run is opened, so listing the library
//! reads no model file.

use serde::{Deserialize, Serialize};

use crate::{
    messages::{DeviceKind, EpochRow},
    model_file::ModelFile,
    record::TrainingRecord,
    reports::BatchLoss,
    settings::Settings,
};

/// The record layout this build writes; a record of a later one is skipped with a notice (a newer
/// page wrote it), never rewritten.
pub const RECORD_VERSION: u32 = 1;

/// One kept run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub version: u32,
    /// Unique across tabs and browsers: the start time and the tab that started it.
    pub id: String,
    /// Its number in this library's list ("#3"), in the order runs were started.
    pub number: u32,
    /// What the user calls it (a description of its settings until renamed).
    pub label: String,
    /// The run it was continued from, when it was opened from the library and trained further.
    pub parent: Option<String>,
    /// Milliseconds since 1970: when it started, and when it was last written.
    pub started_ms: f64,
    pub updated_ms: f64,
    pub device: Option<DeviceKind>,
    /// The settings of its latest stretch of training (none for a model kept from before runs
    /// were recorded, without settings in its file).
    pub settings: Option<Settings>,
    /// Every finished epoch, oldest first.
    pub history: Vec<EpochRow>,
    /// Its reported steps' losses (the per-batch curve).
    pub batches: Vec<BatchLoss>,
    /// The size of its model file.
    pub file_bytes: usize,
}

impl RunRecord {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records always serialise")
    }

    /// Reads a stored record, or says why it cannot be used.
    pub fn from_json(json: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let Version { version } = serde_json::from_str(json).map_err(|e| format!("it is damaged ({e})"))?;
        if version > RECORD_VERSION {
            return Err(format!("it was written by a newer Filterlab (record version {version}; this page reads up to {RECORD_VERSION})"));
        }
        let record: Self = serde_json::from_str(json).map_err(|e| format!("it is damaged ({e})"))?;
        if record.history.iter().enumerate().any(|(i, r)| r.epoch != i + 1) {
            return Err("it is damaged (its epochs are not numbered 1, 2, 3…)".into());
        }
        Ok(record)
    }

    /// A record for a model file kept before the library existed (or imported whole): its settings
    /// and history come from the file's training record.
    pub fn from_model_file(bytes: &[u8], id: String, number: u32, now_ms: f64) -> Result<Self, String> {
        let file = ModelFile::from_bytes(bytes).map_err(|e| e.to_string())?;
        let record = TrainingRecord::from_json(&file.record)?;
        let shape = file.weights.shape;
        let settings = record.settings.map(|s| Settings { shape, digits: file.digits, ..s });
        let label = match &settings {
            Some(s) => describe(s),
            None => format!("{}, {}", file.digits.describe(), shape.knobs()),
        };
        Ok(Self {
            version: RECORD_VERSION,
            id,
            number,
            label,
            parent: None,
            started_ms: now_ms,
            updated_ms: now_ms,
            device: None,
            settings,
            history: record.history,
            batches: Vec::new(),
            file_bytes: bytes.len(),
        })
    }

    /// The epoch table as CSV, one row per epoch (for a lab report, pandas or matplotlib).
    pub fn epochs_csv(&self) -> String {
        let mut csv = String::from("epoch,optimizer,train_loss,train_acc,test_loss,test_acc,seconds,dispatches_per_step,my_digits_acc\n");
        for r in &self.history {
            let dispatches = r.dispatches_per_step.map(|d| d.to_string()).unwrap_or_default();
            let mine = r.my_acc.map(|a| a.to_string()).unwrap_or_default();
            csv += &format!("{},{},{},{},{},{},{},{dispatches},{mine}\n", r.epoch, r.optimizer, r.train_loss, r.train_acc, r.test_loss, r.test_acc, r.seconds);
        }
        csv
    }

    /// The per-batch loss curve as CSV: `epoch` is fractional (1.5 is half-way through the 2nd);
    /// the gradient's norms where they were reported.
    pub fn curve_csv(&self) -> String {
        let mut csv = String::from("epoch,batch_loss,conv_grad_norm,fc_grad_norm\n");
        for b in &self.batches {
            let (conv, fc) = b.gradient.map(|g| (g.conv.to_string(), g.fc.to_string())).unwrap_or_default();
            csv += &format!("{},{},{conv},{fc}\n", b.at, b.loss);
        }
        csv
    }

    /// Its latest test accuracy.
    pub fn test_acc(&self) -> Option<f32> {
        self.history.last().map(|r| r.test_acc)
    }
}

/// A run's settings in a few words: "Adam lr 0.01 seed 42 8,1, 8 filters 3×3, pool 7".
pub fn describe(s: &Settings) -> String {
    let digits = if s.digits == crate::Digits::All { "0–9".to_string() } else { s.digits.to_string() };
    let mine = if s.my_digits { " + my digits" } else { "" };
    format!("{} lr {} seed {} {digits}{mine}, {}", s.optimizer, s.lr, s.seed, s.shape.knobs())
}
