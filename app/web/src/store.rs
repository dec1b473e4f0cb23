//! The run library in this browser (IndexedDB): each kept run's record (JSON) in store `runs`,
//! its model file in store `files`, both under the run's id. Listing reads only the records.
//!
//! The user's kept digits ("My digits") are in store `digits`, one record (JSON) per digit under
//! its id, so two tabs keeping digits at once lose none.
//!
//! Schema versions: 1 held one model file in store `models` under key `current`; 2 adds `runs`
//! and `files`; 3 adds `digits`; and the first listing after the upgrade makes that model the library's first run
//! (in one transaction: it is moved, never lost). What to keep and when is decided in
//! `filterlab_page::state`; this only reads and writes.

use filterlab_protocol::{KeptRun, MyDigit, RunRecord};
use idb::{
    Database, Error, Transaction, TransactionMode, TransactionResult,
    builder::{DatabaseBuilder, ObjectStoreBuilder},
};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomException, IdbTransaction};

const DATABASE: &str = "filterlab";
const VERSION: u32 = 3;
const RUNS: &str = "runs";
const FILES: &str = "files";
const DIGITS: &str = "digits";
/// Version 1's one saved model, under [`OLD_KEY`].
const OLD_MODELS: &str = "models";
const OLD_KEY: &str = "current";

/// An open connection, closed however the work with it ends (an open one would block the next
/// upgrade).
struct Db(Database);

impl Drop for Db {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl std::ops::Deref for Db {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.0
    }
}

async fn open() -> Result<Db, String> {
    DatabaseBuilder::new(DATABASE)
        .version(VERSION)
        .add_object_store(ObjectStoreBuilder::new(OLD_MODELS))
        .add_object_store(ObjectStoreBuilder::new(RUNS))
        .add_object_store(ObjectStoreBuilder::new(FILES))
        .add_object_store(ObjectStoreBuilder::new(DIGITS))
        .build()
        .await
        .map(Db)
        .map_err(|e| format!("this browser's storage (IndexedDB) is not available: {e}"))
}

fn failed(e: Error) -> String {
    format!("could not use this browser's storage (IndexedDB): {e}")
}

/// Commits a write, and is Ok only once the browser has: a write is durable when its transaction
/// completes, and a full quota arrives as the transaction's abort.
async fn commit(tx: Transaction) -> Result<(), String> {
    // The same transaction, to read its error after the commit's future has taken it.
    let raw: IdbTransaction = tx.into();
    let tx = Transaction::from(raw.clone());
    match tx.commit().map_err(failed)?.await {
        Ok(TransactionResult::Committed) => Ok(()),
        Ok(TransactionResult::Aborted) => Err(aborted(raw.error())),
        // An error event before the abort: the transaction's error names the cause when set.
        Err(e) => Err(raw.error().map(|_| aborted(raw.error())).unwrap_or_else(|| failed(e))),
    }
}

/// Why a write failed when the site's storage is full.
pub const FULL: &str = "this browser has no more storage space for this site (QuotaExceededError)";

fn aborted(error: Option<DomException>) -> String {
    match error {
        Some(e) if e.name() == "QuotaExceededError" => FULL.into(),
        Some(e) => format!("the browser did not complete the write: {}: {}", e.name(), e.message()),
        None => "the browser did not complete the write".into(),
    }
}

fn bytes(value: JsValue) -> Option<Vec<u8>> {
    value.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec())
}

/// Every kept run, and why each record that cannot be read was skipped.
pub struct Listed {
    pub runs: Vec<RunRecord>,
    pub skipped: Vec<String>,
}

/// The library's records (no model file is read). A model kept by version 1 becomes its first
/// run, with id `id_for_old` made at `now_ms`.
pub async fn list(id_for_old: String, now_ms: f64) -> Result<Listed, String> {
    let mut skipped = Vec::new();
    if let Err(e) = migrate(&open().await?, id_for_old, now_ms).await {
        skipped.push(format!("the model saved by an earlier version of this page ({e})"));
    }
    let mut listed = list_only().await?;
    listed.skipped.splice(0..0, skipped);
    Ok(listed)
}

