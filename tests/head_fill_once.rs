//! A store whose damage the head tables cannot mend (an unreadable run record) has its heads,
//! solo heads and group tallies written again once, not at every writing open (issue 22,
//! store format 8). Its own test binary: it counts this process's commits.

use blockwise::store::{commit_stats, tables, Store};
use redb::ReadableTable;

#[test]
fn an_unreadable_run_record_is_filled_around_once_not_at_every_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    blockwise::policy::ensure_workspace_admin_as(&store, "tester").unwrap();
    let f = dir.path().join("d.md");
    std::fs::write(&f, "One.\n\nTwo.\n").unwrap();
    let conv = blockwise::ingest::ingest_path(&store, &f, Default::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}});
    blockwise::schema::save(
        &store,
        blockwise::schema::SaveRequest::new(schema, Some("s".into()), "tester"),
    )
    .unwrap();
    let opts = blockwise::worker::CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let run = blockwise::worker::create_run(&store, &conv, "s", &opts).unwrap();
    drop(store);
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut runs = tx.open_table(tables::RUNS).unwrap();
            let mut bytes = runs
                .get(run.run_id.as_str())
                .unwrap()
                .unwrap()
                .value()
                .to_vec();
            bytes[5] ^= 0x20;
            runs.insert(run.run_id.as_str(), bytes.as_slice()).unwrap();
        }
        // A table to write again: the fill that follows skips the unreadable record, so the
        // heads stay one short of the runs.
        assert!(tx.delete_table(tables::SOLO_HEADS).unwrap());
        tx.commit().unwrap();
    }
    let commits = || commit_stats::snapshot().commits;
    let before = commits();
    drop(Store::open(&path).unwrap());
    assert_eq!(
        commits(),
        before + 1,
        "the first open writes the head tables again"
    );
    for _ in 0..3 {
        let before = commits();
        let store = Store::open(&path).unwrap();
        assert_eq!(
            commits(),
            before,
            "a later open finds what the fill left and writes nothing"
        );
        let damage = store.check().unwrap().damage;
        assert!(
            damage.iter().any(|d| d.subject.contains(&run.run_id)),
            "check still names the run: {damage:?}"
        );
    }
}
