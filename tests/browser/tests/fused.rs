//! The fused training step in the browser: a few steps of the one-kernel WebGPU step (SwiftShader)
//! give the CPU path's numbers, at most two dispatches a step, for SGD, momentum and Adam. (Shader
//! validation errors are silent in wasm, so only numbers compared in the page prove the kernel ran.)
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use filterlab_protocol::{DigitPair, Digits, ModelFile, NetShape, Weights};
use harness::{Browser, Fault, Gpu, MINUTE};

/// A model with spread-out weights (the scale of PyTorch's initialisation), the same for both devices.
fn start_model() -> Vec<u8> {
    let mut seed = 7u32;
    let mut uniform = |scale: f32| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * scale
    };
    let conv: Vec<f32> = (0..72).map(|_| uniform(1.0 / 3.0)).collect();
    let bias: Vec<f32> = (0..8).map(|_| uniform(1.0 / 3.0)).collect();
    let fc: Vec<f32> = (0..256).map(|_| uniform(0.088)).collect();
    let fc_bias: Vec<f32> = (0..2).map(|_| uniform(0.088)).collect();
    harness::model_file(&conv, &bias, &fc, &fc_bias)
}

/// What one device did: the epoch row's cells and the weights after it.
struct Run {
    row: Vec<String>,
    weights: Vec<f32>,
    /// The last reported step's gradient norms, conv and fc (the gradient chart's).
    gradient: Vec<f64>,
}

/// The gradient chart's latest point.
async fn last_gradient(b: &Browser) -> Vec<f64> {
    b.attr("chart-gradients", "data-last").await.split(',').map(|v| v.parse().expect("the chart has a point")).collect()
}

/// WebGPU's run gave the CPU path's numbers: weights within 1e-4 relative (plus `slack`), the
/// epoch row's figures as shown (4 decimals), the last gradient norms within 1e-3, and it ran the
/// fused kernel, several steps a dispatch where it could (at most `most` dispatches a step).
fn same_numbers(what: &str, gpu: &Run, cpu: &Run, slack: f32, most: f64) {
    for (i, (g, c)) in gpu.weights.iter().zip(&cpu.weights).enumerate() {
        let allowed = 1e-4 * c.abs().max(1e-2) + slack;
        assert!((g - c).abs() <= allowed, "{what}: weight {i}: WebGPU {g} vs CPU {c}");
    }
    // Train loss, train acc, test loss, test acc.
    for k in 1..5 {
        let (g, c): (f64, f64) = (gpu.row[k].parse().unwrap(), cpu.row[k].parse().unwrap());
        assert!((g - c).abs() <= 2e-4, "{what}: column {k}: WebGPU {g} vs CPU {c}");
    }
    let dispatches: f64 = gpu.row[6].parse().expect("WebGPU counts its dispatches");
    assert!(dispatches <= most, "{what}: {dispatches} dispatches per step, more than {most}");
    assert_eq!(cpu.row[6], "—", "the CPU path dispatches nothing");
    let (g, c) = (&gpu.gradient, &cpu.gradient);
    assert_eq!((g.len(), c.len()), (2, 2), "{what}: gradient norms {g:?} {c:?}");
    // (The conv layer's is zero when its only filter is frozen.)
    assert!(c[1] > 0.0, "{what}: the linear layer has a gradient: {c:?}");
    for (g, c) in g.iter().zip(c) {
        assert!((g - c).abs() <= 1e-3 * c, "{what}: gradient norm on WebGPU {g} vs CPU {c}");
    }
}

/// Imports the start model, continues it for one epoch of `settings` and exports the result.
async fn continue_on(gpu: Gpu, device: &str, settings: &str) -> Run {
    let b = Browser::open_at(gpu, Fault::None, &format!("?device={device}&{settings}")).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.wait_attr_eq("device", "data-kind", if device == "webgpu" { "WebGpu" } else { "Cpu" }, MINUTE).await;
    b.choose_file("import", &harness::temp_file("start.flab", &start_model())).await;
    b.wait_text("status", "Imported start.flab", MINUTE).await;
    b.click("continue").await;
    b.wait_text("status", "Finished", 5 * MINUTE).await;
    let rows = b.epoch_rows().await;
    let gradient = last_gradient(&b).await;
    b.click("export").await;
    let weights = harness::weights_in(&b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await);
    b.assert_no_console_errors().await;
    b.close().await;
    Run { row: rows.last().expect("an epoch row").clone(), weights, gradient }
}

