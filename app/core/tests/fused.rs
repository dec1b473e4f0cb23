//! The fused training step against Burn's stock autodiff path: the same updated parameters, loss,
//! correct counts and test figures, on the CPU backend and, where wgpu finds an adapter (a GPU, or
//! llvmpipe/lavapipe), on the GPU kernels too.

mod common;

use std::sync::Mutex;

use burn::prelude::*;
use filterlab_core::{
    DigitPair, Model, ModelConfig, NetShape, Ops, OptimizerKind, Split, TrainConfig, Trainer, Weights,
    dataset::Samples,
    device::{self, DeviceKind},
    idx::PIXELS,
    training,
};

/// `|a − b| ≤ rel · |b|`, with `rel · floor` as the least allowed difference (numbers near zero).
fn assert_close(what: &str, a: &[f32], b: &[f32], rel: f32, floor: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let allowed = rel * y.abs().max(floor);
        assert!((x - y).abs() <= allowed, "{what}[{i}]: fused {x} vs stock {y} (allowed ±{allowed:e})");
    }
}

/// Samples that reach the corners of the method: real digits, noise up to the image's edges (the
/// conv's padding), blank and constant images (every pooling window a tie), in mixed classes.
fn awkward(len: usize, pair: DigitPair) -> Samples {
    let split = Split::pair(common::mnist(), pair).unwrap();
    let mut samples = Samples::default();
    let mut noise = 12345u32;
    for i in 0..len {
        let class = (i % 3 == 0) as u8;
        let image: Vec<u8> = match i % 5 {
            0 => vec![0; PIXELS],
            1 => vec![255; PIXELS],
            2 => (0..PIXELS)
                .map(|_| {
                    noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (noise >> 24) as u8
                })
                .collect(),
            _ => split.train.bytes(i).to_vec(),
        };
        samples.pixels.extend(image);
        samples.classes.push(if i % 5 >= 3 { split.train.classes[i] } else { class });
    }
    samples
}

/// The first `train` images of the ten-digit split, and 300 of its test images.
fn small_ten_split(train: usize) -> Split {
    let all = Split::all(common::mnist(), common::t10k()).unwrap();
    let take = |s: &Samples, n: usize| Samples { pixels: s.pixels[..n * PIXELS].to_vec(), classes: s.classes[..n].to_vec() };
    Split { digits: all.digits, train: take(&all.train, train), test: take(&all.test, 300) }
}

/// A split of `train` samples (and a small real test set) for `pair`.
fn small_split(train: usize, pair: DigitPair) -> Split {
    let real = Split::pair(common::mnist(), pair).unwrap();
    let test = Samples { pixels: real.test.pixels[..300 * PIXELS].to_vec(), classes: real.test.classes[..300].to_vec() }
        .concat(Samples { pixels: real.test.pixels[1000 * PIXELS..1200 * PIXELS].to_vec(), classes: real.test.classes[1000..1200].to_vec() });
    Split { digits: pair.into(), train: awkward(train, pair), test }
}

trait Concat {
    fn concat(self, other: Self) -> Self;
}
impl Concat for Samples {
    fn concat(mut self, other: Self) -> Self {
        self.pixels.extend(other.pixels);
        self.classes.extend(other.classes);
        self
    }
}

/// Weights, last batch loss and (after `epoch_end`) the epoch's figures after `steps` steps.
struct After {
    weights: Weights,
    loss: f32,
    /// The last step's gradient norms: conv, fc.
    gradient: [f32; 2],
    figures: Option<[f32; 4]>,
}

fn train(split: &Split, config: TrainConfig, steps: usize, epoch_end: bool, device: &Device) -> After {
    train_from(None, split, config, steps, epoch_end, device)
}

/// Like [`train`], from these weights rather than the seed's.
/// One seeded model at a time: the CPU backend's random generator is one for the process, and a
/// model's parameters are drawn lazily, so two tests seeding and drawing at once would mix their
/// draws. Every `Trainer::new` here holds this until its weights are drawn.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The seed's initial weights for this config.
fn seeded(split: &Split, config: TrainConfig, device: &Device) -> Weights {
    let _turn = one_at_a_time();
    pollster::block_on(Trainer::new(split, config, device).unwrap().weights()).unwrap()
}

