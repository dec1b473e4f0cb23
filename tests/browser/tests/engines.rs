//! One harness, three browser engines: the path every user takes, in Chromium, Firefox ESR and
//! WebKit (Safari's engine) on the CPU path (neither Firefox nor WebKitGTK has WebGPU on Linux).

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Engine, Fault, Gpu, MINUTE};

/// Open, train one epoch of Adam, draw a 1 and an 8 and read them right, export the model, Reset, import
/// the export: the page then holds exactly the trained weights again.
async fn smoke(engine: Engine, name: &str) {
    let b = Browser::open_on(engine, Fault::None, "/", "").await;
    b.wait_text("status", "Ready", MINUTE).await;
    assert_eq!(b.attr("device", "data-kind").await, "Cpu", "{name}: {}", b.text("device").await);
    // Adam: one epoch of the notebook's SGD leaves a drawn 1 near 50 %.
    b.click("optimizer-adam").await;
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 3 * MINUTE).await;
    let rows = b.epoch_rows().await;
    let test_acc: f64 = rows[0][4].parse().unwrap();
    assert!(test_acc >= 0.9, "{name}: test accuracy after an epoch {test_acc}");

    for (strokes, digit) in [(harness::one(), "1"), (harness::eight(), "8")] {
        b.click("clear").await;
        b.wait_attr_empty("prediction", "data-digit", Duration::from_secs(10)).await;
        b.draw(&strokes).await;
        b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
        assert_eq!(b.attr("prediction", "data-digit").await, digit, "{name}: {}", b.text("prediction").await);
    }
    b.screenshot(&format!("engine-{name}-drew-an-eight")).await;

    b.watch_offers().await;
    b.click("export").await;
    let file = b.offered("export-link", Duration::from_secs(20)).await;
    let trained = harness::weights_in(&file);
    // Reset forgets the model (Export turns off); the import brings it back.
    b.click("reset").await;
    assert!(!b.enabled("export").await, "{name}: Reset should leave no model to export");
    b.choose_file("import", &harness::temp_file(&format!("{name}.flab"), &file)).await;
    b.wait_text("status", &format!("Imported {name}.flab"), MINUTE).await;
    let before = b.attr("export-link", "href").await;
    b.click("export").await;
    let start = std::time::Instant::now();
    while b.attr("export-link", "href").await == before {
        assert!(start.elapsed() < Duration::from_secs(20), "{name}: the second export never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = harness::weights_in(&b.offered("export-link", Duration::from_secs(20)).await);
    assert_eq!(again, trained, "{name}: the imported model is not the exported one");
    b.screenshot(&format!("engine-{name}-imported")).await;
    b.assert_no_console_errors().await;
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn chromium_trains_reads_drawings_and_moves_a_model() {
    smoke(Engine::Chromium(Gpu::None), "chromium").await;
}

#[tokio::test(flavor = "current_thread")]
async fn firefox_esr_trains_reads_drawings_and_moves_a_model() {
    smoke(Engine::Firefox, "firefox").await;
}

#[tokio::test(flavor = "current_thread")]
async fn webkit_trains_reads_drawings_and_moves_a_model() {
    smoke(Engine::WebKit, "webkit").await;
}
