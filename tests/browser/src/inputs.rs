//! What the tests hand the page: model files, files to import, strokes to draw.

use std::path::PathBuf;

use filterlab_protocol::{DigitPair, ModelFile, NetShape, Weights};

/// A `.flab` model file (filterlab_protocol::model_file) for 8 vs 1 with these weights and no record.
pub fn model_file(conv_weight: &[f32], conv_bias: &[f32], fc_weight: &[f32], fc_bias: &[f32]) -> Vec<u8> {
    let weights = Weights {
        shape: NetShape::NOTEBOOK,
        conv_weight: conv_weight.to_vec(),
        conv_bias: conv_bias.to_vec(),
        fc_weight: fc_weight.to_vec(),
        fc_bias: fc_bias.to_vec(),
    };
    ModelFile { weights, digits: DigitPair::new(8, 1).unwrap().into(), record: String::new() }.to_bytes()
}

/// The 338 weights in a model file (the order of [`model_file`]'s arguments); panics on a bad file.
pub fn weights_in(file: &[u8]) -> Vec<f32> {
    ModelFile::from_bytes(file).expect("a valid model file").weights.to_vec()
}

/// A file of `tests/fixtures/notebook` (written by real PyTorch: tests/notebook_fixtures.py), as
/// the canonical path WebDriver takes for a file input.
pub fn fixture(name: &str) -> PathBuf {
    std::fs::canonicalize(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/notebook").join(name)).unwrap()
}

/// Writes `bytes` to a file called `name` in a temporary folder (for Import) and returns its path.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("filterlab-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A "1": one vertical stroke, slightly slanted, as people write it.
pub fn one() -> Vec<Vec<(f64, f64)>> {
    vec![(0..=20).map(|i| (135.0 + i as f64 * 0.8, 50.0 + i as f64 * 9.0)).collect()]
}

/// A "7": a bar across the top, then one stroke down to the lower left, without lifting the pen.
pub fn seven() -> Vec<Vec<(f64, f64)>> {
    let line = |(x0, y0): (f64, f64), (x1, y1): (f64, f64)| (0..=12).map(move |i| (x0 + (x1 - x0) * i as f64 / 12.0, y0 + (y1 - y0) * i as f64 / 12.0));
    vec![line((85.0, 55.0), (195.0, 55.0)).chain(line((195.0, 55.0), (125.0, 235.0)).skip(1)).collect()]
}

/// An "8": two loops, a small one above a larger one, each a closed circle.
pub fn eight() -> Vec<Vec<(f64, f64)>> {
    let circle = |cx: f64, cy: f64, rx: f64, ry: f64| -> Vec<(f64, f64)> {
        (0..=36).map(|i| {
            let a = i as f64 / 36.0 * std::f64::consts::TAU;
            (cx + rx * a.sin(), cy - ry * a.cos())
        }).collect()
    };
    vec![circle(140.0, 95.0, 38.0, 42.0), circle(140.0, 185.0, 45.0, 48.0)]
}
