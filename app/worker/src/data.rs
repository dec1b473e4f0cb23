//! Starting a device, and the data: the MNIST files downloaded with progress, the splits made
//! once and kept, a preview of the training images.

use std::rc::Rc;

use filterlab_core::{
    Digits, Mnist, NetShape, Split,
    dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS},
    training,
};
use filterlab_protocol::{DeviceInfo, DeviceKind, DevicePref, FromWorker, Preview, Progress};

use crate::{
    auto::{self, Plan},
    device::{self, Started},
    download,
    error::WorkerError,
    post,
    session::Session,
};

impl Session {
    /// Starts the device asked for (Auto: the faster one), then loads the data if not loaded yet.
    pub async fn start(self, pref: DevicePref, calibrate: bool) -> Result<(), WorkerError> {
        // The model lives on the old device: the page gives it back (Import) once the data is
        // ready. A later Start (the user switched again) supersedes this one, which then stops
        // quietly.
        let run = self.forget_model();
        let use_device = |started: Started| {
            post(&FromWorker::Device(DeviceInfo { kind: started.kind, name: started.name, note: started.note }));
            self.with(|s| s.device = Some((started.device, started.kind)));
        };
        let plan = match pref {
            DevicePref::Auto => auto::plan(calibrate).await,
            pref => Plan::Decided(device::start(pref).await),
        };
        self.check(run)?;
        let to_calibrate = match plan {
            Plan::Decided(started) => {
                use_device(started);
                None
            }
            Plan::Calibrate(webgpu) => Some(webgpu),
        };
        if self.with(|s| s.mnist.is_none()) {
            let base_url = self.with(|s| s.base_url.clone());
            let [labels, images] = load_mnist(&base_url, [TRAIN_LABELS, TRAIN_IMAGES]).await?;
            let mnist = Mnist::from_idx(&images, &labels).map_err(|e| format!("the MNIST data is damaged: {e}"))?;
            self.with(|s| s.mnist = Some(Rc::new(mnist)));
        }
        let split = self.split(Digits::default()).await?;
        if let Some(webgpu) = to_calibrate {
            post(&FromWorker::Calibrating);
            let started = auto::calibrate(&split, webgpu, self.with(|s| s.ops)).await;
            self.check(run)?;
            use_device(started);
        }
        post(&FromWorker::DataReady { train: split.train.len(), test: split.test.len(), digits: split.digits });
        post_preview(&split);
        // The notebook's kernels compile now, while the user reads the page, not in the first
        // step. Not before the data: compiling them then held Ready back (SwiftShader, 2 cores:
        // Train enabled at 6.3 s instead of 1.3 s, the first step at 10.4 s instead of 4.6 s).
        if let Some((device, DeviceKind::WebGpu)) = self.with(|s| s.device.clone()) {
            training::warm_up(NetShape::NOTEBOOK, &device);
        }
        Ok(())
    }

    /// The split for these digits, made once and kept; all ten digits download the t10k files
    /// the first time.
    pub async fn split(&self, digits: Digits) -> Result<Rc<Split>, WorkerError> {
        if let Some(split) = self.with(|s| s.split.clone()).filter(|s| s.digits == digits) {
            return Ok(split);
        }
        let mnist = self.with(|s| s.mnist.clone()).ok_or("the MNIST data is not loaded yet")?;
        let split = match digits {
            Digits::Pair(pair) => Split::pair(&mnist, pair),
            Digits::All => {
                let t10k = match self.with(|s| s.t10k.clone()) {
                    Some(t10k) => t10k,
                    None => {
                        let base_url = self.with(|s| s.base_url.clone());
                        let [labels, images] = load_mnist(&base_url, [TEST_LABELS, TEST_IMAGES]).await?;
                        let t10k = Rc::new(Mnist::test_from_idx(&images, &labels).map_err(|e| format!("the MNIST test data is damaged: {e}"))?);
                        self.with(|s| s.t10k = Some(t10k.clone()));
                        t10k
                    }
                };
                Split::all(&mnist, &t10k)
            }
        };
        let split = Rc::new(split.map_err(|e| e.to_string())?);
        self.with(|s| s.split = Some(split.clone()));
        Ok(split)
    }
}

/// Downloads two MNIST files (labels first: small, so the bar's total is known for the big file).
async fn load_mnist(base_url: &str, names: [&str; 2]) -> Result<[Vec<u8>; 2], String> {
    let mut done = 0u64;
    let mut files = Vec::new();
    for name in names {
        let url = format!("{base_url}{}{name}", filterlab_protocol::mnist::FOLDER);
        let bytes = download::fetch(&url, |loaded, total| {
            post(&FromWorker::DataProgress(Progress { loaded: done + loaded, total: total.map(|t| done + t) }));
        })
        .await?;
        done += bytes.len() as u64;
        files.push(bytes);
    }
    Ok(files.try_into().unwrap())
}

/// A few random training images of each class: a row of eight for a pair, four each for ten.
pub fn post_preview(split: &Split) {
    let classes = split.digits.classes();
    let each = if classes == 2 { 8 } else { 4 };
    let mut images = vec![Vec::new(); classes];
    for (class, strip) in images.iter_mut().enumerate() {
        let of_class: Vec<usize> = (0..split.train.len()).filter(|&i| split.train.classes[i] as usize == class).collect();
        for _ in 0..each.min(of_class.len()) {
            let i = of_class[(js_sys::Math::random() * of_class.len() as f64) as usize % of_class.len()];
            strip.push(split.train.image(i));
        }
    }
    post(&FromWorker::Preview(Preview { digits: split.digits, images }));
}
