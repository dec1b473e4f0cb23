//! The notebook's model files, in and out: a PyTorch state dict (`torch.save(model.state_dict())`,
//! the zip format, or a checkpoint dict holding it under a key such as `state_dict`) and a
//! `.safetensors` file, besides Filterlab's own `.flab`. Every import (the page, the worker, the
//! CLI) comes through [`open`]; Export for PyTorch is [`to_safetensors`].
//!
//! The notebook's names and layouts: `conv1.weight` [F, 1, k, k], `conv1.bias` [F], `fc.weight`
//! [C, F·P·P] (`torch.flatten(x, 1)`: channel-major, as [`Weights`] holds it), `fc.bias` [C]. The
//! network's shape comes from the tensors and is checked against the lab's knobs before any
//! tensor's bytes are read.

use std::collections::{BTreeMap, HashMap};

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::{
    MAX_MODEL_FILE_BYTES, ModelFile, ModelFileError, TrainingRecord,
    mnist::SIDE,
    settings::{Digits, check_classes},
    shape::{NetShape, POOLS, ShapeError},
    weights::Weights,
};

/// The formats [`open`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Flab,
    Pytorch,
    Safetensors,
}

/// A model read from a file, as a `.flab` would hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub file: ModelFile,
    pub format: Format,
    /// Something the user should know about how the file was read (a digit pair assumed).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenError {
    #[error("the file is {0} bytes, more than the {MAX_MODEL_FILE_BYTES} a model file can be")]
    TooLarge(usize),
    #[error(
        "not a model file Filterlab reads (a Filterlab .flab, a PyTorch state dict saved with torch.save, or a .safetensors file)"
    )]
    NotAModel,
    #[error("{0}")]
    Flab(#[from] ModelFileError),
    #[error("not a PyTorch file Filterlab can read: {0}")]
    Pytorch(String),
    #[error("not a safetensors file Filterlab can read: {0}")]
    Safetensors(String),
    #[error(
        "refused: {0}. Save the weights alone with torch.save(model.state_dict(), path)"
    )]
    Unsafe(String),
    #[error("not the notebook's classifier: expected {expected}; the file holds {found}")]
    Architecture { expected: String, found: String },
    #[error("the file's network is outside what the lab allows: {0}")]
    Shape(ShapeError),
    #[error("{name} holds {dtype} numbers; Filterlab reads float32, float64, float16 and bfloat16 weights")]
    DType { name: String, dtype: String },
    #[error("{name} holds a NaN or infinite value (element {index})")]
    NotFinite { name: String, index: usize },
    #[error("the file's Filterlab metadata is damaged ({0})")]
    Metadata(String),
}

/// The four tensors, in the model file's order.
const NAMES: [&str; 4] = ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"];
const EXPECTED: &str = "conv1.weight [F, 1, k, k], conv1.bias [F], fc.weight [C, F·P·P], fc.bias [C]";
/// A two-class file that does not say its digits is read as the notebook's task.
const NOTEBOOK_DIGITS: &str = "8,1";

/// The number formats a tensor may come in (all are turned into f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    F32,
    F64,
    F16,
    BF16,
}

/// One tensor of the file, its bytes read only when asked for.
struct Found<'a> {
    name: String,
    numbers: Result<Numbers, String>,
    shape: Vec<usize>,
    read: Box<dyn Fn() -> Result<Vec<u8>, String> + 'a>,
}

/// Reads a `.flab`, a PyTorch `.pt`/`.pth` or a `.safetensors` file (told apart by their first
/// bytes), checking everything; a refusal names what is wrong.
pub fn open(bytes: &[u8]) -> Result<Opened, OpenError> {
    if bytes.len() > MAX_MODEL_FILE_BYTES {
        return Err(OpenError::TooLarge(bytes.len()));
    }
    if bytes.starts_with(b"FLAB") {
        return Ok(Opened { file: ModelFile::from_bytes(bytes)?, format: Format::Flab, note: None });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return open_pytorch(bytes);
    }
    // A safetensors file starts with its header's length, then the JSON header.
    if bytes.len() > 8 && bytes[8] == b'{' {
        return open_safetensors(bytes);
    }
    Err(OpenError::NotAModel)
}

