//! A store file this open created is set up in its first write transaction (one durable commit
//! for `ingest` into a new store), before its first read, or when it is dropped. (The ingest
//! itself is tested in tests/store_first_commit.rs: `store` may not import `ingest`.)

use super::migrations::read_version_for_tests as version;
use super::{Store, FORMAT_VERSION};

#[test]
fn the_first_write_sets_up_a_new_store_and_it_reads_back_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    assert!(store.setup_owed(), "a new file owes its set-up");
    store.set_meta("note", b"kept").unwrap();
    assert!(!store.setup_owed(), "the write's commit carried it");
    drop(store);
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(version(&reader), Some(FORMAT_VERSION));
    assert_eq!(reader.meta("note").unwrap().as_deref(), Some(&b"kept"[..]));
    assert!(reader.check().unwrap().damage.is_empty());
    assert!(
        reader.list_documents().unwrap().is_empty(),
        "every table exists"
    );
    assert!(reader.review_log(None).unwrap().is_empty());
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
    assert!(store.setup_owed(), "nothing was committed");
    assert_eq!(store.meta("note").unwrap(), None);
    assert!(!store.setup_owed(), "the read set it up first");
    assert_eq!(version(&store), Some(FORMAT_VERSION));
}

#[test]
fn an_existing_store_is_not_set_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    Store::open(&path)
        .unwrap()
        .set_meta("note", b"kept")
        .unwrap();
    let store = Store::open(&path).unwrap();
    assert!(!store.setup_owed());
    assert_eq!(store.meta("note").unwrap().as_deref(), Some(&b"kept"[..]));
}
