//! Training settings and their limits, checked the same way in the form, the CLI and the trainer.

use serde::{Deserialize, Serialize};

use crate::shape::NetShape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptimizerKind {
    Sgd,
    /// SGD with momentum 0.9: PyTorch's `torch.optim.SGD(momentum=0.9)`.
    Momentum,
    Adam,
}

impl OptimizerKind {
    /// Every kind, in the order the page offers them.
    pub const ALL: [Self; 3] = [Self::Sgd, Self::Momentum, Self::Adam];

    /// The name in addresses and on the command line: "sgd", "momentum", "adam".
    pub fn word(&self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum => "momentum",
            Self::Adam => "adam",
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sgd => "SGD",
            Self::Momentum => "Momentum",
            Self::Adam => "Adam",
        })
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = SettingsError;
    fn from_str(s: &str) -> Result<Self, SettingsError> {
        let word = s.to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.word() == word).ok_or_else(|| SettingsError::Optimizer(s.to_string()))
    }
}

/// How a training step runs: one fused op (a single kernel on a GPU, plain loops on the CPU), or
/// Burn's stock autodiff and optimizers, kept as the reference the fused op is tested against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Ops {
    #[default]
    Fused,
    Stock,
}

impl std::fmt::Display for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Fused => "fused",
            Self::Stock => "stock",
        })
    }
}

impl std::str::FromStr for Ops {
    type Err = SettingsError;
    fn from_str(s: &str) -> Result<Self, SettingsError> {
        match s.to_ascii_lowercase().as_str() {
            "fused" => Ok(Self::Fused),
            "stock" => Ok(Self::Stock),
            _ => Err(SettingsError::Ops(s.to_string())),
        }
    }
}

/// Largest values accepted; beyond them a run is surely a typo.
pub const MAX_LR: f64 = 10.0;
pub const MAX_EPOCHS: usize = 1000;
pub const MAX_BATCH: usize = 4096;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("learning rate must be a number in (0, {MAX_LR}], got {0}")]
    LearningRate(f64),
    #[error("batch size must be between 1 and {MAX_BATCH}, got {0}")]
    BatchSize(usize),
    #[error("epochs must be between 1 and {MAX_EPOCHS}, got {0}")]
    Epochs(usize),
    #[error("report_every must be at least 1")]
    ReportEvery,
    #[error(transparent)]
    Shape(#[from] crate::shape::ShapeError),
    #[error("{} needs a network with {} classes, not {classes}", digits.describe(), digits.classes())]
    Classes { digits: Digits, classes: usize },
    #[error("filter {filter} cannot be frozen: the network has {filters} filters (0 to {})", filters - 1)]
    Frozen { filter: usize, filters: usize },
    #[error("unknown optimizer {0:?}: expected sgd, momentum or adam")]
    Optimizer(String),
    #[error("unknown ops {0:?}: expected fused or stock")]
    Ops(String),
    #[error(transparent)]
    Digits(#[from] DigitError),
}

/// Checks that every frozen filter is one of the network's `filters`.
pub fn check_frozen(frozen: &[usize], filters: usize) -> Result<(), SettingsError> {
    match frozen.iter().find(|&&f| f >= filters) {
        Some(&f) => Err(SettingsError::Frozen { filter: f, filters }),
        None => Ok(()),
    }
}

/// Checks that a network with `classes` outputs fits the task.
pub fn check_classes(digits: Digits, classes: usize) -> Result<(), SettingsError> {
    match digits.classes() == classes {
        true => Ok(()),
        false => Err(SettingsError::Classes { digits, classes }),
    }
}

/// Checks the numeric hyper-parameters against the limits above.
pub fn check(lr: f64, batch_size: usize, epochs: usize) -> Result<(), SettingsError> {
    if !(lr.is_finite() && lr > 0.0 && lr <= MAX_LR) {
        return Err(SettingsError::LearningRate(lr));
    }
    if !(1..=MAX_BATCH).contains(&batch_size) {
        return Err(SettingsError::BatchSize(batch_size));
    }
    if !(1..=MAX_EPOCHS).contains(&epochs) {
        return Err(SettingsError::Epochs(epochs));
    }
    Ok(())
}

/// Which digit is class 0 and which is class 1 (the notebook: 8 → 0, 1 → 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitPair {
    pub negative: u8,
    pub positive: u8,
}

impl Default for DigitPair {
    fn default() -> Self {
        Self { negative: 8, positive: 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigitError {
    #[error("digits must be 0-9, got {0}")]
    NotADigit(u8),
    #[error("the two digits must differ, got {0} twice")]
    SameDigit(u8),
    #[error("cannot read digit pair {0:?}: expected two digits such as \"8,1\"")]
    Syntax(String),
    #[error("cannot read digits {0:?}: expected two digits such as \"8,1\", or \"all\"")]
    Task(String),
}

impl DigitPair {
    pub fn new(negative: u8, positive: u8) -> Result<Self, DigitError> {
        for d in [negative, positive] {
            if d > 9 {
                return Err(DigitError::NotADigit(d));
            }
        }
        if negative == positive {
            return Err(DigitError::SameDigit(negative));
        }
        Ok(Self { negative, positive })
    }

    /// The digit a class index stands for.
    pub fn digit(&self, class: usize) -> u8 {
        if class == 0 { self.negative } else { self.positive }
    }
}

impl std::fmt::Display for DigitPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.negative, self.positive)
    }
}

