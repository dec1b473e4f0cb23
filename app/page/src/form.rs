//! The training form: its raw text, parsed into settings only when every field is valid (the
//! address module reads it from and writes it to the page's address).

use filterlab_protocol::{OptimizerKind, Settings};

/// The form's raw text, parsed into settings only when every field is valid.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub optimizer: OptimizerKind,
    pub lr: String,
    pub epochs: String,
    pub batch_size: String,
    pub seed: String,
    pub digits: String,
}

impl Default for Form {
    fn default() -> Self {
        Self::from_settings(&Settings::default())
    }
}

impl Form {
    /// The form showing these settings (a restored model's).
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            optimizer: s.optimizer,
            lr: s.lr.to_string(),
            epochs: s.epochs.to_string(),
            batch_size: s.batch_size.to_string(),
            seed: s.seed.to_string(),
            digits: s.digits.to_string(),
        }
    }

    /// The settings, when every field is valid; else what is wrong, in words.
    pub fn settings(&self) -> Result<Settings, String> {
        let number = |name: &str, text: &str| text.trim().parse::<f64>().map_err(|_| format!("{name}: {text:?} is not a number"));
        let whole = |name: &str, text: &str| text.trim().parse::<u64>().map_err(|_| format!("{name}: {text:?} is not a whole number"));
        let settings = Settings {
            optimizer: self.optimizer,
            lr: number("learning rate", &self.lr)?,
            epochs: whole("epochs", &self.epochs)? as usize,
            batch_size: whole("batch size", &self.batch_size)? as usize,
            seed: whole("seed", &self.seed)?,
            digits: self.digits.parse().map_err(|e| format!("digits: {e}"))?,
        };
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }
}
