//! The notebook's model files, written by real PyTorch (`tests/notebook_fixtures.py`), imported:
//! every tensor where PyTorch put it, so Filterlab's outputs match PyTorch's within 1e-5 and its
//! test accuracy is PyTorch's to the last image. Hostile PyTorch files are refused.

mod common;

use std::{io::Write, path::PathBuf};

use filterlab_core::{Digits, Model, NetShape, Split, burn::prelude::*, device, training};
use filterlab_protocol::notebook_file::{self, Format, OpenError};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test");
    let path = PathBuf::from(root).join("../../tests/fixtures/notebook").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("{name}.json"))).unwrap()
}

/// Opens NAME.pt, NAME.safetensors (and the checkpoint dict for the notebook's network) and
/// checks each against what PyTorch computed.
fn matches_pytorch(name: &str) {
    let want = expected(name);
    let shape = &want["shape"];
    let shape = NetShape {
        filters: shape["filters"].as_u64().unwrap() as usize,
        kernel: shape["kernel"].as_u64().unwrap() as usize,
        pool: shape["pool"].as_u64().unwrap() as usize,
        classes: shape["classes"].as_u64().unwrap() as usize,
    };
    let split = match want["digits"].as_str().unwrap() {
        "all" => Split::all(common::mnist(), common::t10k()).unwrap(),
        _ => common::split().clone(),
    };
    let mut files = vec![(format!("{name}.pt"), Format::Pytorch), (format!("{name}.safetensors"), Format::Safetensors)];
    if name == "notebook" {
        files.push(("notebook-checkpoint.pt".into(), Format::Pytorch));
    }
    let cpu = pollster::block_on(device::start(device::DeviceKind::Cpu)).unwrap().device;
    for (file, format) in files {
        let opened = notebook_file::open(&fixture(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((opened.format, opened.file.weights.shape), (format, shape), "{file}");
        let digits = if shape.classes == 10 { Digits::All } else { Digits::default() };
        assert_eq!(opened.file.digits, digits, "{file}");
        // A two-class PyTorch file does not say its digits: the user is told which were assumed.
        assert_eq!(opened.note.is_some(), shape.classes == 2, "{file}");

        let model = Model::from_weights(&opened.file.weights, &cpu);
        let picked: Vec<usize> = want["test_images"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let pixels: Vec<f32> = picked.iter().flat_map(|&i| split.test.image(i)).collect();
        let images = Tensor::<4>::from_data(TensorData::new(pixels, [picked.len(), 1, 28, 28]), &cpu);
        let got: Vec<f32> = pollster::block_on(model.forward(images).into_data_async()).unwrap().try_to_vec::<f32>().unwrap();
        assert_eq!(got.len(), picked.len() * shape.classes);
        let torch: Vec<f32> = want["log_probs"].as_array().unwrap().iter().flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
        assert_eq!(got.len(), torch.len());
        for (i, (g, t)) in got.iter().zip(&torch).enumerate() {
            assert!((g - t).abs() <= 1e-5, "{file}: output {i} is {g}, PyTorch's {t}");
        }

        let (_, acc) = pollster::block_on(training::test_metrics(&model, &split.test, &cpu)).unwrap();
        let count = want["test_count"].as_u64().unwrap() as usize;
        assert_eq!(split.test.len(), count);
        let correct = (acc as f64 * count as f64).round() as u64;
        assert_eq!(correct, want["test_correct"].as_u64().unwrap(), "{file}: test accuracy {acc}, PyTorch's {}", want["test_accuracy"]);
    }
}

#[test]
fn the_notebooks_network_from_pytorch() {
    matches_pytorch("notebook");
}

#[test]
fn a_16_filter_5x5_pool_4_network_from_pytorch() {
    matches_pytorch("wide");
}

#[test]
fn a_ten_class_network_from_pytorch() {
    matches_pytorch("ten");
}

/// PyTorch's own file with `extra` entries added (stored, as torch.save stores them).
fn with_entries(pt: &[u8], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(pt)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        out.start_file(name, stored).unwrap();
        out.write_all(&bytes).unwrap();
    }
    for (name, bytes) in extra {
        out.start_file(*name, stored).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn hostile_and_broken_pytorch_files_are_refused_naming_why() {
    let refused = |name: &str| notebook_file::open(&fixture(name)).unwrap_err();
    // Made by PyTorch: a state dict holding an object whose unpickling runs os.system.
    let e = refused("hostile-os-system.pt");
    assert!(matches!(&e, OpenError::Unsafe(why) if why.contains("posix.system")), "{e}");
    // A data.pkl that inflates to 64 MB: read no further than a model file can be.
    assert!(refused("hostile-zip-bomb.pt").to_string().contains("larger than a model file"));
    let e = refused("rgb.pt").to_string();
    assert!(e.contains("not the notebook's classifier") && e.contains("conv1.weight [8, 3, 3, 3]"), "{e}");
    assert!(matches!(refused("too-many-filters.safetensors"), OpenError::Shape(_)));

    let pt = fixture("notebook.pt");
    // The same file, rewritten, still opens (the rewriting is not what is refused).
    assert!(notebook_file::open(&with_entries(&pt, &[])).is_ok());
    // A second pickle: the one checked must be the one read, so neither is.
    let hostile = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/notebook/hostile-os-system.pt")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(hostile.as_slice())).unwrap();
    let mut evil = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("hostile-os-system/data.pkl").unwrap(), &mut evil).unwrap();
    let e = notebook_file::open(&with_entries(&pt, &[("data.pkl", &evil)])).unwrap_err().to_string();
    assert!(e.contains("expected one data.pkl in the archive, found 2"), "{e}");
    // Truncated anywhere: refused, never a panic.
    for cut in [10, pt.len() / 3, pt.len() / 2, pt.len() - 30] {
        assert!(notebook_file::open(&pt[..cut]).is_err(), "cut at {cut}");
    }
    // Random bytes after a zip's magic.
    let mut noise = b"PK\x03\x04".to_vec();
    noise.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    assert!(matches!(notebook_file::open(&noise), Err(OpenError::Pytorch(_))));
}
