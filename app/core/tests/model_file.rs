//! The model file format refuses anything malformed.

use filterlab_core::{
    DigitPair, Weights,
    weights::{FILE_LEN, ModelFileError},
};

fn sample() -> Vec<u8> {
    let w = Weights {
        conv_weight: vec![0.25; 72],
        conv_bias: vec![0.0; 8],
        fc_weight: vec![-1.0; 256],
        fc_bias: vec![1.0, 2.0],
    };
    w.to_file(DigitPair::default())
}

/// Rewrites the trailing checksum so only the field under test is wrong.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn round_trip() {
    let file = sample();
    assert_eq!(file.len(), FILE_LEN);
    let (w, pair) = Weights::from_file(&file).unwrap();
    assert_eq!(pair, DigitPair::default());
    assert_eq!(w.fc_bias, [1.0, 2.0]);
}

#[test]
fn malformed_files_are_rejected() {
    let good = sample();
    assert_eq!(Weights::from_file(b"not a model"), Err(ModelFileError::NotAModel));
    assert_eq!(Weights::from_file(&[]), Err(ModelFileError::NotAModel));
    assert_eq!(Weights::from_file(&good[..100]), Err(ModelFileError::Length { expected: FILE_LEN, found: 100 }));

    let mut flipped = good.clone();
    flipped[200] ^= 0x01;
    assert_eq!(Weights::from_file(&flipped), Err(ModelFileError::Checksum));

    let mut version = good.clone();
    version[4] = 9;
    assert_eq!(Weights::from_file(&reseal(version)), Err(ModelFileError::Version(9)));

    let mut digits = good.clone();
    digits[7] = 8;
    assert!(matches!(Weights::from_file(&reseal(digits)), Err(ModelFileError::Digits(_))));

    let mut count = good.clone();
    count[8] = 1;
    assert!(matches!(Weights::from_file(&reseal(count)), Err(ModelFileError::ParamCount(_))));

    let mut nan = good.clone();
    nan[12..16].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(Weights::from_file(&reseal(nan)), Err(ModelFileError::NotFinite(0)));
}
