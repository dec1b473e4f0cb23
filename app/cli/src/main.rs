//! `filterlab train ...`: the notebook in a terminal, printing what the notebook prints.

use std::{ops::ControlFlow, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use filterlab_core::{
    Digits, Mnist, Model, ModelConfig, NetShape, Ops, OptimizerKind, Progress, Split, TrainConfig, Trainer, Weights,
    dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS},
    device::{self, DeviceKind},
    training,
    model_file::ModelFile,
};
use filterlab_protocol::{
    Settings, TrainingRecord,
    notebook_file::{self, Opened},
};

#[derive(Parser)]
#[command(version, about = "Train the MNIST 1-vs-8 CNN of the notebook (or any digit pair, or all ten digits)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a fresh model and print the notebook's per-epoch lines.
    Train {
        #[arg(long, default_value = "sgd")]
        optimizer: OptimizerKind,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Class-0 digit, class-1 digit (the notebook: 8 → 0, 1 → 1, the default); or `all` for
        /// all ten digits (a 10-way linear layer, tested on the t10k files).
        #[arg(long)]
        digits: Option<Digits>,
        #[arg(long, default_value = "cpu")]
        device: DeviceKind,
        /// How a step runs: the fused op (one dispatch for up to ten steps on a GPU, two a step for batches of 256 or more; every network) or
        /// Burn's stock autodiff path.
        #[arg(long, default_value = "fused")]
        ops: Ops,
        /// Conv filters, 1–32 (default 8).
        #[arg(long)]
        filters: Option<usize>,
        /// Conv kernel side, 3 or 5 (padding keeps 28×28; default 3).
        #[arg(long)]
        kernel: Option<usize>,
        /// Max-pool side and stride, 4, 7 or 14 (28×28 → 7×7, 4×4 or 2×2; default 7).
        #[arg(long)]
        pool: Option<usize>,
        /// Start from this file's weights (.flab, PyTorch .pt/.pth, .safetensors) instead of a
        /// fresh model: the network is the file's, and so are its digits unless --digits says.
        #[arg(long)]
        init: Option<PathBuf>,
        /// Filters to leave as initialised (for example 0,1,2): training moves only the rest.
        #[arg(long, value_delimiter = ',')]
        freeze: Vec<usize>,
        /// Folder holding the MNIST idx files (gzip or raw): train, and t10k for `--digits all`.
        #[arg(long, default_value = "public/mnist")]
        data: PathBuf,
        /// Write the trained model here: a Filterlab model file, or the notebook's
        /// `.safetensors` when the name ends so.
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Evaluate a saved model (.flab, PyTorch .pt/.pth, .safetensors) on the test set of its digits.
    Eval {
        model: PathBuf,
        #[arg(long, default_value = "cpu")]
        device: DeviceKind,
        #[arg(long, default_value = "public/mnist")]
        data: PathBuf,
    },
    /// Convert a model file: read any format `eval` reads, write the notebook's `.safetensors`
    /// when the output's name ends so, else a `.flab`.
    Export { from: PathBuf, to: PathBuf },
}

