//! Policy (SPEC §5): effective values, changes with an audit trail, admins.

use super::{
    AdminChange, AdminRecord, AuditEntry, EffectiveValue, Error, PolicyError, SetOutcome, Workspace,
};
use crate::policy::registry;

impl Workspace {
    /// Every policy key with its effective value and where it comes from.
    pub fn policy_all(&self) -> Result<Vec<EffectiveValue>, Error> {
        Ok(crate::policy::effective_all(&self.store)?)
    }

    pub fn policy_value(&self, key: &str) -> Result<EffectiveValue, Error> {
        Ok(crate::policy::effective_value(&self.store, key)?)
    }

    /// The full name of a key given by its full name or a unique short form.
    pub fn policy_key_name(&self, name: &str) -> Result<&'static str, Error> {
        Ok(registry::lookup(name)?.key)
    }

    /// Would `text` be accepted for `key` now (type and bounds)? Writes nothing; lets a front
    /// refuse a value before asking for the reason.
    pub fn check_policy_text(&self, key: &str, text: &str) -> Result<(), Error> {
        let spec = registry::lookup(key)?;
        let value = registry::parse_value(spec, text.trim())?;
        let mut values = self.store.policy_values().map_err(PolicyError::from)?;
        values.insert(spec.key.to_string(), value.clone());
        Ok(registry::check_bounds(spec, &value, &values)?)
    }

    /// Set `key` from text as this workspace's user (admins only), recording `reason`.
    pub fn set_policy_text(
        &self,
        key: &str,
        text: &str,
        reason: Option<&str>,
    ) -> Result<SetOutcome, Error> {
        Ok(crate::policy::set_value_text(
            &self.store,
            &self.user,
            key,
            text,
            reason,
        )?)
    }

    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, Error> {
        Ok(crate::policy::audit_log(&self.store)?)
    }

    /// Whether this workspace's user may change policy.
    pub fn is_admin(&self) -> Result<bool, Error> {
        Ok(crate::policy::is_admin(&self.store, &self.user)?)
    }

    pub fn list_admins(&self) -> Result<Vec<AdminRecord>, Error> {
        Ok(crate::policy::list_admins(&self.store)?)
    }

    /// Make the OS account `who` an admin: refused, writing nothing, when no such account
    /// exists on this machine (a typo would otherwise name an admin nobody is).
    pub fn add_admin(&self, who: &str, reason: Option<&str>) -> Result<AdminChange, Error> {
        let name = who.trim();
        if !name.is_empty() && !crate::policy::identity::account_exists(name) {
            return Err(Error::from(PolicyError::InvalidUser {
                user: who.to_string(),
                reason: "no such account on this machine (an admin is an OS account: see \
                         `getent passwd`)"
                    .into(),
            }));
        }
        Ok(crate::policy::add_admin(
            &self.store,
            &self.user,
            who,
            reason,
        )?)
    }

    pub fn remove_admin(&self, who: &str, reason: Option<&str>) -> Result<AdminChange, Error> {
        Ok(crate::policy::remove_admin(
            &self.store,
            &self.user,
            who,
            reason,
        )?)
    }
}
