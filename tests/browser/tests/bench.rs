//! The benchmark, not a test: it asserts nothing about speed and is `#[ignore]`d. `bash tests/bench`
//! first writes the native and PyTorch figures into `$FILTERLAB_BENCH_DIR`, then runs this, which
//! adds the browser's (CPU path and SwiftShader WebGPU), prints everything as ratios to PyTorch's
//! one-thread epoch, and writes the table into BENCHMARKS.md between its two markers.

use filterlab_browser_tests as harness;

use std::{io::Write, path::PathBuf, process::Command, time::Duration};

use harness::{Browser, Fault, Gpu};
use serde_json::Value;

/// Epochs per run: the first (shader compiles, first allocations) is reported on its own, the
/// median is taken over the rest.
const EPOCHS: usize = 4;

/// One workload's epoch times.
struct Epochs {
    first: f64,
    median: f64,
}

impl Epochs {
    fn from(seconds: &[f64]) -> Option<Self> {
        let (first, rest) = seconds.split_first()?;
        let mut rest = rest.to_vec();
        rest.sort_by(f64::total_cmp);
        let median = *rest.get(rest.len() / 2)?;
        Some(Self { first: *first, median })
    }
}

struct BrowserRun {
    device: String,
    epochs: Epochs,
    open_to_first_step_ms: f64,
    largest_frame_gap_ms: f64,
    frames: u64,
    /// Durations (ms) of the main thread's long tasks while training.
    long_tasks: Vec<u64>,
    dispatches_per_step: Option<f64>,
    test_acc: String,
    /// Every file the page downloaded but the MNIST data.
    downloaded: Vec<String>,
}

fn bench_dir() -> PathBuf {
    PathBuf::from(std::env::var("FILTERLAB_BENCH_DIR").expect("run through bash tests/bench"))
}

