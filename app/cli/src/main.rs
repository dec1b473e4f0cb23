//! `filterlab train ...`: the notebook in a terminal, printing what the notebook prints.

use std::{ops::ControlFlow, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use filterlab_core::{
    DigitPair, Mnist, Model, Ops, OptimizerKind, Progress, Split, TrainConfig, Trainer, Weights,
    dataset::{TRAIN_IMAGES, TRAIN_LABELS},
    device::{self, DeviceKind},
    model, training,
    model_file::ModelFile,
};
use filterlab_protocol::{Settings, TrainingRecord};

#[derive(Parser)]
#[command(version, about = "Train the MNIST 1-vs-8 CNN of the notebook")]
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
        /// Class-0 digit, class-1 digit (the notebook: 8 → 0, 1 → 1).
        #[arg(long, default_value = "8,1")]
        digits: DigitPair,
        #[arg(long, default_value = "cpu")]
        device: DeviceKind,
        /// How a step runs: the fused op (one kernel per step on a GPU) or Burn's stock autodiff path.
        #[arg(long, default_value = "fused")]
        ops: Ops,
        /// Folder holding the MNIST train idx files (gzip or raw).
        #[arg(long, default_value = "public/mnist")]
        data: PathBuf,
        /// Write the trained model here (a Filterlab model file: filterlab_protocol::model_file).
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Evaluate a saved model on the test split of its digit pair.
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

fn load_mnist(folder: &PathBuf) -> Result<Mnist, String> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    Mnist::from_idx(&read(TRAIN_IMAGES)?, &read(TRAIN_LABELS)?).map_err(|e| e.to_string())
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Train { optimizer, lr, epochs, batch_size, seed, digits, device, ops, data, save } => {
            let config = TrainConfig::new()
                .with_optimizer(optimizer)
                .with_lr(lr)
                .with_epochs(epochs)
                .with_batch_size(batch_size)
                .with_seed(seed)
                .with_ops(ops);
            config.validate().map_err(|e| e.to_string())?;
            let started = device::start(device).await.map_err(|e| e.to_string())?;
            println!("Using device: {}", started.description);

            let mnist = load_mnist(&data)?;
            println!("Images shape: [{}, 28, 28]", mnist.len());
            let split = Split::new(&mnist, digits).map_err(|e| e.to_string())?;
            println!(
                "Train: {} images, Test: {} images ({} → class 0, {} → class 1)\n",
                split.train.len(),
                split.test.len(),
                digits.negative,
                digits.positive
            );
            print_model();
            println!("\nOptimizer: {optimizer}, lr {lr}, batch size {batch_size}, {epochs} epochs, seed {seed}, {ops} ops");

            let settings = Settings { optimizer, lr, epochs, batch_size, seed, digits };
            let mut history = Vec::new();
            let mut trainer = Trainer::new(&split, config, &started.device).map_err(|e| e.to_string())?;
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
                let file = ModelFile { weights: weights.clone(), digits: split.pair, record };
                std::fs::write(&path, file.to_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                println!("Saved model to {}", path.display());
            }
            Ok(())
        }
        Command::Eval { model: path, device, data } => {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let ModelFile { weights, digits: pair, .. } =
                ModelFile::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            let started = device::start(device).await.map_err(|e| e.to_string())?;
            println!("Using device: {}", started.description);
            let split = Split::new(&load_mnist(&data)?, pair).map_err(|e| e.to_string())?;
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
fn print_model() {
    println!("{}", model::summary());
    let table = model::param_table();
    println!("Total parameters: {}", table.iter().map(|p| p.count()).sum::<usize>());
    for p in &table {
        println!("{}: {} parameters, shape {:?}", p.name, p.count(), p.shape);
    }
}

/// The learned filters as numbers (the page draws them).
fn print_filters(w: &Weights) {
    println!();
    for f in 0..8 {
        let k = w.filter(f);
        println!(
            "Filter {f}: [{:7.4} {:7.4} {:7.4}] [{:7.4} {:7.4} {:7.4}] [{:7.4} {:7.4} {:7.4}]  bias {:7.4}",
            k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], w.conv_bias[f]
        );
    }
}