fn train_from(start: Option<&Weights>, split: &Split, config: TrainConfig, steps: usize, epoch_end: bool, device: &Device) -> After {
    let _turn = one_at_a_time();
    let mut trainer = match start {
        Some(w) => Trainer::with_model(split, config, Model::from_weights(w, device), device),
        None => Trainer::new(split, config, device).unwrap(),
    };
    pollster::block_on(async {
        for _ in 0..steps {
            assert!(trainer.step(), "the split has fewer than {steps} steps");
        }
        let (loss, gradient) = trainer.last_step().await.unwrap().unwrap();
        let gradient = [gradient.conv, gradient.fc];
        let weights = trainer.weights().await.unwrap();
        let figures = if epoch_end {
            assert!(!trainer.step(), "the epoch should be over");
            let m = trainer.finish_epoch().await.unwrap();
            assert_eq!(m.weights, weights);
            Some([m.train_loss, m.train_acc, m.test_loss, m.test_acc])
        } else {
            None
        };
        After { weights, loss, gradient, figures }
    })
}

/// Runs both paths from the same seed (so the same initial model and batch order) and compares.
fn compare(split: &Split, config: TrainConfig, steps: usize, epoch_end: bool, device: &Device) {
    let fused = train(split, config.clone().with_ops(Ops::Fused), steps, epoch_end, device);
    let stock = train(split, config.with_ops(Ops::Stock), steps, epoch_end, device);
    assert_close("parameters", &fused.weights.to_vec(), &stock.weights.to_vec(), 1e-5, 1e-2);
    assert_close("batch loss", &[fused.loss], &[stock.loss], 1e-5, 0.0);
    assert_close("gradient norms", &fused.gradient, &stock.gradient, 1e-4, 1e-3);
    // (The conv layer's is zero when every filter is frozen.)
    assert!(stock.gradient[1] > 0.0, "the linear layer has a gradient: {:?}", stock.gradient);
    if let (Some(f), Some(s)) = (fused.figures, stock.figures) {
        // Train/test loss and accuracy; the accuracies are exact counts.
        assert_close("epoch figures", &f, &s, 1e-5, 0.0);
    }
}

/// The gradient itself, seen through one SGD step with learning rate 1 (Δp = −g): every entry
/// within 1e-4 of the largest. From the seed's model, and from one whose filter 0 is all zeros:
/// its conv output is then the same in every position, a tie in every pooling window, and only
/// the first position of each window (the stock tie rule) gives the stock gradient for its taps.
fn compare_gradient(split: &Split, batch: usize, model: ModelConfig, device: &Device) {
    let config = || TrainConfig::new().with_model(model).with_lr(1.0).with_batch_size(batch).with_seed(3);
    let seeded = seeded(split, config(), device);
    let mut tied = seeded.clone();
    tied.conv_weight[..9].fill(0.0);
    compare_gradient_from(&seeded, split, batch, device);
    compare_gradient_from(&tied, split, batch, device);
}

fn compare_gradient_from(start: &Weights, split: &Split, batch: usize, device: &Device) {
    let config = || TrainConfig::new().with_model(ModelConfig::from(start.shape)).with_lr(1.0).with_batch_size(batch).with_seed(3);
    let before = start.to_vec();
    let delta = |ops| {
        let after = train_from(Some(start), split, config().with_ops(ops), 1, false, device).weights.to_vec();
        after.iter().zip(&before).map(|(a, b)| a - b).collect::<Vec<f32>>()
    };
    let (fused, stock) = (delta(Ops::Fused), delta(Ops::Stock));
    let largest = stock.iter().fold(0.0f32, |m, d| m.max(d.abs()));
    assert!(largest > 1e-3, "the step moved nothing: {largest}");
    for (i, (f, s)) in fused.iter().zip(&stock).enumerate() {
        assert!((f - s).abs() <= 1e-4 * largest, "gradient[{i}]: fused {f} vs stock {s} (largest {largest})");
    }
}