/// Batches of 4096 (10,593 images: 3 steps, the last one short), every optimizer; the page's
/// numbers from the CPU path's loops and from the WebGPU kernel agree.
#[tokio::test(flavor = "current_thread")]
async fn fused_webgpu_steps_give_the_cpu_paths_numbers() {
    for optimizer in ["sgd", "momentum", "adam"] {
        let settings = format!("optimizer={optimizer}&lr=0.01&epochs=1&batch=4096&seed=5");
        let cpu = continue_on(Gpu::None, "cpu", &settings).await;
        let gpu = continue_on(Gpu::SwiftShader, "webgpu", &settings).await;
        eprintln!("{optimizer}: epoch row on the CPU path {:?}, on WebGPU {:?}", cpu.row, gpu.row);
        let start = harness::weights_in(&start_model());
        let moved = cpu.weights.iter().zip(&start).filter(|(a, b)| a != b).count();
        assert!(moved > 300, "{optimizer}: training moved only {moved} of 338 weights");
        // Batches of 4096: each step split over 32 workgroups, then summed: two dispatches.
        same_numbers(optimizer, &gpu, &cpu, 0.0, 2.0);
    }
}

/// The networks the native parity test checks through lavapipe (`bash tests/gpu`,
/// app/core/tests/fused.rs `other_shapes_in_the_kernels`): filters, kernel, pool and classes are
/// the kernels' compile-time parameters and set how their work is spread.
const SHAPES: [NetShape; 10] = [
    NetShape { filters: 2, kernel: 3, pool: 4, classes: 2 },
    NetShape { filters: 3, kernel: 3, pool: 7, classes: 2 },
    NetShape { filters: 9, kernel: 3, pool: 7, classes: 2 },
    NetShape { filters: 32, kernel: 3, pool: 14, classes: 2 },
    NetShape { filters: 1, kernel: 3, pool: 14, classes: 10 },
    NetShape { filters: 20, kernel: 3, pool: 4, classes: 2 },
    NetShape { filters: 8, kernel: 5, pool: 7, classes: 2 },
    NetShape { filters: 3, kernel: 5, pool: 14, classes: 10 },
    NetShape { filters: 1, kernel: 5, pool: 4, classes: 2 },
    NetShape { filters: 32, kernel: 5, pool: 4, classes: 10 },
];

/// A start model of `shape` with PyTorch's initialisation bounds, the same on both devices.
fn start_model_of(shape: NetShape) -> Vec<u8> {
    let mut seed = 11u32;
    let mut uniform = |n: usize, fan_in: usize| -> Vec<f32> {
        let bound = 1.0 / (fan_in as f32).sqrt();
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * bound
            })
            .collect()
    };
    let taps = shape.taps();
    let weights = Weights {
        shape,
        conv_weight: uniform(shape.filters * taps, taps),
        conv_bias: uniform(shape.filters, taps),
        fc_weight: uniform(shape.classes * shape.fc_in(), shape.fc_in()),
        fc_bias: uniform(shape.classes, shape.fc_in()),
    };
    let digits = if shape.classes == 10 { Digits::All } else { DigitPair::new(8, 1).unwrap().into() };
    ModelFile { weights, digits, record: String::new() }.to_bytes()
}

