//! "My digits": drawings kept with their digit survive a reload; the model's accuracy on them is
//! the one this test works out from the model's weights; training with them adds them to the run's
//! data as the page says; the set leaves as MNIST-format idx files and comes back in a fresh
//! profile; a bad file changes nothing. On the CPU path and (training) on WebGPU.
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use filterlab_protocol::{Library, MyDigit, Weights, library_file, my_digits, notebook_file};
use harness::{Browser, Fault, Gpu, MINUTE};


/// A "1" slanted by `slant` pixels a step.
fn one(slant: f64) -> Vec<Vec<(f64, f64)>> {
    vec![(0..=20).map(|i| (135.0 + i as f64 * slant, 50.0 + i as f64 * 9.0)).collect()]
}

/// An "8" whose lower loop is `r` pixels wide.
fn eight(r: f64) -> Vec<Vec<(f64, f64)>> {
    let circle = |cx: f64, cy: f64, rx: f64, ry: f64| -> Vec<(f64, f64)> {
        (0..=36).map(|i| {
            let a = i as f64 / 36.0 * std::f64::consts::TAU;
            (cx + rx * a.sin(), cy - ry * a.cos())
        }).collect()
    };
    vec![circle(140.0, 95.0, 38.0, 42.0), circle(140.0, 185.0, r, 48.0)]
}

/// The notebook's network read by hand: conv 3×3 (padding 1), max-pool 7×7, linear; the class
/// with the larger logit.
fn reads(w: &Weights, image: &[f32]) -> usize {
    let px = |r: isize, c: isize| if (0..28).contains(&r) && (0..28).contains(&c) { image[(r * 28 + c) as usize] } else { 0.0 };
    let mut pooled = vec![f32::MIN; 128];
    for f in 0..8 {
        for r in 0..28 {
            for c in 0..28 {
                let mut v = w.conv_bias[f];
                for k in 0..9 {
                    v += w.conv_weight[f * 9 + k] * px(r as isize + k as isize / 3 - 1, c as isize + k as isize % 3 - 1);
                }
                let i = f * 16 + (r / 7) * 4 + c / 7;
                pooled[i] = pooled[i].max(v);
            }
        }
    }
    let logit = |k: usize| w.fc_bias[k] + (0..128).map(|i| w.fc_weight[k * 128 + i] * pooled[i]).sum::<f32>();
    if logit(1) > logit(0) { 1 } else { 0 }
}

/// Draws on a clear pad and keeps the drawing as each of `digits`, waiting until `kept` are kept.
async fn keep(b: &Browser, strokes: &[Vec<(f64, f64)>], digits: &[u8], kept: &mut usize) {
    b.click("clear").await;
    b.wait_attr_empty("prediction", "data-digit", Duration::from_secs(10)).await;
    b.draw(strokes).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    for d in digits {
        b.click(&format!("keep-{d}")).await;
        *kept += 1;
        b.wait_attr_eq("my-digits-count", "data-kept", &kept.to_string(), Duration::from_secs(10)).await;
    }
}

fn sorted_ids(set: &[MyDigit]) -> Vec<String> {
    let mut ids: Vec<String> = set.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    ids
}

fn page_ids(attr: &str) -> Vec<String> {
    let mut ids: Vec<String> = attr.split(',').filter(|s| !s.is_empty()).map(String::from).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "current_thread")]
