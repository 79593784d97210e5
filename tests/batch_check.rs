//! Issue 24: `blockwise check` covers the provider batch tables. A store with a joined batch
//! (made over loopback against the fake's Message Batches API) checks clean; a flipped byte in
//! a batch record or in a request record, and a missing run → batch index row, are each
//! reported naming the record. Real parts: the redb file, real flipped bytes, the binary.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::tables::{BATCHES, BATCH_REQUESTS, RUN_BATCHES};
use blockwise::store::Store;
use blockwise::worker::batch::{run_batch_worker, BatchOptions};
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use redb::ReadableTable;
use serde_json::json;
use tokio::sync::watch;

const ADMIN: &str = "tester";

/// A store whose run went through one batch of 3 requests; returns (dir, store, run, batch).
async fn joined_store() -> (tempfile::TempDir, PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let store = Arc::new(Store::open(&path).unwrap());
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..12).map(|i| format!("Paragraph {i}.\n\n")).collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    policy::set_value(&store, ADMIN, "worker.batching.pack_size", json!(5), None).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        model: Some("claude-sonnet-4-5".into()),
        ..Default::default()
    };
    let run = worker::create_run(&store, &conv, "s", &opts)
        .unwrap()
        .run_id;
    let fake = support::fake();
    let p = worker::connect(
        "anthropic",
        Some("k".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let c = p.batch_client().unwrap();
    let batch_opts = BatchOptions {
        engine: EngineOptions {
            cancel_poll: Duration::from_millis(20),
            ..EngineOptions::default()
        },
        poll: Some((Duration::from_millis(20), Duration::from_millis(80))),
        limits: None,
    };
    let (_stop, rx) = watch::channel(false);
    let end = run_batch_worker(store.clone(), Arc::new(p), c, &run, batch_opts, None, rx)
        .await
        .unwrap();
    assert_eq!(end, RunEnd::Complete);
    let batches = store.batches_of_run(&run).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].requests, 3);
    let key = batches[0].key.clone();
    drop(store);
    (dir, path, run, key)
}

fn check(dir: &Path, store: &Path) -> (i32, String) {
    let mut c = support::blockwise_in(dir);
    c.arg("--store").arg(store).arg("check");
    let (code, out, err) = support::outcome(c.output().unwrap());
    (code, format!("{out}{err}"))
}

fn copy(from: &Path, name: &str) -> PathBuf {
    let to = from.with_file_name(name);
    std::fs::copy(from, &to).unwrap();
    to
}

/// Flip one byte inside the stored JSON of a record (after `marker`), as a bad disk would.
fn flip(bytes: &mut [u8], marker: &str) {
    let text = String::from_utf8_lossy(bytes);
    let at = text.find(marker).expect("marker in the record") + marker.len() + 1;
    bytes[at] ^= 0x01;
}

#[tokio::test]
async fn check_reports_a_flipped_batch_record_or_request_and_a_missing_index_row_by_name() {
    let (dir, path, run, key) = joined_store().await;
    let (code, out) = check(dir.path(), &path);
    assert_eq!(
        code, 0,
        "a clean store with a joined batch checks clean: {out}"
    );
    assert!(!out.contains("DAMAGED"), "{out}");

    let flipped = copy(&path, "flipped.redb");
    {
        let db = redb::Database::create(&flipped).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(BATCHES).unwrap();
            let mut bytes = t.get(key.as_str()).unwrap().unwrap().value().to_vec();
            flip(&mut bytes, "\"provider\"");
            t.insert(key.as_str(), bytes.as_slice()).unwrap();
            let mut r = tx.open_table(BATCH_REQUESTS).unwrap();
            let mut bytes = r.get((key.as_str(), 1)).unwrap().unwrap().value().to_vec();
            flip(&mut bytes, "\"custom_id\"");
            r.insert((key.as_str(), 1), bytes.as_slice()).unwrap();
        }
        tx.commit().unwrap();
    }
    let (code, out) = check(dir.path(), &flipped);
    println!("== flipped\n{out}");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("DAMAGED  batch {key}: ")), "{out}");
    assert!(
        out.contains(&format!("DAMAGED  request 1 of batch {key}: ")),
        "{out}"
    );
    assert!(
        !out.contains(&format!("request 0 of batch {key}")),
        "only the flipped request is named: {out}"
    );

    let unindexed = copy(&path, "unindexed.redb");
    {
        let db = redb::Database::create(&unindexed).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(RUN_BATCHES)
            .unwrap()
            .remove((run.as_str(), key.as_str()))
            .unwrap()
            .expect("the run's index row");
        tx.commit().unwrap();
    }
    let (code, out) = check(dir.path(), &unindexed);
    println!("== unindexed\n{out}");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "DAMAGED  batch {key}: run {run} of this batch has no row in the batch index"
        )),
        "{out}"
    );
    // The original store is untouched by check.
    assert_eq!(check(dir.path(), &path).0, 0);
}
