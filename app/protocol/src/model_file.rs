//! The `.flab` model file: a model's weights, its digit pair and its training record.
//!
//! File format, version 2 (all little-endian):
//!
//! | bytes | content                                                        |
//! |-------|----------------------------------------------------------------|
//! | 4     | magic `FLAB`                                                   |
//! | 2     | format version, `2`                                            |
//! | 1     | digit of class 0 (negative), 0-9                               |
//! | 1     | digit of class 1 (positive), 0-9, different from class 0       |
//! | 4     | number of f32 that follow, `338`                               |
//! | 4×338 | conv1.weight [8,1,3,3], conv1.bias [8], fc.weight [2,128] (PyTorch's out×in), fc.bias [2] |
//! | 4     | length of the training record that follows, in bytes          |
//! | n     | the training record: UTF-8 text (the app writes JSON: settings and metric history); may be empty |
//! | 4     | CRC-32 (IEEE) of every byte before it                          |
//!
//! Version 1 is the same without the record's length and text; it is still read. A file is at
//! most [`MAX_FILE_LEN`] bytes: anything larger is refused before it is parsed.

use crate::{
    settings::DigitPair,
    weights::{PARAMS, Weights},
};

const MAGIC: &[u8; 4] = b"FLAB";
const VERSION: u16 = 2;
const HEADER: usize = 4 + 2 + 1 + 1 + 4;
const VALUES_END: usize = HEADER + 4 * PARAMS;
/// Size in bytes of a version-1 model file (no training record).
pub const V1_FILE_LEN: usize = VALUES_END + 4;
/// Size in bytes of a version-2 model file with an empty training record.
pub const MIN_FILE_LEN: usize = VALUES_END + 4 + 4;
/// The largest model file accepted (the page checks the same limit before reading a file).
pub const MAX_FILE_LEN: usize = crate::MAX_MODEL_FILE_BYTES;

/// A model as stored in a file: its weights, its digit pair and what it went through.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub weights: Weights,
    pub digits: DigitPair,
    /// The training record, opaque here (the app stores settings and metric history as JSON).
    pub record: String,
}

impl ModelFile {
    /// Serialises to the version-2 format above.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MIN_FILE_LEN + self.record.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&[self.digits.negative, self.digits.positive]);
        out.extend_from_slice(&(PARAMS as u32).to_le_bytes());
        for v in self.weights.values() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.record.len() as u32).to_le_bytes());
        out.extend_from_slice(self.record.as_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads a model file (version 1 or 2), checking every field; nothing malformed gets through.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        if bytes.len() > MAX_FILE_LEN {
            return Err(ModelFileError::TooLarge(bytes.len()));
        }
        if bytes.len() < HEADER || &bytes[0..4] != MAGIC {
            return Err(ModelFileError::NotAModel);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != 1 && version != VERSION {
            return Err(ModelFileError::Version(version));
        }
        let digits = DigitPair::new(bytes[6], bytes[7]).map_err(|e| ModelFileError::Digits(e.to_string()))?;
        let count = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        if count != PARAMS {
            return Err(ModelFileError::ParamCount(count));
        }
        let expected = match version {
            1 => V1_FILE_LEN,
            _ if bytes.len() < MIN_FILE_LEN => MIN_FILE_LEN,
            _ => MIN_FILE_LEN + u32::from_le_bytes(bytes[VALUES_END..VALUES_END + 4].try_into().unwrap()) as usize,
        };
        if bytes.len() != expected {
            return Err(ModelFileError::Length { expected, found: bytes.len() });
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().unwrap()) {
            return Err(ModelFileError::Checksum);
        }
        let values: Vec<f32> = body[HEADER..VALUES_END].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ModelFileError::NotFinite(i));
        }
        let record = match version {
            1 => String::new(),
            _ => String::from_utf8(body[VALUES_END + 4..].to_vec()).map_err(|_| ModelFileError::Record)?,
        };
        let weights = Weights::from_slice(&values);
        Ok(Self { weights, digits, record })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    #[error("not a Filterlab model file (missing the FLAB header)")]
    NotAModel,
    #[error("model file version {0} is not supported (this build reads versions 1 and {VERSION})")]
    Version(u16),
    #[error("model file names a bad digit pair: {0}")]
    Digits(String),
    #[error("model file holds {0} parameters, this network has {PARAMS}")]
    ParamCount(usize),
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