async fn my_digits_are_kept_scored_trained_on_and_moved() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.choose_file("import", &harness::fixture("notebook.safetensors")).await;
    b.wait_text("status", "Imported notebook.safetensors", MINUTE).await;
    let weights = notebook_file::open(&std::fs::read(harness::fixture("notebook.safetensors")).unwrap()).unwrap().file.weights;

    // Ten drawings: four 1s, three 8s, a 7 kept as a 7 and as a 1, an 8 kept as a 3.
    let mut kept = 0;
    for slant in [0.0, 0.8, 1.6, -0.8] {
        keep(&b, &one(slant), &[1], &mut kept).await;
    }
    for r in [40.0, 45.0, 52.0] {
        keep(&b, &eight(r), &[8], &mut kept).await;
    }
    keep(&b, &harness::seven(), &[7, 1], &mut kept).await;
    keep(&b, &eight(60.0), &[3], &mut kept).await;
    assert_eq!(kept, 10);
    b.emulate(harness::PHONE).await;
    b.screenshot_of("keep", "my-digits-keep-phone").await;
    b.emulate(harness::DESKTOP).await;
    // The same drawing as the same digit again adds nothing.
    b.click("keep-3").await;
    b.wait_text("notice", "already kept as a 3", Duration::from_secs(5)).await;
    let ids = b.attr("my-digits", "data-ids").await;

    // A reload: they are all there, in the order kept.
    b.goto(&b.site).await;
    b.wait_attr_eq("my-digits-count", "data-kept", "10", MINUTE).await;
    assert_eq!(b.attr("my-digits", "data-ids").await, ids);
    assert_eq!(b.attr("my-digits", "data-digits").await, "1,1,1,1,8,8,8,7,1,3");
    let count = b.text("my-digits-count").await;
    assert!(count.contains("10 digits kept: 8 used by 8 vs 1, 2 of other digits kept but not used"), "{count}");

    // The score: the restored model on the eight digits of its task, as this test reads them.
    b.wait_text("my-score", "of your 8 digits right", MINUTE).await;
    b.click("export-my-digits").await;
    let file = b.downloaded("my-digits.zip", Duration::from_secs(10)).await;
    let set = my_digits::read(&file, 0.0).expect("the export reads as MNIST idx files");
    assert_eq!(sorted_ids(&set), page_ids(&ids));
    let used: Vec<&MyDigit> = set.iter().filter(|d| d.digit == 8 || d.digit == 1).collect();
    let right = used.iter().filter(|d| reads(&weights, &d.image()) == if d.digit == 8 { 0 } else { 1 }).count();
    assert_eq!(b.attr("my-score", "data-right").await, right.to_string());
    assert_eq!(b.attr("my-score", "data-unused").await, "2");
    let matrix: Vec<u32> = b.attr("my-confusion", "data-matrix").await.split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!((matrix.iter().sum::<u32>(), matrix[0] + matrix[3]), (8, right as u32));
    let score = b.text("my-score").await;
    assert!(score.starts_with(&format!("The current model reads {right} of your 8 digits right")) && score.contains("on MNIST's test set"), "{score}");

    // Relabel the 3 as an 8 (now used), delete the first 1 (asked first).
    b.choose("my-digit-label-9", "8").await;
    b.wait_attr_eq("my-digits-count", "data-used", "9", Duration::from_secs(10)).await;
    b.click("my-digit-delete-0").await;
    assert_eq!(b.text("my-digit-delete-0").await, "Really?");
    b.click("my-digit-delete-0").await;
    b.wait_attr_eq("my-digits-count", "data-kept", "9", Duration::from_secs(10)).await;
    assert_eq!(b.attr("my-digits", "data-digits").await, "1,1,1,8,8,8,7,1,8");
    b.wait_attr_eq("my-score", "data-used", "8", Duration::from_secs(30)).await;

    // axe finds nothing; the panel at phone, tablet and desktop widths, and in dark.
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
    for screen in [harness::PHONE, harness::TABLET, harness::DESKTOP] {
        b.emulate(screen).await;
        b.screenshot_of("my-digits-panel", &format!("my-digits-{}", screen.name)).await;
        b.screenshot_page(screen, &format!("my-digits-page-{}", screen.name)).await;
    }
    b.emulate(harness::DESKTOP).await;
    b.dark(true).await;
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe-core, dark: {violations:#?}");
    b.dark(false).await;

    // Train on them too: the run's data is MNIST's and the task's eight digits five times each,
    // as said; the 7 is kept and not used.
    b.click("train-my-digits").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 3 * MINUTE).await;
    let said = b.text("trained-on").await;
    assert_eq!(said, "The latest run trained on 10633 images (10593 of MNIST's and 8 of your digits, 5 times each: as drawn and shifted a pixel up, down, left and right).");
    assert!(b.text("my-score-caveat").await.contains("drawings it has seen"));
    let row = b.epoch_rows().await.pop().unwrap();
    let mine: f64 = row[7].parse().expect("the epoch log shows the accuracy on my digits");
    assert!((0.0..=1.0).contains(&mine), "{row:?}");
    b.wait_text("runs", "+ my digits", Duration::from_secs(10)).await;

    // The library's export holds the digits too.
    b.click("export-library").await;
    let day = b.js("return new Date().toISOString().slice(0, 10);", vec![]).await;
    let library = b.downloaded(&format!("filterlab-library-{}.zip", day.as_str().unwrap()), Duration::from_secs(10)).await;
    let Library { runs, digits } = library_file::read(&library, 0.0).unwrap();
    assert_eq!((runs.len(), digits.len()), (2, 9));
    b.click("export-my-digits").await;
    let nine = b.downloaded("my-digits.zip", Duration::from_secs(10)).await;
    b.assert_no_console_errors().await;
    b.close().await;

    // A fresh profile: a bad file changes nothing; the exported set comes back whole.
    let fresh = Browser::open(Gpu::None).await;
    fresh.wait_text("status", "Ready", MINUTE).await;
    fresh.wait_attr_eq("my-digits-count", "data-kept", "0", MINUTE).await;
    fresh.choose_file("import-my-digits", &harness::temp_file("bad-digits.zip", &nine[..nine.len() / 2])).await;
    fresh.wait_error("bad-digits.zip was not imported: it is not a zip file", Duration::from_secs(10)).await;
    assert_eq!(fresh.attr("my-digits-count", "data-kept").await, "0");
    fresh.choose_file("import-my-digits", &harness::temp_file("my-digits.zip", &nine)).await;
    fresh.wait_attr_eq("my-digits-count", "data-kept", "9", Duration::from_secs(10)).await;
    assert_eq!(page_ids(&fresh.attr("my-digits", "data-ids").await), sorted_ids(&my_digits::read(&nine, 0.0).unwrap()));
    assert_eq!(fresh.attr("my-digits", "data-digits").await, "1,1,1,8,8,8,7,1,8");
    fresh.choose_file("import-my-digits", &harness::temp_file("my-digits.zip", &nine)).await;
    fresh.wait_text("notice", "9 digits already kept, nothing to import", Duration::from_secs(10)).await;
    // No model here yet: a drawing is kept all the same, as the network would see it.
    fresh.draw(&one(0.0)).await;
    fresh.wait_text("prediction", "No model reads it yet", Duration::from_secs(30)).await;
    let mut kept = 9;
    fresh.click("keep-2").await;
    kept += 1;
    fresh.wait_attr_eq("my-digits-count", "data-kept", &kept.to_string(), Duration::from_secs(10)).await;
    fresh.close().await;
}

