//! Filterlab's SGD with momentum is PyTorch's `torch.optim.SGD(momentum=0.9)`: five steps from
//! the same start model on the same batch (`tests/optimizer_fixture.py` ran PyTorch) give
//! PyTorch's losses, gradient norms and parameters, on the fused path and on stock Burn.

mod common;

use filterlab_core::{
    Model, NetShape, Ops, OptimizerKind, Split, TrainConfig, Trainer, Weights, burn::prelude::*, dataset::Samples, idx::PIXELS,
};
use serde_json::Value;

fn fixture() -> Value {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test");
    let path = std::path::Path::new(&root).join("../../tests/fixtures/notebook/momentum-steps.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn numbers(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

/// The fixture's batch: the 8-vs-1 train split's first 32 eights (class 0) and first 32 ones.
fn batch() -> Split {
    let split = common::split();
    let eights = split.train.classes.iter().filter(|&&c| c == 0).count();
    let mut samples = Samples::default();
    for i in (0..32).chain(eights..eights + 32) {
        samples.pixels.extend_from_slice(&split.train.pixels[i * PIXELS..(i + 1) * PIXELS]);
        samples.classes.push(split.train.classes[i]);
    }
    Split { digits: split.digits, train: samples.clone(), test: samples }
}

#[test]
fn momentum_takes_pytorchs_steps() {
    let want = fixture();
    let start = Weights::from_slice(NetShape::NOTEBOOK, &numbers(&want["start"]));
    let (after, losses) = (numbers(&want["after"]), numbers(&want["losses"]));
    let norms: Vec<Vec<f32>> = want["grad_norms"].as_array().unwrap().iter().map(numbers).collect();
    let split = batch();
    let device = Device::flex();
    for ops in [Ops::Fused, Ops::Stock] {
        // One batch an epoch: five epochs are five steps on the same 64 images (in any order).
        let config = TrainConfig::new().with_optimizer(OptimizerKind::Momentum).with_lr(0.05).with_batch_size(64).with_epochs(5).with_ops(ops);
        let mut trainer = Trainer::with_model(&split, config, Model::from_weights(&start, &device), &device);
        let mut ours = Vec::new();
        pollster::block_on(async {
            for step in 0..5 {
                assert!(trainer.step());
                let (loss, gradient) = trainer.last_step().await.unwrap().unwrap();
                // The gradient's norms, as PyTorch's `p.grad` gave them before its step.
                for (what, o, p) in [("conv", gradient.conv, norms[step][0]), ("fc", gradient.fc, norms[step][1])] {
                    assert!((o - p).abs() <= 1e-4 * p, "{ops}: {what} gradient norm of step {step}: ours {o}, PyTorch {p}");
                }
                ours.push(loss);
                assert!(!trainer.step(), "one step an epoch");
                trainer.finish_epoch().await.unwrap();
            }
        });
        for (step, (o, p)) in ours.iter().zip(&losses).enumerate() {
            assert!((o - p).abs() <= 1e-5 * p.abs(), "{ops}: loss of step {step}: ours {o}, PyTorch {p}");
        }
        let weights = pollster::block_on(trainer.weights()).unwrap().to_vec();
        let moved = weights.iter().zip(start.to_vec()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(moved > 1e-2, "{ops}: five steps moved the weights by at most {moved}");
        for (i, (o, p)) in weights.iter().zip(&after).enumerate() {
            assert!((o - p).abs() <= 1e-5 * p.abs().max(1e-1), "{ops}: parameter {i}: ours {o}, PyTorch {p}");
        }
        // Without momentum the same steps end elsewhere: the test can tell the optimizers apart.
        if ops == Ops::Fused {
            let sgd = TrainConfig::new().with_lr(0.05).with_batch_size(64).with_epochs(5);
            let mut plain = Trainer::with_model(&split, sgd, Model::from_weights(&start, &device), &device);
            let plain_weights = pollster::block_on(async {
                for _ in 0..5 {
                    assert!(plain.step());
                    assert!(!plain.step());
                    plain.finish_epoch().await.unwrap();
                }
                plain.weights().await.unwrap().to_vec()
            });
            let apart = plain_weights.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(apart > 1e-3, "plain SGD came within {apart} of PyTorch's momentum steps");
        }
    }
}
