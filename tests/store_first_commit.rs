//! Ingest into a new store costs one durable commit: the store's set-up (tables, format stamp)
//! rides in the ingest's own write transaction (issue 25's PDF wall: every commit is a sync).
//! One test in its own binary, since the commit counter is process-wide.

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::store::{commit_stats, Store};

#[test]
fn ingest_into_a_new_store_commits_once_and_an_existing_store_opens_without_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let doc = dir.path().join("d.md");
    std::fs::write(&doc, "# Title\n\nOne paragraph.\n\nAnother.\n").unwrap();
    let before = commit_stats::snapshot().commits;
    let report = {
        let store = Store::open(&path).unwrap();
        ingest_path(&store, &doc, IngestLimits::default()).unwrap()
    };
    assert_eq!(
        commit_stats::snapshot().commits - before,
        1,
        "set-up + ingest"
    );
    let before = commit_stats::snapshot().commits;
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.list_documents().unwrap(), vec![report.document]);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store
            .blocks(&store.list_documents().unwrap()[0].conv_uid)
            .unwrap()
            .len(),
        3
    );
    drop(store);
    assert_eq!(
        commit_stats::snapshot().commits - before,
        0,
        "nothing to set up"
    );
}
