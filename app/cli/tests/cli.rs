//! The CLI prints the notebook's lines, saves a model that `eval` reads back, and refuses bad input.

use std::process::Command;

/// Runs the CLI from the repository root. Its path is read at run time: a build shared between
/// clones (one target dir) must not bake one clone's path into the test.
fn filterlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_filterlab"))
        .args(args)
        .current_dir(std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../.."))
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// `Epoch 1/1 - Loss: 0.6738 Acc: 0.5783 ...` → (0.6738, 0.5783)
fn numbers(line: &str, prefix: &str) -> (f32, f32) {
    let rest = line.strip_prefix(prefix).unwrap_or_else(|| panic!("{line:?} should start with {prefix:?}"));
    let loss = rest.split("Loss: ").nth(1).unwrap()[..6].parse().unwrap();
    let acc = rest.split("Acc: ").nth(1).unwrap()[..6].parse().unwrap();
    (loss, acc)
}

#[test]
fn train_prints_the_notebook_lines_and_saves_a_model() {
    let file = std::env::temp_dir().join(format!("filterlab-cli-{}.flab", std::process::id()));
    let (ok, out, err) = filterlab(&["train", "--epochs", "1", "--optimizer", "adam", "--save", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Using device: CPU (Burn flex backend)");
    assert!(lines.contains(&"Total parameters: 338"));
    assert!(lines.contains(&"fc.weight: 256 parameters, shape [2, 128]"));
    let epoch = lines.iter().find(|l| l.starts_with("Epoch 1/1 - ")).expect("an epoch line");
    let (loss, acc) = numbers(epoch, "Epoch 1/1 - ");
    assert!(loss > 0.0 && (0.5..=1.0).contains(&acc), "{epoch}");
    let test = lines.iter().find(|l| l.starts_with("Test - ")).expect("a test line");
    let trained = numbers(test, "Test - ");

    let (ok, out, err) = filterlab(&["eval", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let line = out.lines().find(|l| l.starts_with("Test - ")).unwrap();
    assert_eq!(numbers(line, "Test - "), trained);
    std::fs::remove_file(file).ok();
}

/// `--filters --kernel --pool` shape the network: the summary, the count and the filters printed
/// follow, the fused step trains it, and the saved file carries the shape to `eval`.
#[test]
fn the_network_takes_its_shape_from_the_flags() {
    let file = std::env::temp_dir().join(format!("filterlab-cli-shape-{}.flab", std::process::id()));
    let (ok, out, err) = filterlab(&["train", "--epochs", "1", "--filters", "2", "--pool", "4", "--save", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // 2·9+2 + 2·(2·7·7)+2
    assert!(lines.contains(&"Total parameters: 218"), "{out}");
    assert!(lines.contains(&"fc.weight: 196 parameters, shape [2, 98]"), "{out}");
    assert!(lines.contains(&"  (fc): Linear(in_features=98, out_features=2, bias=True)"), "{out}");
    assert!(out.contains(", fused ops"), "the CPU's fused loops take any shape: {out}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("Filter ")).count(), 2, "{out}");
    let test = lines.iter().find(|l| l.starts_with("Test - ")).expect("a test line");
    let trained = numbers(test, "Test - ");

    let (ok, out, err) = filterlab(&["eval", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Network: 2 filters 3×3, pool 4, 2 classes"), "{out}");
    let line = out.lines().find(|l| l.starts_with("Test - ")).unwrap();
    assert_eq!(numbers(line, "Test - "), trained);
    std::fs::remove_file(file).ok();

    let (ok, out, err) = filterlab(&["train", "--epochs", "1", "--kernel", "5"]);
    assert!(ok, "{err}");
    assert!(out.contains("kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)") && out.contains("Total parameters: 466"), "{out}");
}

/// `--digits all`: the ten-digit task on the standard split, saved and evaluated on the t10k file.
#[test]
fn all_ten_digits_train_and_evaluate() {
    let file = std::env::temp_dir().join(format!("filterlab-cli-ten-{}.flab", std::process::id()));
    let (ok, out, err) = filterlab(&["train", "--digits", "all", "--epochs", "1", "--optimizer", "adam", "--save", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Train: 60000 images, Test: 10000 images (all ten digits"), "{out}");
    assert!(out.contains("Total parameters: 1370") && out.contains("fc.weight: 1280 parameters, shape [10, 128]"), "{out}");
    let test = out.lines().find(|l| l.starts_with("Test - ")).expect("a test line");
    let (_, acc) = numbers(test, "Test - ");
    assert!(acc > 0.8, "{test}");
    let (ok, out, err) = filterlab(&["eval", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Network: 8 filters 3×3, pool 7, 10 classes"), "{out}");
    assert!(out.contains(test), "eval reads the same test accuracy: {out}");
    let _ = std::fs::remove_file(file);
}

#[test]
fn bad_input_is_a_clear_error() {
    let (ok, _, err) = filterlab(&["train", "--pool", "5"]);
    assert!(!ok && err.contains("pool size 5: it is 4, 7 or 14"), "{err}");
    let (ok, _, err) = filterlab(&["train", "--filters", "33"]);
    assert!(!ok && err.contains("33 filters: a network has 1 to 32"), "{err}");
    let (ok, _, err) = filterlab(&["train", "--freeze", "0,9"]);
    assert!(!ok && err.contains("filter 9 cannot be frozen: the network has 8 filters (0 to 7)"), "{err}");
    let (ok, _, err) = filterlab(&["train", "--lr=-1"]);
    assert!(!ok && err.contains("learning rate"), "{err}");
    let (ok, _, err) = filterlab(&["train", "--data", "/nonexistent"]);
    assert!(!ok && err.contains("cannot read /nonexistent/train-images-idx3-ubyte.gz"), "{err}");
    let (ok, _, err) = filterlab(&["eval", "Cargo.toml"]);
    assert!(!ok && err.contains("not a model file Filterlab reads"), "{err}");
}

/// The notebook's formats: `eval` reads PyTorch's own `.pt` and `.safetensors` (its accuracy is
/// PyTorch's, tests/fixtures/notebook/notebook.json), `export` converts, `train --init` goes on
/// from a file's weights, and `--save x.safetensors` writes the notebook's format.
#[test]
fn pytorch_files_in_and_out() {
    let fixtures = "tests/fixtures/notebook";
    let torch: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("../../{fixtures}/notebook.json")).unwrap()).unwrap();
    let counted = format!("({}/2000 images)", torch["test_correct"]);
    for file in ["notebook.pt", "notebook.safetensors", "notebook-checkpoint.pt"] {
        let (ok, out, err) = filterlab(&["eval", &format!("{fixtures}/{file}")]);
        assert!(ok, "{file}: {err}");
        assert!(out.contains("read as the notebook's 8 (class 0) vs 1"), "{file}: {out}");
        assert!(out.lines().any(|l| l.starts_with("Test - ") && l.ends_with(&counted)), "{file}: {out} (PyTorch: {counted})");
    }
    let dir = std::env::temp_dir().join(format!("filterlab-cli-torch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let converted = dir.join("m.safetensors");
    let (ok, _, err) = filterlab(&["export", &format!("{fixtures}/wide.pt"), converted.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, err) = filterlab(&["eval", converted.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Network: 16 filters 5×5"), "{out}");
    // Exported by Filterlab, the file says its digits: no note.
    assert!(!out.contains("read as the notebook's"), "{out}");

    let trained = dir.join("t.safetensors");
    let (ok, out, err) = filterlab(&["train", "--epochs", "1", "--init", &format!("{fixtures}/notebook.pt"), "--save", trained.to_str().unwrap()]);
    assert!(ok, "{err}");
    let test = out.lines().find(|l| l.starts_with("Test - ")).unwrap();
    assert!(numbers(test, "Test - ").1 > 0.9, "went on from a trained model: {test}");
    let (ok, _, err) = filterlab(&["train", "--epochs", "1", "--init", &format!("{fixtures}/notebook.pt"), "--filters", "4"]);
    assert!(!ok && err.contains("--filters differs from the network of the --init file"), "{err}");

    // A file that is not a model: a clear error.
    let junk = dir.join("junk.pt");
    std::fs::write(&junk, b"PK\x03\x04 junk").unwrap();
    let (ok, _, err) = filterlab(&["eval", junk.to_str().unwrap()]);
    assert!(!ok && err.contains("not a PyTorch file Filterlab can read"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// `--optimizer momentum` is PyTorch's SGD with momentum 0.9: it learns the pair in one epoch at
/// lr 0.01 (plain SGD at the notebook's lr 0.001 needs several), and the file says which optimizer.
#[test]
fn momentum_trains_and_is_recorded() {
    let file = std::env::temp_dir().join(format!("filterlab-cli-momentum-{}.flab", std::process::id()));
    let (ok, out, err) = filterlab(&["train", "--epochs", "1", "--optimizer", "momentum", "--lr", "0.01", "--save", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let test = out.lines().find(|l| l.starts_with("Test - ")).expect("a test line");
    let (_, acc) = numbers(test, "Test - ");
    assert!(acc > 0.9, "{test}");
    let saved = filterlab_protocol::ModelFile::from_bytes(&std::fs::read(&file).unwrap()).unwrap();
    let record = filterlab_protocol::TrainingRecord::from_json(&saved.record).unwrap();
    assert_eq!(record.settings.unwrap().optimizer, filterlab_protocol::OptimizerKind::Momentum);
    std::fs::remove_file(file).ok();
    let (ok, _, err) = filterlab(&["train", "--optimizer", "nesterov"]);
    assert!(!ok && err.contains("expected sgd, momentum or adam"), "{err}");
}
