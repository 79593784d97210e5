//! Run heads (issue 22, store format 6): the light copy of every run record the TUI's lists
//! read. It follows every write of a run in the same transaction (this process and another
//! one), old stores gain it on open, and `check` names a head that is damaged, missing or
//! orphaned while lists read the full records instead. Real redb file on a temp dir.

mod support;

use std::path::{Path, PathBuf};

use blockwise::model::{OverlayStatus, PackGuard, Run, RunStatus, ServerSeen};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::{run_head_of, tables, Store, StoreError, FORMAT_VERSION};
use blockwise::worker::{self, CreateRunOptions};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde_json::json;

const ADMIN: &str = "tester";

/// A store with `docs` documents of four paragraphs, schema `s` and one run per document.
fn setup(dir: &Path, docs: usize) -> (PathBuf, Vec<Run>) {
    let path = dir.join("s.redb");
    let store = Store::open(&path).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    let mut runs = Vec::new();
    for d in 0..docs {
        let f = dir.join(format!("doc{d}.md"));
        let text: String = (0..4)
            .map(|i| format!("Doc {d} paragraph {i}.\n\n"))
            .collect();
        std::fs::write(&f, text).unwrap();
        let limits = blockwise::ingest::IngestLimits::default();
        let conv = blockwise::ingest::ingest_path(&store, &f, limits)
            .unwrap()
            .document
            .conv_uid;
        let opts = CreateRunOptions {
            provider: Some("demo".into()),
            ..Default::default()
        };
        runs.push(worker::create_run(&store, &conv, "s", &opts).unwrap());
    }
    (path, runs)
}

/// The heads say what the full records say, less the creation snapshot.
fn assert_in_step(store: &Store) {
    let full: Vec<Run> = store.list_runs().unwrap();
    let heads = store.list_run_heads().unwrap();
    assert_eq!(heads, full.iter().map(run_head_of).collect::<Vec<_>>());
    assert_eq!(
        lazy(store),
        heads,
        "lazy heads say the same, in the same order"
    );
    let ids: Vec<String> = full.iter().map(|r| r.run_id.clone()).collect();
    assert_eq!(store.get_run_heads(&ids).unwrap(), heads);
    let report = store.check().unwrap();
    assert!(report.ok(), "{:?}", report.damage);
}