fn on(device: &Device) {
    let pair = DigitPair::default();
    // 97 = 64 + a short last batch of 33, as 10,593 = 165 × 64 + 33 ends the real epoch.
    let split = small_split(97, pair);
    many_steps_at_once(&split, device);
    warm_up_changes_no_run(&split, device);
    // Batches of 256 or more: on a GPU, split over workgroups of 128 images and summed in a
    // second pass. 700 = 300 + 300 + a last batch of 100 (split too, in one workgroup).
    let big = small_split(700, pair);
    compare_gradient(&big, 300, ModelConfig::new(), device);
    compare(&big, TrainConfig::new().with_batch_size(300).with_epochs(1), 3, true, device);
    compare(&big, TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_batch_size(300).with_frozen(vec![1]), 2, false, device);
    compare_gradient(&split, 64, ModelConfig::new(), device);
    compare(&split, TrainConfig::new().with_epochs(1), 2, true, device);
    compare(&split, TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_batch_size(16), 6, false, device);
    compare(&split, TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_batch_size(64), 2, true, device);
    compare(&split, TrainConfig::new().with_optimizer(OptimizerKind::Momentum).with_lr(0.05).with_batch_size(16), 6, false, device);
    // Another digit pair, an odd batch size.
    let other = small_split(50, DigitPair { negative: 3, positive: 5 });
    compare_gradient(&other, 7, ModelConfig::new(), device);
    compare(&other, TrainConfig::new().with_batch_size(7).with_lr(0.05), 8, true, device);
    // Frozen filters ("train the head only"): the same on both paths, and left exactly as they were.
    for frozen in [vec![0, 3], (0..8).collect()] {
        for optimizer in OptimizerKind::ALL {
            let config = TrainConfig::new().with_optimizer(optimizer).with_lr(0.05).with_batch_size(16).with_frozen(frozen.clone());
            compare(&split, config.clone(), 5, false, device);
            stay_frozen(&split, config, &frozen, device);
        }
    }
    // All ten digits: the notebook's conv layer with a 10-way linear layer (on a GPU, the
    // kernels compiled for ten classes), with a short last batch and a frozen filter.
    let ten = small_ten_split(97);
    let model = ModelConfig::new().with_classes(10);
    compare_gradient(&ten, 64, model, device);
    compare(&ten, TrainConfig::new().with_model(model).with_epochs(1), 2, true, device);
    compare(&ten, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Adam).with_batch_size(16).with_frozen(vec![1]), 6, false, device);
    stay_frozen(&ten, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Adam).with_batch_size(16).with_frozen(vec![1]), &[1], device);
    compare(&ten, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Momentum).with_lr(0.05).with_batch_size(16).with_frozen(vec![1]), 6, false, device);
    stay_frozen(&ten, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Momentum).with_batch_size(16).with_frozen(vec![1]), &[1], device);
}

/// Steps queued several at a time (one dispatch each on a GPU) give the same numbers, to the
/// last bit, as the same steps one at a time: with SGD and with Adam (whose constants change every
/// step), across the epoch's short last batch, a frozen filter, and into the next epoch.
fn many_steps_at_once(split: &Split, device: &Device) {
    type Reads = Vec<((usize, usize), Vec<u32>)>;
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        // 97 images in batches of 16: 7 steps an epoch, the last of one image.
        let config = TrainConfig::new().with_optimizer(optimizer).with_lr(0.01).with_batch_size(16).with_frozen(vec![2]);
        // What is read back after each group of steps, by (epoch, step); the epoch's figures at
        // step 0 of the next; the weights at the end.
        let run = |epochs: [&[usize]; 2]| -> Reads {
            let _turn = one_at_a_time();
            let mut trainer = Trainer::new(split, config.clone(), device).unwrap();
            pollster::block_on(async {
                let mut reads = Vec::new();
                for (e, groups) in epochs.into_iter().enumerate() {
                    for &k in groups {
                        assert_eq!(trainer.steps(k), k, "epoch {e}: {k} steps left");
                        let (loss, gradient) = trainer.last_step().await.unwrap().unwrap();
                        reads.push(((e, trainer.step_in_epoch()), bits(&[loss, gradient.conv, gradient.fc])));
                    }
                    if e == 0 {
                        assert_eq!(trainer.steps(5), 0, "the epoch is over");
                        let m = trainer.finish_epoch().await.unwrap();
                        reads.push(((1, 0), bits(&[m.train_loss, m.train_acc, m.test_loss, m.test_acc])));
                    }
                }
                reads.push(((9, 9), bits(&trainer.weights().await.unwrap().to_vec())));
                reads
            })
        };
        let one_by_one = run([&[1; 7], &[1; 5]]);
        let at_once = run([&[3, 4], &[5]]);
        assert_eq!(at_once.len(), 5);
        for (at, read) in &at_once {
            let single = &one_by_one.iter().find(|(a, _)| a == at).expect("read one by one too").1;
            assert_eq!(single, read, "{optimizer:?} at (epoch, step) {at:?}: steps in one op differ from steps one at a time");
        }
    }
}

