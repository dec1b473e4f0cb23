//! From the notebook and back: models written by real PyTorch (tests/fixtures/notebook, made by
//! tests/notebook_fixtures.py) imported through the page, Export for PyTorch read back, and a
//! model carried by a link into a fresh browser profile. Hostile files and links change nothing.

use filterlab_browser_tests as harness;

use std::time::Duration;

use filterlab_protocol::notebook_file;
use harness::{Browser, Fault, Gpu, MINUTE};


/// PyTorch's test accuracy for a fixture: correct images of its test split.
fn torch_correct(name: &str) -> f64 {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(harness::fixture(&format!("{name}.json"))).unwrap()).unwrap();
    json["test_correct"].as_f64().unwrap()
}

/// The conv weights as the filters panel writes them.
fn conv_of(bytes: &[u8]) -> String {
    let w = notebook_file::open(bytes).unwrap().file.weights;
    w.conv_weight.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

/// The confusion matrix's diagonal: the test images the page's model reads right.
async fn correct(b: &Browser) -> f64 {
    let m: Vec<f64> = b.attr("confusion", "data-matrix").await.split(',').map(|v| v.parse().unwrap()).collect();
    let n = (m.len() as f64).sqrt() as usize;
    (0..n).map(|i| m[i * n + i]).sum()
}

#[tokio::test(flavor = "current_thread")]
async fn pytorch_models_come_in_and_go_back_out() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    let files = [
        ("notebook.pt", 2),
        ("notebook.safetensors", 2),
        ("notebook-checkpoint.pt", 2),
        ("ten.pt", 10),
        ("ten.safetensors", 10),
        ("wide.pt", 2),
        ("wide.safetensors", 2),
    ];
    for (file, classes) in files {
        let name = file.split(['.', '-']).next().unwrap();
        b.choose_file("import", &harness::fixture(file)).await;
        b.wait_text("status", &format!("Imported {file}"), MINUTE).await;
        let bytes = std::fs::read(harness::fixture(file)).unwrap();
        b.wait_attr_eq("filters", "data-weights", &conv_of(&bytes), Duration::from_secs(10)).await;
        b.wait_attr_eq("confusion", "data-classes", &classes.to_string(), 2 * MINUTE).await;
        assert_eq!(correct(&b).await, torch_correct(name), "{file}: the page's test accuracy is PyTorch's");
        if classes == 2 {
            let notice = b.text("notice").await;
            assert!(notice.contains("read as the notebook's 8 (class 0) vs 1"), "{file}: {notice}");
        }
    }
    b.screenshot("notebook-import").await;

    // Back to the notebook: the notebook's names and layouts, and the same numbers.
    b.click("export-safetensors").await;
    let exported = b.downloaded("filterlab-model.safetensors", Duration::from_secs(10)).await;
    let back = notebook_file::open(&exported).unwrap();
    let torch = notebook_file::open(&std::fs::read(harness::fixture("wide.safetensors")).unwrap()).unwrap();
    assert_eq!((back.format, back.file.weights), (notebook_file::Format::Safetensors, torch.file.weights));

    // Hostile or broken files: refused, naming why; the model on the page and the runs kept
    // are unchanged.
    let before = b.attr("filters", "data-weights").await;
    let runs = b.text("runs").await;
    let mut nan = std::fs::read(harness::fixture("notebook.safetensors")).unwrap();
    let end = nan.len();
    nan[end - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    let pt = std::fs::read(harness::fixture("notebook.pt")).unwrap();
    let read = |name: &str| std::fs::read(harness::fixture(name)).unwrap();
    for (name, bytes, why) in [
        ("hostile-os-system.pt", read("hostile-os-system.pt"), "refers to posix.system"),
        ("hostile-zip-bomb.pt", read("hostile-zip-bomb.pt"), "larger than a model file"),
        ("rgb.pt", read("rgb.pt"), "not the notebook's classifier: expected conv1.weight [F, 1, k, k]"),
        ("too-many-filters.safetensors", read("too-many-filters.safetensors"), "64 filters: a network has 1 to 32"),
        ("truncated.pt", pt[..pt.len() / 2].to_vec(), "not a PyTorch file Filterlab can read"),
        ("junk.pt", b"PK\x03\x04 and then nothing".to_vec(), "not a PyTorch file Filterlab can read"),
        ("nan.safetensors", nan, "NaN or infinite"),
        ("random.pth", (0..3000u32).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect(), "not a model file Filterlab reads"),
    ] {
        b.choose_file("import", &harness::temp_file(name, &bytes)).await;
        let error = b.wait_error(&format!("{name} was not imported"), Duration::from_secs(10)).await;
        assert!(error.contains(why) && error.ends_with("The current model is unchanged."), "{name}: {error}");
        assert_eq!(b.attr("filters", "data-weights").await, before);
    }
    assert_eq!(b.text("runs").await, runs, "nothing kept was touched");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Copy link carries the model: a fresh profile that opens it reads a drawing exactly as the
/// page that made it. A damaged link is refused, and that page opens as usual.
#[tokio::test(flavor = "current_thread")]
async fn a_copied_link_opens_the_same_model_in_a_fresh_profile() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.set_input("lr", "0.01").await;
    b.choose_file("import", &harness::fixture("notebook.safetensors")).await;
    b.wait_text("status", "Imported notebook.safetensors", MINUTE).await;
    let filters = b.attr("filters", "data-weights").await;
    b.draw(&harness::one()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    let reading = b.text("prediction").await;
    b.click("copy-link").await;
    let link = b.value("link").await;
    assert!(link.starts_with(&b.site) && link.contains("lr=0.01") && link.contains("#v=1&model="), "{link}");
    b.screenshot("notebook-link").await;
    let relative = link[b.site.len()..].to_string();
    b.close().await;

    // Another browser profile, another server: only the link travels.
    let there = Browser::open_at(Gpu::None, Fault::None, &relative).await;
    there.wait_text("status", "Opened the link's model", MINUTE).await;
    there.wait_attr_eq("filters", "data-weights", &filters, Duration::from_secs(10)).await;
    assert_eq!(there.value("lr").await, "0.01");
    there.draw(&harness::one()).await;
    there.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    assert_eq!(there.text("prediction").await, reading);
    // Edits keep the fragment (a reload opens the link's model again).
    there.set_input("epochs", "3").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let address = there.js("return location.href", vec![]).await;
    assert!(address.as_str().unwrap().contains("epochs=3") && address.as_str().unwrap().contains("#v=1&model="), "{address}");
    there.close().await;

    // Damaged: cut short, not base64 at all, a NaN weight.
    let cut = &relative[..relative.len() - 40];
    let mut nan = notebook_file::open(&std::fs::read(harness::fixture("notebook.safetensors")).unwrap()).unwrap().file;
    nan.weights.fc_bias[1] = f32::NAN;
    let nan = format!("?#v=1&model={}", filterlab_protocol::model_link::encode(&nan).unwrap());
    for (hash, why) in [
        (cut.to_string(), ""),
        ("?#v=1&model=%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_string(), "not base64url"),
        (nan, "NaN"),
    ] {
        let b = Browser::open_at(Gpu::None, Fault::None, &hash).await;
        let error = b.wait_error("The link's model was not opened", MINUTE).await;
        assert!(error.contains(why) && error.contains("The page opened without it."), "{error}");
        // The address drops the refused model, so a reload does not refuse it again.
        b.wait_enabled("train", MINUTE).await;
        let address = b.js("return location.href", vec![]).await;
        assert!(!address.as_str().unwrap().contains("model="), "{address}");
        // The page works as usual (the message stays until the next run starts).
        b.set_input("epochs", "1").await;
        b.wait_enabled("train", MINUTE).await;
        b.click("train").await;
        b.wait_text("status", "Finished", 2 * MINUTE).await;
        b.assert_no_console_errors().await;
        b.close().await;
    }
}
