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
use filterlab_protocol::{Settings, TrainingRecord};

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
        /// Class-0 digit, class-1 digit (the notebook: 8 → 0, 1 → 1); or `all` for all ten
        /// digits (a 10-way linear layer, tested on the t10k files).
        #[arg(long, default_value = "8,1")]
        digits: Digits,
        #[arg(long, default_value = "cpu")]
        device: DeviceKind,
        /// How a step runs: the fused op (one kernel per step on a GPU, for every network) or
        /// Burn's stock autodiff path.
        #[arg(long, default_value = "fused")]
        ops: Ops,
        /// Conv filters, 1–32.
        #[arg(long, default_value_t = 8)]
        filters: usize,
        /// Conv kernel side, 3 or 5 (padding keeps 28×28).
        #[arg(long, default_value_t = 3)]
        kernel: usize,
        /// Max-pool side and stride, 4, 7 or 14 (28×28 → 7×7, 4×4 or 2×2).
        #[arg(long, default_value_t = 7)]
        pool: usize,
        /// Filters to leave as initialised (for example 0,1,2): training moves only the rest.
        #[arg(long, value_delimiter = ',')]
        freeze: Vec<usize>,
        /// Folder holding the MNIST idx files (gzip or raw): train, and t10k for `--digits all`.
        #[arg(long, default_value = "public/mnist")]
        data: PathBuf,
        /// Write the trained model here (a Filterlab model file: filterlab_protocol::model_file).
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Evaluate a saved model on the test set of its digits.
    Eval {
        model: PathBuf,
        #[arg(long, default_value = "cpu")]
        device: DeviceKind,
        #[arg(long, default_value = "public/mnist")]
        data: PathBuf,
    },
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

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Train { optimizer, lr, epochs, batch_size, seed, digits, device, ops, filters, kernel, pool, freeze, data, save } => {
            let model = ModelConfig::new().with_filters(filters).with_kernel(kernel).with_pool(pool).with_classes(digits.classes());
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
            let started = device::start(device).await.map_err(|e| e.to_string())?;
            println!("Using device: {}", started.description);

            let split = load_split(&data, digits)?;
            let classes = match digits {
                Digits::Pair(p) => format!("{} → class 0, {} → class 1", p.negative, p.positive),
                Digits::All => "all ten digits, class k is digit k; tested on the t10k files".into(),
            };
            println!("Train: {} images, Test: {} images ({classes})\n", split.train.len(), split.test.len());
            print_model(&model.shape());
            let mut trainer = Trainer::new(&split, config, &started.device).map_err(|e| e.to_string())?;
            println!("\nOptimizer: {optimizer}, lr {lr}, batch size {batch_size}, {epochs} epochs, seed {seed}, {ops} ops");

            let settings = Settings { optimizer, lr, epochs, batch_size, seed, digits, shape: model.shape(), frozen: freeze };
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
                let file = ModelFile { weights: weights.clone(), digits: split.digits, record };
                std::fs::write(&path, file.to_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                println!("Saved model to {}", path.display());
            }
            Ok(())
        }
        Command::Eval { model: path, device, data } => {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let ModelFile { weights, digits, .. } =
                ModelFile::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            let started = device::start(device).await.map_err(|e| e.to_string())?;
            println!("Using device: {}", started.description);
            println!("Network: {}", weights.shape);
            let split = load_split(&data, digits)?;
            let model = Model::from_weights(&weights, &started.device);
            let (loss, acc) = training::test_metrics(&model, &split.test, &started.device)
                .await
                .map_err(|e| e.to_string())?;
            println!("Test - Loss: {loss:.4} Acc: {acc:.4}");
            Ok(())
        }
    }
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
