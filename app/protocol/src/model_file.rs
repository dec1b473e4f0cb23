//! The `.flab` model file: a model's shape and weights, its digit pair and its training record.
//!
//! File format, version 3 (all little-endian):
//!
//! | bytes | content                                                        |
//! |-------|----------------------------------------------------------------|
//! | 4     | magic `FLAB`                                                   |
//! | 2     | format version, `3`                                            |
//! | 1     | digit of class 0 (negative), 0-9; 255 for all ten digits        |
//! | 1     | digit of class 1 (positive), 0-9, different from class 0; 255 for all ten digits |
//! | 4     | the network's shape, one byte each: filters, kernel size, pool size, classes (8, 3, 7, 2: the notebook's) |
//! | 4     | number of f32 that follow: the shape's parameter count (338 for the notebook's) |
//! | 4×n   | conv1.weight [filters,1,k,k], conv1.bias [filters], fc.weight [classes, fc_in] (PyTorch's out×in), fc.bias [classes] |
//! | 4     | length of the training record that follows, in bytes          |
//! | n     | the training record: UTF-8 text (the app writes JSON: settings and metric history); may be empty |
//! | 4     | CRC-32 (IEEE) of every byte before it                          |
//!
//! Versions 1 and 2 have no shape bytes (they hold the notebook's network); version 1 also has
//! no training record. Both are still read. A digit pair's network has 2 classes, the ten digits'
//! 10 (class k is digit k). A file is at most [`MAX_FILE_LEN`] bytes: anything
//! larger is refused before it is parsed.

use crate::{
    settings::{DigitPair, Digits, check_classes},
    shape::{NetShape, ShapeError},
    weights::Weights,
};

const MAGIC: &[u8; 4] = b"FLAB";
const VERSION: u16 = 3;
/// The digit bytes of the ten-digit task.
const ALL_DIGITS: [u8; 2] = [255, 255];
/// Magic, version, digits and (from version 3) the shape: what comes before the count.
const fn header(version: u16) -> usize {
    4 + 2 + 1 + 1 + if version >= 3 { 4 } else { 0 }
}
/// The largest model file accepted (the page checks the same limit before reading a file).
pub const MAX_FILE_LEN: usize = crate::MAX_MODEL_FILE_BYTES;

/// Size in bytes of a model file of `version` with `shape`'s weights and an empty training record.
pub fn min_file_len(version: u16, shape: &NetShape) -> usize {
    let record_len = if version >= 2 { 4 } else { 0 };
    header(version) + 4 + 4 * shape.params() + record_len + 4
}

/// A model as stored in a file: its weights (which know their shape), the digits it tells apart
/// and what it went through.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub weights: Weights,
    pub digits: Digits,
    /// The training record, opaque here (the app stores settings and metric history as JSON).
    pub record: String,
}

impl ModelFile {
    /// Serialises to the version-3 format above.
    pub fn to_bytes(&self) -> Vec<u8> {
        let shape = self.weights.shape;
        let mut out = Vec::with_capacity(min_file_len(VERSION, &shape) + self.record.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&match self.digits {
            Digits::Pair(p) => [p.negative, p.positive],
            Digits::All => ALL_DIGITS,
        });
        out.extend([shape.filters, shape.kernel, shape.pool, shape.classes].map(|n| n as u8));
        out.extend_from_slice(&(shape.params() as u32).to_le_bytes());
        for v in self.weights.values() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.record.len() as u32).to_le_bytes());
        out.extend_from_slice(self.record.as_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads a model file (version 1, 2 or 3), checking every field; nothing malformed gets through.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        if bytes.len() > MAX_FILE_LEN {
            return Err(ModelFileError::TooLarge(bytes.len()));
        }
        if bytes.len() < header(1) || &bytes[0..4] != MAGIC {
            return Err(ModelFileError::NotAModel);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if !(1..=VERSION).contains(&version) {
            return Err(ModelFileError::Version(version));
        }
        let header = header(version);
        if bytes.len() < header + 4 {
            return Err(ModelFileError::Length { expected: min_file_len(version, &NetShape::NOTEBOOK), found: bytes.len() });
        }
        let digits = match [bytes[6], bytes[7]] {
            ALL_DIGITS if version >= 3 => Digits::All,
            [a, b] => Digits::Pair(DigitPair::new(a, b).map_err(|e| ModelFileError::Digits(e.to_string()))?),
        };
        let shape = match version {
            1 | 2 => NetShape::NOTEBOOK,
            _ => {
                let [filters, kernel, pool, classes] = [8, 9, 10, 11].map(|i| bytes[i] as usize);
                let shape = NetShape { filters, kernel, pool, classes };
                shape.validate().map_err(ModelFileError::Shape)?;
                shape
            }
        };
        check_classes(digits, shape.classes).map_err(|e| ModelFileError::Digits(e.to_string()))?;
        let count = u32::from_le_bytes(bytes[header..header + 4].try_into().unwrap()) as usize;
        if count != shape.params() {
            return Err(ModelFileError::ParamCount { found: count, shape, expected: shape.params() });
        }
        let values_end = header + 4 + 4 * count;
        let min = min_file_len(version, &shape);
        let expected = match version {
            1 => min,
            _ if bytes.len() < min => min,
            _ => min + u32::from_le_bytes(bytes[values_end..values_end + 4].try_into().unwrap()) as usize,
        };
        if bytes.len() != expected {
            return Err(ModelFileError::Length { expected, found: bytes.len() });
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().unwrap()) {
            return Err(ModelFileError::Checksum);
        }
        let values: Vec<f32> = body[header + 4..values_end].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ModelFileError::NotFinite(i));
        }
        let record = match version {
            1 => String::new(),
            _ => String::from_utf8(body[values_end + 4..].to_vec()).map_err(|_| ModelFileError::Record)?,
        };
        let weights = Weights::from_slice(shape, &values);
        Ok(Self { weights, digits, record })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    #[error("not a Filterlab model file (missing the FLAB header)")]
    NotAModel,
    #[error("model file version {0} is not supported (this build reads versions 1 to {VERSION})")]
    Version(u16),
    #[error("model file names bad digits: {0}")]
    Digits(String),
    #[error("model file records the network {shape}, which has {expected} parameters, but holds {found}")]
    ParamCount { found: usize, shape: NetShape, expected: usize },
    #[error("model file records an impossible network: {0}")]
    Shape(ShapeError),
    #[error("model file is {found} bytes, expected {expected} (truncated or padded)")]
    Length { expected: usize, found: usize },
    #[error("model file is corrupt (checksum mismatch)")]
    Checksum,
    #[error("model file holds a NaN or infinite value (parameter {0})")]
    NotFinite(usize),
    #[error("model file is {0} bytes, more than the {MAX_FILE_LEN} a model file can be")]
    TooLarge(usize),
    #[error("model file's training record is not UTF-8 text")]
    Record,
}
