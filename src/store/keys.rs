//! API keys: `provider -> StoredKey` JSON in `API_KEYS`. The secret inside is age ciphertext;
//! encryption and decryption live in `vault/`.

use redb::ReadableTable;

use super::tables::API_KEYS;
use super::{Store, StoreError};
use crate::model::StoredKey;

impl Store {
    /// Insert or replace the key of `record.provider` (one write transaction).
    pub fn put_api_key(&self, record: &StoredKey) -> Result<(), StoreError> {
        let _reading = super::guard::reading("the API keys table");
        let tx = self.write()?;
        {
            let mut t = tx.open_table(API_KEYS)?;
            t.insert(
                record.provider.as_str(),
                super::sealed::seal_json(record)?.as_slice(),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn get_api_key(&self, provider: &str) -> Result<Option<StoredKey>, StoreError> {
        let _reading = super::guard::reading(format!("the API key of {provider}"));
        let tx = self.read()?;
        let t = tx.open_table(API_KEYS)?;
        match t.get(provider)? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("the API key of {provider}")
            })?)),
            None => Ok(None),
        }
    }

    /// Every stored key, by provider name.
    pub fn list_api_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let _reading = super::guard::reading("the API keys table");
        let tx = self.read()?;
        let t = tx.open_table(API_KEYS)?;
        let mut out = Vec::new();
        for entry in t.iter()? {
            let (k, v) = entry?;
            out.push(super::sealed::open_json(v.value(), || {
                format!("the API key of {}", k.value())
            })?);
        }
        Ok(out)
    }

    /// Remove a provider's key; `false` when there was none (nothing written).
    pub fn delete_api_key(&self, provider: &str) -> Result<bool, StoreError> {
        let _reading = super::guard::reading(format!("the API key of {provider}"));
        let tx = self.write()?;
        let removed = {
            let mut t = tx.open_table(API_KEYS)?;
            let removed = t.remove(provider)?.is_some();
            removed
        };
        if removed {
            tx.commit()?;
        } else {
            tx.abort()?;
        }
        Ok(removed)
    }
}
