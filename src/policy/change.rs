//! Changing a policy value: admin check, type, bounds (cross-key included), write and audit in
//! one write transaction. A refused change writes nothing.

use serde_json::Value;

use super::registry::{self, check_bounds, check_type, dependents, effective_in};
use super::{display_value, AuditEntry, PolicyError};
use crate::store::Store;

/// What `set_value` did.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOutcome {
    /// The value was written; this audit entry records it.
    Changed(AuditEntry),
    /// The key already held exactly this value; nothing was written.
    Unchanged { key: String, value: Value },
}

/// Parse `text` by the key's type, then [`set_value`].
pub fn set_value_text(
    store: &Store,
    actor: &str,
    key: &str,
    text: &str,
    reason: Option<&str>,
) -> Result<SetOutcome, PolicyError> {
    let spec = registry::lookup(key)?;
    let value = registry::parse_value(spec, text)?;
    set_value(store, actor, spec.key, value, reason)
}

/// Set `key` to `value` as `actor`. Refused (and nothing written) when `actor` is not an admin,
/// the value has the wrong type, is out of bounds, or would push a key that is bounded by this
/// one out of its bounds (e.g. `pack_size_max` below the current `pack_size`).
pub fn set_value(
    store: &Store,
    actor: &str,
    key: &str,
    value: Value,
    reason: Option<&str>,
) -> Result<SetOutcome, PolicyError> {
    let spec = registry::lookup(key)?;
    check_type(spec, &value)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    store.policy_transaction(|tx| {
        let admins = tx.admins()?;
        if !admins.iter().any(|a| a.user == actor) {
            return Err(PolicyError::NotAdmin {
                user: actor.to_string(),
                action: format!("change {}", spec.key),
                admins: admins.into_iter().map(|a| a.user).collect(),
            });
        }
        let mut values = tx.values()?;
        let old = effective_in(&values, spec);
        if values.get(spec.key) == Some(&value) {
            return Ok(SetOutcome::Unchanged {
                key: spec.key.to_string(),
                value,
            });
        }
        values.insert(spec.key.to_string(), value.clone());
        check_bounds(spec, &value, &values)?;
        for dep in dependents(spec.key) {
            let current = effective_in(&values, dep);
            if check_bounds(dep, &current, &values).is_err() {
                return Err(PolicyError::OutOfBounds {
                    key: spec.key.to_string(),
                    value: value.to_string(),
                    reason: format!(
                        "{} is {}, and it must not exceed {}; lower {} first",
                        dep.key,
                        display_value(&current),
                        spec.key,
                        dep.key
                    ),
                });
            }
        }
        tx.set_value(spec.key, &value)?;
        let entry = tx.append_audit(AuditEntry {
            seq: 0,
            at: crate::clock::now_rfc3339(),
            user: actor.to_string(),
            key: spec.key.to_string(),
            old,
            new: value,
            reason: reason.map(str::to_string),
        })?;
        Ok(SetOutcome::Changed(entry))
    })
}
