//! The app in a real browser: `dist/` (built by `trunk build`) served on 127.0.0.1, Debian's
//! Chromium headless through chromedriver, with SwiftShader WebGPU or without WebGPU at all.
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Fault, Gpu};

// Faults, bad input and keeping the model: reliability.rs.

/// The page opens with no console errors, loads MNIST and shows the 338-parameter table. Auto
/// sees that SwiftShader is a software adapter and trains on the CPU, says so, and loads only the
/// CPU build of the worker; the user can
/// force WebGPU (the badge names the adapter) or the CPU, and go back to Auto.
#[tokio::test(flavor = "current_thread")]
async fn auto_picks_the_cpu_on_a_software_adapter_and_either_can_be_forced() {
    let b = Browser::open(Gpu::SwiftShader).await;
    b.wait_text("status", "Ready", Duration::from_secs(60)).await;
    assert_eq!(b.attr("device", "data-kind").await, "Cpu");
    let device = b.text("device").await;
    assert!(device.contains("Auto chose the CPU") && device.contains("software"), "device badge: {device}");
    assert!(device.to_lowercase().contains("swiftshader"), "the badge should name the adapter: {device}");
    assert!(b.attr("device-auto", "class").await.contains("active"));
    // Training on the CPU anyway, the page never downloaded the WebGPU build of the worker.
    let served = b.served();
    assert!(served.iter().any(|p| p == "worker_cpu_bg.wasm"), "{served:?}");
    assert!(!served.iter().any(|p| p.starts_with("worker_gpu")), "{served:?}");
    let params = b.text("params").await;
    assert!(params.contains("conv1.weight") && params.contains("338"), "params: {params}");
    b.screenshot("page-loaded").await;
    // Forcing WebGPU uses it, and the badge names the adapter.
    b.click("device-webgpu").await;
    b.wait_attr_eq("device", "data-kind", "WebGpu", Duration::from_secs(30)).await;
    let device = b.text("device").await;
    assert!(device.contains("WebGPU") && device.to_lowercase().contains("swiftshader"), "device badge: {device}");
    b.click("device-cpu").await;
    b.wait_attr_eq("device", "data-kind", "Cpu", Duration::from_secs(30)).await;
    assert!(!b.text("device").await.contains("Auto"));
    b.click("device-auto").await;
    b.wait_text("device", "Auto chose the CPU", Duration::from_secs(30)).await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Auto's calibration, forced on a software adapter (`?calibrate=always`): it times training steps
/// on SwiftShader's WebGPU and on the CPU, shows both figures, and picks the CPU, the faster.
#[tokio::test(flavor = "current_thread")]
async fn auto_calibration_times_both_devices_and_picks_the_faster() {
    let b = Browser::open_at(Gpu::SwiftShader, Fault::None, "?calibrate=always").await;
    b.wait_text("status", "Ready", Duration::from_secs(180)).await;
    let device = b.text("device").await;
    let figure = |label: &str| -> f64 {
        let at = device.find(label).unwrap_or_else(|| panic!("no {label:?} in the badge: {device}"));
        let before = device[..at].trim_end().rsplit(' ').nth(1).unwrap();
        before.parse().unwrap_or_else(|_| panic!("no number before {label:?}: {device}"))
    };
    let (gpu_ms, cpu_ms) = (figure("per step on WebGPU"), figure("on the CPU"));
    assert!(cpu_ms > 0.0 && gpu_ms > cpu_ms, "SwiftShader should be slower than the CPU path: {device}");
    assert!(device.contains("Auto chose the CPU"), "device badge: {device}");
    assert_eq!(b.attr("device", "data-kind").await, "Cpu");
    b.screenshot("auto-calibrated").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// On WebGPU (SwiftShader, slow: a few dozen steps only) the batch loss falls and the filters move.
#[tokio::test(flavor = "current_thread")]
async fn webgpu_training_lowers_the_loss_and_moves_the_filters() {
    let b = Browser::open_at(Gpu::SwiftShader, Fault::None, "?device=webgpu").await;
    b.wait_text("status", "Ready", Duration::from_secs(60)).await;
    assert_eq!(b.attr("device", "data-kind").await, "WebGpu");
    b.click("optimizer-adam").await;
    b.set_input("lr", "0.01").await;
    b.click("train").await;
    b.wait_attr_at_least("chart-loss", "data-batches", 1, Duration::from_secs(120)).await;
    let filters_before = b.canvas_png("filters").await;
    let first: f64 = b.attr("chart-loss", "data-first-loss").await.parse().unwrap();
    b.wait_attr_at_least("chart-loss", "data-batches", 4, Duration::from_secs(240)).await;
    b.click("stop").await;
    b.wait_text("status", "Stopped", Duration::from_secs(60)).await;
    let last: f64 = b.attr("chart-loss", "data-last-loss").await.parse().unwrap();
    assert!(last < first * 0.8, "batch loss should fall on WebGPU: first {first}, last {last}");
    assert_ne!(filters_before, b.canvas_png("filters").await, "the filters canvas should change");
    assert_eq!(b.attr("device", "data-kind").await, "WebGpu");
    b.screenshot("webgpu-training").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Without WebGPU the page says so and trains on the CPU: a full epoch reaches ≥ 90 % test
/// accuracy, the charts and the epoch log fill in, the optimizer toggle takes effect, and a
/// drawn 1 and a drawn 8 are recognised.
#[tokio::test(flavor = "current_thread")]
async fn cpu_fallback_trains_an_epoch_and_reads_drawings() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", Duration::from_secs(60)).await;
    assert_eq!(b.attr("device", "data-kind").await, "Cpu");
    let device = b.text("device").await;
    // Chromium without the WebGPU flags has `navigator.gpu` but no adapter; others lack it.
    assert!(device.contains("no WebGPU") || device.contains("no adapter"), "the badge should say why: {device}");

    // Nonsense is refused in the form.
    b.set_input("lr", "-1").await;
    assert!(b.text("form-error").await.contains("learning rate"));
    assert!(!b.enabled("train").await);
    b.set_input("lr", "0.001").await;

    b.click("optimizer-adam").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", Duration::from_secs(120)).await;
    assert_eq!(b.text("optimizer-used").await, "Optimizer in use: Adam");
    let rows = b.epoch_rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let test_acc: f64 = rows[0][4].parse().unwrap();
    assert!(test_acc >= 0.90, "CPU epoch test accuracy {test_acc}");
    assert!(b.attr("chart-loss", "data-batches").await.parse::<usize>().unwrap() >= 10);
    assert_eq!(b.attr("chart-accuracy", "data-epochs").await, "1");

    b.draw(&harness::one()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    assert_eq!(b.attr("prediction", "data-digit").await, "1", "{}", b.text("prediction").await);
    b.screenshot("cpu-drew-a-one").await;
    b.click("clear").await;
    b.wait_attr_empty("prediction", "data-digit", Duration::from_secs(10)).await;
    b.draw(&harness::eight()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    assert_eq!(b.attr("prediction", "data-digit").await, "8", "{}", b.text("prediction").await);
    b.screenshot("cpu-drew-an-eight").await;

    // The toggle changes the optimizer the worker actually uses.
    b.click("optimizer-sgd").await;
    b.click("train").await;
    b.wait_text("status", "Finished", Duration::from_secs(120)).await;
    assert_eq!(b.text("optimizer-used").await, "Optimizer in use: SGD");
    let sgd: f64 = b.epoch_rows().await[0][1].parse().unwrap();
    let adam: f64 = rows[0][1].parse().unwrap();
    assert_ne!(sgd, adam, "SGD and Adam should give different train losses");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Stop stops: no more steps arrive after the worker says Stopped.
#[tokio::test(flavor = "current_thread")]
async fn stop_stops_training() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", Duration::from_secs(60)).await;
    b.set_input("epochs", "20").await;
    b.click("train").await;
    b.wait_attr_at_least("chart-loss", "data-batches", 3, Duration::from_secs(60)).await;
    b.click("stop").await;
    b.wait_text("status", "Stopped", Duration::from_secs(30)).await;
    let stopped_at = b.attr("chart-loss", "data-batches").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(b.attr("chart-loss", "data-batches").await, stopped_at);
    assert!(b.enabled("train").await);
    assert!(b.epoch_rows().await.len() < 20);
    b.assert_no_console_errors().await;
    b.close().await;
}
