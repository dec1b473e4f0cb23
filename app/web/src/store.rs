//! The model kept in this browser (IndexedDB): the latest model file the worker checkpointed at
//! the end of an epoch (weights, settings, history), restored when the page opens again.

use idb::{
    Database, Error, Transaction, TransactionMode, TransactionResult,
    builder::{DatabaseBuilder, ObjectStoreBuilder},
};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomException, IdbTransaction};

const DATABASE: &str = "filterlab";
const STORE: &str = "models";
/// One model is kept, under this key.
const KEY: &str = "current";

async fn open() -> Result<Database, String> {
    DatabaseBuilder::new(DATABASE)
        .version(1)
        .add_object_store(ObjectStoreBuilder::new(STORE))
        .build()
        .await
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
    match tx.commit().map_err(failed)?.await.map_err(failed)? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(aborted(raw.error())),
    }
}

fn aborted(error: Option<DomException>) -> String {
    match error {
        Some(e) if e.name() == "QuotaExceededError" => {
            "this browser has no more storage space for this site (QuotaExceededError)".into()
        }
        Some(e) => format!("the browser did not complete the write: {}: {}", e.name(), e.message()),
        None => "the browser did not complete the write".into(),
    }
}

/// Keeps `file` as the saved model, replacing the one before.
pub async fn save(file: &[u8]) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(failed)?;
    let store = tx.object_store(STORE).map_err(failed)?;
    store.put(&Uint8Array::from(file).into(), Some(&JsValue::from_str(KEY))).map_err(failed)?.await.map_err(failed)?;
    let committed = commit(tx).await;
    db.close();
    committed
}

/// The saved model, if there is one.
pub async fn load() -> Result<Option<Vec<u8>>, String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(failed)?;
    let store = tx.object_store(STORE).map_err(failed)?;
    let value = store.get(JsValue::from_str(KEY)).map_err(failed)?.await.map_err(failed)?;
    db.close();
    Ok(value.and_then(|v| v.dyn_into::<Uint8Array>().ok()).map(|a| a.to_vec()))
}

/// Forgets the saved model.
pub async fn clear() -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(failed)?;
    let store = tx.object_store(STORE).map_err(failed)?;
    store.delete(JsValue::from_str(KEY)).map_err(failed)?.await.map_err(failed)?;
    let committed = commit(tx).await;
    db.close();
    committed
}
