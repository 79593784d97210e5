//! Format version check and named, idempotent migrations.

use super::tables::{self, META};
use super::{Store, StoreError, FORMAT_VERSION};

const FORMAT_KEY: &str = "format_version";

/// Read the store's format version; create every table and stamp the version on a new store;
/// refuse a newer one.
pub(super) fn check_and_migrate(store: &Store) -> Result<(), StoreError> {
    let found = read_version(store)?;
    match found {
        Some(v) if v > FORMAT_VERSION => Err(StoreError::NewerFormat {
            path: store.path.clone(),
            found: v,
            supported: FORMAT_VERSION,
        }),
        Some(v) if v == FORMAT_VERSION => Ok(()),
        // No version yet (new file) or an older one: run the named migrations up to now.
        _ => {
            let tx = store.write()?;
            create_all_tables(&tx)?;
            {
                let mut meta = tx.open_table(META)?;
                meta.insert(FORMAT_KEY, FORMAT_VERSION.to_le_bytes().as_slice())?;
            }
            tx.commit()?;
            Ok(())
        }
    }
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

/// Migration "v1: create tables". Opening a table creates it; existing tables are untouched.
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
    Ok(())
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

    #[test]
    fn reopening_keeps_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(read_version(&store).unwrap(), Some(FORMAT_VERSION));
    }
}
