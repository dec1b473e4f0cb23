//! The idx parser on small hand-made buffers: every malformed input is a typed error.

use std::io::Write;

use filterlab_core::{
    Mnist,
    idx::{IdxError, parse_images, parse_labels},
};

fn header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out
}

fn images(n: u32) -> Vec<u8> {
    let mut out = header(0x803, &[n, 28, 28]);
    out.extend((0..n as usize * 784).map(|i| (i % 256) as u8));
    out
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut out = header(0x801, &[values.len() as u32]);
    out.extend_from_slice(values);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn parses_raw_and_gzip_alike() {
    let raw = images(3);
    let parsed = parse_images("x", &raw).unwrap();
    assert_eq!(parsed.len(), 3 * 784);
    assert_eq!(parsed[785], (785 % 256) as u8);
    assert_eq!(parse_images("x", &gzip(&raw)).unwrap(), parsed);
    assert_eq!(parse_labels("y", &gzip(&labels(&[8, 1, 9]))).unwrap(), vec![8, 1, 9]);
}

#[test]
fn rejects_wrong_magic() {
    let mut raw = images(1);
    raw[2] = 0x0d; // float data, not bytes
    assert!(matches!(parse_images("x", &raw), Err(IdxError::BadMagic { found: 0x0d03, .. })));
    assert!(matches!(parse_labels("y", &images(1)), Err(IdxError::WrongRank { expected: 1, found: 3, .. })));
    assert!(matches!(parse_images("x", b"PK\x03\x04zip!"), Err(IdxError::BadMagic { .. })));
}

#[test]
fn rejects_wrong_rank_and_dimensions() {
    let mut two_d = header(0x802, &[1, 784]);
    two_d.extend(vec![0; 784]);
    assert!(matches!(parse_images("x", &two_d), Err(IdxError::WrongRank { expected: 3, found: 2, .. })));
    let mut small = header(0x803, &[1, 27, 28]);
    small.extend(vec![0; 27 * 28]);
    assert!(matches!(parse_images("x", &small), Err(IdxError::WrongImageSize { rows: 27, cols: 28, .. })));
}

#[test]
fn rejects_truncated_and_padded_files() {
    let raw = images(2);
    let err = parse_images("train-images", &raw[..raw.len() - 1]).unwrap_err();
    assert_eq!(err, IdxError::Truncated { file: "train-images".into(), expected: 2 * 784, found: 2 * 784 - 1 });
    assert!(err.to_string().contains("truncated"), "{err}");
    assert!(matches!(parse_images("x", &raw[..10]), Err(IdxError::TooShort { len: 10, .. })));
    assert!(matches!(parse_images("x", &[0, 0]), Err(IdxError::TooShort { .. })));
    let mut padded = raw.clone();
    padded.push(0);
    assert!(matches!(parse_images("x", &padded), Err(IdxError::TrailingBytes { extra: 1, .. })));
    // A header that promises more than memory can hold is an error, not an allocation.
    let huge = header(0x803, &[u32::MAX, 28, 28]);
    assert!(matches!(parse_images("x", &huge), Err(IdxError::Truncated { .. })));
}

#[test]
fn rejects_labels_that_are_not_digits() {
    let err = parse_labels("labels", &labels(&[1, 8, 10])).unwrap_err();
    assert_eq!(err, IdxError::LabelOutOfRange { file: "labels".into(), index: 2, label: 10 });
}

#[test]
fn rejects_corrupt_gzip() {
    let mut gz = gzip(&images(2));
    let mid = gz.len() / 2;
    gz.truncate(mid);
    assert!(matches!(parse_images("x", &gz), Err(IdxError::Gzip { .. })));
    let mut flipped = gzip(&images(2));
    let n = flipped.len();
    flipped[n - 6] ^= 0xff; // the CRC trailer
    assert!(matches!(parse_images("x", &flipped), Err(IdxError::Gzip { .. })));
}

#[test]
fn rejects_image_and_label_counts_that_differ() {
    let err = Mnist::from_idx(&images(3), &labels(&[1, 8])).unwrap_err();
    assert_eq!(err, IdxError::CountMismatch { images: 3, labels: 2 });
    assert_eq!(Mnist::from_idx(&images(2), &labels(&[1, 8])).unwrap().len(), 2);
}
