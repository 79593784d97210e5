//! Format version check and named, idempotent migrations.

use super::tables::{self, META};
use super::{Store, StoreError, FORMAT_VERSION};
use redb::{ReadableDatabase, ReadableTable, TableHandle};

const FORMAT_KEY: &str = "format_version";

type Step = fn(&redb::WriteTransaction) -> Result<(), StoreError>;

/// Numbered migrations: entry `(n, name, step)` upgrades a store at version `n - 1` to `n`.
/// A new file is version 0. Every step is idempotent, and all the steps an open needs run in ONE
/// write transaction with the new version stamp, so a crash leaves the old store or the new one.
const MIGRATIONS: &[(u64, &str, Step)] = &[
    (1, "create every table", create_all_tables),
    (
        2,
        "refuse pre-release block tables; create tables added since",
        v1_to_v2,
    ),
    (3, "seal every record that carries user data", v2_to_v3),
    (
        4,
        "create the project and run-group tables",
        create_all_tables,
    ),
    (5, "create the provider batch tables", create_all_tables),
    (6, "write a light head for every run (lists)", v5_to_v6),
    // 7 only stamps the version: overlays of new runs may be `skipped` (status code 5, from
    // `worker.skip_block_types`), and a build that does not know that status must refuse the
    // store by its version instead of calling those overlays damaged.
    (
        7,
        "overlay status skipped (worker.skip_block_types)",
        create_all_tables,
    ),
    (
        8,
        "solo run heads and group tallies (a list shows a group without its members)",
        v7_to_v8,
    ),
];

