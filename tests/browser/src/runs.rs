//! The run library's storage as the tests plant and inspect it: IndexedDB `filterlab` (schema
//! version 2: stores `models`, `runs`, `files`), written from inside the page.

use filterlab_protocol::{BatchLoss, Digits, EpochRow, ModelFile, NetShape, OptimizerKind, RunRecord, Settings, TrainingRecord, Weights};
use serde_json::json;

use crate::Browser;

/// A model file with a training record: `epochs` epochs of Adam.
pub fn old_model(epochs: usize) -> Vec<u8> {
    let shape = NetShape::NOTEBOOK;
    let values: Vec<f32> = (0..shape.params()).map(|i| ((i * 37 % 101) as f32 - 50.0) / 200.0).collect();
    let row = |epoch| EpochRow { epoch, epochs, optimizer: OptimizerKind::Adam, train_loss: 0.3, train_acc: 0.9, test_loss: 0.2, test_acc: 0.94, seconds: 1.0, dispatches_per_step: None, my_acc: None };
    let record = TrainingRecord { settings: Some(Settings { optimizer: OptimizerKind::Adam, lr: 0.01, epochs, ..Settings::default() }), history: (1..=epochs).map(row).collect() };
    ModelFile { weights: Weights::from_slice(shape, &values), digits: Digits::default(), record: record.to_json() }.to_bytes()
}


/// Runs `body` against IndexedDB in the page (`db`: database `filterlab` opened at `version`,
/// `upgrade` run on a version change), then closes it; returns what it passed to `done`.
pub async fn idb(b: &Browser, version: u32, upgrade: &str, body: &str, args: serde_json::Value) -> serde_json::Value {
    let script = format!(
        "const [args, done] = [arguments[0], arguments[arguments.length - 1]];
         const open = indexedDB.open('filterlab', {version});
         open.onupgradeneeded = () => {{ const db = open.result; {upgrade} }};
         open.onerror = () => done('open failed: ' + open.error);
         open.onsuccess = () => {{ const db = open.result; const finish = (v) => {{ db.close(); done(v); }}; {body} }};"
    );
    b.js_async(&script, vec![args]).await
}


/// The database version the page uses now, and the stores it has.
pub const VERSION: u32 = 3;
const STORES: &str = "for (const s of ['models', 'runs', 'files', 'digits']) { if (!db.objectStoreNames.contains(s)) db.createObjectStore(s); }";

/// [`idb`] at the page's version, its stores made if the page has not made them yet.
pub async fn idb_now(b: &Browser, body: &str, args: serde_json::Value) -> serde_json::Value {
    idb(b, VERSION, STORES, body, args).await
}

/// Plants kept runs in the page's IndexedDB (ids `{prefix}-NN`, started one millisecond apart).
/// Each has `epochs` epochs and a loss curve reported every 10 of each epoch's 166 steps, as a
/// run trained here would.
pub async fn plant(b: &Browser, prefix: &str, count: u32, epochs: usize) {
    let file = old_model(epochs);
    let batches: Vec<BatchLoss> = (0..epochs * 17).map(|i| BatchLoss { at: i as f64 / 17.0, loss: 0.7 - i as f64 / 1000.0, gradient: None }).collect();
    let records: Vec<String> = (1..=count)
        .map(|n| {
            let record = RunRecord::from_model_file(&file, format!("{prefix}-{n:02}"), n, 1.0e12 + n as f64).unwrap();
            RunRecord { label: format!("{prefix} {n}"), batches: batches.clone(), ..record }.to_json()
        })
        .collect();
    let planted = idb_now(
        b,
        "const [records, file] = args; const tx = db.transaction(['runs', 'files'], 'readwrite');
         for (const json of records) { const id = JSON.parse(json).id; tx.objectStore('runs').put(json, id); tx.objectStore('files').put(new Uint8Array(file), id); }
         tx.oncomplete = () => finish('ok'); tx.onabort = () => finish('aborted');",
        json!([records, file]),
    )
    .await;
    assert_eq!(planted, "ok");
}

