//! The page as a product: it fits phones, tablets and desktops (no sideways scrolling, no panel
//! over another), light and dark; a finger can train and draw on a phone; axe-core finds no
//! accessibility violation; the keyboard alone reaches and operates every control; the built
//! site works from a host's sub-folder, and offline after one visit.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, DESKTOP, Fault, Gpu, MINUTE, PHONE, Pointer, Screen, SMALL_PHONE, TABLET, WIDE};
use serde_json::Value;

/// Panels drawn over one another: the names of each pair.
const OVERLAPS: &str = "
    const panels = [...document.querySelectorAll('.panel')].map(p => [p.querySelector('h2')?.textContent || p.className, p.getBoundingClientRect()]);
    const out = [];
    for (let i = 0; i < panels.length; i++) for (let j = i + 1; j < panels.length; j++) {
        const [a, ra] = panels[i], [b, rb] = panels[j];
        if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1) out.push(`${a} / ${b}`);
    }
    return out;";

/// Visible controls, pictures and tables that stick out of the screen or of their panel, with
/// their edges.
const OUTSIDE: &str = "
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('button, input, .file-button, canvas, table')]
        .filter(e => e.offsetParent !== null && !e.classList.contains('visually-hidden') && !e.closest('.table-scroll'))
        .map(e => [e.dataset.testid || e.textContent.trim().slice(0, 30), e.getBoundingClientRect(), e.closest('.panel')?.getBoundingClientRect()])
        .filter(([_, r, p]) => r.left < -0.5 || r.right > width + 0.5 || (p && (r.left < p.left - 0.5 || r.right > p.right + 0.5)))
        .map(([n, r, p]) => `${n}: ${r.left.toFixed(0)}..${r.right.toFixed(0)} (panel ${p ? p.left.toFixed(0) + '..' + p.right.toFixed(0) : '-'}, screen ${width})`);";

async fn strings(b: &Browser, script: &str) -> Vec<String> {
    serde_json::from_value(b.js(script, vec![]).await).unwrap()
}

async fn width_of(b: &Browser, id: &str) -> f64 {
    b.js(&format!("return document.querySelector('[data-testid=\"{id}\"]').getBoundingClientRect().width;"), vec![]).await.as_f64().unwrap()
}

/// The page laid out for `screen`: fits, nothing overlaps, the main controls are full size.
async fn check_layout(b: &Browser, screen: Screen) {
    b.emulate(screen).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let inner: f64 = b.js("return window.innerWidth;", vec![]).await.as_f64().unwrap();
    assert_eq!(inner, screen.width as f64, "{}: the emulated screen", screen.name);
    assert_eq!(b.overflow_px().await, 0.0, "{}: the page scrolls sideways", screen.name);
    let overlaps = strings(b, OVERLAPS).await;
    assert!(overlaps.is_empty(), "{}: panels overlap: {overlaps:?}", screen.name);
    let outside = strings(b, OUTSIDE).await;
    assert!(outside.is_empty(), "{}: sticks out of the screen or its panel: {outside:?}", screen.name);
    for id in ["train", "lr", "draw-pad"] {
        let w = width_of(b, id).await;
        assert!(w >= 40.0, "{}: {id} is {w} px wide", screen.name);
    }
    // The pad is at least thumb-sized, and no wider than the screen.
    let pad = width_of(b, "draw-pad").await;
    assert!((200.0..=screen.width as f64).contains(&pad), "{}: the draw pad is {pad} px", screen.name);
}

/// The page's background colour's lightness (0 black, 255 white).
async fn background_lightness(b: &Browser) -> f64 {
    let rgb = b.js("return getComputedStyle(document.body).backgroundColor;", vec![]).await;
    let channels: Vec<f64> = rgb.as_str().unwrap().trim_start_matches("rgb(").trim_end_matches(')').split(',').map(|c| c.trim().parse().unwrap()).collect();
    channels.iter().sum::<f64>() / 3.0
}

