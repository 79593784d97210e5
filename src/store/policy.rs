//! Runtime policy values, workspace admins and the append-only audit log.
//!
//! The rules (who may change what, bounds, types) live in `crate::policy`; this file only knows
//! the record layouts and gives that module one write transaction per change through
//! [`Store::policy_transaction`], so a refused change writes nothing.

use std::collections::BTreeMap;

use redb::{ReadableTable, ReadableTableMetadata};
use serde_json::Value;

use super::tables::{ADMINS, AUDIT, POLICY};
use super::{Store, StoreError};
use crate::model::{AdminRecord, AuditEntry};

/// A write transaction over the policy tables, handed to a closure by
/// [`Store::policy_transaction`]. Nothing is committed unless the closure returns `Ok`.
pub struct PolicyTxn<'a> {
    tx: &'a redb::WriteTransaction,
}

impl PolicyTxn<'_> {
    /// Every stored (explicitly set) policy value.
    pub fn values(&self) -> Result<BTreeMap<String, Value>, StoreError> {
        let table = self.tx.open_table(POLICY)?;
        read_values(&table)
    }

    pub fn set_value(&mut self, key: &str, value: &Value) -> Result<(), StoreError> {
        let mut table = self.tx.open_table(POLICY)?;
        table.insert(key, super::sealed::seal_json(value)?.as_slice())?;
        Ok(())
    }

    pub fn admins(&self) -> Result<Vec<AdminRecord>, StoreError> {
        let table = self.tx.open_table(ADMINS)?;
        read_admins(&table)
    }

    pub fn insert_admin(&mut self, record: &AdminRecord) -> Result<(), StoreError> {
        let mut table = self.tx.open_table(ADMINS)?;
        table.insert(
            record.user.as_str(),
            super::sealed::seal_json(record)?.as_slice(),
        )?;
        Ok(())
    }

    /// Returns whether the user was an admin.
    pub fn remove_admin(&mut self, user: &str) -> Result<bool, StoreError> {
        let mut table = self.tx.open_table(ADMINS)?;
        let removed = table.remove(user)?.is_some();
        Ok(removed)
    }

    /// Append an entry; its `seq` is assigned here (one past the last). Returns the stored entry.
    pub fn append_audit(&mut self, mut entry: AuditEntry) -> Result<AuditEntry, StoreError> {
        let mut table = self.tx.open_table(AUDIT)?;
        let next = match table.last()? {
            Some((k, _)) => k.value() + 1,
            None => 1,
        };
        entry.seq = next;
        table.insert(next, super::sealed::seal_json(&entry)?.as_slice())?;
        Ok(entry)
    }
}

fn read_values(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<BTreeMap<String, Value>, StoreError> {
    let mut out = BTreeMap::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        let what = || format!("policy value {}", k.value());
        out.insert(
            k.value().to_string(),
            super::sealed::open_json(v.value(), what)?,
        );
    }
    Ok(out)
}

fn read_admins(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<AdminRecord>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        out.push(super::sealed::open_json(v.value(), || {
            format!("policy admin {}", k.value())
        })?);
    }
    Ok(out)
}

impl Store {
    /// Run `f` inside one write transaction over the policy tables. Commits only when `f` returns
    /// `Ok`; an `Err` (a refused change) leaves the store exactly as it was.
    pub fn policy_transaction<T, E>(
        &self,
        f: impl FnOnce(&mut PolicyTxn<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _reading = super::guard::reading("the policy tables");
        let tx = self.write()?;
        let out = {
            let mut ptx = PolicyTxn { tx: &tx };
            f(&mut ptx)?
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Every stored (explicitly set) policy value; absent keys use the registry default.
    pub fn policy_values(&self) -> Result<BTreeMap<String, Value>, StoreError> {
        let _reading = super::guard::reading("the policy values");
        let tx = self.read()?;
        let table = tx.open_table(POLICY)?;
        read_values(&table)
    }

    /// Workspace admins, ordered by user name.
    pub fn policy_admins(&self) -> Result<Vec<AdminRecord>, StoreError> {
        let _reading = super::guard::reading("the policy admins");
        let tx = self.read()?;
        let table = tx.open_table(ADMINS)?;
        read_admins(&table)
    }

    /// Whether any admin exists (a fresh workspace has none until its creator opens it).
    pub fn has_policy_admins(&self) -> Result<bool, StoreError> {
        if self.setup_owed() {
            // A file this process just created holds nothing yet; the first writing open then
            // sets it up in the same commit that registers its admin.
            return Ok(false);
        }
        let _reading = super::guard::reading("the policy admins");
        let tx = self.read()?;
        let table = tx.open_table(ADMINS)?;
        Ok(!table.is_empty()?)
    }

    /// The whole audit log, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let _reading = super::guard::reading("the policy audit log");
        let tx = self.read()?;
        let table = tx.open_table(AUDIT)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push(super::sealed::open_json(v.value(), || {
                format!("policy audit entry {}", k.value())
            })?);
        }
        Ok(out)
    }
}