fn open_pytorch(bytes: &[u8]) -> Result<Opened, OpenError> {
    let bad = |e: String| OpenError::Pytorch(e);
    crate::pickle_globals::check(&data_pkl(bytes).map_err(bad)?).map_err(OpenError::Unsafe)?;
    let reader = pytorch_reader::PytorchReader::from_bytes(bytes.to_vec(), None).map_err(|e| bad(e.to_string()))?;
    let found = reader
        .tensors()
        .values()
        .map(|t| Found {
            name: t.name.clone(),
            numbers: match t.dtype() {
                pytorch_reader::DType::F32 => Ok(Numbers::F32),
                pytorch_reader::DType::F64 => Ok(Numbers::F64),
                pytorch_reader::DType::F16 => Ok(Numbers::F16),
                pytorch_reader::DType::BF16 => Ok(Numbers::BF16),
                other => Err(format!("{other:?}")),
            },
            shape: t.shape().to_vec(),
            read: Box::new(move || t.read().map_err(|e| e.to_string())),
        })
        .collect();
    let weights = weights_from(found)?;
    let (digits, note) = digits_for(weights.shape, None)?;
    Ok(Opened { file: ModelFile { weights, digits, record: String::new() }, format: Format::Pytorch, note })
}

/// The pickle of a zip-format PyTorch file (`<root>/data.pkl`), read only up to the file's
/// own size limit, whatever its entry claims. An archive with more than one `data.pkl` is
/// refused: the one checked here must be the one the reader loads.
fn data_pkl(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let names: Vec<String> =
        zip.file_names().filter_map(|n| n.ok().map(String::from)).filter(|n| n.rsplit('/').next() == Some("data.pkl")).collect();
    let [name] = names.as_slice() else {
        return Err(format!("expected one data.pkl in the archive, found {}", names.len()));
    };
    let entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let mut pickle = Vec::new();
    entry.take(MAX_MODEL_FILE_BYTES as u64 + 1).read_to_end(&mut pickle).map_err(|e| e.to_string())?;
    if pickle.len() > MAX_MODEL_FILE_BYTES {
        return Err("its data.pkl is larger than a model file can be".into());
    }
    Ok(pickle)
}

fn open_safetensors(bytes: &[u8]) -> Result<Opened, OpenError> {
    let bad = |e: safetensors::SafeTensorError| OpenError::Safetensors(e.to_string());
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(bad)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(bad)?;
    let found = tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| Found {
            name,
            numbers: match view.dtype() {
                Dtype::F32 => Ok(Numbers::F32),
                Dtype::F64 => Ok(Numbers::F64),
                Dtype::F16 => Ok(Numbers::F16),
                Dtype::BF16 => Ok(Numbers::BF16),
                other => Err(format!("{other:?}")),
            },
            shape: view.shape().to_vec(),
            read: Box::new(move || Ok(view.data().to_vec())),
        })
        .collect();
    let weights = weights_from(found)?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    let record = match meta.get("record") {
        Some(json) => {
            TrainingRecord::from_json(json).map_err(|e| OpenError::Metadata(format!("record: {e}")))?;
            json.clone()
        }
        None => String::new(),
    };
    let (digits, note) = digits_for(weights.shape, meta.get("digits"))?;
    Ok(Opened { file: ModelFile { weights, digits, record }, format: Format::Safetensors, note })
}

/// The digits a file's classes stand for: as its metadata says, else all ten for ten classes,
/// else the notebook's pair (said in the note).
fn digits_for(shape: NetShape, said: Option<&String>) -> Result<(Digits, Option<String>), OpenError> {
    let (digits, note) = match said {
        Some(s) => (s.parse().map_err(|e| OpenError::Metadata(format!("digits {s:?}: {e}")))?, None),
        None if shape.classes == 10 => (Digits::All, None),
        None => (
            NOTEBOOK_DIGITS.parse().expect("the notebook's digits"),
            Some(
                "The file does not say which two digits it tells apart: it is read as the notebook's 8 (class 0) vs 1 (class 1). \
                 For another pair, save it as safetensors with metadata={\"digits\": \"3,5\"} (class 0's digit first)."
                    .to_string(),
            ),
        ),
    };
    check_classes(digits, shape.classes).map_err(|e| OpenError::Metadata(e.to_string()))?;
    Ok((digits, note))
}