/// The shader warm-up leaves nothing behind on the device: a run after it trains exactly as the
/// same run before it.
fn warm_up_changes_no_run(split: &Split, device: &Device) {
    let config = TrainConfig::new().with_optimizer(OptimizerKind::Adam).with_batch_size(16);
    let before = train(split, config.clone(), 3, false, device).weights;
    {
        let _turn = one_at_a_time();
        training::warm_up(NetShape::NOTEBOOK, device);
        training::warm_up(ModelConfig::new().with_classes(10).with_kernel(5).shape(), device);
    }
    assert_eq!(train(split, config, 3, false, device).weights, before, "a run after the warm-up");
}

/// After a few steps on each path, the frozen filters' weights and biases are bit-identical to
/// the start, and every other filter and the linear layer moved.
fn stay_frozen(split: &Split, config: TrainConfig, frozen: &[usize], device: &Device) {
    let start = seeded(split, config.clone(), device);
    for ops in [Ops::Fused, Ops::Stock] {
        let after = train(split, config.clone().with_ops(ops), 5, false, device).weights;
        for f in 0..8 {
            let bits = |w: &Weights| (w.filter(f).iter().map(|v| v.to_bits()).collect::<Vec<_>>(), w.conv_bias[f].to_bits());
            let same = bits(&after) == bits(&start);
            assert_eq!(same, frozen.contains(&f), "{ops} {:?}: filter {f} frozen {}, unchanged {same}", config.optimizer, frozen.contains(&f));
        }
        assert_ne!(after.fc_weight, start.fc_weight, "{ops}: the linear layer trains");
    }
}

#[test]
fn fused_step_matches_stock_burn_on_the_cpu() {
    on(&Device::flex());
}

#[test]
#[cfg_attr(not(feature = "wgpu"), ignore = "needs the wgpu feature: bash tests/gpu")]
fn fused_step_matches_stock_burn_on_wgpu_where_there_is_an_adapter() {
    match pollster::block_on(device::start(DeviceKind::WebGpu)) {
        Ok(started) => {
            eprintln!("checking the GPU kernels on {}", started.description);
            on(&started.device);
            other_shapes_in_the_kernels(&started.device);
        }
        // No adapter on this machine. tests/run installs lavapipe and sets FILTERLAB_REQUIRE_WGPU,
        // so there the kernels are always checked.
        Err(e) if std::env::var_os("FILTERLAB_REQUIRE_WGPU").is_none() => eprintln!("skipped: {e}"),
        Err(e) => panic!("FILTERLAB_REQUIRE_WGPU is set, but wgpu has no adapter: {e}"),
    }
}

