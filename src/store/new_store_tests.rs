//! A store file this open created is set up in its first write transaction (one durable commit
//! for `ingest` into a new store), before its first read, or when it is dropped.

use super::migrations::read_version_for_tests as version;
use super::{Store, FORMAT_VERSION};
use crate::ingest::{ingest_path, IngestLimits};

fn doc(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("d.md");
    std::fs::write(&p, "# Title\n\nFirst paragraph.\n").unwrap();
    p
}

#[test]
fn the_first_write_sets_up_a_new_store_and_it_reads_back_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    assert!(store.setup_owed(), "a new file owes its set-up");
    let report = ingest_path(&store, &doc(dir.path()), IngestLimits::default()).unwrap();
    assert!(!store.setup_owed(), "the ingest's commit carried it");
    drop(store);
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(version(&reader), Some(FORMAT_VERSION));
    assert_eq!(reader.list_documents().unwrap(), vec![report.document]);
    assert!(reader.check().unwrap().damage.is_empty());
    assert!(
        reader.review_log(None).unwrap().is_empty(),
        "every table exists"
    );
}

#[test]
fn a_new_store_read_first_is_set_up_before_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    assert!(!store.has_policy_admins().unwrap());
    assert!(store.setup_owed(), "answering 'no admins' writes nothing");
    assert!(store.list_documents().unwrap().is_empty());
    assert!(!store.setup_owed());
    assert_eq!(version(&store), Some(FORMAT_VERSION));
}

#[test]
fn a_new_store_nobody_wrote_to_is_set_up_when_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::open(&path).unwrap());
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(version(&reader), Some(FORMAT_VERSION));
    assert!(reader.list_documents().unwrap().is_empty());
}

#[test]
fn a_write_dropped_without_commit_leaves_the_set_up_owed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    drop(store.write().unwrap());
    assert!(store.setup_owed());
    // A file that fails validation writes nothing, and the store is still set up afterwards.
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, b"ok \x80 not UTF-8").unwrap();
    assert!(ingest_path(&store, &bad, IngestLimits::default()).is_err());
    assert!(store.list_documents().unwrap().is_empty());
    assert_eq!(version(&store), Some(FORMAT_VERSION));
}

#[test]
fn an_existing_store_is_not_set_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    ingest_path(
        &Store::open(&path).unwrap(),
        &doc(dir.path()),
        IngestLimits::default(),
    )
    .unwrap();
    let store = Store::open(&path).unwrap();
    assert!(!store.setup_owed());
    assert_eq!(store.list_documents().unwrap().len(), 1);
}
