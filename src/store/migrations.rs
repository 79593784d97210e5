//! Format version check and named, idempotent migrations.

use super::tables::{self, META};
use super::{Store, StoreError, FORMAT_VERSION};
use redb::TableHandle;

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
    (
        3,
        "create the project and run-group tables",
        create_all_tables,
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
    for (to, name, step) in MIGRATIONS.iter().filter(|(to, ..)| *to > found) {
        tracing::info!(path = %store.path.display(), "store migration {to}: {name}");
        step(&tx)?;
    }
    {
        let mut meta = tx.open_table(META)?;
        meta.insert(FORMAT_KEY, FORMAT_VERSION.to_le_bytes().as_slice())?;
    }
    tx.commit()?;
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

fn read_version(store: &Store) -> Result<Option<u64>, StoreError> {
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
    Ok(())
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
        assert_eq!(FORMAT_VERSION, 3);
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

    #[test]
    fn reopening_keeps_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(read_version(&store).unwrap(), Some(FORMAT_VERSION));
    }
}
