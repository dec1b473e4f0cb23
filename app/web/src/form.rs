//! The training form: its raw text, parsed into settings only when every field is valid, and
//! kept in the page's address so a link reproduces a run's setup.

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

    /// The form as the address says (`?optimizer=adam&lr=0.01&epochs=5&batch=64&seed=7&digits=3,5`):
    /// a shared link reproduces a run's setup. Missing keys keep the defaults.
    pub fn from_query(query: &str) -> Self {
        let mut form = Self::default();
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else { return form };
        let get = |key: &str| params.get(key);
        if let Some(o) = get("optimizer").and_then(|o| o.parse().ok()) {
            form.optimizer = o;
        }
        for (key, field) in [("lr", &mut form.lr), ("epochs", &mut form.epochs), ("batch", &mut form.batch_size), ("seed", &mut form.seed), ("digits", &mut form.digits)] {
            if let Some(v) = get(key) {
                *field = v;
            }
        }
        form
    }

    /// Whether the address names any setting (then it wins over a restored model's settings).
    pub fn in_query(query: &str) -> bool {
        web_sys::UrlSearchParams::new_with_str(query)
            .map(|p| ["optimizer", "lr", "epochs", "batch", "seed", "digits"].iter().any(|k| p.has(k)))
            .unwrap_or(false)
    }

    /// `query` with this form's settings in it (other keys, such as `device`, kept).
    pub fn to_query(&self, query: &str) -> String {
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else { return query.to_string() };
        params.set("optimizer", &self.optimizer.to_string().to_lowercase());
        for (key, value) in [("lr", &self.lr), ("epochs", &self.epochs), ("batch", &self.batch_size), ("seed", &self.seed), ("digits", &self.digits)] {
            params.set(key, value.trim());
        }
        format!("?{}", String::from(params.to_string()))
    }

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
