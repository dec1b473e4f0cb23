//! What a saved model went through: the settings it was trained with and its metric history.
//! Stored as JSON in the `.flab` file's training record (see `filterlab_core::weights`).

use serde::{Deserialize, Serialize};

use crate::{EpochRow, Settings};

/// The largest model file the app accepts (the page checks before reading, the core again): the
/// weights take 1.4 KB, a long history a few hundred KB.
pub const MAX_MODEL_FILE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The settings of the latest run (none for a model that was never trained here).
    pub settings: Option<Settings>,
    /// Every finished epoch, oldest first.
    pub history: Vec<EpochRow>,
}

impl TrainingRecord {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records always serialise")
    }

    /// Reads a record; an empty text (a version-1 file, or one written without a record) is an
    /// empty record.
    pub fn from_json(json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self { settings: None, history: Vec::new() });
        }
        let record: Self = serde_json::from_str(json).map_err(|e| format!("its training record is malformed: {e}"))?;
        if let Some(s) = &record.settings {
            s.validate().map_err(|e| format!("its training record holds bad settings: {e}"))?;
        }
        if record.history.iter().enumerate().any(|(i, r)| r.epoch != i + 1) {
            return Err("its training record's epochs are not numbered 1, 2, 3…".into());
        }
        Ok(record)
    }
}