fn main() -> ExitCode {
    match pollster::block_on(run(Cli::parse().command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The task's split from the MNIST files in `folder` (the t10k files only for all ten digits).
fn load_split(folder: &PathBuf, digits: Digits) -> Result<Split, String> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let train = Mnist::from_idx(&read(TRAIN_IMAGES)?, &read(TRAIN_LABELS)?).map_err(|e| e.to_string())?;
    println!("Images shape: [{}, 28, 28]", train.len());
    let split = match digits {
        Digits::Pair(pair) => Split::pair(&train, pair),
        Digits::All => Split::all(&train, &Mnist::test_from_idx(&read(TEST_IMAGES)?, &read(TEST_LABELS)?).map_err(|e| e.to_string())?),
    };
    split.map_err(|e| e.to_string())
}

/// Starts the device; without the `gpu` feature, says how to get wgpu.
async fn start(kind: DeviceKind) -> Result<device::StartedDevice, String> {
    device::start(kind).await.map_err(|e| match e {
        device::DeviceError::NotBuilt => format!("{e}: build the CLI with it, `cargo build --release -p filterlab-cli --features gpu`"),
        e => e.to_string(),
    })
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Train { optimizer, lr, epochs, batch_size, seed, digits, device, ops, filters, kernel, pool, init, freeze, data, save } => {
            let init = init.map(|path| open(&path)).transpose()?;
            let (digits, shape) = match &init {
                Some(opened) => {
                    let shape = opened.file.weights.shape;
                    let asked = [(filters, shape.filters, "--filters"), (kernel, shape.kernel, "--kernel"), (pool, shape.pool, "--pool")];
                    if let Some((_, _, flag)) = asked.iter().find(|(asked, has, _)| asked.is_some_and(|a| a != *has)) {
                        return Err(format!("{flag} differs from the network of the --init file ({shape})"));
                    }
                    (digits.unwrap_or(opened.file.digits), shape)
                }
                None => {
                    let digits = digits.unwrap_or_default();
                    let n = NetShape::NOTEBOOK;
                    let shape = NetShape { filters: filters.unwrap_or(n.filters), kernel: kernel.unwrap_or(n.kernel), pool: pool.unwrap_or(n.pool), classes: digits.classes() };
                    (digits, shape)
                }
            };
            if digits.classes() != shape.classes {
                return Err(format!("the --init file's network has {} classes: it cannot learn {}", shape.classes, digits.describe()));
            }
            let model = ModelConfig::from(shape);
            let config = TrainConfig::new()
                .with_model(model)
                .with_frozen(freeze.clone())
                .with_optimizer(optimizer)
                .with_lr(lr)
                .with_epochs(epochs)
                .with_batch_size(batch_size)
                .with_seed(seed)
                .with_ops(ops);
            config.validate().map_err(|e| e.to_string())?;
            let started = start(device).await?;
            println!("Using device: {}", started.description);

            let split = load_split(&data, digits)?;
            let classes = match digits {
                Digits::Pair(p) => format!("{} → class 0, {} → class 1", p.negative, p.positive),
                Digits::All => "all ten digits, class k is digit k; tested on the t10k files".into(),
            };
            println!("Train: {} images, Test: {} images ({classes})\n", split.train.len(), split.test.len());
            print_model(&model.shape());
            let mut trainer = match &init {
                Some(opened) => Trainer::with_model(&split, config, Model::from_weights(&opened.file.weights, &started.device), &started.device),
                None => Trainer::new(&split, config, &started.device).map_err(|e| e.to_string())?,
            };
            println!("\nOptimizer: {optimizer}, lr {lr}, batch size {batch_size}, {epochs} epochs, seed {seed}, {ops} ops");

            let settings = Settings { optimizer, lr, epochs, batch_size, seed, digits, shape: model.shape(), frozen: freeze, my_digits: false };
            let mut history = Vec::new();
            trainer
                .run(|progress| {
                    if let Progress::Epoch(m) = progress {
                        history.push(m.row(0, epochs, optimizer));
                        println!(
                            "Epoch {}/{epochs} - Loss: {:.4} Acc: {:.4} - Time: {:.2}s",
                            m.epoch, m.train_loss, m.train_acc, m.seconds
                        );
                        println!("Test - Loss: {:.4} Acc: {:.4}", m.test_loss, m.test_acc);
                    }
                    ControlFlow::Continue(())
                })
                .await
                .map_err(|e| e.to_string())?;

            let weights = trainer.weights().await.map_err(|e| e.to_string())?;
            print_filters(&weights);
            if let Some(path) = save {
                let record = TrainingRecord { settings: Some(settings), history }.to_json();
                save_as(&path, &ModelFile { weights: weights.clone(), digits: split.digits, record })?;
            }
            Ok(())
        }
        Command::Export { from, to } => save_as(&to, &open(&from)?.file),
        Command::Eval { model: path, device, data } => {
            let ModelFile { weights, digits, .. } = open(&path)?.file;
            let started = start(device).await?;
            println!("Using device: {}", started.description);
            println!("Network: {}", weights.shape);
            let split = load_split(&data, digits)?;
            let model = Model::from_weights(&weights, &started.device);
            let (loss, acc) = training::test_metrics(&model, &split.test, &started.device)
                .await
                .map_err(|e| e.to_string())?;
            let n = split.test.len();
            println!("Test - Loss: {loss:.4} Acc: {acc:.4} ({}/{n} images)", (acc as f64 * n as f64).round());
            Ok(())
        }
    }
}

/// Reads a model file of any format the page imports, printing what the reader had to assume.
fn open(path: &PathBuf) -> Result<Opened, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // The size first: a file too large to be a model is not read.
    let len = std::fs::metadata(path).map_err(cannot)?.len();
    if len > filterlab_protocol::MAX_MODEL_FILE_BYTES as u64 {
        return Err(format!("{}: {}", path.display(), notebook_file::OpenError::TooLarge(len as usize)));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    let opened = notebook_file::open(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(note) = &opened.note {
        println!("{}: {note}", path.display());
    }
    Ok(opened)
}

/// Writes `file` as the notebook's `.safetensors` when `path` ends so, else as a `.flab`.
fn save_as(path: &PathBuf, file: &ModelFile) -> Result<(), String> {
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => notebook_file::to_safetensors(file),
        Some("pt" | "pth") => return Err(format!("{}: PyTorch reads the .safetensors Filterlab writes; name the file .safetensors", path.display())),
        _ => file.to_bytes(),
    };
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("Saved model to {}", path.display());
    Ok(())
}

/// The notebook's model print and parameter count.
fn print_model(shape: &NetShape) {
    println!("{}", shape.summary());
    let table = shape.param_table();
    println!("Total parameters: {}", table.iter().map(|p| p.count()).sum::<usize>());
    for p in &table {
        println!("{}: {} parameters, shape {:?}", p.name, p.count(), p.shape);
    }
}

/// The learned filters as numbers, a bracket per kernel row (the page draws them).
fn print_filters(w: &Weights) {
    println!();
    for f in 0..w.shape.filters {
        let rows: Vec<String> = w
            .filter(f)
            .chunks(w.shape.kernel)
            .map(|row| format!("[{}]", row.iter().map(|v| format!("{v:7.4}")).collect::<Vec<_>>().join(" ")))
            .collect();
        println!("Filter {f}: {}  bias {:7.4}", rows.join(" "), w.conv_bias[f]);
    }
}
