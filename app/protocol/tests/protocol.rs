//! Messages survive the trip through JSON, and settings are checked like the form checks them.

use filterlab_protocol::{
    DevicePref, DigitError, DigitPair, EpochRow, FromWorker, OptimizerKind, Settings, SettingsError, ToWorker,
};

#[test]
fn messages_round_trip() {
    let to = [
        ToWorker::Start { device: DevicePref::WebGpu, base_url: "http://127.0.0.1:8080/".into(), calibrate: false },
        ToWorker::Start { device: DevicePref::Auto, base_url: "/".into(), calibrate: true },
        ToWorker::Train { settings: Settings { optimizer: OptimizerKind::Adam, ..Settings::default() } },
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
    };
    let from = [FromWorker::Ready, FromWorker::Calibrating, FromWorker::Epoch { row }, FromWorker::Error { message: "x".into() }];
    for m in from {
        assert_eq!(FromWorker::from_json(&m.to_json()).unwrap(), m);
    }
    assert!(ToWorker::from_json(r#"{"type":"Explode"}"#).unwrap_err().contains("malformed"));
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
    let same = Settings { digits: DigitPair { negative: 3, positive: 3 }, ..Default::default() };
    assert_eq!(bad(same), SettingsError::Digits(DigitError::SameDigit(3)));
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
