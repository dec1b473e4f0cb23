//! The model file format refuses anything malformed.

use filterlab_protocol::{
    DigitPair, Digits, NetShape, ShapeError, Weights,
    model_file::{MAX_FILE_LEN, ModelFile, ModelFileError, min_file_len},
};

const NOTEBOOK: NetShape = NetShape::NOTEBOOK;
/// A version-3 file of the notebook's network with an empty record.
const MIN_FILE_LEN: usize = 4 + 2 + 2 + 4 + 4 + 4 * 338 + 4 + 4;

fn model(record: &str) -> ModelFile {
    let weights = Weights {
        shape: NOTEBOOK,
        conv_weight: vec![0.25; 72],
        conv_bias: vec![0.0; 8],
        fc_weight: vec![-1.0; 256],
        fc_bias: vec![1.0, 2.0],
    };
    ModelFile { weights, digits: Digits::default(), record: record.into() }
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
    assert_eq!(min_file_len(3, &NOTEBOOK), MIN_FILE_LEN);
    assert_eq!(read(&file), Ok(model("")));
    let with_record = model(r#"{"history":[]}"#);
    assert_eq!(read(&with_record.to_bytes()), Ok(with_record));
}

/// Files written before the shape (version 2) and before the training record (version 1) still
/// load, as the notebook's network, with an empty record.
#[test]
fn version_1_and_2_files_load() {
    let v3 = sample();
    // Version 2: no shape bytes (8..12).
    let mut v2 = [&v3[..8], &v3[12..]].concat();
    v2[4] = 2;
    let v2 = reseal(v2);
    assert_eq!(v2.len(), min_file_len(2, &NOTEBOOK));
    assert_eq!(read(&v2), Ok(model("")));
    // Version 1: no record length either.
    let mut v1 = v2[..v2.len() - 8].to_vec();
    v1[4] = 1;
    v1.extend_from_slice(&[0; 4]);
    let v1 = reseal(v1);
    assert_eq!(v1.len(), min_file_len(1, &NOTEBOOK));
    assert_eq!(read(&v1), Ok(model("")));
}

/// A file records its network's shape; reading it gives weights of that shape.
#[test]
fn other_shapes_round_trip() {
    for shape in [
        NetShape { filters: 2, kernel: 3, pool: 4, classes: 2 },
        NetShape { filters: 32, kernel: 5, pool: 4, classes: 10 },
        NetShape { filters: 1, kernel: 5, pool: 14, classes: 2 },
    ] {
        let values: Vec<f32> = (0..shape.params()).map(|i| i as f32 * 0.001).collect();
        let digits = if shape.classes == 10 { Digits::All } else { DigitPair::new(3, 5).unwrap().into() };
        let file = ModelFile { weights: Weights::from_slice(shape, &values), digits, record: "r".into() };
        let bytes = file.to_bytes();
        assert_eq!(bytes.len(), min_file_len(3, &shape) + 1);
        assert_eq!(read(&bytes), Ok(file));
    }
}

/// All ten digits are written as two 255 bytes, with a ten-class network; digits and classes
/// must agree both ways.
#[test]
fn ten_digit_files_round_trip_and_digits_fit_the_classes() {
    let ten = NetShape { classes: 10, ..NOTEBOOK };
    assert_eq!(ten.params(), 1370);
    let values: Vec<f32> = (0..ten.params()).map(|i| i as f32 * 1e-4).collect();
    let file = ModelFile { weights: Weights::from_slice(ten, &values), digits: Digits::All, record: String::new() };
    let bytes = file.to_bytes();
    assert_eq!(&bytes[6..12], &[255, 255, 8, 3, 7, 10]);
    assert_eq!(read(&bytes), Ok(file.clone()));

    let mut pair_of_ten = bytes.clone();
    pair_of_ten[6..8].copy_from_slice(&[8, 1]);
    let err = read(&reseal(pair_of_ten)).unwrap_err();
    assert_eq!(err.to_string(), "model file names bad digits: 8 vs 1 needs a network with 2 classes, not 10");

    let mut all_of_two = sample();
    all_of_two[6..8].copy_from_slice(&[255, 255]);
    let err = read(&reseal(all_of_two)).unwrap_err();
    assert_eq!(err.to_string(), "model file names bad digits: all ten digits needs a network with 10 classes, not 2");
}

/// Numbers that do not fit the recorded shape are refused with both in the message; so is a
/// shape the lab does not offer.
#[test]
fn a_shape_and_its_numbers_must_agree() {
    let mut two_filters = sample();
    two_filters[8] = 2;
    let err = read(&reseal(two_filters)).unwrap_err();
    let shape = NetShape { filters: 2, ..NOTEBOOK };
    assert_eq!(err, ModelFileError::ParamCount { found: 338, shape, expected: 2 * 10 + 2 * 33 });
    assert_eq!(err.to_string(), "model file records the network 2 filters 3×3, pool 7, 2 classes, which has 86 parameters, but holds 338");

    let mut pool_5 = sample();
    pool_5[10] = 5;
    assert_eq!(read(&reseal(pool_5)), Err(ModelFileError::Shape(ShapeError::Pool(5))));
    let mut no_filters = sample();
    no_filters[8] = 0;
    assert_eq!(read(&reseal(no_filters)), Err(ModelFileError::Shape(ShapeError::Filters(0))));
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
    count[12] = 1; // 338 = 0x152 → 0x101
    assert!(matches!(read(&reseal(count)), Err(ModelFileError::ParamCount { found: 257, .. })));

    let mut nan = good.clone();
    nan[16..20].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(read(&reseal(nan)), Err(ModelFileError::NotFinite(0)));
}