/// Watches the page's main thread from now on: the gaps between animation frames, and its long
/// tasks (over 50 ms of script, layout or paint in one go), which tell our own work from a
/// main thread that waits for a busy machine.
const FRAME_MONITOR: &str = "
    const g = window.__frames = { max: 0, last: performance.now(), count: 0, long: [] };
    const tick = (t) => { g.max = Math.max(g.max, t - g.last); g.last = t; g.count += 1; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    new PerformanceObserver((list) => list.getEntries().forEach((e) => g.long.push(Math.round(e.duration)))).observe({ type: 'longtask' });";

/// Presses Train the moment it is enabled (checked every 5 ms in the page, not through WebDriver).
const TRAIN_WHEN_READY: &str = "
    const done = arguments[arguments.length - 1];
    const button = () => document.querySelector('[data-testid=\"train\"]');
    const poll = setInterval(() => { const b = button(); if (b && !b.disabled) { clearInterval(poll); b.click(); done(performance.now()); } }, 5);";

/// Opens the page once to fill the browser's cache, opens it again (the timed open) with
/// `query`, trains `EPOCHS` epochs of the notebook's SGD run and reads the figures off the page.
async fn browser_run(gpu: Gpu, query: &str, finish_within: Duration) -> BrowserRun {
    let b = Browser::open_at(gpu, Fault::None, query).await;
    b.wait_text("status", "Ready", Duration::from_secs(120)).await;
    let url = format!("{}{query}", b.site);
    b.goto(&url).await;
    b.script_timeout(Duration::from_secs(180)).await;
    b.set_input("epochs", &EPOCHS.to_string()).await;
    b.js(FRAME_MONITOR, vec![]).await;
    b.js_async(TRAIN_WHEN_READY, vec![]).await;
    b.wait_attr_nonempty("status", "data-first-step-ms", Duration::from_secs(120)).await;
    let open_to_first_step_ms: f64 = b.attr("status", "data-first-step-ms").await.parse().unwrap();
    // Gaps while training only: reset the monitor once the first step is in.
    b.js("window.__frames.max = 0; window.__frames.count = 0; window.__frames.long = [];", vec![]).await;
    b.wait_text("status", "Finished", finish_within).await;
    let frames = b.js("return window.__frames;", vec![]).await;
    let rows = b.epoch_rows().await;
    let seconds: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    let dispatches: Vec<f64> = rows.iter().filter_map(|r| r[6].parse().ok()).collect();
    let run = BrowserRun {
        device: b.text("device").await.trim_start_matches("Device: ").replace('\n', " — "),
        epochs: Epochs::from(&seconds).expect("epochs ran"),
        open_to_first_step_ms,
        largest_frame_gap_ms: frames["max"].as_f64().unwrap(),
        frames: frames["count"].as_u64().unwrap(),
        long_tasks: serde_json::from_value(frames["long"].clone()).unwrap_or_default(),
        dispatches_per_step: dispatches.last().copied(),
        test_acc: rows.last().unwrap()[4].clone(),
        downloaded: b.served().into_iter().filter(|p| !p.starts_with("mnist/")).collect(),
    };
    let device = if query.contains("webgpu") {
        "webgpu"
    } else if query.contains("cpu") {
        "cpu"
    } else {
        "auto"
    };
    let ops = if query.contains("ops=stock") { "-stock" } else { "" };
    b.screenshot(&format!("bench-{device}{ops}")).await;
    b.close().await;
    run
}

/// All ten digits (the 60,000 training images, the t10k test set) for two epochs.
struct TenDigits {
    epochs: Epochs,
    dispatches_per_step: Option<f64>,
    /// The worker's WebAssembly memory after the run (it never shrinks: the run's peak), and the
    /// GPU memory Burn had in use.
    wasm_bytes: f64,
    gpu_bytes: Option<f64>,
    test_acc: String,
}

async fn ten_digits(gpu: Gpu, query: &str) -> TenDigits {
    let b = Browser::open_at(gpu, Fault::None, query).await;
    b.wait_text("status", "Ready", Duration::from_secs(120)).await;
    b.click("train").await;
    b.wait_text("status", "Finished", Duration::from_secs(900)).await;
    let rows = b.epoch_rows().await;
    let seconds: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    b.wait_attr_nonempty("memory", "data-wasm-bytes", Duration::from_secs(30)).await;
    let run = TenDigits {
        epochs: Epochs::from(&seconds).expect("two epochs ran"),
        dispatches_per_step: rows.last().and_then(|r| r[6].parse().ok()),
        wasm_bytes: b.number("memory", "data-wasm-bytes").await,
        gpu_bytes: b.attr("memory", "data-gpu-bytes").await.parse().ok(),
        test_acc: rows.last().unwrap()[4].clone(),
    };
    b.close().await;
    run
}

/// Epoch seconds from `filterlab train --ops <ops>` output ("... - Time: 0.52s").
fn native_epochs(ops: &str) -> Option<Epochs> {
    let text = std::fs::read_to_string(bench_dir().join(format!("native-cpu-{ops}.txt"))).ok()?;
    let seconds: Vec<f64> = text
        .lines()
        .filter_map(|l| l.split("Time: ").nth(1))
        .filter_map(|t| t.trim_end_matches('s').parse().ok())
        .collect();
    Epochs::from(&seconds)
}

/// PyTorch's figures, written by tests/bench/notebook_torch.py (absent when torch could not be installed).
fn torch(threads: &str) -> Option<(Epochs, Value)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(bench_dir().join(format!("torch-{threads}.json"))).ok()?).ok()?;
    let seconds: Vec<f64> = serde_json::from_value(v["epoch_seconds"].clone()).ok()?;
    Some((Epochs::from(&seconds)?, v))
}

/// Raw and gzipped (level 9) bytes of each file of dist/ that a run downloaded.
fn sizes(files: &[String]) -> Vec<(String, u64, u64)> {
    let dist = std::env::var_os("FILTERLAB_DIST").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../dist")
    });
    files
        .iter()
        .map(|name| {
            let bytes = std::fs::read(dist.join(name)).unwrap();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes).unwrap();
            (name.clone(), bytes.len() as u64, gz.finish().unwrap().len() as u64)
        })
        .collect()
}

