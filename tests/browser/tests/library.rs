//! The run library: every run kept in the browser until the user deletes it. The notebook's own
//! exercise (SGD, Reset, Adam, compare) survives a reload; the library moves to another browser
//! as one file; a browser holding the one saved model
//! of the layout before the library opens with it as the first run; damaged or newer records are
//! skipped with a notice while the others load.

use filterlab_browser_tests as harness;

use std::time::Duration;

use harness::{Browser, Gpu, MINUTE, runs};
use serde_json::json;

/// Trains `epochs` epochs with the form as it is and waits until the run is kept.
async fn train(b: &Browser, epochs: usize) {
    b.set_input("epochs", &epochs.to_string()).await;
    b.click("train").await;
    b.wait_text("status", "Finished", 2 * MINUTE).await;
    b.wait_attr_eq("saved", "data-epochs", &epochs.to_string(), Duration::from_secs(10)).await;
}

/// Draws a "1" on a clear pad and returns what the model read: the probabilities, as the page
/// writes them.
async fn read_a_one(b: &Browser) -> String {
    b.click("clear").await;
    b.wait_attr_empty("prediction", "data-digit", Duration::from_secs(10)).await;
    b.draw(&harness::one()).await;
    b.wait_attr_nonempty("prediction", "data-digit", Duration::from_secs(30)).await;
    b.text("prediction").await
}

