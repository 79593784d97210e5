//! Records the store keeps besides documents and runs: stored API keys, workspace admins, the
//! policy audit log and the review log. Plain serde types; the rules that write them live in
//! `vault/`, `policy/` and `review/`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One stored key: ciphertext and metadata, never the plain key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    pub provider: String,
    /// `age-x25519` or `age-scrypt`.
    pub encryption: String,
    /// age ciphertext, hex.
    pub ciphertext: String,
    pub last4: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub base_url: Option<String>,
    /// `None` until tested.
    #[serde(default)]
    pub is_valid: Option<bool>,
    #[serde(default)]
    pub tested_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One workspace admin (`ADMINS` value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRecord {
    pub user: String,
    /// Who made this user an admin (the user themself for the workspace creator).
    pub added_by: String,
    /// UTC RFC 3339.
    pub added_at: String,
}

/// One audit entry (`AUDIT` value). Append-only: nothing edits or deletes entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// UTC RFC 3339.
    pub at: String,
    /// OS user who made the change.
    pub user: String,
    /// A policy key, or `admins` for a change of the admin list.
    pub key: String,
    /// Effective value before the change (the default when the key was never set).
    pub old: Value,
    pub new: Value,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One review action on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewEvent {
    /// Position in the store-wide review log (set on append).
    #[serde(default)]
    pub seq: u64,
    /// UTC RFC 3339.
    pub at: String,
    /// OS user who acted.
    pub by: String,
    pub run_id: String,
    /// `confirm`, `reject`, `edit`, `discard`.
    pub action: String,
    /// The blocks acted on, as a compact selection (`0,3,7-12`).
    pub blocks: String,
    /// How many blocks changed.
    pub count: u32,
    /// For `edit`: the field changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `edit`: the value before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
}