fn shell(cmd: &str) -> String {
    Command::new("sh").arg("-c").arg(cmd).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

fn ratio(x: f64, base: Option<f64>) -> String {
    base.map(|b| format!("{:.2}×", x / b)).unwrap_or_else(|| "—".into())
}

/// The run library at 200 kept runs (10 epochs each, with their loss curves): milliseconds from
/// navigation start until the page has the list, over three opens (median); the page reads the
/// records only, and then the newest run's model file to open it.
async fn library_listing() -> (f64, usize) {
    const RUNS: u32 = 200;
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", Duration::from_secs(120)).await;
    harness::runs::plant(&b, "bench", RUNS, 10).await;
    let bytes = b.js_async("const done = arguments[0]; navigator.storage.estimate().then((e) => done(e.usage));", vec![]).await.as_f64().unwrap_or_default();
    let mut times = Vec::new();
    for _ in 0..3 {
        b.goto(&b.site).await;
        b.wait_attr_nonempty("runs", "data-listed-ms", Duration::from_secs(60)).await;
        times.push(b.number("runs", "data-listed-ms").await);
        let shown = b.js("return document.querySelectorAll('[data-testid=runs] li').length;", vec![]).await;
        assert_eq!(shown.as_u64(), Some(RUNS as u64), "every run listed");
    }
    b.close().await;
    times.sort_by(f64::total_cmp);
    (times[1], bytes as usize)
}

#[tokio::test(flavor = "current_thread")]
#[ignore]
async fn benchmark() {
    let (listed_ms, library_bytes) = library_listing().await;
    let cpu = browser_run(Gpu::None, "?device=cpu", Duration::from_secs(300)).await;
    let cpu_stock = browser_run(Gpu::None, "?device=cpu&ops=stock", Duration::from_secs(300)).await;
    let webgpu = browser_run(Gpu::SwiftShader, "?device=webgpu", Duration::from_secs(900)).await;
    let webgpu_stock = browser_run(Gpu::SwiftShader, "?device=webgpu&ops=stock", Duration::from_secs(900)).await;
    // Auto on this machine's software adapter: what a user of this machine gets by default.
    let auto = browser_run(Gpu::SwiftShader, "", Duration::from_secs(300)).await;
    let ten_cpu = ten_digits(Gpu::None, "?device=cpu&digits=all&epochs=2").await;
    let ten_webgpu = ten_digits(Gpu::SwiftShader, "?device=webgpu&digits=all&epochs=2&batch=4096&optimizer=adam&lr=0.01").await;
    let (native, native_stock) = (native_epochs("fused"), native_epochs("stock"));
    let torch1 = torch("1");
    let torchn = torch("default");
    let base = torch1.as_ref().map(|t| t.0.median);

    let mut t = String::new();
    let machine = format!(
        "{} · {} cores · {} · {}",
        shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        shell("nproc"),
        shell("free -g | awk '/Mem:/ {print $2 \" GiB\"}'"),
        shell("chromium --version"),
    );
    t += &format!("Run on {} (UTC) · {machine}\n\n", shell("date -u '+%Y-%m-%d %H:%M'"));
    t += &format!("Workload: the notebook's, SGD lr 1e-3, batch 64, seed 42: 10,593 train images (166 steps) + the 2,000-image test evaluation per epoch; {EPOCHS} epochs per run, first epoch apart, median over the others. Ratios are to PyTorch's median epoch on 1 thread.\n\n");
    t += "| Run | First epoch (s) | Median epoch (s) | × PyTorch 1 thread | Open → first step (ms) | Largest frame gap (ms) | Long tasks (ms) | Dispatches / step | Test acc |\n";
    t += "|---|---|---|---|---|---|---|---|---|\n";
    for (name, e, extra) in [
        ("PyTorch (CPU, 1 thread)", torch1.as_ref().map(|t| &t.0), torch1.as_ref().map(|t| t.1["test_acc"].to_string())),
        ("PyTorch (CPU, default threads)", torchn.as_ref().map(|t| &t.0), torchn.as_ref().map(|t| t.1["test_acc"].to_string())),
        ("Filterlab native CLI (flex CPU), fused step", native.as_ref(), None),
        ("Filterlab native CLI (flex CPU), stock Burn", native_stock.as_ref(), None),
    ] {
        match e {
            Some(e) => t += &format!("| {name} | {:.3} | {:.3} | {} | — | — | — | — | {} |\n", e.first, e.median, ratio(e.median, base), extra.unwrap_or("—".into())),
            None => t += &format!("| {name} | not run | | | | | | | |\n"),
        }
    }
    for (name, r) in [
        ("Browser, CPU path (forced), fused step", &cpu),
        ("Browser, CPU path (forced), stock Burn", &cpu_stock),
        ("Browser, WebGPU on SwiftShader (forced), fused step", &webgpu),
        ("Browser, WebGPU on SwiftShader (forced), stock Burn", &webgpu_stock),
        ("Browser, Auto (picks the CPU here), fused step", &auto),
    ] {
        t += &format!(
            "| {name} | {:.3} | {:.3} | {} | {:.0} | {:.0} ({} frames) | {} | {} | {} |\n",
            r.epochs.first,
            r.epochs.median,
            ratio(r.epochs.median, base),
            r.open_to_first_step_ms,
            r.largest_frame_gap_ms,
            r.frames,
            if r.long_tasks.is_empty() { "none".to_string() } else { format!("{:?}", r.long_tasks) },
            r.dispatches_per_step.map(|d| format!("{d:.1}")).unwrap_or("—".into()),
            r.test_acc,
        );
    }
    t += &format!("\nFused step, WebGPU ÷ CPU path (median epoch): {:.1}× (stock Burn: {:.1}×).", webgpu.epochs.median / cpu.epochs.median, webgpu_stock.epochs.median / cpu_stock.epochs.median);
    t += &format!(" Devices as the badge named them: CPU run \"{}\"; WebGPU run \"{}\"; Auto run \"{}\".\n", cpu.device, webgpu.device, auto.device);
    t += "\nAll ten digits (60,000 training images, the 10,000 of the t10k file), two epochs, first apart; memory after the run:\n\n";
    t += "| Run | First epoch (s) | Second epoch (s) | Dispatches / step | Worker WebAssembly memory (MB) | GPU memory in use (MB) | Test acc |\n|---|---|---|---|---|---|---|\n";
    for (name, r) in [("Browser, CPU path (forced), batch 64, SGD lr 1e-3", &ten_cpu), ("Browser, WebGPU on SwiftShader (forced), batch 4096, Adam lr 0.01", &ten_webgpu)] {
        t += &format!(
            "| {name} | {:.2} | {:.2} | {} | {:.0} | {} | {} |\n",
            r.epochs.first,
            r.epochs.median,
            r.dispatches_per_step.map(|d| format!("{d:.1}")).unwrap_or("—".into()),
            r.wasm_bytes / 1e6,
            r.gpu_bytes.map(|b| format!("{:.0}", b / 1e6)).unwrap_or("—".into()),
            r.test_acc,
        );
    }
    t += &format!("\nRun library: 200 kept runs (10 epochs and a loss curve each; the site stores {:.1} MB) are listed **{listed_ms:.0} ms** after navigation start (median of three opens; the page reads the 200 records, no model file, then opens the newest run's).\n", library_bytes as f64 / 1e6);
    for (name, r) in [("Auto (this machine's default)", &auto), ("forced WebGPU", &webgpu)] {
        let files = sizes(&r.downloaded);
        let total: u64 = files.iter().map(|f| f.2).sum();
        t += &format!("\nDownloaded by the page, {name}, without the MNIST files: **{:.2} MB gzipped** (gzip -9):\n\n| File | Bytes | Gzipped |\n|---|---|---|\n", total as f64 / 1e6);
        for (file, raw, gz) in &files {
            t += &format!("| {file} | {raw} | {gz} |\n");
        }
    }
    println!("\n{t}");

    let path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../BENCHMARKS.md");
    let (begin, end) = ("<!-- bench:begin -->", "<!-- bench:end -->");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|_| format!("# Benchmarks\n\n{begin}\n{end}\n"));
    let (Some(a), Some(z)) = (doc.find(begin), doc.find(end)) else { panic!("BENCHMARKS.md lacks the {begin} and {end} markers") };
    let updated = format!("{}{begin}\n{t}{}", &doc[..a], &doc[z..]);
    std::fs::write(&path, updated).unwrap();
}