/// On one device, in one page, each network in turn: its start model continued for an epoch with
/// SGD, then again from the start with Adam, filter 0 frozen both times; the epoch rows and the
/// weights after each.
async fn both_optimizers_on(gpu: Gpu, device: &str, shapes: &[NetShape]) -> Vec<[Run; 2]> {
    // A short real epoch: 400 training images of the pair (its test set is the first 1,000 of
    // each digit in the training file), or the first 1,000 images and the pair's 2,002 for all
    // ten digits, with 500 test images.
    let ten = shapes[0].classes == 10;
    let fault = match ten {
        true => Fault::Fewer { first: 1_000, pair: 1_001, test: 500 },
        false => Fault::Fewer { first: 0, pair: 1_200, test: 0 },
    };
    let digits = if ten { "&digits=all" } else { "" };
    let b = Browser::open_at(gpu, fault, &format!("?device={device}&optimizer=sgd&lr=0.05&epochs=1&batch=64&seed=5{digits}")).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.wait_attr_eq("device", "data-kind", if device == "webgpu" { "WebGpu" } else { "Cpu" }, MINUTE).await;
    let mut all = Vec::new();
    for &shape in shapes {
        let start = harness::temp_file("start.flab", &start_model_of(shape));
        let mut runs = Vec::new();
        for optimizer in ["sgd", "adam"] {
            b.click(&format!("optimizer-{optimizer}")).await;
            b.choose_file("import", &start).await;
            b.wait_text("status", "Imported start.flab", MINUTE).await;
            b.click("edit-filter-0").await;
            b.click("freeze-0").await;
            b.wait_text("frozen", "0", Duration::from_secs(5)).await;
            b.click("continue").await;
            b.wait_text("status", "Finished", 3 * MINUTE).await;
            let row = b.epoch_rows().await.last().expect("an epoch row").clone();
            let gradient = last_gradient(&b).await;
            b.click("export").await;
            let weights = harness::weights_in(&b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await);
            runs.push(Run { row, weights, gradient });
        }
        all.push(runs.try_into().unwrap_or_else(|_| unreachable!()));
    }
    b.assert_no_console_errors().await;
    b.close().await;
    all
}

/// Every network the lavapipe test checks natively, on SwiftShader: SGD and Adam with a frozen
/// filter, a short last batch, the epoch's figures; the kernels give the CPU path's numbers.
#[tokio::test(flavor = "current_thread")]
async fn fused_webgpu_steps_give_the_cpu_paths_numbers_for_other_networks() {
    for ten in [false, true] {
        let shapes: Vec<NetShape> = SHAPES.into_iter().filter(|s| (s.classes == 10) == ten).collect();
        let started = std::time::Instant::now();
        let cpu = both_optimizers_on(Gpu::None, "cpu", &shapes).await;
        let gpu = both_optimizers_on(Gpu::SwiftShader, "webgpu", &shapes).await;
        eprintln!("{} networks checked in {:.1} s", shapes.len(), started.elapsed().as_secs_f64());
        for ((shape, cpu), gpu) in shapes.into_iter().zip(cpu).zip(gpu) {
            let start = ModelFile::from_bytes(&start_model_of(shape)).unwrap().weights.to_vec();
            let frozen = shape.taps();
            for (k, optimizer) in ["sgd", "adam"].into_iter().enumerate() {
                let (c, g) = (&cpu[k], &gpu[k]);
                eprintln!("{shape} {optimizer}: epoch row on the CPU path {:?}, on WebGPU {:?}", c.row, g.row);
                assert_eq!(&c.weights[..frozen], &start[..frozen], "{shape} {optimizer}: frozen filter 0 moved on the CPU");
                assert_eq!(&g.weights[..frozen], &start[..frozen], "{shape} {optimizer}: frozen filter 0 moved on WebGPU");
                let moved = c.weights.iter().zip(&start).filter(|(a, b)| a != b).count();
                assert!(moved * 2 > start.len(), "{shape} {optimizer}: training moved only {moved} of {} weights", start.len());
                // Adam moves a weight whose gradient is near zero by up to lr a step, so rounding
                // in its gradient shows as a part of lr (0.05) after the epoch's 6 to 47 steps.
                let slack = if optimizer == "adam" { 1e-3 * 0.05 } else { 0.0 };
                // Several steps a dispatch (the pair's 7 steps, ten digits' 16, reported after
                // step 1, 10 and the last), unless steps are so slow on SwiftShader that the
                // 0.5 s cap allows one at a time.
                let steps = if ten { 16.0 } else { 7.0 };
                let seconds: f64 = g.row[5].parse().unwrap();
                let most = if seconds / steps > 0.2 { 1.0 } else { 0.75 };
                same_numbers(&format!("{shape} {optimizer}"), g, c, slack, most);
            }
        }
    }
}
