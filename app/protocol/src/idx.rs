//! The MNIST idx file format (gzip or raw), parsed from bytes without panicking.
//!
//! An idx file is a big-endian header `[0, 0, type, rank]`, `rank` u32 dimensions, then the
//! data. MNIST uses type `0x08` (unsigned bytes): rank 3 for images, rank 1 for labels.

use std::io::Read;

/// Everything that can be wrong with an idx file, each with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdxError {
    #[error("{file}: corrupt gzip data ({reason})")]
    Gzip { file: String, reason: String },
    #[error("{file}: too short for an idx header ({len} bytes)")]
    TooShort { file: String, len: usize },
    #[error("{file}: bad magic number {found:#010x}, expected {expected:#010x}")]
    BadMagic { file: String, found: u32, expected: u32 },
    #[error("{file}: expected {expected} dimensions, the header declares {found}")]
    WrongRank { file: String, expected: u8, found: u8 },
    #[error("{file}: images are {rows}x{cols}, expected 28x28")]
    WrongImageSize { file: String, rows: u32, cols: u32 },
    #[error("{file}: truncated, the header promises {expected} data bytes but {found} follow")]
    Truncated { file: String, expected: usize, found: usize },
    #[error("{file}: {extra} unexpected bytes after the data")]
    TrailingBytes { file: String, extra: usize },
    #[error("{file}: label {label} at index {index} is not a digit 0-9")]
    LabelOutOfRange { file: String, index: usize, label: u8 },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
}

pub use crate::mnist::{PIXELS, SIDE};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Gunzips `bytes` when they start with the gzip signature, otherwise returns them as they are.
pub fn maybe_gunzip(file: &str, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| IdxError::Gzip { file: file.into(), reason: e.to_string() })?;
    Ok(out)
}

/// Checks the header and returns the dimensions and the data that follows them.
fn parse<'a>(file: &str, bytes: &'a [u8], magic: u32) -> Result<(Vec<u32>, &'a [u8]), IdxError> {
    let rank = (magic & 0xff) as u8;
    if bytes.len() < 4 {
        return Err(IdxError::TooShort { file: file.into(), len: bytes.len() });
    }
    let found = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
    if found & 0xffff_ff00 != magic & 0xffff_ff00 {
        return Err(IdxError::BadMagic { file: file.into(), found, expected: magic });
    }
    if found != magic {
        return Err(IdxError::WrongRank { file: file.into(), expected: rank, found: found as u8 });
    }
    let header = 4 + 4 * rank as usize;
    if bytes.len() < header {
        return Err(IdxError::TooShort { file: file.into(), len: bytes.len() });
    }
    let dims: Vec<u32> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d as usize));
    let data = &bytes[header..];
    match expected {
        Some(n) if n == data.len() => Ok((dims, data)),
        Some(n) if n < data.len() => {
            Err(IdxError::TrailingBytes { file: file.into(), extra: data.len() - n })
        }
        n => Err(IdxError::Truncated {
            file: file.into(),
            expected: n.unwrap_or(usize::MAX),
            found: data.len(),
        }),
    }
}

/// Parses an images file (gzip or raw): `count × 28 × 28` bytes, row-major.
pub fn parse_images(file: &str, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let raw = maybe_gunzip(file, bytes)?;
    let (dims, data) = parse(file, &raw, IMAGES_MAGIC)?;
    if dims[1] as usize != SIDE || dims[2] as usize != SIDE {
        return Err(IdxError::WrongImageSize { file: file.into(), rows: dims[1], cols: dims[2] });
    }
    Ok(data.to_vec())
}

/// Parses a labels file (gzip or raw): one digit 0-9 per image.
pub fn parse_labels(file: &str, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let raw = maybe_gunzip(file, bytes)?;
    let (_, data) = parse(file, &raw, LABELS_MAGIC)?;
    if let Some((index, &label)) = data.iter().enumerate().find(|(_, l)| **l > 9) {
        return Err(IdxError::LabelOutOfRange { file: file.into(), index, label });
    }
    Ok(data.to_vec())
}

/// An images file (raw, as MNIST's own before gzip): `images.len() / 784` images of 28×28.
pub fn write_images(images: &[u8]) -> Vec<u8> {
    let count = (images.len() / PIXELS) as u32;
    let mut bytes = Vec::with_capacity(16 + images.len());
    for word in [IMAGES_MAGIC, count, SIDE as u32, SIDE as u32] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(&images[..count as usize * PIXELS]);
    bytes
}

/// A labels file (raw): one byte per image.
pub fn write_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + labels.len());
    for word in [LABELS_MAGIC, labels.len() as u32] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(labels);
    bytes
}
