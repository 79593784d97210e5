//! A digest of every table's contents, so tests (and users) can check that an operation wrote
//! nothing. File bytes are not a good witness: redb touches its header on open.

use redb::{ReadableTable, TableDefinition};
use sha2::{Digest, Sha256};

use super::tables::*;
use super::{Store, StoreError};

fn feed<K: redb::Key + 'static, V: redb::Value + 'static>(
    tx: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
    hasher: &mut Sha256,
) -> Result<(), StoreError> {
    hasher.update(def.to_string().as_bytes());
    let table = match tx.open_table(def) {
        Ok(t) => t,
        // The schema assistant's table is made by its first call (a store without it is fine).
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in table.iter()? {
        let (k, v) = entry?;
        let (kv, vv) = (k.value(), v.value());
        let kb = K::as_bytes(&kv);
        let vb = V::as_bytes(&vv);
        hasher.update((kb.as_ref().len() as u64).to_le_bytes());
        hasher.update(kb.as_ref());
        hasher.update((vb.as_ref().len() as u64).to_le_bytes());
        hasher.update(vb.as_ref());
    }
    Ok(())
}

impl Store {
    /// SHA-256 over the contents of every table, in key order.
    pub fn fingerprint(&self) -> Result<String, StoreError> {
        let _reading = super::guard::reading("the store's fingerprint");
        let tx = self.read()?;
        let mut h = Sha256::new();
        feed(&tx, META, &mut h)?;
        feed(&tx, DOCUMENTS, &mut h)?;
        feed(&tx, SOURCES, &mut h)?;
        feed(&tx, BLOCKS, &mut h)?;
        feed(&tx, DOC_TEXT, &mut h)?;
        feed(&tx, SCHEMAS, &mut h)?;
        feed(&tx, SCHEMA_REFS, &mut h)?;
        feed(&tx, SCHEMA_UIDS, &mut h)?;
        feed(&tx, RUNS, &mut h)?;
        feed(&tx, RUN_HEADS, &mut h)?;
        feed(&tx, SOLO_HEADS, &mut h)?;
        feed(&tx, GROUP_TALLIES, &mut h)?;
        feed(&tx, RUNS_BY_SCHEMA, &mut h)?;
        feed(&tx, OVERLAYS, &mut h)?;
        feed(&tx, OVERLAY_STATUS, &mut h)?;
        feed(&tx, CALLS, &mut h)?;
        feed(&tx, POLICY, &mut h)?;
        feed(&tx, AUDIT, &mut h)?;
        feed(&tx, ADMINS, &mut h)?;
        feed(&tx, API_KEYS, &mut h)?;
        feed(&tx, REVIEW_LOG, &mut h)?;
        feed(&tx, PROJECTS, &mut h)?;
        feed(&tx, PROJECT_MEMBERS, &mut h)?;
        feed(&tx, PROJECT_POSITIONS, &mut h)?;
        feed(&tx, DOCUMENT_PROJECTS, &mut h)?;
        feed(&tx, PROJECT_GROUPS, &mut h)?;
        feed(&tx, RUN_GROUPS, &mut h)?;
        feed(&tx, BATCHES, &mut h)?;
        feed(&tx, BATCH_REQUESTS, &mut h)?;
        feed(&tx, RUN_BATCHES, &mut h)?;
        feed(&tx, ASSIST_CALLS, &mut h)?;
        Ok(hex::encode(h.finalize()))
    }
}
