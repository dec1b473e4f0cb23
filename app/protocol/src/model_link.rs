//! A model as text for a link's fragment (`#v=1&model=…`, so no server ever sees it): its `.flab`
//! (weights, shape and digits; the training record left out), deflated, in base64url. The
//! notebook's 338 parameters take about 1.8 KB of text. The `.flab` checks (length, checksum,
//! shape, finite numbers) guard what comes back.

use std::io::{Read, Write};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::ModelFile;

/// The longest model a link carries (characters of text): the notebook's network and most of
/// the lab's fit, the largest networks (about 70,000 parameters) are for Export.
pub const MAX_LINK_CHARS: usize = 16_000;

/// The text of `file` for a link, or `None` when it is too large for one.
pub fn encode(file: &ModelFile) -> Option<String> {
    let bare = ModelFile { record: String::new(), ..file.clone() };
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflate.write_all(&bare.to_bytes()).expect("writing to memory");
    let text = URL_SAFE_NO_PAD.encode(deflate.finish().expect("writing to memory"));
    (text.len() <= MAX_LINK_CHARS).then_some(text)
}

/// The model in a link's text, or why it cannot be read.
pub fn decode(text: &str) -> Result<ModelFile, String> {
    if text.len() > MAX_LINK_CHARS {
        return Err(format!("it is {} characters, more than the {MAX_LINK_CHARS} a link's model can be", text.len()));
    }
    let deflated = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|e| format!("it is not base64url text ({e})"))?;
    let mut bytes = Vec::new();
    // A model file is never larger than this; read no further, whatever the stream holds.
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(crate::MAX_MODEL_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| "it is cut short or damaged".to_string())?;
    ModelFile::from_bytes(&bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NetShape, Weights, settings::Digits};

    fn model(shape: NetShape) -> ModelFile {
        let values: Vec<f32> = (0..shape.params()).map(|i| (i as f32 * 0.37).sin() / 3.0).collect();
        ModelFile { weights: Weights::from_slice(shape, &values), digits: Digits::default(), record: "{\"history\":[]}".into() }
    }

    #[test]
    fn the_notebooks_model_fits_a_link_and_comes_back_bit_for_bit() {
        let file = model(NetShape::NOTEBOOK);
        let text = encode(&file).unwrap();
        assert!(text.len() < 2000, "{} characters", text.len());
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let back = decode(&text).unwrap();
        assert_eq!((back.weights, back.digits, back.record), (file.weights, file.digits, String::new()));
        // The largest network does not fit.
        assert_eq!(encode(&model(NetShape { filters: 32, kernel: 5, pool: 4, classes: 10 })), None);
    }

    #[test]
    fn a_damaged_link_is_refused() {
        let text = encode(&model(NetShape::NOTEBOOK)).unwrap();
        assert!(decode(&text[..text.len() / 2]).is_err(), "truncated");
        assert!(decode("not*base64!").unwrap_err().contains("base64url"));
        assert!(decode(&"A".repeat(MAX_LINK_CHARS + 1)).unwrap_err().contains("more than"));
        // A changed character: the stream or the model file's checksum catches it.
        let mut changed = text.into_bytes();
        changed[100] = if changed[100] == b'A' { b'B' } else { b'A' };
        assert!(decode(std::str::from_utf8(&changed).unwrap()).is_err());
        // A NaN weight is refused by the model file's checks.
        let mut nan = model(NetShape::NOTEBOOK);
        nan.weights.fc_bias[0] = f32::NAN;
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        deflate.write_all(&nan.to_bytes()).unwrap();
        let e = decode(&URL_SAFE_NO_PAD.encode(deflate.finish().unwrap())).unwrap_err();
        assert!(e.contains("NaN"), "{e}");
    }
}