impl std::str::FromStr for DigitPair {
    type Err = DigitError;
    /// Reads "8,1" (class 0 first, as the notebook's class order).
    fn from_str(s: &str) -> Result<Self, DigitError> {
        let bad = || DigitError::Syntax(s.to_string());
        let (a, b) = s.split_once(',').ok_or_else(bad)?;
        let a: u8 = a.trim().parse().map_err(|_| bad())?;
        let b: u8 = b.trim().parse().map_err(|_| bad())?;
        Self::new(a, b)
    }
}

/// What the network tells apart: a digit pair (the notebook's task, two classes, its test set
/// held out of the train file) or all ten digits (class k is digit k; the standard split: the
/// train file trains, the t10k file tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DigitsJson", into = "DigitsJson")]
pub enum Digits {
    Pair(DigitPair),
    All,
}

/// The JSON of [`Digits`]: a pair as before the ten-digit task (`{"negative":8,"positive":1}`),
/// or the word `"all"`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum DigitsJson {
    Pair(DigitPair),
    Word(String),
}

impl From<Digits> for DigitsJson {
    fn from(d: Digits) -> Self {
        match d {
            Digits::Pair(p) => Self::Pair(p),
            Digits::All => Self::Word(Digits::ALL_WORD.into()),
        }
    }
}

impl TryFrom<DigitsJson> for Digits {
    type Error = DigitError;
    fn try_from(j: DigitsJson) -> Result<Self, DigitError> {
        match j {
            // Checked by `Settings::validate`, with the other settings, as before the ten digits.
            DigitsJson::Pair(p) => Ok(Self::Pair(p)),
            DigitsJson::Word(w) => w.parse(),
        }
    }
}

impl Default for Digits {
    fn default() -> Self {
        Self::Pair(DigitPair::default())
    }
}

impl From<DigitPair> for Digits {
    fn from(p: DigitPair) -> Self {
        Self::Pair(p)
    }
}

impl Digits {
    /// How the ten-digit task is written (in the form, the address, the CLI and JSON).
    pub const ALL_WORD: &'static str = "all";

    /// The network's output classes for this task.
    pub const fn classes(&self) -> usize {
        match self {
            Self::Pair(_) => 2,
            Self::All => 10,
        }
    }

    /// The digit a class index stands for.
    pub fn digit(&self, class: usize) -> u8 {
        match self {
            Self::Pair(p) => p.digit(class),
            Self::All => class as u8,
        }
    }

    /// The class a digit is in this task, if the task has it.
    pub fn class_of(&self, digit: u8) -> Option<usize> {
        (0..self.classes()).find(|&c| self.digit(c) == digit)
    }

    /// The digits in class order.
    pub fn list(&self) -> Vec<u8> {
        (0..self.classes()).map(|c| self.digit(c)).collect()
    }

    /// In words: "8 vs 1", "all ten digits".
    pub fn describe(&self) -> String {
        match self {
            Self::Pair(p) => format!("{} vs {}", p.negative, p.positive),
            Self::All => "all ten digits".into(),
        }
    }

    pub fn pair(&self) -> Option<DigitPair> {
        match self {
            Self::Pair(p) => Some(*p),
            Self::All => None,
        }
    }
}

impl std::fmt::Display for Digits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pair(p) => p.fmt(f),
            Self::All => f.write_str(Self::ALL_WORD),
        }
    }
}

impl std::str::FromStr for Digits {
    type Err = DigitError;
    /// Reads a pair ("8,1") or "all" (also "0-9").
    fn from_str(s: &str) -> Result<Self, DigitError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" | "0-9" => Ok(Self::All),
            _ => s.parse().map(Self::Pair).map_err(|e| match e {
                DigitError::Syntax(s) => DigitError::Task(s),
                other => other,
            }),
        }
    }
}

/// Everything the user sets before pressing Train; the defaults are the notebook's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub digits: Digits,
    /// The network a fresh run builds (records written before the filter lab have none: the
    /// notebook's).
    #[serde(default)]
    pub shape: NetShape,
    /// Filters training leaves as they are (indices), for "train the head only".
    #[serde(default)]
    pub frozen: Vec<usize>,
    /// "Train on my digits too": the user's kept digits of this task join the training set
    /// (`my_digits::COPIES` times each).
    #[serde(default)]
    pub my_digits: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            optimizer: OptimizerKind::Sgd,
            lr: 1e-3,
            epochs: 10,
            batch_size: 64,
            seed: 42,
            digits: Digits::default(),
            shape: NetShape::NOTEBOOK,
            frozen: Vec::new(),
            my_digits: false,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        check(self.lr, self.batch_size, self.epochs)?;
        if let Digits::Pair(p) = self.digits {
            DigitPair::new(p.negative, p.positive)?;
        }
        self.shape.validate()?;
        check_classes(self.digits, self.shape.classes)?;
        check_frozen(&self.frozen, self.shape.filters)
    }
}