/// Read the store's format version; upgrade an older store in place; refuse a newer one.
pub(super) fn check_and_migrate(store: &Store) -> Result<(), StoreError> {
    let found = read_version(store)?.unwrap_or(0);
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: store.path.clone(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found == FORMAT_VERSION {
        return Ok(());
    }
    let tx = store.write()?;
    migrate_in(&store.path, &tx, found)?;
    tx.commit()?;
    Ok(())
}

/// A file redb has just initialised, with no version stamp and no table of ours.
pub(super) fn is_blank(store: &Store) -> Result<bool, StoreError> {
    let _reading = super::guard::reading("the new store's tables");
    let tx = match &store.db {
        super::Db::ReadWrite(db) => db.begin_read()?,
        super::Db::ReadOnly(_) => return Ok(false),
    };
    let blank = tx.list_tables()?.next().is_none();
    Ok(blank)
}

/// A new store's set-up (every migration and the version stamp) inside the caller's first write
/// transaction. The steps are idempotent: another process that set the file up meanwhile
/// leaves nothing for them to change.
pub(super) fn set_up(
    path: &std::path::Path,
    tx: &redb::WriteTransaction,
) -> Result<(), StoreError> {
    let found = {
        let meta = tx.open_table(META)?;
        let raw = meta.get(FORMAT_KEY)?;
        raw.and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
            .map_or(0, u64::from_le_bytes)
    };
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found == FORMAT_VERSION {
        return Ok(());
    }
    migrate_in(path, tx, found)
}

/// Every step above `found`, then the version stamp, in `tx`.
fn migrate_in(
    path: &std::path::Path,
    tx: &redb::WriteTransaction,
    found: u64,
) -> Result<(), StoreError> {
    for (to, name, step) in MIGRATIONS.iter().filter(|(to, ..)| *to > found) {
        tracing::info!(path = %path.display(), "store migration {to}: {name}");
        step(tx)?;
    }
    let mut meta = tx.open_table(META)?;
    meta.insert(FORMAT_KEY, FORMAT_VERSION.to_le_bytes().as_slice())?;
    Ok(())
}

/// For a read-only open: the store must be of this build's format already (no migration can run).
pub(super) fn check_readable(store: &Store) -> Result<(), StoreError> {
    match read_version(store)? {
        Some(v) if v > FORMAT_VERSION => Err(StoreError::NewerFormat {
            path: store.path.clone(),
            found: v,
            supported: FORMAT_VERSION,
        }),
        Some(v) if v == FORMAT_VERSION => Ok(()),
        _ => Err(StoreError::Open {
            path: store.path.clone(),
            reason: "it is not an initialised Blockwise store of this version; open it once \
                     with a writing command (e.g. `blockwise ingest`) to set it up"
                .into(),
        }),
    }
}

#[cfg(test)]
pub(super) fn read_version_for_tests(store: &Store) -> Option<u64> {
    read_version(store).unwrap()
}

fn read_version(store: &Store) -> Result<Option<u64>, StoreError> {
    let _reading = super::guard::reading("the store's format version");
    let tx = store.read()?;
    let meta = match tx.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(raw) = meta.get(FORMAT_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = raw
        .value()
        .try_into()
        .map_err(|_| StoreError::Corrupt("format_version is not 8 bytes".into()))?;
    Ok(Some(u64::from_le_bytes(bytes)))
}

/// Migration 1. Opening a table creates it; existing tables are untouched.
fn create_all_tables(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(tables::META)?;
    tx.open_table(tables::DOCUMENTS)?;
    tx.open_table(tables::SOURCES)?;
    tx.open_table(tables::BLOCKS)?;
    tx.open_table(tables::DOC_TEXT)?;
    tx.open_table(tables::SCHEMAS)?;
    tx.open_table(tables::SCHEMA_REFS)?;
    tx.open_table(tables::SCHEMA_UIDS)?;
    tx.open_table(tables::RUNS)?;
    tx.open_table(tables::RUNS_BY_SCHEMA)?;
    tx.open_table(tables::RUN_HEADS)?;
    tx.open_table(tables::SOLO_HEADS)?;
    tx.open_table(tables::GROUP_TALLIES)?;
    tx.open_table(tables::OVERLAYS)?;
    tx.open_table(tables::OVERLAY_STATUS)?;
    tx.open_table(tables::CALLS)?;
    tx.open_table(tables::POLICY)?;
    tx.open_table(tables::AUDIT)?;
    tx.open_table(tables::ADMINS)?;
    tx.open_table(tables::API_KEYS)?;
    tx.open_table(tables::REVIEW_LOG)?;
    tx.open_table(tables::PROJECTS)?;
    tx.open_table(tables::PROJECT_MEMBERS)?;
    tx.open_table(tables::PROJECT_POSITIONS)?;
    tx.open_table(tables::DOCUMENT_PROJECTS)?;
    tx.open_table(tables::PROJECT_GROUPS)?;
    tx.open_table(tables::RUN_GROUPS)?;
    tx.open_table(tables::BATCHES)?;
    tx.open_table(tables::BATCH_REQUESTS)?;
    tx.open_table(tables::RUN_BATCHES)?;
    Ok(())
}

/// Migration 6: the run heads table, with a head for every run record.
fn v5_to_v6(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    create_all_tables(tx)?;
    super::head_tables::fill(tx)
}

/// Migration 8: the heads of runs of no group apart, and every group's tally.
fn v7_to_v8(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    create_all_tables(tx)?;
    super::head_tables::fill(tx)
}

/// Block tables of pre-release builds that still stamped version 1. Their layouts differ from
/// `block_chunks_v2` and no build can read them any more.
const LEGACY_BLOCK_TABLES: [&str; 2] = ["blocks_v1", "block_chunks_v1"];

/// Migration 2. Version 1 was stamped while the blocks table was renamed twice: a v1 store of
/// the last v1 layout (`block_chunks_v2`) is already in the v2 layout, so it only gains the
/// tables added since; one of the older layouts is refused by name (the transaction is dropped,
/// nothing changes) instead of showing its documents as empty.
fn v1_to_v2(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let legacy: Vec<String> = tx
        .list_tables()?
        .map(|t| t.name().to_string())
        .filter(|n| LEGACY_BLOCK_TABLES.contains(&n.as_str()))
        .collect();
    if let Some(name) = legacy.first() {
        return Err(StoreError::Corrupt(format!(
            "this store was written by a pre-release build (its blocks are in table '{name}', a \
             layout this version cannot read); nothing was changed: ingest the documents into a \
             new store"
        )));
    }
    create_all_tables(tx)
}

/// Migration 3 (issue 20 item 3): append the checksum of `sealed.rs` to every record of the
/// tables that carry user data. Idempotent: a record that already verifies as sealed is left
/// as it is (an unsealed record passes that test only if its last 4 bytes happen to be the
/// CRC-32 of the rest, a 1 in 2^32 chance; the step normally runs once, in the transaction that
/// stamps version 3).
fn v2_to_v3(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut sealed = 0u64;
    sealed += seal_table(tx, tables::DOCUMENTS)?;
    sealed += seal_table(tx, tables::BLOCKS)?;
    sealed += seal_table(tx, tables::SCHEMAS)?;
    sealed += seal_table(tx, tables::RUNS)?;
    sealed += seal_table(tx, tables::OVERLAYS)?;
    sealed += seal_table(tx, tables::CALLS)?;
    sealed += seal_table(tx, tables::POLICY)?;
    sealed += seal_table(tx, tables::AUDIT)?;
    sealed += seal_table(tx, tables::ADMINS)?;
    sealed += seal_table(tx, tables::API_KEYS)?;
    sealed += seal_table(tx, tables::REVIEW_LOG)?;
    tracing::info!(sealed, "store migration 3: records sealed");
    Ok(())
}

/// Seal every record of `def` that is not sealed yet; returns how many were sealed.
pub(super) fn seal_table<K: redb::Key + 'static>(
    tx: &redb::WriteTransaction,
    def: redb::TableDefinition<K, &'static [u8]>,
) -> Result<u64, StoreError> {
    use redb::ReadableTable;
    let _reading = super::guard::reading(format!("table {} while sealing it", def.name()));
    let mut table = tx.open_table(def)?;
    let mut todo: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        if super::sealed::verify(v.value()).is_none() {
            todo.push((
                K::as_bytes(&k.value()).as_ref().to_vec(),
                super::sealed::seal(v.value()),
            ));
        }
    }
    for (key, value) in &todo {
        table.insert(K::from_bytes(key), value.as_slice())?;
    }
    Ok(todo.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_format_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        {
            let store = Store::open(&path).unwrap();
            let tx = store.write().unwrap();
            {
                let mut meta = tx.open_table(META).unwrap();
                meta.insert(FORMAT_KEY, 99u64.to_le_bytes().as_slice())
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let err = Store::open(&path).err().expect("must refuse");
        let msg = err.to_string();
        assert!(msg.contains("format 99"), "{msg}");
        assert!(msg.contains("newer Blockwise"), "{msg}");
    }

    /// Stamp `version` on the store at `path` through redb directly, as an older build left it.
    fn stamp(path: &std::path::Path, version: u64) {
        let db = redb::Database::create(path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut meta = tx.open_table(META).unwrap();
            meta.insert(FORMAT_KEY, version.to_le_bytes().as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }

    #[test]
    fn a_version_1_store_opens_upgraded_and_reads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let doc = dir.path().join("d.md");
        std::fs::write(&doc, "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n").unwrap();
        let (docs, blocks) = {
            let store = Store::open(&path).unwrap();
            let report =
                crate::ingest::ingest_path(&store, &doc, crate::ingest::IngestLimits::default())
                    .unwrap();
            store.set_meta("note", b"kept").unwrap();
            let conv = report.document.conv_uid;
            (
                store.list_documents().unwrap(),
                store.blocks(&conv).unwrap(),
            )
        };
        assert!(blocks.len() >= 2);
        // The last v1 layout is today's tables with version 1 and without the newest table.
        {
            let db = redb::Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.delete_table(tables::REVIEW_LOG).unwrap();
            tx.commit().unwrap();
        }
        stamp(&path, 1);
        let store = Store::open(&path).unwrap();
        assert_eq!(read_version(&store).unwrap(), Some(FORMAT_VERSION));
        assert_eq!(FORMAT_VERSION, 8, "8: solo heads and group tallies");
        assert_eq!(store.list_documents().unwrap(), docs);
        assert_eq!(store.blocks(&docs[0].conv_uid).unwrap(), blocks);
        assert_eq!(store.meta("note").unwrap().as_deref(), Some(&b"kept"[..]));
        assert!(
            store.review_log(None).unwrap().is_empty(),
            "new table created"
        );
    }

    #[test]
    fn a_pre_release_block_layout_is_refused_and_left_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        drop(Store::open(&path).unwrap());
        {
            let db = redb::Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            let legacy: redb::TableDefinition<(&str, u32), &[u8]> =
                redb::TableDefinition::new("blocks_v1");
            tx.open_table(legacy)
                .unwrap()
                .insert(("conv", 0), b"old".as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        stamp(&path, 1);
        let msg = Store::open(&path).err().expect("must refuse").to_string();
        assert!(
            msg.contains("blocks_v1") && msg.contains("nothing was changed"),
            "{msg}"
        );
        // The refused migration committed nothing: still version 1, old rows intact.
        let db = redb::Database::create(&path).unwrap();
        let tx = redb::ReadableDatabase::begin_read(&db).unwrap();
        let meta = tx.open_table(META).unwrap();
        let v = meta.get(FORMAT_KEY).unwrap().unwrap().value().to_vec();
        assert_eq!(v, 1u64.to_le_bytes().to_vec());
        let legacy: redb::TableDefinition<(&str, u32), &[u8]> =
            redb::TableDefinition::new("blocks_v1");
        let t = tx.open_table(legacy).unwrap();
        assert_eq!(t.get(("conv", 0)).unwrap().unwrap().value(), b"old");
    }

    /// Strip the seal from every record of `def`, as format 2 stored it.
    fn unseal<K: redb::Key + 'static>(
        tx: &redb::WriteTransaction,
        def: redb::TableDefinition<K, &'static [u8]>,
    ) -> usize {
        use redb::ReadableTable;
        let mut t = tx.open_table(def).unwrap();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = t
            .iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                let payload = crate::store::sealed::verify(v.value())
                    .expect("sealed")
                    .to_vec();
                let key = K::as_bytes(&k.value()).as_ref().to_vec();
                (key, payload)
            })
            .collect();
        for (k, v) in &rows {
            t.insert(K::from_bytes(k), v.as_slice()).unwrap();
        }
        rows.len()
    }

    #[test]
    fn a_version_2_store_of_unsealed_records_is_sealed_and_reads_the_same() {
        use crate::model::{OverlayStatus, Run};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let doc = dir.path().join("d.md");
        std::fs::write(&doc, "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n").unwrap();
        let before = {
            let store = Store::open(&path).unwrap();
            let report =
                crate::ingest::ingest_path(&store, &doc, crate::ingest::IngestLimits::default())
                    .unwrap();
            let conv = report.document.conv_uid;
            let schema_json = serde_json::json!({"type": "object",
                "properties": {"label": {"type": "string"}}});
            let req = crate::schema::SaveRequest::new(schema_json, Some("s".into()), "me");
            let schema = crate::schema::save(&store, req).unwrap().schema().clone();
            let mut run = crate::store::run_txn::tests::sample_run("run_m1");
            run.conv_uid = conv.clone();
            run.schema_id = schema.schema_id.clone();
            store.create_run(&run, 3).unwrap();
            store
                .with_run("run_m1", |rt| {
                    let mut ov = rt.overlay(1)?.unwrap();
                    ov.status = OverlayStatus::Confirmed;
                    ov.confirmed = Some(serde_json::json!({"label": "demo: Paragraph 1"}));
                    rt.put_overlay(&ov)
                })
                .unwrap();
            let ov: Vec<_> = store.overlays_range("run_m1", 0, 3).unwrap();
            (
                store.list_documents().unwrap(),
                store.blocks(&conv).unwrap(),
                ov,
            )
        };
        // Format 2: the same records without their seals.
        {
            let db = redb::Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            let n = unseal(&tx, tables::DOCUMENTS)
                + unseal(&tx, tables::BLOCKS)
                + unseal(&tx, tables::RUNS)
                + unseal(&tx, tables::OVERLAYS)
                + unseal(&tx, tables::SCHEMAS);
            assert!(n >= 6, "{n} records unsealed");
            tx.commit().unwrap();
        }
        stamp(&path, 2);
        assert!(
            Store::open_read_only(&path).is_err(),
            "a reader cannot migrate"
        );
        let store = Store::open(&path).unwrap();
        assert_eq!(read_version(&store).unwrap(), Some(FORMAT_VERSION));
        let run: Run = store.get_run("run_m1").unwrap().unwrap();
        assert_eq!(run.counters.confirmed, 1);
        assert_eq!(store.list_documents().unwrap(), before.0);
        assert_eq!(store.blocks(&before.0[0].conv_uid).unwrap(), before.1);
        assert_eq!(store.overlays_range("run_m1", 0, 3).unwrap(), before.2);
        let report = store.check().unwrap();
        assert!(report.ok(), "{:?}", report.damage);
        // Idempotent: sealing again finds nothing left to seal.
        let tx = store.write().unwrap();
        assert_eq!(seal_table(&tx, tables::OVERLAYS).unwrap(), 0);
        assert_eq!(seal_table(&tx, tables::BLOCKS).unwrap(), 0);
    }

    #[test]
    fn reopening_keeps_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(read_version(&store).unwrap(), Some(FORMAT_VERSION));
    }
}
