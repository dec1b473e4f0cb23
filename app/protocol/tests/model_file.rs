//! The model file format refuses anything malformed.

use filterlab_protocol::{
    DigitPair, Weights,
    model_file::{MAX_FILE_LEN, MIN_FILE_LEN, ModelFile, ModelFileError, V1_FILE_LEN},
};

fn model(record: &str) -> ModelFile {
    let weights = Weights {
        conv_weight: vec![0.25; 72],
        conv_bias: vec![0.0; 8],
        fc_weight: vec![-1.0; 256],
        fc_bias: vec![1.0, 2.0],
    };
    ModelFile { weights, digits: DigitPair::default(), record: record.into() }
}

fn sample() -> Vec<u8> {
    model("").to_bytes()
}

fn read(bytes: &[u8]) -> Result<ModelFile, ModelFileError> {
    ModelFile::from_bytes(bytes)
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
    assert_eq!(file.len(), MIN_FILE_LEN);
    assert_eq!(read(&file), Ok(model("")));
    let with_record = model(r#"{"history":[]}"#);
    assert_eq!(read(&with_record.to_bytes()), Ok(with_record));
}

/// Files written before the training record (version 1) still load, with an empty record.
#[test]
fn version_1_files_load() {
    let v2 = sample();
    let mut v1 = v2[..V1_FILE_LEN - 4].to_vec();
    v1[4] = 1;
    v1.extend_from_slice(&[0; 4]);
    let v1 = reseal(v1);
    assert_eq!(v1.len(), V1_FILE_LEN);
    assert_eq!(read(&v1), Ok(model("")));
}

#[test]
fn malformed_files_are_rejected() {
    let good = sample();
    assert_eq!(read(b"not a model"), Err(ModelFileError::NotAModel));
    assert_eq!(read(&[]), Err(ModelFileError::NotAModel));
    assert_eq!(read(&good[..100]), Err(ModelFileError::Length { expected: MIN_FILE_LEN, found: 100 }));
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 8]);
    assert_eq!(read(&padded), Err(ModelFileError::Length { expected: MIN_FILE_LEN, found: MIN_FILE_LEN + 8 }));
    assert_eq!(read(&vec![0; MAX_FILE_LEN + 1]), Err(ModelFileError::TooLarge(MAX_FILE_LEN + 1)));

    // A record longer than the file, and one that is not text.
    let mut long = good.clone();
    long[MIN_FILE_LEN - 8..MIN_FILE_LEN - 4].copy_from_slice(&100u32.to_le_bytes());
    assert!(matches!(read(&reseal(long)), Err(ModelFileError::Length { .. })));
    let mut binary = model("ab").to_bytes();
    let at = binary.len() - 6;
    binary[at] = 0xff;
    assert_eq!(read(&reseal(binary)), Err(ModelFileError::Record));

    let mut flipped = good.clone();
    flipped[200] ^= 0x01;
    assert_eq!(read(&flipped), Err(ModelFileError::Checksum));

    let mut version = good.clone();
    version[4] = 9;
    assert_eq!(read(&reseal(version)), Err(ModelFileError::Version(9)));

    let mut digits = good.clone();
    digits[7] = 8;
    assert!(matches!(read(&reseal(digits)), Err(ModelFileError::Digits(_))));

    let mut count = good.clone();
    count[8] = 1;
    assert!(matches!(read(&reseal(count)), Err(ModelFileError::ParamCount(_))));

    let mut nan = good.clone();
    nan[12..16].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(read(&reseal(nan)), Err(ModelFileError::NotFinite(0)));
}