/// From a 360 px phone to a 2560 px screen, before and after a run, light and dark.
#[tokio::test(flavor = "current_thread")]
async fn the_page_fits_phones_tablets_and_desktops() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.set_input("epochs", "1").await;
    b.click("optimizer-adam").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.draw(&harness::eight()).await;
    b.wait_attr_eq("prediction", "data-digit", "8", Duration::from_secs(30)).await;
    b.click("cell-0-0").await;
    b.wait_attr_nonempty("examples", "data-total", Duration::from_secs(30)).await;
    for screen in [SMALL_PHONE, PHONE, TABLET, DESKTOP, WIDE] {
        check_layout(&b, screen).await;
        b.screenshot_page(screen, &format!("screen-{}", screen.name)).await;
    }
    for screen in [PHONE, DESKTOP] {
        b.emulate(screen).await;
        b.dark(false).await;
        let light = background_lightness(&b).await;
        b.dark(true).await;
        let dark = background_lightness(&b).await;
        assert!(light > 200.0 && dark < 60.0, "{}: background lightness {light} light, {dark} dark", screen.name);
        b.screenshot_page(screen, &format!("screen-{}-dark", screen.name)).await;
    }
    b.assert_no_console_errors().await;
    b.close().await;
}

/// On a phone, a finger sets up a run, trains and draws.
#[tokio::test(flavor = "current_thread")]
async fn a_phone_user_trains_and_draws_with_a_finger() {
    let b = Browser::open(Gpu::None).await;
    b.emulate(PHONE).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.set_input("epochs", "1").await;
    b.tap("optimizer-adam").await;
    assert_eq!(b.attr("optimizer-adam", "aria-pressed").await, "true");
    b.tap("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    assert_eq!(b.text("optimizer-used").await, "Optimizer in use: Adam");
    b.js("document.querySelector('[data-testid=\"draw-pad\"]').scrollIntoView({block: 'center'});", vec![]).await;
    b.draw_with(Pointer::Touch, &harness::eight()).await;
    b.wait_attr_eq("prediction", "data-digit", "8", Duration::from_secs(30)).await;
    assert_eq!(b.attr("draw-pad", "data-pointer").await, "touch");
    assert_eq!(b.overflow_px().await, 0.0);
    b.screenshot("phone-drawn").await;
    b.assert_no_console_errors().await;
    b.close().await;
}

/// axe-core (WCAG 2.x A and AA rules, and best practices) finds nothing on the loaded page,
/// after a run with a drawing and a confusion-matrix cell open, on a phone, and in dark mode.
#[tokio::test(flavor = "current_thread")]
async fn axe_finds_no_accessibility_violations() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "loaded page: {violations:#?}");
    b.set_input("epochs", "1").await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.draw(&harness::eight()).await;
    b.wait_attr_eq("prediction", "data-digit", "8", Duration::from_secs(30)).await;
    b.click("cell-1-1").await;
    b.wait_attr_nonempty("examples", "data-total", Duration::from_secs(30)).await;
    for (screen, dark) in [(DESKTOP, false), (PHONE, false), (DESKTOP, true)] {
        b.emulate(screen).await;
        b.dark(dark).await;
        let violations = b.axe_violations().await;
        assert!(violations.is_empty(), "after training, {} {}: {violations:#?}", screen.name, if dark { "dark" } else { "light" });
    }
    // The check can fail: a field without a label is found.
    b.js("const i = document.createElement('input'); i.id = 'planted'; document.querySelector('main').append(i);", vec![]).await;
    let violations = b.axe_violations().await;
    assert!(violations.iter().any(|v| v.starts_with("label ") && v.contains("#planted")), "{violations:#?}");
    b.close().await;
}

