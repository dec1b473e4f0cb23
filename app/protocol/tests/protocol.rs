//! Messages survive the trip through JSON, and settings are checked like the form checks them.

use filterlab_protocol::{
    DeviceInfo, DeviceKind, DevicePref, DigitError, DigitPair, Digits, EpochRow, Filters, FromWorker, GpuMemory, Memory, ModelSource, NetShape, Ops,
    OptimizerKind, Progress, Settings, SettingsError, ShapeError, ToWorker, TrainingRecord,
};

#[test]
fn messages_round_trip() {
    let to = [
        ToWorker::Start { device: DevicePref::WebGpu, base_url: "http://127.0.0.1:8080/".into(), calibrate: false, ops: Ops::Fused },
        ToWorker::Start { device: DevicePref::Auto, base_url: "/".into(), calibrate: true, ops: Ops::Stock },
        ToWorker::Train { settings: Settings { optimizer: OptimizerKind::Adam, ..Settings::default() }, resume: false },
        ToWorker::Train { settings: Settings::default(), resume: true },
        ToWorker::Import { bytes: vec![70, 76, 65, 66], source: ModelSource::File { name: "m.flab".into() } },
        ToWorker::Stop,
        ToWorker::Classify { width: 2, height: 1, ink: vec![0, 255] },
    ];
    for m in to {
        assert_eq!(ToWorker::from_json(&m.to_json()).unwrap(), m);
    }
    let row = EpochRow {
        epoch: 1,
        epochs: 10,
        optimizer: OptimizerKind::Sgd,
        train_loss: 0.6738,
        train_acc: 0.5783,
        test_loss: 0.3981,
        test_acc: 0.9305,
        seconds: 1.5,
        dispatches_per_step: Some(41.5),
        my_acc: None,
    };
    let from = [
        FromWorker::Ready,
        FromWorker::Calibrating,
        FromWorker::Epoch { row: row.clone() },
        FromWorker::Error { message: "x".into() },
        FromWorker::Checkpoint { file: vec![1, 2, 3], epoch_end: true },
        FromWorker::Restored { source: ModelSource::Saved, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: None, history: vec![row] },
        FromWorker::Filters(Filters { shape: NetShape { filters: 1, kernel: 5, pool: 4, classes: 2 }, weights: vec![0.5; 25], biases: vec![0.0] }),
        FromWorker::ImportRefused { source: ModelSource::Saved, reason: "x".into() },
        FromWorker::Memory(Memory { wasm_bytes: 1 << 20, gpu: Some(GpuMemory { allocations: 3, bytes_in_use: 10, bytes_reserved: 20, buffers: Some(4) }) }),
        FromWorker::DataProgress(Progress { loaded: 5, total: None }),
        FromWorker::DeviceLost { message: "x".into() },
        FromWorker::Crashed { message: "x".into() },
    ];
    for m in from {
        assert_eq!(FromWorker::from_json(&m.to_json()).unwrap(), m);
    }
    assert!(ToWorker::from_json(r#"{"type":"Explode"}"#).unwrap_err().contains("malformed"));
    // A report's fields sit beside the message's type, as the browser tests read them.
    let device = FromWorker::Device(DeviceInfo { kind: DeviceKind::Cpu, name: "CPU".into(), note: None });
    assert_eq!(device.to_json(), r#"{"type":"Device","kind":"Cpu","name":"CPU","note":null}"#);
    assert_eq!(FromWorker::from_json(r#"{"type":"DataProgress","loaded":1,"total":2}"#), Ok(FromWorker::DataProgress(Progress { loaded: 1, total: Some(2) })));
    // A Train message from an older page (no `resume`) trains a fresh model.
    let old = r#"{"type":"Train","settings":{"optimizer":"Sgd","lr":0.001,"epochs":10,"batch_size":64,"seed":42,"digits":{"negative":8,"positive":1}}}"#;
    assert!(matches!(ToWorker::from_json(old), Ok(ToWorker::Train { resume: false, .. })), "{:?}", ToWorker::from_json(old));
    // …and its settings (no `shape`, from before the filter lab) name the notebook's network.
    let Ok(ToWorker::Train { settings, .. }) = ToWorker::from_json(old) else { unreachable!() };
    assert_eq!(settings.shape, NetShape::NOTEBOOK);
}

fn row(epoch: usize) -> EpochRow {
    EpochRow {
        epoch,
        epochs: 2,
        optimizer: OptimizerKind::Adam,
        train_loss: 0.1,
        train_acc: 0.9,
        test_loss: 0.1,
        test_acc: 0.9,
        seconds: 0.5,
        dispatches_per_step: None,
        my_acc: None,
    }
}

#[test]
fn training_records_round_trip_and_refuse_nonsense() {
    let record = TrainingRecord { settings: Some(Settings::default()), history: vec![row(1), row(2)] };
    assert_eq!(TrainingRecord::from_json(&record.to_json()), Ok(record));
    assert_eq!(TrainingRecord::from_json(""), Ok(TrainingRecord { settings: None, history: vec![] }));
    assert!(TrainingRecord::from_json("{not json").unwrap_err().contains("malformed"));
    let bad_settings = TrainingRecord { settings: Some(Settings { lr: -1.0, ..Settings::default() }), history: vec![] };
    assert!(TrainingRecord::from_json(&bad_settings.to_json()).unwrap_err().contains("bad settings"));
    let gap = TrainingRecord { settings: None, history: vec![row(1), row(3)] };
    assert!(TrainingRecord::from_json(&gap.to_json()).unwrap_err().contains("numbered"));
}

#[test]
fn software_adapters_are_recognised() {
    use filterlab_protocol::adapter::is_software;
    assert!(is_software("google / swiftshader", false));
    assert!(is_software("mesa / llvmpipe (LLVM 15.0.6, 256 bits)", false));
    assert!(is_software("some vendor", true));
    assert!(!is_software("nvidia / ampere / NVIDIA H100", false));
}

#[test]
fn the_page_asks_for_auto_by_default() {
    assert_eq!(DevicePref::default(), DevicePref::Auto);
}

#[test]
fn settings_limits() {
    assert_eq!(Settings::default().validate(), Ok(()));
    let bad = |s: Settings| s.validate().unwrap_err();
    assert_eq!(bad(Settings { lr: 0.0, ..Default::default() }), SettingsError::LearningRate(0.0));
    assert!(matches!(bad(Settings { lr: f64::NAN, ..Default::default() }), SettingsError::LearningRate(_)));
    assert_eq!(bad(Settings { batch_size: 0, ..Default::default() }), SettingsError::BatchSize(0));
    assert_eq!(bad(Settings { epochs: 1001, ..Default::default() }), SettingsError::Epochs(1001));
    let same = Settings { digits: Digits::Pair(DigitPair { negative: 3, positive: 3 }), ..Default::default() };
    assert_eq!(bad(same), SettingsError::Digits(DigitError::SameDigit(3)));
    let pool_5 = Settings { shape: NetShape { pool: 5, ..NetShape::NOTEBOOK }, ..Default::default() };
    assert_eq!(bad(pool_5), SettingsError::Shape(ShapeError::Pool(5)));
    let ten = Settings { shape: NetShape { classes: 10, ..NetShape::NOTEBOOK }, ..Default::default() };
    assert_eq!(bad(ten), SettingsError::Classes { digits: Digits::default(), classes: 10 });
    let all = Settings { digits: Digits::All, ..Default::default() };
    assert_eq!(bad(all.clone()).to_string(), "all ten digits needs a network with 10 classes, not 2");
    let all = Settings { shape: NetShape { classes: 10, ..NetShape::NOTEBOOK }, ..all };
    assert_eq!(all.validate(), Ok(()));
}

/// The task reads "8,1" or "all"; in JSON a pair keeps the form records had before the
/// ten-digit task, so old saved settings still read.
#[test]
fn digits_parse_and_keep_their_json() {
    assert_eq!("all".parse::<Digits>(), Ok(Digits::All));
    assert_eq!(" 0-9 ".parse::<Digits>(), Ok(Digits::All));
    assert_eq!("3,5".parse::<Digits>(), Ok(Digits::Pair(DigitPair::new(3, 5).unwrap())));
    assert_eq!("some".parse::<Digits>().unwrap_err().to_string(), r#"cannot read digits "some": expected two digits such as "8,1", or "all""#);
    assert_eq!((Digits::All.classes(), Digits::All.digit(7), Digits::default().digit(0)), (10, 7, 8));
    assert_eq!(Digits::All.list(), (0..10).collect::<Vec<u8>>());
    assert_eq!(serde_json::to_string(&Digits::default()).unwrap(), r#"{"negative":8,"positive":1}"#);
    assert_eq!(serde_json::to_string(&Digits::All).unwrap(), r#""all""#);
    for d in [Digits::All, Digits::default()] {
        assert_eq!(serde_json::from_str::<Digits>(&serde_json::to_string(&d).unwrap()).unwrap(), d);
    }
    // A bad pair reads, and is refused where every setting is checked.
    let same: Digits = serde_json::from_str(r#"{"negative":3,"positive":3}"#).unwrap();
    assert_eq!(Settings { digits: same, ..Default::default() }.validate(), Err(SettingsError::Digits(DigitError::SameDigit(3))));
    assert!(serde_json::from_str::<Digits>(r#""most""#).is_err());
}

#[test]
fn digit_pairs_parse() {
    assert_eq!("8,8".parse::<DigitPair>(), Err(DigitError::SameDigit(8)));
    assert_eq!("8,10".parse::<DigitPair>(), Err(DigitError::NotADigit(10)));
    assert!(matches!("eight".parse::<DigitPair>(), Err(DigitError::Syntax(_))));
    assert_eq!(" 8 , 1 ".parse::<DigitPair>(), Ok(DigitPair::default()));
    assert_eq!(DigitPair::default().to_string(), "8,1");
    assert!("rmsprop".parse::<OptimizerKind>().is_err());
}

#[test]
fn ops_parse_and_default_to_fused() {
    assert_eq!(Ops::default(), Ops::Fused);
    assert_eq!("stock".parse::<Ops>(), Ok(Ops::Stock));
    assert_eq!("Fused".parse::<Ops>(), Ok(Ops::Fused));
    assert_eq!("fast".parse::<Ops>(), Err(SettingsError::Ops("fast".into())));
    // A Start from a page that predates the option still reads, as fused.
    let new = ToWorker::Start { device: DevicePref::Auto, base_url: "/".into(), calibrate: false, ops: Ops::Stock }.to_json();
    let old = new.replace(r#","ops":"Stock""#, "");
    assert_ne!(old, new);
    assert!(matches!(ToWorker::from_json(&old).unwrap(), ToWorker::Start { ops: Ops::Fused, .. }));
}

/// The CLI's `--device` names: cpu, or wgpu (also gpu, webgpu), any case; anything else is a
/// clear error.
#[test]
fn device_kinds_parse_from_their_names() {
    for (name, kind) in [("cpu", DeviceKind::Cpu), ("wgpu", DeviceKind::WebGpu), ("GPU", DeviceKind::WebGpu), ("WebGPU", DeviceKind::WebGpu)] {
        assert_eq!(name.parse::<DeviceKind>(), Ok(kind), "{name}");
    }
    let error = "tpu".parse::<DeviceKind>().unwrap_err();
    assert_eq!(error.to_string(), "unknown device \"tpu\": expected cpu or wgpu");
}
