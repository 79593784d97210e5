//! Git-style naming: a full id or any unique prefix.

use redb::TableDefinition;

use super::{Store, StoreError};

/// Result of looking a prefix up: the full key.
pub type PrefixMatch = String;

impl Store {
    /// [`Store::resolve_prefix`] for ids that start with `id_prefix` (`run_`, `grp_`, `sch_`):
    /// the name as given, else the name with `id_prefix` put in front, so `eb57` finds
    /// `run_eb57…` as `run_eb57` does. An error names what the user typed.
    pub(crate) fn resolve_id<V: redb::Value + 'static>(
        &self,
        table: TableDefinition<&str, V>,
        kind: &'static str,
        id_prefix: &str,
        name: &str,
    ) -> Result<PrefixMatch, StoreError> {
        match self.resolve_prefix(table, kind, name) {
            Err(StoreError::NotFound { .. })
                if !name.is_empty() && !name.starts_with(id_prefix) =>
            {
                self.resolve_prefix(table, kind, &format!("{id_prefix}{name}"))
                    .map_err(|e| match e {
                        StoreError::NotFound { kind, .. } => StoreError::NotFound {
                            kind,
                            prefix: name.to_string(),
                        },
                        other => other,
                    })
            }
            other => other,
        }
    }

    /// Resolve `prefix` against the string keys of `table`. Exact match wins; otherwise a unique
    /// prefix; several → `Ambiguous` naming up to 10 candidates.
    pub(crate) fn resolve_prefix<V: redb::Value + 'static>(
        &self,
        table: TableDefinition<&str, V>,
        kind: &'static str,
        prefix: &str,
    ) -> Result<PrefixMatch, StoreError> {
        let _reading = super::guard::reading(format!("the {kind} names"));
        let not_found = || StoreError::NotFound {
            kind,
            prefix: prefix.to_string(),
        };
        if prefix.is_empty() {
            return Err(not_found());
        }
        let tx = self.read()?;
        let t = tx.open_table(table)?;
        if t.get(prefix)?.is_some() {
            return Ok(prefix.to_string());
        }
        let mut candidates = Vec::new();
        for entry in t.range(prefix..)? {
            let (k, _) = entry?;
            let key = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            candidates.push(key.to_string());
            if candidates.len() > 10 {
                break;
            }
        }
        match candidates.len() {
            0 => Err(not_found()),
            1 => Ok(candidates.remove(0)),
            _ => Err(StoreError::Ambiguous {
                kind,
                prefix: prefix.to_string(),
                candidates,
            }),
        }
    }
}