/// The keyboard alone: Tab walks the controls in reading order (device, optimizer, the fields,
/// Train, Import, Export) with a visible focus ring, Space and Enter press them, and a run
/// trains and exports without a pointer.
#[tokio::test(flavor = "current_thread")]
async fn the_keyboard_reaches_and_operates_every_control() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.set_input("epochs", "1").await;
    b.js("document.activeElement.blur(); window.focus();", vec![]).await;
    // To Adam, and press it with Space.
    let mut order = Vec::new();
    while order.last().map(String::as_str) != Some("optimizer-adam") {
        order.push(b.tab().await);
        assert!(order.len() < 20, "Tab never reached the optimizer: {order:?}");
    }
    let ring: Value = b.js("return getComputedStyle(document.activeElement).outlineStyle;", vec![]).await;
    assert_ne!(ring, "none", "no focus ring on the optimizer");
    b.press(' ').await;
    b.wait_attr_eq("optimizer-adam", "aria-pressed", "true", Duration::from_secs(5)).await;
    // On to Train, pressed with Enter.
    while order.last().map(String::as_str) != Some("train") {
        order.push(b.tab().await);
        assert!(order.len() < 40, "Tab never reached Train: {order:?}");
    }
    b.press('\u{E007}').await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    assert_eq!(b.text("optimizer-used").await, "Optimizer in use: Adam");
    // Focus stays on Train; the rest of the way to Export.
    while order.last().map(String::as_str) != Some("export") {
        order.push(b.tab().await);
        assert!(order.len() < 60, "Tab never reached Export: {order:?}");
    }
    let position = |id: &str| order.iter().position(|o| o == id).unwrap_or_else(|| panic!("Tab skipped {id}: {order:?}"));
    let expected = ["device-auto", "device-webgpu", "device-cpu", "filter-count", "kernel-3", "kernel-5", "pool-4", "pool-14", "optimizer-sgd", "optimizer-adam", "lr", "epochs", "batch-size", "seed", "digits", "all-digits", "train", "import", "export"];
    let positions: Vec<usize> = expected.iter().map(|id| position(id)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "Tab order {order:?}");
    // The file input is hidden from sight only: its button shows the focus ring.
    let import_ring: Value = b.js("const i = document.querySelector('[data-testid=\"import\"]'); i.focus(); return getComputedStyle(i.closest('label')).outlineStyle;", vec![]).await;
    assert_ne!(import_ring, "none", "no focus ring on Import");
    b.js("document.querySelector('[data-testid=\"export\"]').focus();", vec![]).await;
    b.press('\u{E007}').await;
    let file = b.downloaded("filterlab-model.flab", Duration::from_secs(30)).await;
    assert!(file.len() > 338 * 4, "exported {} bytes", file.len());
    b.screenshot("keyboard").await;
    b.close().await;
}

/// The paths in the service worker's cache (empty before it has one).
async fn kept(b: &Browser) -> (String, Vec<String>) {
    let script = "const done = arguments[arguments.length - 1];
        (async () => {
            const name = (await caches.keys()).find(k => k.startsWith('filterlab-'));
            if (!name) return done(['', []]);
            const keys = await (await caches.open(name)).keys();
            done([name, keys.map(r => new URL(r.url).pathname)]);
        })().catch(e => done([String(e), []]));";
    serde_json::from_value(b.js_async(script, vec![]).await).unwrap()
}

/// After one visit, with the network gone, the page opens again, trains an epoch and reads a
/// drawing: its service worker kept the page, the worker build it used and the MNIST files (and
/// nothing more), in a cache named after the build.
#[tokio::test(flavor = "current_thread")]
async fn after_one_visit_the_page_works_offline() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    let want = ["/", "/app_bg.wasm", "/worker_cpu_bg.wasm", "/mnist/train-images-idx3-ubyte.gz", "/mnist/train-labels-idx1-ubyte.gz"];
    let start = std::time::Instant::now();
    let (cache, paths) = loop {
        let (cache, paths) = kept(&b).await;
        if want.iter().all(|w| paths.iter().any(|p| p == w)) {
            break (cache, paths);
        }
        assert!(start.elapsed() < MINUTE, "the service worker did not keep the visit's files: {cache} {paths:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(!paths.iter().any(|p| p.contains("worker_gpu") || p.contains("t10k")), "kept what was not used: {paths:?}");
    let build = cache.trim_start_matches("filterlab-");
    assert!(build.len() == 16 && build.chars().all(|c| c.is_ascii_hexdigit()), "the cache is named after the build: {cache}");

    b.network(false);
    let served = b.served().len();
    b.goto(&format!("{}?epochs=1", b.site)).await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.draw(&harness::eight()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    assert_eq!(b.served().len(), served, "the server answered while the network was down");
    b.screenshot("offline").await;
    b.close().await;
}

/// The one build works from a sub-folder of a static host (GitHub Pages-style): every address
/// in it is relative, so it trains and reads drawings there, asking for nothing outside it.
#[tokio::test(flavor = "current_thread")]
async fn the_site_works_from_a_sub_folder() {
    let b = Browser::open_in(Gpu::None, Fault::None, "/some/sub/path/", "?epochs=1").await;
    b.wait_text("status", "Ready", MINUTE).await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.draw(&harness::one()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    let served = b.served();
    assert!(served.iter().any(|p| p == "mnist/train-images-idx3-ubyte.gz") && served.iter().any(|p| p == "worker_cpu_bg.wasm"), "{served:?}");
    b.assert_no_console_errors().await;
    b.close().await;
}
