//! The filter lab's network knobs: the parameter count follows them as they change, Train builds
//! the network they describe (on the CPU path and on WebGPU), the filters and feature maps lay
//! themselves out from it, the run list and the address keep it, and a model file brings its own
//! network back. Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Fault, Gpu, MINUTE};

async fn count(b: &Browser) -> String {
    b.text("param-count").await
}

/// The page on forced WebGPU (SwiftShader) with the settings of `query`, ready to train.
async fn open_on_webgpu(query: &str) -> Browser {
    let b = Browser::open_at(Gpu::SwiftShader, Fault::None, &format!("?device=webgpu&{query}")).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.wait_attr_eq("device", "data-kind", "WebGpu", MINUTE).await;
    b
}

/// Trains the epochs set and returns the first epoch's row, after checking that the fused
/// kernel ran it (at most 2 dispatches a step: a batch of 256 or more is split over workgroups
/// and summed in a second pass; smaller ones go up to ten steps a dispatch).
async fn train_in_the_kernel(b: &Browser, what: &str) -> Vec<String> {
    b.click("train").await;
    b.wait_text("status", "Finished", 5 * MINUTE).await;
    let row = b.epoch_rows().await.remove(0);
    let dispatches: f64 = row[6].parse().unwrap();
    assert!(dispatches <= 2.0, "{what}: the fused kernel ran, {dispatches} dispatches a step");
    println!("{what}, WebGPU (SwiftShader): epoch {} s, {dispatches} dispatches a step, test accuracy {}", row[5], row[4]);
    row
}

/// Numbers in a comma-separated `data-*` attribute.
async fn how_many(b: &Browser, id: &str, name: &str) -> usize {
    b.attr(id, name).await.split(',').filter(|s| !s.is_empty()).count()
}

