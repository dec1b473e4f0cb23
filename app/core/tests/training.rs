//! Training on the CPU backend: the loss falls, SGD and Adam reach the notebook's accuracy,
//! stopping works, bad settings and diverging runs are clear errors.

mod common;

use std::ops::ControlFlow;

use burn::prelude::*;
use filterlab_core::{
    Model, OptimizerKind, Outcome, Progress, TrainConfig, Trainer,
    model_file::ModelFile,
    training::{ConfigError, TrainError},
};

fn train(config: TrainConfig) -> Vec<filterlab_core::EpochMetrics> {
    let mut trainer = Trainer::new(common::split(), config, &Device::flex()).unwrap();
    let mut epochs = Vec::new();
    let outcome = pollster::block_on(trainer.run(|p| {
        if let Progress::Epoch(m) = p {
            epochs.push(m.clone());
        }
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert_eq!(outcome, Outcome::Finished);
    epochs
}

#[test]
fn sgd_loss_falls_and_reaches_ninety_percent() {
    let epochs = train(TrainConfig::new().with_epochs(4).with_lr(3e-3));
    let losses: Vec<f32> = epochs.iter().map(|m| m.train_loss).collect();
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "train loss should fall: {losses:?}");
    let last = epochs.last().unwrap();
    assert!(last.test_acc >= 0.90, "SGD test accuracy {}", last.test_acc);
    assert!(last.seconds > 0.0);
    // The filters moved away from their initial values.
    assert_ne!(epochs[0].weights.conv_weight, last.weights.conv_weight);
}

/// Burn's stock autodiff path (the fused step's reference) still learns on its own.
#[test]
fn the_stock_path_reaches_ninety_percent_too() {
    let epochs = train(TrainConfig::new().with_epochs(3).with_lr(3e-3).with_ops(filterlab_core::Ops::Stock));
    assert!(epochs.last().unwrap().test_acc >= 0.90, "stock SGD test accuracy {}", epochs.last().unwrap().test_acc);
}

#[test]
fn adam_reaches_ninety_seven_percent() {
    let epochs = train(TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_epochs(2));
    let last = epochs.last().unwrap();
    assert!(last.test_acc >= 0.97, "Adam test accuracy {}", last.test_acc);
}

/// All ten digits: the notebook's network with a 10-way linear layer learns the standard split
/// (train file → t10k file) well past chance in two Adam epochs. A pair's split is refused for it.
#[test]
fn ten_digits_learn_with_adam() {
    let split = filterlab_core::Split::all(common::mnist(), common::t10k()).unwrap();
    let config = TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_lr(1e-2).with_epochs(2).with_model(filterlab_core::ModelConfig::new().with_classes(10));
    let mut trainer = Trainer::new(&split, config.clone(), &Device::flex()).unwrap();
    assert_eq!(trainer.config().ops, filterlab_core::Ops::Fused);
    let mut last = None;
    pollster::block_on(trainer.run(|p| {
        if let Progress::Epoch(m) = p {
            last = Some(m.test_acc);
        }
        ControlFlow::Continue(())
    }))
    .unwrap();
    let acc = last.unwrap();
    assert!(acc >= 0.85, "ten-digit test accuracy {acc}");
    let err = Trainer::new(common::split(), config, &Device::flex()).err().unwrap();
    assert_eq!(err.to_string(), "8 vs 1 needs a network with 2 classes, not 10");
}

#[test]
fn same_seed_same_run() {
    let config = || TrainConfig::new().with_epochs(1).with_seed(7);
    let (a, b) = (train(config()), train(config()));
    assert_eq!(a[0].train_loss, b[0].train_loss);
    assert_eq!(a[0].weights, b[0].weights);
}

#[test]
fn run_stops_when_asked() {
    let mut trainer = Trainer::new(common::split(), TrainConfig::new(), &Device::flex()).unwrap();
    let mut steps = Vec::new();
    let outcome = pollster::block_on(trainer.run(|p| {
        let Progress::Step { step, loss, .. } = p else { panic!("an epoch before three reports: {p:?}") };
        assert!(loss.is_some_and(f32::is_finite), "a reported step has its loss");
        steps.push(*step);
        if steps.len() == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }))
    .unwrap();
    assert_eq!(outcome, Outcome::Stopped);
    // The first step, then every `report_every`-th (10).
    assert_eq!(steps, [1, 10, 20]);
    assert_eq!((trainer.step_in_epoch(), trainer.epochs_done()), (20, 0));
}

/// `next` reports the epoch's first, every tenth and last step, then the epoch, and `None` when
/// the run is done; the epoch's row carries the epochs a continued model had before.
#[test]
fn next_reports_steps_then_the_epoch_then_nothing() {
    let config = TrainConfig::new().with_epochs(1).with_batch_size(512);
    let mut trainer = Trainer::new(common::split(), config, &Device::flex()).unwrap();
    let steps_per_epoch = trainer.steps_per_epoch();
    let mut reported = Vec::new();
    let metrics = loop {
        match pollster::block_on(trainer.next()).unwrap() {
            Some(Progress::Step { step, .. }) => reported.push(step),
            Some(Progress::Epoch(m)) => break m,
            None => panic!("no epoch"),
        }
    };
    let mut expected: Vec<usize> = std::iter::once(1).chain((10..=steps_per_epoch).step_by(10)).collect();
    if expected.last() != Some(&steps_per_epoch) {
        expected.push(steps_per_epoch);
    }
    assert_eq!(reported, expected);
    assert!(pollster::block_on(trainer.next()).unwrap().is_none());
    let row = metrics.row(3, 1, OptimizerKind::Sgd);
    assert_eq!((row.epoch, row.epochs, row.test_acc, row.dispatches_per_step), (4, 4, metrics.test_acc, None));
}

#[test]
fn nonsense_hyper_parameters_are_refused() {
    let bad = [
        (TrainConfig::new().with_lr(0.0), ConfigError::LearningRate(0.0)),
        (TrainConfig::new().with_lr(-1.0), ConfigError::LearningRate(-1.0)),
        (TrainConfig::new().with_lr(1e9), ConfigError::LearningRate(1e9)),
        (TrainConfig::new().with_batch_size(0), ConfigError::BatchSize(0)),
        (TrainConfig::new().with_epochs(0), ConfigError::Epochs(0)),
    ];
    for (config, expected) in bad {
        assert_eq!(config.validate(), Err(expected.clone()));
        assert!(matches!(Trainer::new(common::split(), config, &Device::flex()), Err(TrainError::Config(e)) if e == expected));
    }
    assert!(TrainConfig::new().with_lr(f64::NAN).validate().is_err());
}

#[test]
fn nan_weights_stop_training_with_a_clear_error() {
    let device = Device::flex();
    let mut weights = pollster::block_on(Model::new(&device).weights()).unwrap();
    weights.fc_bias[0] = f32::NAN;
    let model = Model::from_weights(&weights, &device);
    let mut trainer = Trainer::with_model(common::split(), TrainConfig::new(), model, &device);
    while trainer.step() {}
    let err = pollster::block_on(trainer.finish_epoch()).unwrap_err();
    assert!(matches!(err, TrainError::NotFinite { epoch: 1, .. }), "{err}");
    assert!(err.to_string().contains("diverged"));
}

#[test]
fn saved_model_predicts_the_same_after_loading() {
    let device = Device::flex();
    let epochs = train(TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_epochs(1));
    let trained = &epochs[0].weights;
    let file = ModelFile { weights: trained.clone(), digits: common::split().digits, record: String::new() }.to_bytes();
    let ModelFile { weights: loaded, digits: pair, .. } = ModelFile::from_bytes(&file).unwrap();
    assert_eq!((&loaded, pair), (trained, common::split().digits));
    let images = Tensor::<2>::from_data(TensorData::new(common::split().test.floats(0..64), [64, 784]), &device);
    let before = Model::from_weights(trained, &device).forward_flat(images.clone()).into_data();
    let after = Model::from_weights(&loaded, &device).forward_flat(images).into_data();
    assert_eq!(before, after);
    let (loss, acc) = pollster::block_on(filterlab_core::training::test_metrics(
        &Model::from_weights(&loaded, &device),
        &common::split().test,
        &device,
    ))
    .unwrap();
    // Training measured the test set with the fused op, this with Burn's stock layers: the same
    // count, the same loss but for rounding.
    assert_eq!(acc, epochs[0].test_acc);
    assert!((loss - epochs[0].test_loss).abs() <= 1e-5 * loss, "{loss} vs {}", epochs[0].test_loss);
}

/// Training can go on from a saved model (what the page's Continue does after a reload, an
/// import or a lost GPU): the next epoch starts where the saved one ended, not from scratch.
#[test]
fn training_resumes_from_saved_weights() {
    let device = Device::flex();
    let config = || TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_epochs(1);
    let first = train(config());
    let model = Model::from_weights(&first[0].weights, &device);
    let mut trainer = Trainer::with_model(common::split(), config(), model, &device);
    let resumed = pollster::block_on(async {
        while trainer.step() {}
        trainer.finish_epoch().await
    })
    .unwrap();
    assert!(resumed.train_loss < first[0].train_loss * 0.8, "resumed {} vs first {}", resumed.train_loss, first[0].train_loss);
    assert!(resumed.test_acc >= first[0].test_acc - 0.01);
}

/// A device failure says its innermost cause, not Burn's chain of "Caused by:" and a backtrace.
#[test]
fn device_errors_say_their_innermost_cause() {
    let burn_error = burn::tensor::ExecutionError::WithContext {
        reason: "kernel launch failed\nCaused by:\n  Buffer is invalid\n\nBacktrace:\n  0: cubecl::launch".into(),
    };
    let error = TrainError::from(burn_error);
    assert!(matches!(&error, TrainError::Device(why) if why == "Buffer is invalid"), "{error:?}");
    assert_eq!(error.to_string(), "the device failed: Buffer is invalid");
}