#[test]
fn heads_follow_every_write_of_a_run_and_drop_only_the_creation_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (path, runs) = setup(dir.path(), 3);
    let store = Store::open(&path).unwrap();
    assert_in_step(&store);
    let full = store.get_run(&runs[0].run_id).unwrap().unwrap();
    assert!(
        !full.model_config.policy.is_empty(),
        "a run keeps its policy snapshot"
    );
    let head = &store.get_run_heads(&[runs[0].run_id.clone()]).unwrap()[0];
    assert!(head.model_config.policy.is_empty() && head.model_config.sources.is_empty());
    assert_eq!((head.counters.total, head.counters.pending), (4, 4));
    // One run changed alone: an overlay confirmed, paused with a reason, the fields a head
    // drops set, no price.
    store
        .with_run(&runs[0].run_id, |rt| {
            let mut ov = rt.overlay(2)?.unwrap();
            ov.status = OverlayStatus::Confirmed;
            ov.confirmed = Some(json!({"label": "x"}));
            rt.put_overlay(&ov)?;
            rt.run.status = RunStatus::Paused;
            rt.run.paused_reason = Some("no credit «left»".into());
            rt.run.usage.cost_usd = None;
            rt.run.usage.tokens.input_tokens = 1234;
            rt.run.active_millis = 99;
            rt.run.started_at = Some("2026-12-07T01:00:00Z".into());
            rt.run.pack_guard = Some(PackGuard {
                shifted_packs: 1,
                pack_size: Some(5),
                steps: vec!["halved".into()],
                calibration: None,
            });
            rt.run.server = Some(ServerSeen {
                summary: "llama.cpp".into(),
                context_tokens: Some(4096),
                slots: Some(1),
                applied: vec![],
                at: "now".into(),
            });
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert_in_step(&store);
    let head = &store.get_run_heads(&[runs[0].run_id.clone()]).unwrap()[0];
    assert_eq!(head.status, RunStatus::Paused);
    assert_eq!(head.paused_reason.as_deref(), Some("no credit «left»"));
    assert_eq!((head.counters.confirmed, head.counters.pending), (1, 3));
    assert_eq!(
        (head.usage.cost_usd, head.usage.tokens.input_tokens),
        (None, 1234)
    );
    assert!(head.pack_guard.is_none() && head.server.is_none());
    // A run group's members are created in one transaction, heads included.
    let ws = blockwise::workspace::Workspace::new(std::sync::Arc::new(Store::open(&path).unwrap()));
    let convs: Vec<String> = runs.iter().map(|r| r.conv_uid.clone()).collect();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &convs).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let group = ws.create_group("p", "s", &opts).unwrap();
    assert_eq!(store.get_run_heads(&group.run_ids).unwrap().len(), 3);
    assert_in_step(&store);
    // Several runs in one transaction (a group's claims): each member's head follows.
    let two = vec![runs[1].run_id.clone(), runs[2].run_id.clone()];
    store
        .with_runs(&two, |rt| {
            let mut ov = rt.overlay(0)?.unwrap();
            ov.status = OverlayStatus::Failed;
            rt.put_overlay(&ov)?;
            rt.run.status = RunStatus::Cancelled;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert_in_step(&store);
    let heads = store.get_run_heads(&two).unwrap();
    assert!(heads.iter().all(|h| h.counters.failed == 1));
    assert!(heads.iter().all(|h| h.status == RunStatus::Cancelled));
    store.delete_run(&runs[1].run_id).unwrap();
    assert_in_step(&store);
    assert_eq!(store.list_run_heads().unwrap().len(), 5);
    let err = store.get_run_heads(&two).unwrap_err().to_string();
    assert!(err.contains(&runs[1].run_id), "{err}");
}

#[test]
fn a_change_made_by_another_process_is_in_the_heads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (path, runs) = setup(dir.path(), 2);
    let store = Store::open(&path).unwrap();
    // Two blocks staged here, then confirmed by the CLI (another process).
    store
        .with_run(&runs[1].run_id, |rt| {
            for i in 0..2 {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(json!({"label": "x"}));
                rt.put_overlay(&ov)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let before = store.change_stamp().unwrap();
    let mut c = support::blockwise_in(dir.path());
    c.arg("--store").arg(&path);
    c.args(["review", "confirm", &runs[1].run_id, "--blocks", "0,1"]);
    let (code, out, err) = support::outcome(c.output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
    assert_ne!(store.change_stamp().unwrap(), before);
    let head = &store.get_run_heads(&[runs[1].run_id.clone()]).unwrap()[0];
    assert_eq!((head.counters.confirmed, head.counters.ai_complete), (2, 0));
    assert_in_step(&store);
}

/// Set the stored format version (a raw redb write, as an older build left it).
fn stamp(path: &Path, version: u64) {
    let db = redb::Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut meta = tx.open_table(tables::META).unwrap();
        meta.insert("format_version", version.to_le_bytes().as_slice())
            .unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn a_format_5_store_gains_a_head_for_every_run_when_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (path, runs) = setup(dir.path(), 3);
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        assert!(tx.delete_table(tables::RUN_HEADS).unwrap());
        tx.commit().unwrap();
    }
    stamp(&path, 5);
    assert!(
        Store::open_read_only(&path).is_err(),
        "a reader cannot migrate"
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(FORMAT_VERSION, 8);
    assert_eq!(store.list_run_heads().unwrap().len(), runs.len());
    assert_in_step(&store);
    drop(store);
    let db = redb::Database::create(&path).unwrap();
    let tx = db.begin_read().unwrap();
    let heads = tx.open_table(tables::RUN_HEADS).unwrap();
    assert_eq!(
        heads.len().unwrap(),
        3,
        "the heads are stored, not made up on reading"
    );
    drop((heads, tx, db));
    // A store stamped 8 by a build that skipped migration 6 has no heads table: a reader
    // lists the full records, `check` says so, and the next writing open writes the heads.
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        assert!(tx.delete_table(tables::RUN_HEADS).unwrap());
        tx.commit().unwrap();
    }
    let reader = Store::open_read_only(&path).unwrap();
    let full = reader.list_runs().unwrap();
    let heads = reader.list_run_heads().unwrap();
    assert_eq!(heads, full.iter().map(run_head_of).collect::<Vec<_>>());
    let damage = reader.check().unwrap().damage;
    assert!(
        damage.iter().any(|d| d.subject == "the run heads table"),
        "{damage:?}"
    );
    drop(reader);
    let store = Store::open(&path).unwrap();
    assert_in_step(&store);
}

/// `Store::list_heads` decoded whole.
fn lazy(store: &Store) -> Vec<Run> {
    let heads = store.list_heads().unwrap();
    heads.iter().map(|h| h.run().clone()).collect()
}

/// Change the head table with a raw redb transaction.
fn edit_heads(path: &Path, edit: impl FnOnce(&mut redb::Table<&str, &[u8]>)) {
    let db = redb::Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    edit(&mut tx.open_table(tables::RUN_HEADS).unwrap());
    tx.commit().unwrap();
}

#[test]
fn check_names_a_damaged_missing_or_orphan_head_and_lists_read_the_records_instead() {
    let dir = tempfile::tempdir().unwrap();
    let (path, runs) = setup(dir.path(), 3);
    let expected = {
        let store = Store::open(&path).unwrap();
        store.list_run_heads().unwrap()
    };
    let (a, b) = (runs[0].run_id.as_str(), runs[1].run_id.as_str());
    edit_heads(&path, |t| {
        let mut bytes = t.get(a).unwrap().unwrap().value().to_vec();
        bytes[12] ^= 0x20;
        t.insert(a, bytes.as_slice()).unwrap();
    });
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.list_run_heads().unwrap(),
        expected,
        "a damaged head is not read"
    );
    assert_eq!(lazy(&store), expected, "nor as a lazy head");
    let damage = store.check().unwrap().damage;
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(damage[0].subject, format!("the head of run {a}"));
    assert!(damage[0].problem.contains("does not decode"), "{damage:?}");
    drop(store);
    // b's head moved under a name no run has: one missing, one orphan, same count.
    edit_heads(&path, |t| {
        let bytes = t.remove(b).unwrap().unwrap().value().to_vec();
        t.insert("run_nobody", bytes.as_slice()).unwrap();
    });
    let store = Store::open(&path).unwrap();
    assert_eq!(store.list_run_heads().unwrap(), expected);
    assert_eq!(lazy(&store), expected);
    let damage = store.check().unwrap().damage;
    let named = |s: &str, p: &str| {
        damage
            .iter()
            .any(|d| d.subject == s && d.problem.contains(p))
    };
    assert!(
        named(&format!("the head of run {b}"), "missing"),
        "{damage:?}"
    );
    assert!(
        named("the head of run run_nobody", "its run does not exist"),
        "{damage:?}"
    );
    drop(store);
    edit_heads(&path, |t| {
        t.remove("run_nobody").unwrap();
    });
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.list_run_heads().unwrap(),
        expected,
        "fewer heads than runs"
    );
}
