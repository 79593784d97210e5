//! Workspace admins: the creator is the first; admins add and remove admins, never the last.

use serde_json::{json, Value};

use super::{current_user, AdminRecord, AuditEntry, PolicyError};
use crate::store::policy::PolicyTxn;
use crate::store::Store;

/// The audit key of admin-list changes.
const ADMINS_KEY: &str = "admins";

/// What an admin change did.
// One value per admin change, never kept in bulk: boxing the entry would buy nothing. (It grew
// past clippy's bound when serde_json's `preserve_order` made `Value` maps IndexMaps.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AdminChange {
    Changed(AuditEntry),
    /// Already in the requested state; nothing written.
    Unchanged,
}

/// Make the current OS user the first admin of a workspace that has none (see
/// [`ensure_workspace_admin_as`]).
pub fn ensure_workspace_admin(store: &Store) -> Result<bool, PolicyError> {
    ensure_workspace_admin_as(store, &current_user())
}

/// Make `user` the first admin when the workspace has none, appending the audit entry
/// `admins: [] -> [user]` ("workspace created") in the same transaction. Idempotent: returns
/// `false` and writes nothing when an admin exists.
pub fn ensure_workspace_admin_as(store: &Store, user: &str) -> Result<bool, PolicyError> {
    if store.has_policy_admins()? {
        return Ok(false);
    }
    store.policy_transaction(|tx| {
        // Another process may have created the workspace admin since the check above.
        if !tx.admins()?.is_empty() {
            return Ok(false);
        }
        let now = crate::clock::now_rfc3339();
        tx.insert_admin(&AdminRecord {
            user: user.to_string(),
            added_by: user.to_string(),
            added_at: now.clone(),
        })?;
        tx.append_audit(AuditEntry {
            seq: 0,
            at: now,
            user: user.to_string(),
            key: ADMINS_KEY.into(),
            old: json!([]),
            new: json!([user]),
            reason: Some("workspace created".into()),
        })?;
        Ok(true)
    })
}

/// Workspace admins, ordered by user name.
pub fn list_admins(store: &Store) -> Result<Vec<AdminRecord>, PolicyError> {
    Ok(store.policy_admins()?)
}

pub fn is_admin(store: &Store, user: &str) -> Result<bool, PolicyError> {
    Ok(store.policy_admins()?.iter().any(|a| a.user == user))
}

fn names(admins: &[AdminRecord]) -> Vec<String> {
    admins.iter().map(|a| a.user.clone()).collect()
}

fn require_admin(
    tx: &PolicyTxn<'_>,
    actor: &str,
    action: String,
) -> Result<Vec<AdminRecord>, PolicyError> {
    let admins = tx.admins()?;
    if admins.iter().any(|a| a.user == actor) {
        Ok(admins)
    } else {
        Err(PolicyError::NotAdmin {
            user: actor.to_string(),
            action,
            admins: names(&admins),
        })
    }
}

fn valid_user(user: &str) -> Result<&str, PolicyError> {
    let u = user.trim();
    if u.is_empty() {
        return Err(PolicyError::InvalidUser {
            user: user.into(),
            reason: "empty".into(),
        });
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PolicyError::InvalidUser {
            user: user.into(),
            reason: "an OS user name has no spaces or control characters".into(),
        });
    }
    Ok(u)
}

fn audit(
    tx: &mut PolicyTxn<'_>,
    actor: &str,
    old: Value,
    new: Value,
    reason: Option<&str>,
) -> Result<AuditEntry, PolicyError> {
    Ok(tx.append_audit(AuditEntry {
        seq: 0,
        at: crate::clock::now_rfc3339(),
        user: actor.to_string(),
        key: ADMINS_KEY.into(),
        old,
        new,
        reason: reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
    })?)
}

/// `actor` (an admin) makes `user` an admin. Adding an existing admin writes nothing.
pub fn add_admin(
    store: &Store,
    actor: &str,
    user: &str,
    reason: Option<&str>,
) -> Result<AdminChange, PolicyError> {
    let user = valid_user(user)?;
    store.policy_transaction(|tx| {
        let admins = require_admin(tx, actor, format!("add admin '{user}'"))?;
        if admins.iter().any(|a| a.user == user) {
            return Ok(AdminChange::Unchanged);
        }
        let old = names(&admins);
        let mut new = old.clone();
        new.push(user.to_string());
        new.sort();
        tx.insert_admin(&AdminRecord {
            user: user.to_string(),
            added_by: actor.to_string(),
            added_at: crate::clock::now_rfc3339(),
        })?;
        let entry = audit(tx, actor, json!(old), json!(new), reason)?;
        Ok(AdminChange::Changed(entry))
    })
}

/// `actor` (an admin) removes `user` from the admins. The last admin cannot be removed.
pub fn remove_admin(
    store: &Store,
    actor: &str,
    user: &str,
    reason: Option<&str>,
) -> Result<AdminChange, PolicyError> {
    let user = user.trim();
    store.policy_transaction(|tx| {
        let admins = require_admin(tx, actor, format!("remove admin '{user}'"))?;
        let old = names(&admins);
        if !old.iter().any(|a| a == user) {
            return Err(PolicyError::NotAnAdmin {
                user: user.to_string(),
                admins: old,
            });
        }
        if old.len() == 1 {
            return Err(PolicyError::LastAdmin {
                user: user.to_string(),
            });
        }
        tx.remove_admin(user)?;
        let new: Vec<&String> = old.iter().filter(|a| *a != user).collect();
        let entry = audit(tx, actor, json!(old), json!(new), reason)?;
        Ok(AdminChange::Changed(entry))
    })
}
