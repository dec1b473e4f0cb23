//! The views that explain the model, checked against models whose numbers are known by hand:
//! model files with chosen weights, imported through the page as a user would.
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Fault, Gpu, MINUTE, Pointer};

/// Filter 0 copies the image (centre 1), filter 1 is a constant 0.5 (its bias), the rest are
/// zero; class 1 weighs filter 0's sixteen pooled values by 1, class 0 weighs nothing; biases
/// 0.1 and -0.2.
fn hand_made() -> Vec<u8> {
    let mut conv = vec![0.0; 72];
    conv[4] = 1.0;
    let mut bias = vec![0.0; 8];
    bias[1] = 0.5;
    let mut fc = vec![0.0; 256];
    fc[128..144].fill(1.0);
    harness::model_file(&conv, &bias, &fc, &[0.1, -0.2])
}

/// Every weight zero, biases 1 and 0: every image is read as an 8 with P(8) = e / (e + 1).
fn always_eight() -> Vec<u8> {
    harness::model_file(&[0.0; 72], &[0.0; 8], &[0.0; 256], &[1.0, 0.0])
}

async fn numbers(b: &Browser, id: &str, name: &str) -> Vec<f64> {
    b.attr(id, name).await.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

/// On the CPU path and on WebGPU: for the hand-made model the feature maps are the image (filter
/// 0) and 0.5 (filter 1), the pooled maps the 7×7 block maxima, the contributions towards class 1
/// filter 0's pooled values, and the logits and probability follow from them; both devices give
/// the same confusion matrix.
#[tokio::test(flavor = "current_thread")]
async fn feature_maps_match_the_hand_computation_on_both_devices() {
    let mut matrices = Vec::new();
    for (gpu, query, name) in [(Gpu::None, "", "cpu"), (Gpu::SwiftShader, "?device=webgpu", "webgpu")] {
        let b = Browser::open_at(gpu, Fault::None, query).await;
        b.wait_text("status", "Ready", MINUTE).await;
        b.choose_file("import", &harness::temp_file("hand.flab", &hand_made())).await;
        b.wait_text("status", "Imported hand.flab", MINUTE).await;
        b.draw(&harness::one()).await;
        b.wait_attr_nonempty("features", "data-conv", Duration::from_secs(30)).await;
        let image = numbers(&b, "seen", "data-image").await;
        let conv = numbers(&b, "features", "data-conv").await;
        let pooled = numbers(&b, "features", "data-pooled").await;
        let contributions = numbers(&b, "features", "data-contributions").await;
        let logits = numbers(&b, "features", "data-logits").await;
        let p = numbers(&b, "features", "data-probabilities").await;
        assert_eq!((image.len(), conv.len(), pooled.len(), contributions.len()), (784, 8 * 784, 128, 256));
        assert!(image.iter().zip(&conv[..784]).all(|(a, b)| close(*a, *b)), "{name}: filter 0 should copy the image");
        assert!(conv[784..2 * 784].iter().all(|v| close(*v, 0.5)) && conv[2 * 784..].iter().all(|v| close(*v, 0.0)));
        let block_max = |by: usize, bx: usize| (0..49).map(|k| image[(by * 7 + k / 7) * 28 + bx * 7 + k % 7]).fold(f64::MIN, f64::max);
        for i in 0..16 {
            assert!(close(pooled[i], block_max(i / 4, i % 4)), "{name}: pooled[{i}] {} vs {}", pooled[i], block_max(i / 4, i % 4));
            assert!(close(pooled[16 + i], 0.5));
            assert!(close(contributions[128 + i], pooled[i]) && close(contributions[i], 0.0));
        }
        let sum: f64 = pooled[..16].iter().sum();
        assert!(sum > 1.0, "a drawn 1 lights several blocks: {sum}");
        assert!(close(logits[0], 0.1) && close(logits[1], sum - 0.2), "{name}: logits {logits:?}, sum {sum}");
        assert!(close(p[1], 1.0 / (1.0 + (logits[0] - logits[1]).exp())), "{name}: {p:?}");
        assert_eq!(b.attr("prediction", "data-digit").await, "1");
        b.screenshot_of("features", &format!("features-{name}")).await;
        // The test set's confusion matrix for this model, computed on this device.
        b.wait_attr_nonempty("confusion", "data-matrix", MINUTE).await;
        matrices.push(numbers(&b, "confusion", "data-matrix").await);
        b.assert_no_console_errors().await;
        b.close().await;
    }
    assert_eq!(matrices[0].iter().sum::<f64>(), 2000.0);
    assert_eq!(matrices[0], matrices[1], "the CPU path and WebGPU should agree on the confusion matrix");
}

/// The confusion matrix of a model that reads everything as an 8 is [[1000, 0], [1000, 0]]; the
/// "1 read as 8" cell holds the 1000 ones at P(1) = 1 / (e + 1). After an epoch of training a
/// new model the matrix, and the feature maps of the drawing on the pad, follow it.
#[tokio::test(flavor = "current_thread")]
async fn confusion_matrix_cells_and_updates_per_epoch() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.choose_file("import", &harness::temp_file("eights.flab", &always_eight())).await;
    b.wait_attr_eq("confusion", "data-matrix", "1000,0,1000,0", MINUTE).await;
    assert_eq!(b.attr("confusion", "data-epochs").await, "0");
    b.click("cell-1-0").await;
    b.wait_attr_eq("examples", "data-total", "1000", Duration::from_secs(30)).await;
    let p = numbers(&b, "examples", "data-probabilities").await;
    let expected = 1.0 / (1.0f64.exp() + 1.0);
    assert!(p.len() == 32 && p.iter().all(|v| close(*v, expected)), "P(1) of each: {p:?}");
    assert!(b.text("examples-caption").await.contains("1000 test images of a 1 read as 8"));

    b.draw(&harness::eight()).await;
    b.wait_attr_nonempty("features", "data-logits", Duration::from_secs(30)).await;
    let before = b.attr("features", "data-logits").await;
    // (Continuing this model would not help: with every weight zero no gradient reaches them.)
    b.click("optimizer-adam").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_attr_eq("confusion", "data-epochs", "1", 2 * MINUTE).await;
    let m = numbers(&b, "confusion", "data-matrix").await;
    assert_eq!(m.iter().sum::<f64>(), 2000.0);
    assert!(m[0] + m[3] >= 1900.0, "after an epoch of Adam most are right: {m:?}");
    b.wait_text("status", "Finished", MINUTE).await;
    let start = std::time::Instant::now();
    while b.attr("features", "data-logits").await == before {
        assert!(start.elapsed() < Duration::from_secs(20), "the feature maps should follow the new model");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.click("cell-0-0").await;
    b.wait_attr_eq("examples", "data-total", &m[0].to_string(), Duration::from_secs(30)).await;
    let p = numbers(&b, "examples", "data-probabilities").await;
    assert!(p.windows(2).all(|w| w[0] <= w[1]) && p.iter().all(|v| *v >= 0.5), "least sure first: {p:?}");
    b.screenshot_of("confusion", "confusion").await;
    b.screenshot_of("examples", "confusion-cell").await;
    b.close().await;
}

/// Settings come from the address and go back into it; the data preview shows eight images of
/// each class; finished runs are kept in the run list, can be overlaid on the charts and deleted.
#[tokio::test(flavor = "current_thread")]
async fn shareable_settings_data_preview_and_run_comparison() {
    let b = Browser::open_at(Gpu::None, Fault::None, "?optimizer=adam&lr=0.005&epochs=1&seed=7").await;
    b.wait_text("status", "Ready", MINUTE).await;
    assert_eq!(b.value("lr").await, "0.005");
    assert_eq!(b.value("seed").await, "7");
    assert!(b.attr("optimizer-adam", "class").await.contains("active"));
    b.wait_attr_eq("preview", "data-images", "16", Duration::from_secs(10)).await;

    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.click("optimizer-sgd").await;
    b.set_input("lr", "0.01").await;
    let search = b.js("return window.location.search;", vec![]).await.as_str().unwrap().to_string();
    assert!(search.contains("optimizer=sgd") && search.contains("lr=0.01") && search.contains("seed=7"), "{search}");
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.wait_text("runs", "#2 SGD lr 0.01 seed 7", Duration::from_secs(10)).await;
    let runs = b.text("runs").await;
    assert!(runs.contains("#1 Adam lr 0.005 seed 7") && runs.contains("#2 SGD lr 0.01 seed 7"), "{runs}");

    let none = b.canvas_png("chart-accuracy").await;
    b.click("run-overlay-1").await;
    b.wait_attr_eq("chart-loss", "data-overlays", "1", Duration::from_secs(5)).await;
    // Charts redraw on the next animation frame.
    let start = std::time::Instant::now();
    while b.canvas_png("chart-accuracy").await == none {
        assert!(start.elapsed() < Duration::from_secs(5), "the overlay should be drawn");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.click("run-overlay-2").await;
    b.wait_attr_eq("chart-loss", "data-overlays", "2", Duration::from_secs(5)).await;
    b.screenshot_of("chart-accuracy", "runs-compared").await;
    b.screenshot_of("preview", "preview").await;
    // Delete asks once more before it deletes.
    b.click("run-delete-1").await;
    b.wait_text("run-delete-1", "Really delete?", Duration::from_secs(5)).await;
    b.click("run-delete-1").await;
    b.wait_attr_eq("chart-loss", "data-overlays", "1", Duration::from_secs(5)).await;
    assert!(!b.text("runs").await.contains("#1 "));

    // The address reproduces the setup in a new page.
    let url = b.js("return window.location.href;", vec![]).await.as_str().unwrap().to_string();
    b.goto(&url).await;
    b.wait_text("status", "Restored run #2", MINUTE).await;
    assert_eq!(b.value("lr").await, "0.01");
    assert!(b.attr("optimizer-sgd", "class").await.contains("active"));
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Filter 2 is Sobel's horizontal-edge filter with bias 0.25; the linear layer's weights are
/// numbered (weight i is i/1000) so each pooled value's pair of weights can be told apart.
const SOBEL: [f64; 9] = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];

fn sobel_model() -> Vec<u8> {
    let mut conv = vec![0.0; 72];
    for (i, w) in SOBEL.iter().enumerate() {
        conv[18 + i] = *w as f32;
    }
    let mut bias = vec![0.0; 8];
    bias[2] = 0.25;
    let fc: Vec<f32> = (0..256).map(|i| i as f32 / 1000.0).collect();
    harness::model_file(&conv, &bias, &fc, &[0.0, 0.0])
}

/// The numbers in a worked step's sentence or cell, in order ("0.5000 × -1.0000 = -0.5000").
fn numbers_in(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).filter_map(|s| s.parse().ok()).collect()
}

/// Shown to four decimals: within half of the last digit (and float rounding) of `want`.
fn shown_as(shown: f64, want: f64) -> bool {
    (shown - want).abs() <= 0.5e-4 + 1e-6
}

/// The worked step on the page is filter 2's at `cell`, and its numbers are the image's window
/// times Sobel's weights, their sum plus 0.25 (the device's map value to the digits shown), the
/// max-pool's largest value (the device's pooled value) and its two numbered weights.
async fn check_worked(b: &Browser, name: &str, image: &[f64], conv: &[f64], pooled: &[f64], (row, col): (usize, usize)) {
    b.wait_attr_eq("worked-view", "data-cell", &format!("2,{row},{col}"), Duration::from_secs(20)).await;
    b.wait_text("worked-sum", &format!("the map's value at ({row}, {col})"), Duration::from_secs(20)).await;
    let mut sum = 0.0;
    for i in 0..9 {
        let (r, c) = ((row + i / 3) as isize - 1, (col + i % 3) as isize - 1);
        let text = b.text(&format!("worked-{i}")).await;
        let shown = numbers_in(&text);
        let padding = !(0..28).contains(&r) || !(0..28).contains(&c);
        assert_eq!(padding, text.starts_with("padding 0"), "{name} ({row}, {col}) tap {i}: {text}");
        assert_eq!(padding, b.attr(&format!("worked-{i}"), "class").await.contains("padding"), "{name}: tap {i} marked as padding");
        let x = if padding { 0.0 } else { image[r as usize * 28 + c as usize] };
        // ("padding 0 × w = 0" reads its input as the 0 it is.)
        assert!(shown_as(shown[0], x) && shown_as(shown[1], SOBEL[i]) && shown_as(shown[2], x * SOBEL[i]), "{name} ({row}, {col}) tap {i}: {text} vs {x} × {}", SOBEL[i]);
        sum += x * SOBEL[i];
    }
    let line = numbers_in(&b.text("worked-sum").await);
    let map = conv[2 * 784 + row * 28 + col];
    assert!(shown_as(line[0], sum) && shown_as(line[1], 0.25) && shown_as(line[2], sum + 0.25), "{name}: {line:?} vs sum {sum}");
    assert!(shown_as(line[2], map), "{name} ({row}, {col}): worked value {} vs the map's {map}", line[2]);
    // "Max-pool 7×7: its window (rows a–b, columns c–d) keeps its largest value, v at …: input n"
    let pool = numbers_in(&b.text("worked-pool").await);
    let (pr, pc) = (row / 7, col / 7);
    assert_eq!(&pool[2..6], &[(pr * 7) as f64, (pr * 7 + 6) as f64, (pc * 7) as f64, (pc * 7 + 6) as f64], "{name}: {pool:?}");
    let feature = 32 + pr * 4 + pc;
    assert!(shown_as(pool[6], pooled[feature]), "{name}: pooled {} vs the device's {}", pool[6], pooled[feature]);
    assert_eq!(*pool.last().unwrap(), (feature + 1) as f64);
    let classes = b.text("worked-classes").await;
    for (k, line) in classes.lines().enumerate() {
        let w = (k * 128 + feature) as f64 / 1000.0;
        let n = numbers_in(line);
        assert!(shown_as(n[1], w) && shown_as(n[3], w * pooled[feature]), "{name}: class {k}: {line}");
    }
}

/// One convolution worked out, on both devices: a cell picked with a click on a pooled map, moved
/// with the arrow keys to the padding, picked on a conv map; the numbers are the hand computation's
/// and the maps'. Screenshots at phone, tablet and desktop width and in dark; axe finds nothing.
#[tokio::test(flavor = "current_thread")]
async fn one_convolution_worked_out_on_both_devices() {
    for (gpu, query, name) in [(Gpu::None, "", "cpu"), (Gpu::SwiftShader, "?device=webgpu", "webgpu")] {
        let b = Browser::open_at(gpu, Fault::None, query).await;
        b.wait_text("status", "Ready", MINUTE).await;
        b.choose_file("import", &harness::temp_file("sobel.flab", &sobel_model())).await;
        b.wait_text("status", "Imported sobel.flab", MINUTE).await;
        b.draw(&harness::one()).await;
        b.wait_attr_nonempty("features", "data-conv", Duration::from_secs(30)).await;
        let image = numbers(&b, "seen", "data-image").await;
        let conv = numbers(&b, "features", "data-conv").await;
        let pooled = numbers(&b, "features", "data-pooled").await;
        // The features canvas is 700×290 at the notebook's shape: filter 2's pooled map starts at
        // (244, 128), 14 px a cell; its cell (1, 1) works out map cell (7, 7).
        let width = 92.0 + 8.0 * 76.0;
        b.click_at(Pointer::Mouse, "features", width, (244.0 + 21.0, 128.0 + 21.0)).await;
        check_worked(&b, name, &image, &conv, &pooled, (7, 7)).await;
        // The keyboard moves the window; up to the top edge, where its first row is padding.
        b.click("worked-view").await;
        b.press('\u{E014}').await; // ArrowRight
        check_worked(&b, name, &image, &conv, &pooled, (7, 8)).await;
        for _ in 0..8 {
            b.press('\u{E013}').await; // ArrowUp
        }
        check_worked(&b, name, &image, &conv, &pooled, (0, 8)).await;
        // A click on the conv map works out the cell under it (2 px a cell: within one of it).
        b.click_at(Pointer::Mouse, "features", width, (244.0 + 2.0 * 16.0 + 1.0, 64.0 + 2.0 * 12.0 + 1.0)).await;
        let start = std::time::Instant::now();
        let cell = loop {
            let cell: Vec<usize> = b.attr("worked-view", "data-cell").await.split(',').map(|v| v.parse().unwrap()).collect();
            if cell != [2, 0, 8] || start.elapsed() > Duration::from_secs(10) {
                break cell;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(cell[0] == 2 && cell[1].abs_diff(12) <= 1 && cell[2].abs_diff(16) <= 1, "{name}: clicked near (12, 16), got {cell:?}");
        check_worked(&b, name, &image, &conv, &pooled, (cell[1], cell[2])).await;
        if name == "cpu" {
            let violations = b.axe_violations().await;
            assert!(violations.is_empty(), "axe-core: {violations:#?}");
            for screen in [harness::PHONE, harness::TABLET, harness::DESKTOP] {
                b.emulate(screen).await;
                b.screenshot_of("worked-view", &format!("worked-{}", screen.name)).await;
            }
            b.emulate(harness::DESKTOP).await;
            b.dark(true).await;
            let violations = b.axe_violations().await;
            assert!(violations.is_empty(), "axe-core, dark: {violations:#?}");
            b.screenshot_of("worked-view", "worked-desktop-dark").await;
            b.dark(false).await;
            // Closed, it is opened again from the keyboard's button.
            b.click("worked-close").await;
            b.click("work-cell").await;
            b.wait_attr_eq("worked-view", "data-cell", "0,14,14", Duration::from_secs(5)).await;
            b.wait_text("worked-sum", "the map's value at (14, 14)", Duration::from_secs(20)).await;
        }
        b.screenshot_of("features", &format!("worked-features-{name}")).await;
        b.assert_no_console_errors().await;
        b.close().await;
    }
}