/// The notebook's four tensors (under one prefix, such as `state_dict.`; other tensors, an
/// optimizer's state, are left alone), checked, turned into [`Weights`].
fn weights_from(found: Vec<Found>) -> Result<Weights, OpenError> {
    let listing = |found: &[&Found]| {
        let mut all: Vec<String> = found.iter().map(|f| format!("{} {:?}", f.name, f.shape)).collect();
        all.sort();
        if all.is_empty() { "no tensors".to_string() } else { all.join(", ") }
    };
    let architecture = |found: &[&Found]| OpenError::Architecture { expected: EXPECTED.into(), found: listing(found) };
    let prefixes: Vec<&str> = found
        .iter()
        .filter_map(|f| f.name.strip_suffix(NAMES[0]))
        .filter(|p| p.is_empty() || p.ends_with('.'))
        .collect();
    let [prefix] = prefixes.as_slice() else {
        return Err(architecture(&found.iter().collect::<Vec<_>>()));
    };
    let mine: BTreeMap<&str, &Found> = found.iter().filter_map(|f| Some((f.name.strip_prefix(prefix)?, f))).collect();
    let all_mine: Vec<&Found> = mine.values().copied().collect();
    if mine.len() != NAMES.len() || NAMES.iter().any(|n| !mine.contains_key(n)) {
        return Err(architecture(&all_mine));
    }
    let dims = |i: usize| mine[NAMES[i]].shape.as_slice();
    let shape = match (dims(0), dims(1), dims(2), dims(3)) {
        (&[filters, 1, k, k2], &[f2], &[classes, fc_in], &[c2]) if k == k2 && f2 == filters && c2 == classes => {
            // fc_in = filters · (28 / pool)²
            let pool = POOLS.iter().copied().find(|p| filters.checked_mul((SIDE / p).pow(2)) == Some(fc_in));
            match pool {
                Some(pool) => NetShape { filters, kernel: k, pool, classes },
                None => return Err(architecture(&all_mine)),
            }
        }
        _ => return Err(architecture(&all_mine)),
    };
    shape.validate().map_err(OpenError::Shape)?;
    let mut values = Vec::with_capacity(shape.params());
    for name in NAMES {
        let f = mine[name];
        let numbers = f.numbers.clone().map_err(|dtype| OpenError::DType { name: f.name.clone(), dtype })?;
        let bytes = (f.read)().map_err(OpenError::Pytorch)?;
        let read = floats(numbers, &bytes);
        if read.len() != f.shape.iter().product::<usize>() {
            return Err(OpenError::Pytorch(format!("{} holds {} numbers, its shape says {:?}", f.name, read.len(), f.shape)));
        }
        if let Some(index) = read.iter().position(|v| !v.is_finite()) {
            return Err(OpenError::NotFinite { name: f.name.clone(), index });
        }
        values.extend(read);
    }
    Ok(Weights::from_slice(shape, &values))
}

/// Little-endian numbers as f32 (f64 rounded; an f64 beyond f32's range becomes infinite, and
/// is then refused).
fn floats(numbers: Numbers, bytes: &[u8]) -> Vec<f32> {
    match numbers {
        Numbers::F32 => bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
        Numbers::F64 => bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        Numbers::F16 => bytes.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
        Numbers::BF16 => bytes.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
    }
}

