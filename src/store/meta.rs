//! Store-wide values in the META table.

use super::tables::META;
use super::{Store, StoreError};

impl Store {
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let _reading = super::guard::reading(format!("store value {key}"));
        let tx = self.read()?;
        let t = tx.open_table(META)?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("store value {key}"));
        let tx = self.write()?;
        tx.open_table(META)?.insert(key, value)?;
        tx.commit()?;
        Ok(())
    }
}
