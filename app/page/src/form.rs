//! The training form and the network's knobs: their raw text, parsed into settings only when
//! every field is valid (the address module reads it from and writes it to the page's address).

use filterlab_protocol::{Digits, NetShape, OptimizerKind, Settings};

/// The form's raw text, parsed into settings only when every field is valid.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub optimizer: OptimizerKind,
    pub lr: String,
    pub epochs: String,
    pub batch_size: String,
    pub seed: String,
    /// The digit pair as typed ("8,1"); kept while all ten digits are chosen.
    pub digits: String,
    /// "All ten digits" instead of the pair.
    pub all_digits: bool,
    /// The network's knobs: filters is typed, kernel and pool are picked from their choices.
    pub filters: String,
    pub kernel: usize,
    pub pool: usize,
    /// Filters training leaves as they are (ticked in the filter editor).
    pub frozen: Vec<usize>,
    /// "Train on my digits too".
    pub my_digits: bool,
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
            digits: s.digits.pair().unwrap_or_default().to_string(),
            all_digits: s.digits == Digits::All,
            filters: s.shape.filters.to_string(),
            kernel: s.shape.kernel,
            pool: s.shape.pool,
            frozen: s.frozen.clone(),
            my_digits: s.my_digits,
        }
    }

    /// Shows these digits (a restored model's): the pair in its field, or all ten ticked.
    pub fn set_digits(&mut self, digits: Digits) {
        match digits {
            Digits::Pair(p) => {
                self.digits = p.to_string();
                self.all_digits = false;
            }
            Digits::All => self.all_digits = true,
        }
    }

    /// The output classes the digits choice asks for.
    pub fn classes(&self) -> usize {
        let all = self.all_digits || self.digits.parse::<Digits>() == Ok(Digits::All);
        if all { Digits::All.classes() } else { 2 }
    }

    /// Freezes or frees filter `f`.
    pub fn set_frozen(&mut self, f: usize, frozen: bool) {
        self.frozen.retain(|&g| g != f);
        if frozen {
            self.frozen.push(f);
            self.frozen.sort_unstable();
        }
    }

    /// Shows this network in the knobs (a restored model's, or the notebook's).
    pub fn set_shape(&mut self, shape: NetShape) {
        self.filters = shape.filters.to_string();
        self.kernel = shape.kernel;
        self.pool = shape.pool;
    }

    /// The network the knobs describe, when the filter count is a number (not yet checked
    /// against the limits: [`Form::settings`] does that).
    pub fn shape(&self) -> Option<NetShape> {
        let filters = self.filters.trim().parse().ok()?;
        Some(NetShape { filters, kernel: self.kernel, pool: self.pool, classes: self.classes() })
    }

    /// The settings, when every field is valid; else what is wrong, in words.
    pub fn settings(&self) -> Result<Settings, String> {
        let number = |name: &str, text: &str| text.trim().parse::<f64>().map_err(|_| format!("{name}: {text:?} is not a number"));
        let whole = |name: &str, text: &str| text.trim().parse::<u64>().map_err(|_| format!("{name}: {text:?} is not a whole number"));
        let mut settings = Settings {
            optimizer: self.optimizer,
            lr: number("learning rate", &self.lr)?,
            epochs: whole("epochs", &self.epochs)? as usize,
            batch_size: whole("batch size", &self.batch_size)? as usize,
            seed: whole("seed", &self.seed)?,
            // "all" typed in the pair's field means the same as the tick.
            digits: match self.all_digits {
                true => Digits::All,
                false => self.digits.parse().map_err(|e| format!("digits: {e}"))?,
            },
            shape: NetShape { filters: whole("filters", &self.filters)? as usize, kernel: self.kernel, pool: self.pool, classes: self.classes() },
            frozen: Vec::new(),
            my_digits: self.my_digits,
        };
        // Ticks beyond a smaller network's filters do not apply to it.
        settings.frozen = self.frozen.iter().copied().filter(|&f| f < settings.shape.filters).collect();
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }
}