/// The records as they are, each checked.
async fn list_only() -> Result<Listed, String> {
    let db = open().await?;
    let mut skipped = Vec::new();
    let tx = db.transaction(&[RUNS], TransactionMode::ReadOnly).map_err(failed)?;
    let store = tx.object_store(RUNS).map_err(failed)?;
    let keys = store.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
    let values = store.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
    let mut runs = Vec::new();
    for (key, value) in keys.iter().zip(values) {
        let name = key.as_string().unwrap_or_else(|| format!("{key:?}"));
        match value.as_string().ok_or_else(|| "it is damaged (not text)".to_string()).and_then(|json| RunRecord::from_json(&json)) {
            Ok(record) if record.id == name => runs.push(record),
            Ok(_) => skipped.push(format!("run {name}: it is damaged (its id does not match)")),
            Err(why) => skipped.push(format!("run {name}: {why}")),
        }
    }
    Ok(Listed { runs, skipped })
}

/// Moves version 1's one saved model into the library as a run, in one transaction.
async fn migrate(db: &Db, id: String, now_ms: f64) -> Result<(), String> {
    let tx = db.transaction(&[OLD_MODELS, RUNS, FILES], TransactionMode::ReadWrite).map_err(failed)?;
    let old = tx.object_store(OLD_MODELS).map_err(failed)?;
    let Some(file) = old.get(JsValue::from_str(OLD_KEY)).map_err(failed)?.await.map_err(failed)?.and_then(bytes) else {
        return commit(tx).await;
    };
    let record = RunRecord::from_model_file(&file, id.clone(), 1, now_ms)?;
    let key = JsValue::from_str(&id);
    tx.object_store(RUNS).map_err(failed)?.put(&JsValue::from_str(&record.to_json()), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    tx.object_store(FILES).map_err(failed)?.put(&Uint8Array::from(&file[..]).into(), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    old.delete(JsValue::from_str(OLD_KEY)).map_err(failed)?.await.map_err(failed)?;
    commit(tx).await
}

/// Keeps a run: its record and model file, replacing its earlier version, in one transaction.
pub async fn keep(record: &RunRecord, file: &[u8]) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[RUNS, FILES], TransactionMode::ReadWrite).map_err(failed)?;
    let key = JsValue::from_str(&record.id);
    tx.object_store(RUNS).map_err(failed)?.put(&JsValue::from_str(&record.to_json()), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    tx.object_store(FILES).map_err(failed)?.put(&Uint8Array::from(file).into(), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    commit(tx).await
}

/// Keeps every run and digit of an imported library, all in one transaction: all are kept or none.
pub async fn keep_all(runs: &[KeptRun], digits: &[MyDigit]) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[RUNS, FILES, DIGITS], TransactionMode::ReadWrite).map_err(failed)?;
    let (records, files) = (tx.object_store(RUNS).map_err(failed)?, tx.object_store(FILES).map_err(failed)?);
    for KeptRun { record, file } in runs {
        let key = JsValue::from_str(&record.id);
        // `add`, not `put`: a run kept meanwhile under the same id fails the whole import.
        records.add(&JsValue::from_str(&record.to_json()), Some(&key)).map_err(failed)?.await.map_err(failed)?;
        files.add(&Uint8Array::from(&file[..]).into(), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    }
    // A digit's id is its content: one kept meanwhile is the same digit, so `put`.
    let store = tx.object_store(DIGITS).map_err(failed)?;
    for d in digits {
        store.put(&JsValue::from_str(&d.to_json()), Some(&JsValue::from_str(&d.id))).map_err(failed)?.await.map_err(failed)?;
    }
    commit(tx).await
}

/// The kept digits, and why each record that cannot be read was skipped.
pub async fn digits() -> Result<(Vec<MyDigit>, Vec<String>), String> {
    let db = open().await?;
    let tx = db.transaction(&[DIGITS], TransactionMode::ReadOnly).map_err(failed)?;
    let store = tx.object_store(DIGITS).map_err(failed)?;
    let keys = store.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
    let values = store.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
    let (mut set, mut skipped) = (Vec::new(), Vec::new());
    for (key, value) in keys.iter().zip(values) {
        let name = key.as_string().unwrap_or_else(|| format!("{key:?}"));
        match value.as_string().ok_or_else(|| "it is damaged (not text)".to_string()).and_then(|json| MyDigit::from_json(&json)) {
            Ok(d) if d.id == name => set.push(d),
            Ok(_) => skipped.push(format!("digit {name}: it is damaged (its id does not match)")),
            Err(why) => skipped.push(format!("digit {name}: {why}")),
        }
    }
    Ok((set, skipped))
}

/// Keeps these digits and deletes those, in one transaction.
pub async fn change_digits(add: &[MyDigit], remove: &[String]) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[DIGITS], TransactionMode::ReadWrite).map_err(failed)?;
    let store = tx.object_store(DIGITS).map_err(failed)?;
    for id in remove {
        store.delete(JsValue::from_str(id)).map_err(failed)?.await.map_err(failed)?;
    }
    for d in add {
        store.put(&JsValue::from_str(&d.to_json()), Some(&JsValue::from_str(&d.id))).map_err(failed)?.await.map_err(failed)?;
    }
    commit(tx).await
}