#[tokio::test(flavor = "current_thread")]
async fn two_filters_and_pool_4_on_the_cpu_path() {
    let b = Browser::open_at(Gpu::None, Fault::None, "?device=cpu").await;
    b.wait_text("status", "Ready", MINUTE).await;
    assert_eq!(count(&b).await, "8·(3·3+1) + 2·(8·4·4+1) = 338 parameters");
    assert_eq!(b.text("params-total").await, "338");
    assert!(!b.enabled("notebook-network").await, "the notebook's network is already set");

    // The count follows the knobs as they change, and so does the address.
    b.set_input("filter-count", "2").await;
    b.click("pool-4").await;
    b.wait_text("param-count", "2·(3·3+1) + 2·(2·7·7+1) = 218 parameters", Duration::from_secs(5)).await;
    assert_eq!(b.text("params-total").await, "218", "before a model, the table shows the network Train builds");
    let search = b.js("return location.search;", vec![]).await;
    assert!(search.as_str().unwrap().contains("filters=2&kernel=3&pool=4"), "{search}");
    // A filter count the network cannot have: the reason, and no Train.
    b.set_input("filter-count", "40").await;
    b.wait_text("param-count", "40 filters: a network has 1 to 32", Duration::from_secs(5)).await;
    assert!(!b.enabled("train").await);
    b.set_input("filter-count", "2").await;

    b.click("optimizer-adam").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    assert_eq!(b.attr("filters", "data-filters").await, "2", "the filters canvas shows two filters");
    assert_eq!(how_many(&b, "filters", "data-weights").await, 18);
    assert_eq!(b.text("filters-title").await, "The 2 3×3 filters");
    let params = b.text("params").await;
    assert!(params.contains("[2, 1, 3, 3]") && params.contains("[2, 98]") && params.contains("218"), "{params}");
    let rows = b.epoch_rows().await;
    let test_acc: f64 = rows[0][4].parse().unwrap();
    assert!(test_acc > 0.8, "two filters and pool 4 after an Adam epoch: test accuracy {test_acc}");
    // The run is listed once it is kept.
    b.wait_text("runs", "2 filters 3×3, pool 4", Duration::from_secs(10)).await;

    // The drawn digit's maps are laid out for two filters, pooled to 7×7.
    b.draw(&harness::one()).await;
    b.wait_attr_nonempty("features", "data-pooled", Duration::from_secs(30)).await;
    assert_eq!(how_many(&b, "features", "data-conv").await, 2 * 784);
    assert_eq!(how_many(&b, "features", "data-pooled").await, 2 * 49);
    assert_eq!(how_many(&b, "features", "data-contributions").await, 2 * 98);
    b.screenshot("lab-two-filters").await;

    // Continue trains the model as it is, whatever the knobs say (they are what Train builds).
    assert_eq!(b.text("model-network").await, "", "the knobs are the model's");
    b.click("notebook-network").await;
    b.wait_text("param-count", "= 338 parameters", Duration::from_secs(5)).await;
    assert_eq!(b.text("model-network").await, "The current model is 2 filters 3×3, pool 4: Train builds the network set here, Continue trains the model as it is.");
    assert_eq!(b.text("params-total").await, "218", "the table shows the model's network");
    b.click("continue").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    assert_eq!(b.epoch_rows().await.len(), 2);
    assert_eq!(b.attr("filters", "data-filters").await, "2");
    assert_eq!(b.text("params-total").await, "218");

    // A model file brings its network back: the knobs follow it.
    b.click("export").await;
    let file = b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await;
    b.click("reset").await;
    b.wait_text("status", "Reset", Duration::from_secs(10)).await;
    b.choose_file("import", &harness::temp_file("two.flab", &file)).await;
    b.wait_text("status", "Imported two.flab", Duration::from_secs(30)).await;
    assert_eq!(b.value("filter-count").await, "2");
    assert_eq!(b.attr("pool-4", "aria-pressed").await, "true");
    assert_eq!(b.attr("filters", "data-filters").await, "2");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Numbers in a comma-separated `data-*` attribute.
async fn numbers(b: &Browser, id: &str, name: &str) -> Vec<f64> {
    b.attr(id, name).await.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

/// The horizontal-edge (Sobel) preset on filter 0 of a trained model: feature map 0 of the drawn
/// digit becomes the Sobel response of the image the model saw (padding 1, bias 0), computed here
/// by hand. Then every filter frozen and an epoch continued: the filters stay exactly as they were
/// (Sobel included) while the linear layer learns, and the accuracy rises.
#[tokio::test(flavor = "current_thread")]
async fn a_sobel_filter_by_hand_and_a_frozen_network() {
    let b = Browser::open_at(Gpu::None, Fault::None, "?device=cpu&optimizer=sgd&lr=0.001&epochs=1").await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.wait_attr_nonempty("confusion", "data-matrix", MINUTE).await;
    let trained_matrix = b.attr("confusion", "data-matrix").await;
    b.draw(&harness::eight()).await;
    b.wait_attr_nonempty("features", "data-conv", Duration::from_secs(30)).await;
    // The maps of the whole drawing: the last stroke's reading may still be on its way.
    let mut before = numbers(&b, "features", "data-conv").await;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = numbers(&b, "features", "data-conv").await;
        if now == before {
            break;
        }
        before = now;
    }

    b.click("edit-filter-0").await;
    b.click("preset-horizontal-edge").await;
    b.wait_text("status", "Filter 0 set by hand", Duration::from_secs(30)).await;
    // The maps follow the edit (the first change seen may still be the drawing's last stroke
    // read by the old filter, so wait for the map to settle on the Sobel response).
    let sobel = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]];
    let start = std::time::Instant::now();
    let (conv, largest) = loop {
        let conv = numbers(&b, "features", "data-conv").await;
        let image = numbers(&b, "seen", "data-image").await;
        let pixel = |y: i64, x: i64| if (0..28).contains(&y) && (0..28).contains(&x) { image[(y * 28 + x) as usize] } else { 0.0 };
        let mut largest = 0.0f64;
        let mut wrong = None;
        for y in 0..28i64 {
            for x in 0..28i64 {
                let by_hand: f64 = (0..3).flat_map(|r| (0..3).map(move |c| (r, c))).map(|(r, c)| sobel[r][c] * pixel(y + r as i64 - 1, x + c as i64 - 1)).sum();
                let page = conv[(y * 28 + x) as usize];
                if (page - by_hand).abs() >= 1e-4 && wrong.is_none() {
                    wrong = Some(format!("map 0 at ({y}, {x}): {page} on the page, {by_hand} by hand"));
                }
                largest = largest.max(by_hand.abs());
            }
        }
        match wrong {
            None => break (conv, largest),
            Some(wrong) => assert!(start.elapsed() < Duration::from_secs(30), "the feature maps did not follow the edit: {wrong}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(largest > 1.0, "the drawn 8 has horizontal edges: {largest}");
    assert_eq!(&conv[784..], &before[784..], "the other maps stay");
    let weights = numbers(&b, "filters", "data-weights").await;
    assert_eq!(&weights[..9], &[-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0]);
    b.screenshot("lab-sobel").await;
    // Numbers typed key by key into filter 1 (its centre and its bias), then set.
    b.click("edit-filter-1").await;
    b.type_into("tap-4", "-0.25").await;
    b.type_into("tap-bias", "0.5").await;
    assert_eq!((b.value("tap-4").await, b.value("tap-bias").await), ("-0.25".to_string(), "0.5".to_string()));
    b.click("apply-filter").await;
    b.wait_text("status", "Filter 1 set by hand", Duration::from_secs(30)).await;
    let start = std::time::Instant::now();
    while numbers(&b, "filters", "data-weights").await[13] != -0.25 {
        assert!(start.elapsed() < Duration::from_secs(10), "filter 1's centre was not set");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let weights = numbers(&b, "filters", "data-weights").await;
    // The edited model's test accuracy, from its confusion matrix (recomputed after the edit:
    // wait for it to change, which it almost surely does).
    let start = std::time::Instant::now();
    while b.attr("confusion", "data-matrix").await == trained_matrix && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let m = numbers(&b, "confusion", "data-matrix").await;
    let edited = (m[0] + m[3]) / m.iter().sum::<f64>();

    // Freeze every filter and continue with Adam: the filters do not move, the accuracy rises.
    b.click("freeze-all").await;
    b.wait_text("frozen", "filters 0, 1, 2, 3, 4, 5, 6, 7", Duration::from_secs(5)).await;
    let canvas = b.canvas_png("filters").await;
    b.click("optimizer-adam").await;
    b.set_input("lr", "0.01").await;
    b.set_input("epochs", "2").await;
    b.click("continue").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    assert_eq!(numbers(&b, "filters", "data-weights").await, weights, "frozen filters moved");
    assert_eq!(b.canvas_png("filters").await, canvas, "the filters canvas changed");
    let rows = b.epoch_rows().await;
    let last = rows.last().unwrap()[4].parse::<f64>().unwrap();
    assert!(last > edited, "the linear layer alone should still learn: test accuracy {edited} → {last}");
    b.screenshot("lab-frozen").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Frozen filters on WebGPU, in the fused kernel (the notebook's network): after every filter is
/// frozen, an epoch continued leaves them bit for bit while the linear layer moves.
#[tokio::test(flavor = "current_thread")]
async fn frozen_filters_stay_in_the_webgpu_kernel() {
    let b = open_on_webgpu("optimizer=adam&lr=0.01&epochs=1&batch=4096").await;
    train_in_the_kernel(&b, "the notebook's network").await;
    b.click("freeze-all").await;
    b.wait_text("frozen", "filters 0, 1, 2, 3, 4, 5, 6, 7", Duration::from_secs(5)).await;
    b.click("export").await;
    let before = harness::weights_in(&b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await);
    b.click("continue").await;
    b.wait_text("status", "Finished", 5 * MINUTE).await;
    let rows = b.epoch_rows().await;
    assert_eq!(rows.len(), 2);
    let dispatches: f64 = rows[1][6].parse().unwrap();
    assert!(dispatches <= 2.0, "the fused kernel ran: {dispatches} dispatches a step");
    b.click("export").await;
    let after = harness::weights_in(&b.downloaded("filterlab-model.flab", Duration::from_secs(20)).await);
    // conv1.weight (72) and conv1.bias (8) first, then the linear layer.
    assert_eq!(after[..80].iter().map(|v| v.to_bits()).collect::<Vec<_>>(), before[..80].iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "frozen filters moved on WebGPU");
    assert_ne!(&after[80..], &before[80..], "the linear layer should train");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// On WebGPU the fused kernel takes other networks too (filters, kernel, pool and classes are
/// its compile-time parameters): 3 filters 5×5 pooled to 2×2 train an epoch of batches of 512, split over four workgroups.
#[tokio::test(flavor = "current_thread")]
async fn a_5x5_network_trains_in_the_webgpu_kernel() {
    let b = open_on_webgpu("filters=3&kernel=5&pool=14&optimizer=adam&lr=0.01&epochs=1&batch=512").await;
    // 3·(5·5+1) + 2·(3·2·2+1)
    assert!(count(&b).await.ends_with("= 104 parameters"), "{}", count(&b).await);
    let row = train_in_the_kernel(&b, "3 filters 5×5 pool 14").await;
    assert_eq!(b.attr("filters", "data-filters").await, "3");
    assert_eq!(how_many(&b, "filters", "data-weights").await, 75);
    let test_acc: f64 = row[4].parse().unwrap();
    assert!(test_acc > 0.75, "test accuracy {test_acc}");
    b.screenshot("lab-webgpu").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// On WebGPU the fused kernel takes every network the knobs allow, large ones too: 16 filters
/// pooled to 7×7 (784 pooled features, four cells an invocation) train an epoch of batches of
/// 512, each split over four workgroups (two dispatches a step).
#[tokio::test(flavor = "current_thread")]
async fn a_wide_network_trains_in_the_webgpu_kernel() {
    let b = open_on_webgpu("filters=16&pool=4&optimizer=adam&lr=0.01&epochs=1&batch=512").await;
    // 16·(3·3+1) + 2·(16·7·7+1)
    assert!(count(&b).await.ends_with("= 1730 parameters"), "{}", count(&b).await);
    let row = train_in_the_kernel(&b, "16 filters pool 4").await;
    assert_eq!(b.attr("filters", "data-filters").await, "16");
    let test_acc: f64 = row[4].parse().unwrap();
    assert!(test_acc > 0.9, "test accuracy {test_acc}");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// All ten digits on the CPU path: the choice gives the notebook's network a 10-way linear layer
/// (1,370 parameters), trains on the whole train file and tests on the t10k file; the matrix is
/// 10×10 and holds all 10,000 test images, each digit has its accuracy, and after two Adam
/// epochs a drawn 7 is read as a 7, with ten probabilities. The worker stays within 250 MB.
#[tokio::test(flavor = "current_thread")]
async fn all_ten_digits_on_the_cpu_path() {
    let b = Browser::open_at(Gpu::None, Fault::None, "?device=cpu&optimizer=adam&epochs=2").await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.click("all-digits").await;
    b.wait_text("param-count", "8·(3·3+1) + 10·(8·4·4+1) = 1370 parameters", Duration::from_secs(5)).await;
    assert!(!b.enabled("digits").await, "the pair is not used");
    let search = b.js("return location.search;", vec![]).await;
    assert!(search.as_str().unwrap().contains("digits=all"), "{search}");

    b.click("train").await;
    b.wait_text("status", "Finished", 4 * MINUTE).await;
    assert_eq!(b.attr("preview", "data-images").await, "40", "four training images of each digit");
    // The images held as bytes (47 MB for the 60,000), not floats (188 MB, held twice: 567 MB).
    let memory: f64 = b.attr("memory", "data-wasm-bytes").await.parse().unwrap();
    println!("all ten digits, CPU path: worker memory {memory} bytes");
    assert!(memory <= 250e6, "the worker holds {:.0} MB of WebAssembly memory, over 250 MB", memory / 1e6);
    b.wait_attr_eq("confusion", "data-epochs", "2", MINUTE).await;
    assert_eq!(b.attr("confusion", "data-classes").await, "10");
    let m = numbers(&b, "confusion", "data-matrix").await;
    assert_eq!(m.len(), 100);
    assert_eq!(m.iter().sum::<f64>(), 10_000.0, "the t10k file's 10,000 images");
    let rows = b.epoch_rows().await;
    let test_acc: f64 = rows[1][4].parse().unwrap();
    let diagonal: f64 = (0..10).map(|d| m[d * 10 + d]).sum();
    assert!((diagonal / 10_000.0 - test_acc).abs() < 1e-3, "the matrix agrees with the epoch row: {diagonal} vs {test_acc}");
    assert!(test_acc > 0.85, "ten digits after two Adam epochs: test accuracy {test_acc}");
    // Each digit's accuracy is its row's diagonal share.
    let accuracy = numbers(&b, "confusion", "data-accuracy").await;
    let sevens: f64 = m[70..80].iter().sum();
    assert!((accuracy[7] - m[77] / sevens).abs() < 1e-4, "{accuracy:?}");
    assert_eq!(sevens, 1028.0, "the t10k file holds 1,028 sevens");
    b.click("cell-7-7").await;
    b.wait_text("examples-caption", "test images of a 7 read as 7", Duration::from_secs(20)).await;
    b.screenshot_of("confusion", "lab-ten-digits-confusion").await;

    b.draw(&harness::seven()).await;
    b.wait_attr_nonempty("features", "data-probabilities", Duration::from_secs(30)).await;
    let p = numbers(&b, "features", "data-probabilities").await;
    assert_eq!(p.len(), 10);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{p:?}");
    assert_eq!(b.attr("prediction", "data-digit").await, "7", "a drawn 7: {p:?}");
    assert_eq!(how_many(&b, "features", "data-contributions").await, 10 * 128);
    assert!(b.text("shares").await.contains('9'), "ten shares on the pad");
    b.screenshot("lab-ten-digits").await;
    // On a phone the 10×10 matrix and the ten shares fit (the matrix scrolls inside its panel if
    // it must), and axe finds nothing wrong with them.
    b.emulate(harness::PHONE).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.overflow_px().await, 0.0, "the page scrolls sideways on a phone");
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    b.screenshot_page(harness::PHONE, "lab-ten-digits-phone").await;
    b.assert_no_console_errors().await;

    // Nothing is lost: a reload restores the ten-digit model (saved after epoch 2) with its tick,
    // and its matrix on the t10k file, fetched again by the new worker, is the same.
    b.wait_attr_eq("saved", "data-epochs", "2", Duration::from_secs(10)).await;
    b.goto(&b.site).await;
    b.wait_text("status", "(all ten digits, 2 epochs trained)", MINUTE).await;
    assert!(b.text("status").await.starts_with("Restored run #"), "{}", b.text("status").await);
    let ticked = b.js("return document.querySelector('[data-testid=\"all-digits\"]').checked;", vec![]).await;
    assert_eq!(ticked, true, "the tick comes back");
    b.wait_attr_eq("confusion", "data-classes", "10", MINUTE).await;
    assert_eq!(numbers(&b, "confusion", "data-matrix").await, m, "the restored model's matrix");
    b.close().await;
}

/// All ten digits on WebGPU, in the fused kernels compiled for ten classes: an epoch of big
/// batches, each split over 32 workgroups and summed in a second pass (two dispatches a step),
/// and the 10×10 matrix of the t10k file.
#[tokio::test(flavor = "current_thread")]
async fn all_ten_digits_on_webgpu() {
    let b = open_on_webgpu("digits=all&optimizer=adam&lr=0.01&epochs=1&batch=4096").await;
    let row = train_in_the_kernel(&b, "all ten digits").await;
    assert_eq!(row[6].parse::<f64>().unwrap(), 2.0, "a split step is two dispatches");
    b.wait_attr_eq("confusion", "data-epochs", "1", MINUTE).await;
    let m = numbers(&b, "confusion", "data-matrix").await;
    assert_eq!((m.len(), m.iter().sum::<f64>()), (100, 10_000.0));
    let test_acc: f64 = row[4].parse().unwrap();
    assert!(test_acc > 0.5, "ten digits on WebGPU after an epoch: test accuracy {test_acc}");
    b.assert_no_console_errors().await;
    b.close().await;
}
