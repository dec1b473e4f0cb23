//! The fused training step in the browser: a few steps of the one-kernel WebGPU step (SwiftShader)
//! give the CPU path's numbers, at most two dispatches a step, for SGD and for Adam. (Shader
//! validation errors are silent in wasm, so only numbers compared in the page prove the kernel ran.)
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

mod harness;

use std::time::Duration;

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
    b.click("export").await;
    let weights = harness::weights_in(&b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await);
    b.assert_no_console_errors().await;
    b.close().await;
    Run { row: rows.last().expect("an epoch row").clone(), weights }
}

/// Batches of 4096 (10,593 images: 3 steps, the last one short), both optimizers; the page's
/// numbers from the CPU path's loops and from the WebGPU kernel agree.
#[tokio::test(flavor = "current_thread")]
async fn fused_webgpu_steps_give_the_cpu_paths_numbers() {
    for optimizer in ["sgd", "adam"] {
        let settings = format!("optimizer={optimizer}&lr=0.01&epochs=1&batch=4096&seed=5");
        let cpu = continue_on(Gpu::None, "cpu", &settings).await;
        let gpu = continue_on(Gpu::SwiftShader, "webgpu", &settings).await;
        eprintln!("{optimizer}: epoch row on the CPU path {:?}, on WebGPU {:?}", cpu.row, gpu.row);
        let start = harness::weights_in(&start_model());
        let moved = cpu.weights.iter().zip(&start).filter(|(a, b)| a != b).count();
        assert!(moved > 300, "{optimizer}: training moved only {moved} of 338 weights");
        for (i, (g, c)) in gpu.weights.iter().zip(&cpu.weights).enumerate() {
            let allowed = 1e-4 * c.abs().max(1e-2);
            assert!((g - c).abs() <= allowed, "{optimizer}: weight {i}: WebGPU {g} vs CPU {c}");
        }
        // Train loss, train acc, test loss, test acc (4 decimals as shown).
        for k in 1..5 {
            let (g, c): (f64, f64) = (gpu.row[k].parse().unwrap(), cpu.row[k].parse().unwrap());
            assert!((g - c).abs() <= 2e-4, "{optimizer}: column {k}: WebGPU {g} vs CPU {c}");
        }
        let dispatches: f64 = gpu.row[6].parse().expect("WebGPU counts its dispatches");
        assert!(dispatches <= 2.0, "{optimizer}: {dispatches} dispatches per step");
        assert_eq!(cpu.row[6], "—", "the CPU path dispatches nothing");
    }
}