/// The GPU kernels for other networks (their filter count, kernel, pool and classes are
/// compile-time parameters, and set how the work is spread): fewer filters, pool 4 and 14, up to
/// 32 filters, 5×5 kernels, ten classes; several images a round, several cells an invocation,
/// pooling windows split in parts (1 filter pool 14: 14 parts; 3 filters 5×5 pool 14: 7), the
/// largest network (1,568 pooled features); SGD and Adam with a frozen filter, and the
/// gradient of one SGD step.
fn other_shapes_in_the_kernels(device: &Device) {
    let pair = small_split(97, DigitPair::default());
    let ten = small_ten_split(97);
    let (big_pair, big_ten) = (small_split(300, DigitPair::default()), small_ten_split(300));
    let shapes = [
        ModelConfig::new().with_filters(2).with_pool(4),
        ModelConfig::new().with_filters(3),
        ModelConfig::new().with_filters(9),
        ModelConfig::new().with_filters(32).with_pool(14),
        ModelConfig::new().with_filters(1).with_pool(14).with_classes(10),
        ModelConfig::new().with_filters(20).with_pool(4),
        ModelConfig::new().with_kernel(5),
        ModelConfig::new().with_kernel(5).with_filters(3).with_pool(14).with_classes(10),
        ModelConfig::new().with_kernel(5).with_filters(1).with_pool(4),
        ModelConfig::new().with_kernel(5).with_filters(32).with_pool(4).with_classes(10),
    ];
    for model in shapes {
        let started = std::time::Instant::now();
        let split = if model.classes == 10 { &ten } else { &pair };
        compare(split, TrainConfig::new().with_model(model).with_epochs(1), 2, true, device);
        compare(split, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Adam).with_batch_size(16).with_frozen(vec![0]), 6, false, device);
        compare(split, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Momentum).with_batch_size(16).with_frozen(vec![0]), 6, false, device);
        compare_gradient(split, 64, model, device);
        // A batch split over three workgroups.
        compare_gradient(if model.classes == 10 { &big_ten } else { &big_pair }, 300, model, device);
        eprintln!("{}: checked in {:.1} s", model.shape(), started.elapsed().as_secs_f64());
    }
}

/// Networks other than the notebook's, on the CPU backend (the loops with the shape read at run time): the fused step matches stock Burn for small and large
/// filter counts, both kernels, every pooling, ten classes, both optimizers and frozen filters.
#[test]
fn fused_step_matches_stock_burn_for_other_shapes_on_the_cpu() {
    let device = Device::flex();
    let split = small_split(97, DigitPair::default());
    let shapes = [
        ModelConfig::new().with_filters(2).with_pool(4),
        ModelConfig::new().with_filters(1).with_kernel(5).with_pool(14),
        ModelConfig::new().with_filters(32).with_kernel(5).with_pool(4),
        ModelConfig::new().with_filters(3).with_classes(10),
    ];
    let ten = small_ten_split(97);
    for model in shapes {
        let split = if model.classes == 10 { &ten } else { &split };
        compare(split, TrainConfig::new().with_model(model).with_epochs(1), 2, true, &device);
        compare(split, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Adam).with_batch_size(16).with_frozen(vec![0]), 6, false, &device);
        compare(split, TrainConfig::new().with_model(model).with_optimizer(OptimizerKind::Momentum).with_batch_size(16).with_frozen(vec![0]), 6, false, &device);
    }
    // The gradient itself, through an SGD step of lr 1, for one of them.
    let config = |ops| TrainConfig::new().with_model(shapes[0]).with_lr(1.0).with_batch_size(64).with_seed(3).with_ops(ops);
    let start = seeded(&split, config(Ops::Stock), &device);
    let step = |ops| train_from(Some(&start), &split, config(ops), 1, false, &device).weights.to_vec();
    let (fused, stock) = (step(Ops::Fused), step(Ops::Stock));
    assert_close("one SGD step of lr 1, 2 filters pool 4", &fused, &stock, 1e-4, 1e-2);
}

/// The whole real epoch: 166 steps with a short last batch, the test set through the evaluation op.
#[test]
fn a_real_epoch_trains_the_same_way() {
    let config = TrainConfig::new().with_epochs(1);
    compare(common::split(), config, 166, true, &Device::flex());
}

