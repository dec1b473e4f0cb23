//! The run library's stored records: read back as written, damaged or newer ones refused with a
//! reason, and a model file kept before the library (one saved model) becomes a record.

use filterlab_protocol::{Digits, EpochRow, ModelFile, NetShape, OptimizerKind, RECORD_VERSION, RunRecord, Settings, TrainingRecord, Weights};

fn row(epoch: usize) -> EpochRow {
    EpochRow { epoch, epochs: 2, optimizer: OptimizerKind::Adam, train_loss: 0.2, train_acc: 0.9, test_loss: 0.1, test_acc: 0.95, seconds: 1.0, dispatches_per_step: None, my_acc: None }
}

fn model_file(record: &TrainingRecord) -> Vec<u8> {
    let weights = Weights::from_slice(NetShape::NOTEBOOK, &vec![0.25; NetShape::NOTEBOOK.params()]);
    ModelFile { weights, digits: Digits::default(), record: record.to_json() }.to_bytes()
}

#[test]
fn records_round_trip_and_refuse_damage_and_newer_versions() {
    let adam = Settings { optimizer: OptimizerKind::Adam, lr: 0.01, ..Settings::default() };
    let bytes = model_file(&TrainingRecord { settings: Some(adam.clone()), history: vec![row(1), row(2)] });
    let record = RunRecord::from_model_file(&bytes, "r1".into(), 1, 5.0).unwrap();
    assert_eq!(RunRecord::from_json(&record.to_json()), Ok(record.clone()));
    assert_eq!((record.label.as_str(), record.history.len(), record.file_bytes), ("Adam lr 0.01 seed 42 8,1, 8 filters 3×3, pool 7", 2, bytes.len()));
    assert_eq!((record.version, record.test_acc()), (RECORD_VERSION, Some(0.95)));
    assert_eq!(record.settings, Some(adam));
    let csv = record.epochs_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines, ["epoch,optimizer,train_loss,train_acc,test_loss,test_acc,seconds,dispatches_per_step,my_digits_acc", "1,Adam,0.2,0.9,0.1,0.95,1,,", "2,Adam,0.2,0.9,0.1,0.95,1,,"]);
    let batches = vec![
        filterlab_protocol::BatchLoss { at: 0.5, loss: 0.25, gradient: None },
        filterlab_protocol::BatchLoss { at: 1.0, loss: 0.125, gradient: Some(filterlab_protocol::GradientNorms { conv: 0.5, fc: 0.75 }) },
    ];
    let curve = RunRecord { batches, ..record.clone() }.curve_csv();
    assert_eq!(curve, "epoch,batch_loss,conv_grad_norm,fc_grad_norm\n0.5,0.25,,\n1,0.125,0.5,0.75\n");

    let newer = record.to_json().replace(&format!("\"version\":{RECORD_VERSION}"), "\"version\":99");
    assert!(RunRecord::from_json(&newer).unwrap_err().contains("newer Filterlab (record version 99"), "{newer}");
    let cut = &record.to_json()[..40];
    assert!(RunRecord::from_json(cut).unwrap_err().starts_with("it is damaged"));
    let gap = RunRecord { history: vec![row(1), row(3)], ..record };
    assert!(RunRecord::from_json(&gap.to_json()).unwrap_err().contains("not numbered"));
}

#[test]
fn a_model_kept_before_the_library_becomes_its_first_run() {
    // A file without settings (imported by hand, or from before the record): named by its task.
    let bytes = model_file(&TrainingRecord { settings: None, history: vec![] });
    let record = RunRecord::from_model_file(&bytes, "old".into(), 1, 7.0).unwrap();
    assert_eq!((record.label.as_str(), record.number, record.started_ms), ("8 vs 1, 8 filters 3×3, pool 7", 1, 7.0));
    let mut damaged = bytes.clone();
    damaged[20] ^= 1;
    assert!(RunRecord::from_model_file(&damaged, "old".into(), 1, 7.0).is_err(), "a bad checksum is refused");
}
