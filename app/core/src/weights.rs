//! The model's 338 numbers as plain data, and the `.flab` model file that stores them.
//!
//! File format, version 1 (all little-endian):
//!
//! | bytes | content                                                        |
//! |-------|----------------------------------------------------------------|
//! | 4     | magic `FLAB`                                                   |
//! | 2     | format version, `1`                                            |
//! | 1     | digit of class 0 (negative), 0-9                               |
//! | 1     | digit of class 1 (positive), 0-9, different from class 0       |
//! | 4     | number of f32 that follow, `338`                               |
//! | 4×338 | conv1.weight [8,1,3,3], conv1.bias [8], fc.weight [2,128] (PyTorch's out×in), fc.bias [2] |
//! | 4     | CRC-32 (IEEE) of every byte before it                          |

use crate::dataset::DigitPair;

pub const FILTERS: usize = 8;
pub const FILTER_SIZE: usize = 3;
pub const FC_IN: usize = FILTERS * 4 * 4;
pub const CLASSES: usize = 2;
/// Numbers in the whole model.
pub const PARAMS: usize = FILTERS * FILTER_SIZE * FILTER_SIZE + FILTERS + CLASSES * FC_IN + CLASSES;

const MAGIC: &[u8; 4] = b"FLAB";
const VERSION: u16 = 1;
const HEADER: usize = 4 + 2 + 1 + 1 + 4;
/// Size in bytes of a version-1 model file.
pub const FILE_LEN: usize = HEADER + 4 * PARAMS + 4;

/// Every parameter of the model, in PyTorch's layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// `[8, 1, 3, 3]`: filter `f` is `conv_weight[f*9 .. f*9+9]`, row-major.
    pub conv_weight: Vec<f32>,
    pub conv_bias: Vec<f32>,
    /// `[2, 128]`: row `o` maps the 128 pooled features to class `o`.
    pub fc_weight: Vec<f32>,
    pub fc_bias: Vec<f32>,
}

impl Weights {
    /// The 3×3 kernel of filter `f`, row-major.
    pub fn filter(&self, f: usize) -> [f32; 9] {
        self.conv_weight[f * 9..f * 9 + 9].try_into().unwrap()
    }

    /// Whether every parameter is a finite number (a diverged run has NaN or infinities).
    pub fn is_finite(&self) -> bool {
        self.values().all(f32::is_finite)
    }

    fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.conv_weight.iter().chain(&self.conv_bias).chain(&self.fc_weight).chain(&self.fc_bias).copied()
    }

    /// Serialises to the version-1 model file format above.
    pub fn to_file(&self, pair: DigitPair) -> Vec<u8> {
        let mut out = Vec::with_capacity(FILE_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&[pair.negative, pair.positive]);
        out.extend_from_slice(&(PARAMS as u32).to_le_bytes());
        for v in self.values() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads a model file, checking every field; nothing malformed gets through.
    pub fn from_file(bytes: &[u8]) -> Result<(Self, DigitPair), ModelFileError> {
        if bytes.len() < HEADER || &bytes[0..4] != MAGIC {
            return Err(ModelFileError::NotAModel);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != VERSION {
            return Err(ModelFileError::Version(version));
        }
        let pair = DigitPair::new(bytes[6], bytes[7]).map_err(|e| ModelFileError::Digits(e.to_string()))?;
        let count = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        if count != PARAMS {
            return Err(ModelFileError::ParamCount(count));
        }
        if bytes.len() != FILE_LEN {
            return Err(ModelFileError::Length { expected: FILE_LEN, found: bytes.len() });
        }
        let (body, crc) = bytes.split_at(FILE_LEN - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().unwrap()) {
            return Err(ModelFileError::Checksum);
        }
        let values: Vec<f32> = body[HEADER..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ModelFileError::NotFinite(i));
        }
        let (conv_weight, rest) = values.split_at(FILTERS * 9);
        let (conv_bias, rest) = rest.split_at(FILTERS);
        let (fc_weight, fc_bias) = rest.split_at(CLASSES * FC_IN);
        let weights = Self {
            conv_weight: conv_weight.to_vec(),
            conv_bias: conv_bias.to_vec(),
            fc_weight: fc_weight.to_vec(),
            fc_bias: fc_bias.to_vec(),
        };
        Ok((weights, pair))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    #[error("not a Filterlab model file (missing the FLAB header)")]
    NotAModel,
    #[error("model file version {0} is not supported (this build reads version {VERSION})")]
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
}