/// The model as the notebook's `.safetensors`: exactly its four names and layouts (so
/// `model.load_state_dict(safetensors.torch.load_file(p))` works as is), with the network's
/// shape, digits, settings and training record as string metadata.
pub fn to_safetensors(file: &ModelFile) -> Vec<u8> {
    let w = &file.weights;
    let s = w.shape;
    let tensors: [(&str, Vec<usize>, &[f32]); 4] = [
        (NAMES[0], vec![s.filters, 1, s.kernel, s.kernel], &w.conv_weight),
        (NAMES[1], vec![s.filters], &w.conv_bias),
        (NAMES[2], vec![s.classes, s.fc_in()], &w.fc_weight),
        (NAMES[3], vec![s.classes], &w.fc_bias),
    ];
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), data)| (*name, TensorView::new(Dtype::F32, shape.clone(), data).expect("a shape that fits its data")));
    let mut meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("filters".to_string(), s.filters.to_string()),
        ("kernel".to_string(), s.kernel.to_string()),
        ("pool".to_string(), s.pool.to_string()),
        ("classes".to_string(), s.classes.to_string()),
        ("digits".to_string(), file.digits.to_string()),
    ]);
    if let Ok(record) = TrainingRecord::from_json(&file.record) {
        if let Some(settings) = record.settings {
            meta.insert("settings".into(), serde_json::to_string(&settings).expect("settings as JSON"));
        }
    }
    if !file.record.is_empty() {
        meta.insert("record".into(), file.record.clone());
    }
    safetensors::serialize(views, Some(meta)).expect("four f32 tensors serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DigitPair;

    fn model(shape: NetShape, digits: Digits) -> ModelFile {
        let values: Vec<f32> = (0..shape.params()).map(|i| (i as f32 * 0.37).sin()).collect();
        ModelFile { weights: Weights::from_slice(shape, &values), digits, record: String::new() }
    }

    #[test]
    fn safetensors_round_trip_every_shape_with_its_digits() {
        for (shape, digits) in [
            (NetShape::NOTEBOOK, Digits::Pair(DigitPair::new(3, 5).unwrap())),
            (NetShape { filters: 16, kernel: 5, pool: 4, classes: 2 }, Digits::default()),
            (NetShape { filters: 32, kernel: 5, pool: 4, classes: 10 }, Digits::All),
        ] {
            let file = model(shape, digits);
            let opened = open(&to_safetensors(&file)).unwrap();
            assert_eq!((opened.file, opened.format, opened.note), (file, Format::Safetensors, None));
        }
    }

    #[test]
    fn a_flab_opens_as_before_and_anything_else_is_refused() {
        let file = model(NetShape::NOTEBOOK, Digits::default());
        assert_eq!(open(&file.to_bytes()).unwrap().file, file);
        assert_eq!(open(b"hello, this is not a model"), Err(OpenError::NotAModel));
        assert!(matches!(open(&vec![0; MAX_MODEL_FILE_BYTES + 1]), Err(OpenError::TooLarge(_))));
        let mut cut = to_safetensors(&file);
        cut.truncate(cut.len() - 10);
        assert!(matches!(open(&cut), Err(OpenError::Safetensors(_))), "{:?}", open(&cut));
        assert!(matches!(open(b"PK\x03\x04 truncated zip"), Err(OpenError::Pytorch(_))));
    }

    /// Writes a safetensors file of the given tensors (f32 unless said).
    fn tensors(list: &[(&str, Vec<usize>, Dtype, Vec<u8>)], meta: Option<HashMap<String, String>>) -> Vec<u8> {
        let views = list.iter().map(|(n, s, d, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()));
        safetensors::serialize(views, meta).unwrap()
    }

    fn f32s(n: usize, v: f32) -> Vec<u8> {
        (0..n).flat_map(|_| v.to_le_bytes()).collect()
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let notebook = |conv: Vec<usize>, fc: Vec<usize>, dtype: Dtype, value: f32| {
            let n = |s: &[usize]| s.iter().product::<usize>();
            let bytes = |s: &[usize]| match dtype {
                Dtype::F64 => (0..n(s)).flat_map(|_| (value as f64).to_le_bytes()).collect(),
                Dtype::I64 => (0..n(s)).flat_map(|_| 1i64.to_le_bytes()).collect(),
                Dtype::F16 => (0..n(s)).flat_map(|_| half::f16::from_f32(value).to_le_bytes()).collect(),
                Dtype::BF16 => (0..n(s)).flat_map(|_| half::bf16::from_f32(value).to_le_bytes()).collect(),
                _ => f32s(n(s), value),
            };
            let (f, c) = (conv[0], fc[0]);
            tensors(
                &[
                    ("conv1.weight", conv.clone(), dtype, bytes(&conv)),
                    ("conv1.bias", vec![f], Dtype::F32, f32s(f, 0.0)),
                    ("fc.weight", fc.clone(), Dtype::F32, f32s(n(&fc), 0.0)),
                    ("fc.bias", vec![c], Dtype::F32, f32s(c, 0.0)),
                ],
                None,
            )
        };
        // The notebook's own, with a note about its digits.
        let ok = open(&notebook(vec![8, 1, 3, 3], vec![2, 128], Dtype::F32, 0.5)).unwrap();
        assert_eq!(ok.file.digits, Digits::default());
        assert!(ok.note.unwrap().contains("8 (class 0) vs 1"));
        // f64 is read as f32.
        // f64, f16 and bf16 are read as f32.
        for dtype in [Dtype::F64, Dtype::F16, Dtype::BF16] {
            let read = open(&notebook(vec![8, 1, 3, 3], vec![2, 128], dtype, -0.375)).unwrap();
            assert_eq!(read.file.weights.conv_weight, vec![-0.375; 72], "{dtype:?}");
        }
        let e = open(&notebook(vec![8, 1, 3, 3], vec![2, 128], Dtype::I64, 0.0)).unwrap_err();
        assert_eq!(e.to_string(), "conv1.weight holds I64 numbers; Filterlab reads float32, float64, float16 and bfloat16 weights");
        let e = open(&notebook(vec![8, 1, 3, 3], vec![2, 128], Dtype::F32, f32::NAN)).unwrap_err();
        assert_eq!(e, OpenError::NotFinite { name: "conv1.weight".into(), index: 0 });
        // 64 filters: outside the knobs, refused before any number is read.
        let e = open(&notebook(vec![64, 1, 3, 3], vec![2, 64 * 16], Dtype::F32, 0.0)).unwrap_err();
        assert_eq!(e, OpenError::Shape(ShapeError::Filters(64)));
        // fc's width that no pool gives.
        let e = open(&notebook(vec![8, 1, 3, 3], vec![2, 100], Dtype::F32, 0.0)).unwrap_err();
        assert!(matches!(e, OpenError::Architecture { .. }), "{e}");
        assert!(e.to_string().contains("fc.weight [2, 100]"), "{e}");
        // Another network altogether: the names found are listed.
        let other = tensors(&[("layer.0.weight", vec![4, 4], Dtype::F32, f32s(16, 0.0))], None);
        let e = open(&other).unwrap_err().to_string();
        assert!(e.contains("expected conv1.weight [F, 1, k, k]") && e.contains("the file holds layer.0.weight [4, 4]"), "{e}");
        // Digits that do not fit the classes.
        let meta = Some(HashMap::from([("digits".to_string(), "all".to_string())]));
        let file = model(NetShape::NOTEBOOK, Digits::default());
        let bytes = to_safetensors(&file);
        let mut t = SafeTensors::deserialize(&bytes).unwrap().tensors();
        t.sort_by(|a, b| a.0.cmp(&b.0));
        let list: Vec<_> = t.iter().map(|(n, v)| (n.as_str(), v.shape().to_vec(), v.dtype(), v.data().to_vec())).collect();
        assert!(matches!(open(&tensors(&list, meta)), Err(OpenError::Metadata(_))));
    }

    #[test]
    fn a_checkpoint_dict_keeps_the_weights_under_one_key() {
        let file = model(NetShape::NOTEBOOK, Digits::default());
        let bytes = to_safetensors(&file);
        let st = SafeTensors::deserialize(&bytes).unwrap().tensors();
        let mut list: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> =
            st.iter().map(|(n, v)| (format!("state_dict.{n}"), v.shape().to_vec(), v.dtype(), v.data().to_vec())).collect();
        list.push(("optimizer.state.0.exp_avg".into(), vec![8, 1, 3, 3], Dtype::F32, f32s(72, 1.0)));
        let refs: Vec<_> = list.iter().map(|(n, s, d, b)| (n.as_str(), s.clone(), *d, b.clone())).collect();
        assert_eq!(open(&tensors(&refs, None)).unwrap().file.weights, file.weights);
        // Two models in one file: which one is meant is not guessed.
        let mut two = refs.clone();
        two.extend(refs.iter().filter(|r| r.0.starts_with("state_dict.")).map(|(n, s, d, b)| (n.strip_prefix("state_dict.").unwrap(), s.clone(), *d, b.clone())));
        assert!(matches!(open(&tensors(&two, None)), Err(OpenError::Architecture { .. })));
    }
}