/// A wgpu device of its own (so no other test's tensors are in its pools), held to WebGPU's
/// default limits; `None` where wgpu has no adapter and none is required.
#[cfg(feature = "wgpu")]
fn own_wgpu_device() -> Option<Device> {
    use burn::tensor::wgpu::{WgpuSetup, wgpu};
    let setup = pollster::block_on(async {
        let instance = wgpu::Instance::default();
        let adapter = instance.request_adapter(&wgpu::RequestAdapterOptions::default()).await.ok()?;
        let limits = wgpu::Limits::default();
        assert_eq!(limits.max_storage_buffer_binding_size, 128 << 20, "WebGPU's default");
        let descriptor = wgpu::DeviceDescriptor { required_features: adapter.features(), required_limits: limits, ..Default::default() };
        let (device, queue) = adapter.request_device(&descriptor).await.ok()?;
        let backend = adapter.get_info().backend;
        Some(WgpuSetup { instance, adapter, device, queue, backend })
    });
    let Some(setup) = setup else {
        assert!(std::env::var_os("FILTERLAB_REQUIRE_WGPU").is_none(), "FILTERLAB_REQUIRE_WGPU is set, but wgpu has no adapter");
        eprintln!("skipped: no wgpu adapter");
        return None;
    };
    Some(Device::wgpu_options().setup(setup).init().unwrap())
}

/// All ten digits train on a wgpu device held to WebGPU's default limits, as many phones and
/// integrated GPUs report them: no buffer bound over 128 MiB (the 60,000 images as floats were
/// 188 MB; packed as bytes, 47 MB), 16 KiB of workgroup memory, 256 invocations.
#[test]
#[cfg(feature = "wgpu")]
fn ten_digits_train_within_webgpus_default_limits() {
    let Some(device) = own_wgpu_device() else { return };
    let split = Split::all(common::mnist(), common::t10k()).unwrap();
    let config = TrainConfig::new().with_model(ModelConfig::new().with_classes(10)).with_batch_size(256);
    let _turn = one_at_a_time();
    let mut trainer = Trainer::new(&split, config, &device).unwrap();
    assert_eq!(trainer.steps(3), 3);
    let (loss, _) = pollster::block_on(trainer.last_step()).unwrap().unwrap();
    assert!(loss.is_finite() && loss > 0.0, "a ten-digit loss: {loss}");
}

/// Run after run on one GPU, memory in use comes back to the same figure once each run's trainer
/// is dropped, and to nothing after a cleanup. The runs take their steps in groups that start at
/// other places in the order (CubeCL keeps a small uniform buffer, in use until a cleanup, for
/// each distinct set of launch numbers: a start among them grew that cache at every dispatch), read
/// back after each group, end epochs, and use the model as the page does (its weights; the test
/// set's probabilities).
#[test]
#[cfg(feature = "wgpu")]
fn runs_leave_the_gpus_memory_as_they_found_it() {
    let Some(device) = own_wgpu_device() else { return };
    let split = small_split(512, DigitPair::default());
    let _turn = one_at_a_time();
    // 16 steps an epoch: the same group sizes in every run, starting at other steps.
    let groups = [[2, 3, 3, 3, 3, 2], [2, 2, 3, 3, 3, 3], [2, 3, 2, 3, 3, 3]];
    let mut in_use = Vec::new();
    for sizes in groups {
        let config = TrainConfig::new().with_epochs(5).with_batch_size(32).with_optimizer(OptimizerKind::Adam);
        let mut trainer = Trainer::new(&split, config, &device).unwrap();
        pollster::block_on(async {
            for _epoch in 0..2 {
                for size in sizes {
                    assert_eq!(trainer.steps(size), size);
                    trainer.last_step().await.unwrap().expect("a step was taken");
                }
                let metrics = trainer.finish_epoch().await.unwrap();
                let model = Model::from_weights(&metrics.weights, &device);
                filterlab_core::explain::probabilities(&model, &split.test, &device).await.unwrap();
            }
            trainer.steps(2);
            trainer.weights().await.unwrap();
        });
        drop(trainer);
        let usage = device.memory_pool_usage().expect("wgpu reports its pools");
        in_use.push((usage.number_allocs, usage.bytes_in_use));
    }
    assert!(in_use.iter().all(|&u| u == in_use[0]), "GPU allocations and bytes in use after each run: {in_use:?}");
    device.memory_cleanup();
    let usage = device.memory_pool_usage().unwrap();
    assert_eq!((usage.number_allocs, usage.bytes_in_use), (0, 0), "after a cleanup: {usage:?}");
}