/// On WebGPU: two kept digits join the training data and the epoch log scores them.
#[tokio::test(flavor = "current_thread")]
async fn training_on_my_digits_on_webgpu() {
    let b = Browser::open_at(Gpu::SwiftShader, Fault::None, "?device=webgpu").await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.choose_file("import", &harness::fixture("notebook.safetensors")).await;
    b.wait_text("status", "Imported notebook.safetensors", MINUTE).await;
    let mut kept = 0;
    keep(&b, &one(0.8), &[1], &mut kept).await;
    keep(&b, &eight(45.0), &[8], &mut kept).await;
    b.wait_text("my-score", "of your 2 digits right", MINUTE).await;
    b.click("train-my-digits").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 5 * MINUTE).await;
    b.wait_text("trained-on", "on 10603 images (10593 of MNIST's and 2 of your digits", Duration::from_secs(5)).await;
    let row = b.epoch_rows().await.pop().unwrap();
    assert!(row[6].parse::<f64>().is_ok(), "it ran on WebGPU: {row:?}");
    let mine: f64 = row[7].parse().expect("the epoch log shows the accuracy on my digits");
    assert!([0.0, 0.5, 1.0].contains(&mine), "two digits: 0, 1 or 2 right: {row:?}");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Two tabs: a digit kept in one is listed in the other. A full storage keeps nothing and says so;
/// the set stays as it was, after a reload too.
#[tokio::test(flavor = "current_thread")]
async fn another_tab_sees_kept_digits_and_a_full_storage_keeps_nothing() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.choose_file("import", &harness::fixture("notebook.safetensors")).await;
    b.wait_text("status", "Imported notebook.safetensors", MINUTE).await;
    let first = b.open_tab().await;
    b.wait_attr_eq("my-digits-count", "data-kept", "0", MINUTE).await;
    let second = b.tab_handle().await;
    b.switch_to(first.clone()).await;
    let mut kept = 0;
    keep(&b, &one(0.8), &[1], &mut kept).await;
    b.switch_to(second).await;
    b.wait_attr_eq("my-digits-count", "data-kept", "1", Duration::from_secs(10)).await;
    let ids = b.attr("my-digits", "data-ids").await;
    b.close_tab().await;
    b.switch_to(first).await;

    // A quota a little under the site's usage: no write fits.
    b.storage_full().await;
    b.click("clear").await;
    b.draw(&eight(45.0)).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    b.click("keep-8").await;
    let error = b.wait_error("Your digits were not saved", Duration::from_secs(10)).await;
    assert!(error.contains("no more storage space") && error.contains("Nothing was changed"), "{error}");
    assert_eq!(b.attr("my-digits", "data-ids").await, ids);
    b.goto(&b.site).await;
    b.wait_attr_eq("my-digits-count", "data-kept", "1", MINUTE).await;
    assert_eq!(b.attr("my-digits", "data-ids").await, ids);
    b.close().await;
}