#[tokio::test(flavor = "current_thread")]
async fn sgd_then_reset_then_adam_both_runs_survive_a_reload() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    train(&b, 2).await;
    let sgd_filters = b.attr("filters", "data-weights").await;
    let sgd_rows = b.epoch_rows().await;
    let sgd_reading = read_a_one(&b).await;

    b.click("reset").await;
    b.wait_text("status", "Reset", Duration::from_secs(10)).await;
    b.click("optimizer-adam").await;
    train(&b, 2).await;
    let adam_filters = b.attr("filters", "data-weights").await;
    assert_ne!(adam_filters, sgd_filters);

    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #2", MINUTE).await;
    let runs = b.text("runs").await;
    assert!(runs.contains("#1 SGD lr 0.001") && runs.contains("#2 Adam lr 0.001"), "{runs}");
    assert!(runs.contains("2 epochs, test acc 0."), "each run's figures: {runs}");
    // The space the runs take, and what the browser allows the site.
    b.wait_attr_nonempty("storage", "data-quota", Duration::from_secs(10)).await;
    let (usage, quota) = (b.number("storage", "data-usage").await, b.number("storage", "data-quota").await);
    assert!(usage > 3000.0 && quota > usage, "usage {usage}, quota {quota}");
    let storage = b.text("storage").await;
    assert!(storage.starts_with("2 runs kept, ") && storage.contains("of the"), "{storage}");
    b.screenshot_of("runs", "library").await;

    // One click from the list: the SGD run's filters next to the Adam run's, on the page now.
    b.click("run-compare-1").await;
    b.wait_attr_eq("compare-kept", "data-weights", &sgd_filters, Duration::from_secs(10)).await;
    assert_eq!(b.attr("compare-current", "data-weights").await, adam_filters);
    let compare = b.text("compare").await;
    assert!(compare.contains("Now on the page: #2 Adam") && compare.contains("#1 SGD"), "{compare}");
    b.screenshot_of("compare", "library-compare").await;

    // Opening the SGD run brings its model back bit for bit: filters, history, answers.
    b.click("run-open-1").await;
    b.wait_text("status", "Opened run #1 (8 vs 1, 2 epochs trained)", MINUTE).await;
    b.wait_attr_eq("filters", "data-weights", &sgd_filters, Duration::from_secs(10)).await;
    assert_eq!(b.epoch_rows().await, sgd_rows);
    assert!(b.attr("optimizer-sgd", "class").await.contains("active"), "its settings come back");
    assert_eq!(read_a_one(&b).await, sgd_reading, "the opened model reads the drawing as the SGD model did");
    b.wait_attr_eq("confusion", "data-classes", "2", MINUTE).await;

    // Its exports: the model file (the SGD filters, bit for bit) and the epoch table and the
    // loss curve as CSV, one row per epoch and per reported step.
    b.click("run-export-1").await;
    let file = b.downloaded("filterlab-run-1.flab", Duration::from_secs(10)).await;
    let conv: Vec<String> = harness::weights_in(&file)[..72].iter().map(|v| v.to_string()).collect();
    assert_eq!(conv.join(","), sgd_filters);
    b.click("run-epochs-csv-1").await;
    let csv = String::from_utf8(b.downloaded("filterlab-run-1-epochs.csv", Duration::from_secs(10)).await).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one row per epoch: {csv}");
    assert_eq!(lines[0], "epoch,optimizer,train_loss,train_acc,test_loss,test_acc,seconds,dispatches_per_step,my_digits_acc");
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!((cells[0], cells[1]), ("1", "SGD"));
    let (csv_acc, table_acc): (f64, f64) = (cells[5].parse().unwrap(), sgd_rows[0][4].parse().unwrap());
    assert!((csv_acc - table_acc).abs() < 1e-4, "the CSV's test accuracy {csv_acc} is the table's {table_acc}");
    b.click("run-curve-csv-1").await;
    let curve = String::from_utf8(b.downloaded("filterlab-run-1-curve.csv", Duration::from_secs(10)).await).unwrap();
    assert_eq!(curve.lines().next(), Some("epoch,batch_loss,conv_grad_norm,fc_grad_norm"));
    assert!(curve.lines().count() > 10, "every reported step of the epoch: {curve}");
    for line in curve.lines().skip(1) {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().expect("every step has its gradient norms")).collect();
        assert!(cells[2] > 0.0 && cells[3] > 0.0 && cells[2].is_finite() && cells[3].is_finite(), "gradient norms: {line}");
    }

    // A new name for the Adam run, kept with it.
    b.click("run-rename-2").await;
    b.type_into("run-name-2", "Adam, the notebook's second half").await;
    b.click("run-rename-save-2").await;
    b.wait_text("runs", "#2 Adam, the notebook's second half", Duration::from_secs(10)).await;

    for screen in [harness::PHONE, harness::TABLET, harness::DESKTOP] {
        b.emulate(screen).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(b.overflow_px().await, 0.0, "the page scrolls sideways at {} px: {:?}", screen.width, b.sticking_out().await);
        b.screenshot_of("runs", &format!("library-{}", screen.width)).await;
    }
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    // Dark, on a phone: the same panel, its contrast checked by axe too.
    b.dark(true).await;
    b.emulate(harness::PHONE).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.screenshot_of("runs", "library-390-dark").await;
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "axe, dark: {violations:#?}");
    b.dark(false).await;
    b.assert_no_console_errors().await;
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #2", MINUTE).await;
    assert!(b.text("runs").await.contains("#2 Adam, the notebook's second half"), "the name is kept: {}", b.text("runs").await);
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_one_saved_model_of_before_becomes_the_first_run_and_bad_records_are_skipped() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    // Today's browser as the layout before the library left it: database version 1, store
    // `models`, the model file under `current` (the page has closed its own connection).
    let deleted = b.js_async("const done = arguments[arguments.length - 1]; const r = indexedDB.deleteDatabase('filterlab'); r.onsuccess = () => done('ok'); r.onerror = () => done('error'); r.onblocked = () => done('blocked');", vec![]).await;
    assert_eq!(deleted, "ok");
    let file = runs::old_model(3);
    let planted = runs::idb(
        &b,
        1,
        "db.createObjectStore('models');",
        "const tx = db.transaction('models', 'readwrite'); tx.objectStore('models').put(new Uint8Array(args), 'current'); tx.oncomplete = () => finish('ok'); tx.onabort = () => finish('aborted');",
        json!(file),
    )
    .await;
    assert_eq!(planted, "ok");

    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #1 (8 vs 1, 3 epochs trained)", MINUTE).await;
    assert_eq!(b.epoch_rows().await.len(), 3, "the model's history comes with it");
    assert!(b.attr("optimizer-adam", "class").await.contains("active") && b.value("lr").await == "0.01", "and its settings");
    assert!(b.text("runs").await.contains("#1 Adam lr 0.01"), "{}", b.text("runs").await);
    // Moved, not copied: the old key is gone, the run is in the new stores.
    let layout = runs::idb_now(&b, "const tx = db.transaction(['models', 'runs', 'files', 'digits']); const n = {}; let left = 4; tx.onabort = () => finish('aborted'); for (const s of ['models', 'runs', 'files', 'digits']) { const r = tx.objectStore(s).count(); r.onsuccess = () => { n[s] = r.result; if (--left === 0) finish(n); }; }", json!(null)).await;
    assert_eq!(layout, json!({"models": 0, "runs": 1, "files": 1, "digits": 0}));

    // A damaged record and one from a newer page are skipped and named; the run still loads.
    // And a damaged kept digit.
    let planted = runs::idb_now(
        &b,
        "const tx = db.transaction(['runs', 'digits'], 'readwrite'); const s = tx.objectStore('runs'); s.put('{not json', 'bad'); s.put(JSON.stringify({version: 99, id: 'future'}), 'future'); tx.objectStore('digits').put('{\"digit\": 3', 'torn'); tx.oncomplete = () => finish('ok'); tx.onabort = () => finish('aborted');",
        json!(null),
    )
    .await;
    assert_eq!(planted, "ok");
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #1", MINUTE).await;
    b.wait_text("notice", "Skipped in the run library", Duration::from_secs(10)).await;
    let notice = b.text("notice").await;
    assert!(notice.contains("run bad: it is damaged") && notice.contains("run future: it was written by a newer Filterlab"), "{notice}");
    b.wait_text("notice", "Skipped in your digits: digit torn: it is damaged", Duration::from_secs(10)).await;
    assert!(b.text("notice").await.contains("Skipped in the run library"), "both listings' notices are shown");
    assert!(b.text("runs").await.contains("#1 Adam lr 0.01"));
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Two tabs of one browser training at once: each keeps its own run, a run kept or deleted in
/// one appears or disappears in the other's list without a reload, and a run training in the
/// other tab is marked (and cannot be deleted) only while that tab beats: closed, its mark goes.
#[tokio::test(flavor = "current_thread")]
async fn two_tabs_train_at_once_keep_their_own_runs_and_follow_each_other() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    let first = b.tab_handle().await;
    let second = b.open_tab().await;
    assert_eq!(second, first);
    let second = b.tab_handle().await;
    b.wait_text("status", "Ready", MINUTE).await;
    // The second tab trains 3 vs 5 for long enough to outlast the rest of the test.
    b.set_input("digits", "3,5").await;
    b.set_input("epochs", "400").await;
    b.click("train").await;
    b.wait_attr_at_least("saved", "data-epochs", 1, MINUTE).await;

    // The first tab lists it as training elsewhere, with Delete off, and trains its own (8 vs 1)
    // meanwhile.
    b.switch_to(first.clone()).await;
    b.wait_text("runs", "#1 SGD lr 0.001 seed 42 3,5", Duration::from_secs(10)).await;
    b.wait_text("runs", "training in another tab", Duration::from_secs(10)).await;
    assert!(b.text("run-elsewhere-1").await.contains("training in another tab"));
    assert!(!b.enabled("run-delete-1").await, "a run training in another tab cannot be deleted");
    train(&b, 1).await;
    b.wait_text("runs", "#2 SGD lr 0.001 seed 42 8,1", Duration::from_secs(10)).await;

    // The second tab, still training, hears of it, and deletes it: gone from both lists.
    b.switch_to(second.clone()).await;
    b.wait_text("runs", "#2 SGD lr 0.001 seed 42 8,1", Duration::from_secs(10)).await;
    assert!(b.enabled("stop").await, "still training: {}", b.text("status").await);
    // The first tab's run was marked here while it trained, until a few seconds after its last beat.
    b.wait_enabled("run-delete-2", Duration::from_secs(10)).await;
    // Delete asks first: press until it asks (a press while a late beat turned it off again is
    // lost), then confirm.
    let start = std::time::Instant::now();
    while !b.text("run-delete-2").await.contains("Really delete?") {
        assert!(start.elapsed() < Duration::from_secs(10), "Delete never asked to confirm: {}", b.text("runs").await);
        if b.enabled("run-delete-2").await {
            b.click("run-delete-2").await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.click("run-delete-2").await;
    b.switch_to(first.clone()).await;
    let start = std::time::Instant::now();
    while b.text("runs").await.contains("8,1") {
        assert!(start.elapsed() < Duration::from_secs(10), "the deleted run should leave the other tab's list: {}", b.text("runs").await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The training tab is closed mid-run, saying nothing: its beats stop, and so does the mark.
    b.switch_to(second).await;
    b.close_tab().await;
    b.switch_to(first).await;
    let start = std::time::Instant::now();
    while !b.enabled("run-delete-1").await {
        assert!(start.elapsed() < Duration::from_secs(15), "the closed tab's run stays marked: {}", b.text("runs").await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!b.text("runs").await.contains("training in another tab"));
    // After a reload, the library holds exactly the run that was not deleted.
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #1 (3 vs 5,", MINUTE).await;
    assert!(!b.text("runs").await.contains("#2 "), "{}", b.text("runs").await);
    b.assert_no_console_errors().await;
    b.close().await;
}

/// Fifty kept runs (planted in the browser's storage) opened one after another: the worker's
/// memory after the 50th is what it was after the 10th.
#[tokio::test(flavor = "current_thread")]
async fn fifty_runs_opened_one_after_another_keep_memory_flat() {
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    runs::plant(&b, "planted", 50, 1).await;
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #50", MINUTE).await;
    let mut at_ten = 0.0;
    for n in 1..=50 {
        b.click(&format!("run-open-{n}")).await;
        b.wait_text("status", &format!("Opened run #{n} "), Duration::from_secs(30)).await;
        if n == 10 {
            b.wait_attr_nonempty("memory", "data-wasm-bytes", Duration::from_secs(10)).await;
            at_ten = b.number("memory", "data-wasm-bytes").await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let at_fifty = b.number("memory", "data-wasm-bytes").await;
    println!("50 runs opened: worker memory {at_ten} bytes after the 10th, {at_fifty} after the 50th");
    assert!(at_ten > 0.0 && at_fifty <= at_ten + 1e6, "memory grew: {at_ten} → {at_fifty} bytes");
    b.assert_no_console_errors().await;
    b.close().await;
}

/// The ids of the listed runs, newest first.
async fn listed_ids(b: &Browser) -> Vec<String> {
    let ids = b.js("return [...document.querySelectorAll('[data-testid=runs] li')].map((li) => li.dataset.id);", vec![]).await;
    serde_json::from_value(ids).unwrap()
}

/// "Export library" in one browser, "Import library" in another: the same runs, merged with the
/// ones there; a second import finds them all already there; a damaged file changes nothing.
#[tokio::test(flavor = "current_thread")]
async fn the_library_moves_to_another_browser_as_one_file() {
    let a = Browser::open(Gpu::None).await;
    a.wait_text("status", "Ready", MINUTE).await;
    runs::plant(&a, "from-a", 3, 1).await;
    a.goto(&a.site).await;
    a.wait_text("status", "Restored run #3", MINUTE).await;
    let exported_ids = listed_ids(&a).await;
    a.click("export-library").await;
    let day = a.js("return new Date().toISOString().slice(0, 10);", vec![]).await;
    let name = format!("filterlab-library-{}.zip", day.as_str().unwrap());
    let zip = a.downloaded(&name, Duration::from_secs(10)).await;
    a.wait_text("notice", &format!("Exported 3 runs as {name}"), Duration::from_secs(10)).await;
    a.close().await;

    // What another tool sees in it: Python's zipfile, and its csv module on an epoch table.
    let path = harness::temp_file(&name, &zip);
    let python = "import sys, zipfile, csv, io, json
z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
names = z.namelist(); runs = json.loads(z.read('filterlab-library.json'))['runs']
table = sorted(n for n in names if n.endswith('epochs.csv'))[0]
rows = list(csv.DictReader(io.TextIOWrapper(z.open(table))))
print(runs, len(names), len(rows), rows[0]['test_acc'], z.read(table.replace('epochs.csv', 'model.flab'))[:4].decode())";
    let out = std::process::Command::new("python3").arg("-c").arg(python).arg(&path).output().expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3 13 1 0.94 FLAB", "runs, entries, rows, test acc, magic");

    // Another browser with a run of its own.
    let b = Browser::open(Gpu::None).await;
    b.wait_text("status", "Ready", MINUTE).await;
    runs::plant(&b, "from-b", 1, 1).await;
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #1", MINUTE).await;
    b.choose_file("import-library", &path).await;
    b.wait_text("notice", &format!("Imported 3 runs from {name}."), Duration::from_secs(10)).await;
    let ids = listed_ids(&b).await;
    assert_eq!(ids.len(), 4, "{ids:?}");
    for id in &exported_ids {
        assert!(ids.contains(id), "{id} imported: {ids:?}");
    }
    let runs = b.text("runs").await;
    assert!(runs.contains("#1 from-b 1") && runs.contains("#4 from-a 3"), "numbered after the runs there, oldest first: {runs}");
    b.click("run-open-4").await;
    b.wait_text("status", "Opened run #4 (8 vs 1, 1 epoch trained)", MINUTE).await;

    // Again: every run is recognised, nothing is added or overwritten.
    b.choose_file("import-library", &path).await;
    b.wait_text("notice", &format!("{name}: 3 runs already here, nothing to import."), Duration::from_secs(10)).await;
    assert_eq!(listed_ids(&b).await, ids);
    // A damaged library file: refused, named, nothing changed.
    let broken = harness::temp_file("broken-library.zip", &zip[..zip.len() - 30]);
    b.choose_file("import-library", &broken).await;
    let error = b.wait_error("broken-library.zip was not imported: it is not a zip file Filterlab can read", Duration::from_secs(10)).await;
    assert!(error.ends_with("Nothing was changed."), "{error}");
    b.goto(&b.site).await;
    b.wait_text("status", "Restored run #4", MINUTE).await;
    assert_eq!(listed_ids(&b).await, ids, "the same four runs after a reload");
    b.assert_no_console_errors().await;
    b.close().await;
}
