//! Lesson links: a teacher builds a lesson in the page (a hidden panel, a locked optimizer, two
//! frozen hand-set filters, a title with `<script>` in it) and copies its link; a fresh profile
//! opens exactly that page, on WebGPU, with the title as text and no script run; "Unlock
//! everything" gives the full lab back; a truncated link is refused and the page opens normally.
//! Run them one at a time (`--test-threads=1`): each starts its own browser.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Fault, Gpu, MINUTE};

const TITLE: &str = "Edges <script>window.pwned = 1</script> & friends";
const TASK: &str = "Filters 0 and 1 are Sobel's, frozen.\nTrain with SGD: what do the other six learn?";


/// Loads the page again, as the browser's reload does (a navigation to the same address with a
/// fragment would not), and waits until the new page is there.
async fn reload(b: &Browser) {
    b.js("window.beforeReload = true; location.reload();", vec![]).await;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if b.js("return window.beforeReload === undefined && document.readyState === 'complete';", vec![]).await.as_bool() == Some(true) {
            return;
        }
    }
    panic!("the page did not load again");
}

fn weights(attr: &str) -> Vec<f64> {
    attr.split(',').map(|v| v.parse().unwrap()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_lesson_link_opens_exactly_that_page() {
    // The teacher: the notebook's model, Sobel in filters 0 and 1, both frozen.
    let teacher = Browser::open(Gpu::None).await;
    teacher.wait_text("status", "Ready", MINUTE).await;
    teacher.choose_file("import", &harness::fixture("notebook.safetensors")).await;
    teacher.wait_text("status", "Imported notebook.safetensors", MINUTE).await;
    for (f, preset) in [(0, "horizontal-edge"), (1, "vertical-edge")] {
        teacher.click(&format!("edit-filter-{f}")).await;
        teacher.click(&format!("preset-{preset}")).await;
        teacher.wait_text("status", &format!("Filter {f} set by hand"), Duration::from_secs(10)).await;
        teacher.click(&format!("freeze-{f}")).await;
    }
    teacher.wait_text("frozen", "filters 0, 1", Duration::from_secs(5)).await;
    let filters = teacher.attr("filters", "data-weights").await;
    assert_eq!(&weights(&filters)[..18], &[-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0, -1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0]);
    teacher.click("lesson-builder").await;
    teacher.set_input("lesson-title-input", TITLE).await;
    teacher.set_input("lesson-task-input", TASK).await;
    teacher.click("lesson-hide-confusion").await;
    teacher.click("lesson-lock-optimizer").await;
    teacher.click("copy-lesson-link").await;
    teacher.wait_text("notice", "esson link", Duration::from_secs(10)).await;
    let link = teacher.value("lesson-link").await;
    let violations = teacher.axe_violations().await;
    assert!(violations.is_empty(), "axe-core, the builder open: {violations:#?}");
    for screen in [harness::PHONE, harness::TABLET, harness::DESKTOP] {
        teacher.emulate(screen).await;
        teacher.screenshot_of("lesson-builder-panel", &format!("lesson-builder-{}", screen.name)).await;
    }
    let relative = link.strip_prefix(&teacher.site).expect("a link to this page").to_string();
    assert!(relative.contains("frozen=0%2C1") && relative.contains("#v=1&lesson="), "{relative}");
    teacher.close().await;

    // A student, in a fresh profile, on WebGPU.
    let on_gpu = relative.replacen('?', "?device=webgpu&", 1);
    let b = Browser::open_at(Gpu::SwiftShader, Fault::None, &on_gpu).await;
    b.wait_text("status", "Opened the link's model", MINUTE).await;
    assert_eq!(b.text("lesson-title").await, TITLE, "the title is shown as text");
    assert_eq!(b.js("return document.querySelector('[data-testid=\"lesson-task\"]').textContent;", vec![]).await.as_str(), Some(TASK));
    let made = b.js("return document.querySelector('[data-testid=\"lesson\"] script') !== null || document.querySelector('[data-testid=\"lesson-title\"]').children.length > 0;", vec![]).await;
    assert_eq!(made.as_bool(), Some(false), "the title is one text node: no element was made of it");
    b.wait_attr_eq("filters", "data-weights", &filters, Duration::from_secs(20)).await;
    assert!(!b.present("confusion").await, "the confusion matrix panel is hidden");
    assert!(!b.enabled("optimizer-adam").await && !b.enabled("optimizer-sgd").await, "the optimizer is locked");
    assert!(b.enabled("lr").await, "the learning rate is not");
    b.click("edit-filter-0").await;
    b.wait_text("frozen", "filters 0, 1", Duration::from_secs(5)).await;
    assert!(!b.present("lesson-builder").await, "no builder while the lesson is locked");
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
    for screen in [harness::PHONE, harness::TABLET, harness::DESKTOP] {
        b.emulate(screen).await;
        b.screenshot_page(screen, &format!("lesson-{}", screen.name)).await;
    }
    b.emulate(harness::DESKTOP).await;
    b.js("window.scrollTo(0, 0);", vec![]).await;
    b.screenshot("lesson-top").await;
    // The lesson stays across edits and reloads.
    let lesson_lr = b.value("lr").await;
    b.set_input("lr", "0.05").await;
    reload(&b).await;
    b.wait_text("lesson-title", "Edges", MINUTE).await;
    assert!(!b.present("confusion").await);
    assert_eq!(b.value("lr").await, lesson_lr, "a reload opens the lesson as it was set");
    // Unlock everything: the full lab, and a reload keeps it.
    b.click("unlock").await;
    b.wait_text("unlocked", "full lab", Duration::from_secs(5)).await;
    assert!(b.present("confusion").await && b.enabled("optimizer-adam").await && b.present("lesson-builder").await);
    let hash = b.js("return location.hash;", vec![]).await;
    assert!(!hash.as_str().unwrap().contains("lesson="), "{hash}");
    reload(&b).await;
    b.wait_text("status", "Ready", MINUTE).await;
    assert!(!b.present("lesson").await && b.present("confusion").await);
    b.assert_no_console_errors().await;
    b.close().await;

    // A truncated link: refused with a message, the page as without it.
    let cut = &relative[..relative.len() - 12];
    let b = Browser::open_at(Gpu::None, Fault::None, cut).await;
    let error = b.wait_error("The lesson link was not opened", MINUTE).await;
    assert!(error.contains("cut short"), "{error}");
    assert!(!b.present("lesson").await && b.present("confusion").await && b.enabled("optimizer-adam").await);
    b.wait_attr_eq("filters", "data-weights", "", Duration::from_secs(1)).await;
    b.close().await;
}