/// Every kept run whole, record and model file ("Export library"), and the ones skipped.
pub async fn everything() -> Result<(Vec<KeptRun>, Vec<String>), String> {
    let listed = list_only().await?;
    let db = open().await?;
    let tx = db.transaction(&[FILES], TransactionMode::ReadOnly).map_err(failed)?;
    let store = tx.object_store(FILES).map_err(failed)?;
    let (mut runs, mut skipped) = (Vec::new(), listed.skipped);
    for record in listed.runs {
        match store.get(JsValue::from_str(&record.id)).map_err(failed)?.await.map_err(failed)?.and_then(bytes) {
            Some(file) => runs.push(KeptRun { record, file }),
            None => skipped.push(format!("run #{}: its model file is missing", record.number)),
        }
    }
    Ok((runs, skipped))
}

/// One kept run's record, if it is there and readable.
pub async fn record(id: &str) -> Result<Option<RunRecord>, String> {
    let db = open().await?;
    let tx = db.transaction(&[RUNS], TransactionMode::ReadOnly).map_err(failed)?;
    let value = tx.object_store(RUNS).map_err(failed)?.get(JsValue::from_str(id)).map_err(failed)?.await.map_err(failed)?;
    Ok(value.and_then(|v| v.as_string()).and_then(|json| RunRecord::from_json(&json).ok()))
}

/// Writes a kept run's record alone (its model file stays as it is).
pub async fn put_record(record: &RunRecord) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[RUNS], TransactionMode::ReadWrite).map_err(failed)?;
    let key = JsValue::from_str(&record.id);
    tx.object_store(RUNS).map_err(failed)?.put(&JsValue::from_str(&record.to_json()), Some(&key)).map_err(failed)?.await.map_err(failed)?;
    commit(tx).await
}

/// A kept run's model file.
pub async fn file(id: &str) -> Result<Vec<u8>, String> {
    let db = open().await?;
    let tx = db.transaction(&[FILES], TransactionMode::ReadOnly).map_err(failed)?;
    let value = tx.object_store(FILES).map_err(failed)?.get(JsValue::from_str(id)).map_err(failed)?.await.map_err(failed)?;
    value.and_then(bytes).ok_or_else(|| "its model file is missing from this browser's storage".into())
}

/// Deletes a kept run, record and model file.
pub async fn delete(id: &str) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[RUNS, FILES], TransactionMode::ReadWrite).map_err(failed)?;
    let key = JsValue::from_str(id);
    tx.object_store(RUNS).map_err(failed)?.delete(key.clone()).map_err(failed)?.await.map_err(failed)?;
    tx.object_store(FILES).map_err(failed)?.delete(key).map_err(failed)?.await.map_err(failed)?;
    commit(tx).await
}

/// What this site stores in the browser and what the browser allows it, in bytes
/// (`navigator.storage.estimate()`), where the browser says.
pub async fn estimate() -> Option<(f64, f64)> {
    let promise = web_sys::window()?.navigator().storage().estimate().ok()?;
    let estimate: web_sys::StorageEstimate = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?.unchecked_into();
    Some((estimate.get_usage()?, estimate.get_quota()?))
}

/// Asks the browser to keep this site's storage under storage pressure
/// (`navigator.storage.persist()`): its answer, where it gives one.
pub async fn persist() -> Option<bool> {
    let promise = web_sys::window()?.navigator().storage().persist().ok()?;
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()?.as_bool()
}
