//! The append-only audit log: read access only. Entries are appended by the same write
//! transaction as the change they record (see `change.rs`, `admins.rs`); nothing edits or
//! deletes them.

use super::{AuditEntry, PolicyError};
use crate::store::Store;

/// Every audit entry, oldest first.
pub fn audit_log(store: &Store) -> Result<Vec<AuditEntry>, PolicyError> {
    Ok(store.audit_entries()?)
}
