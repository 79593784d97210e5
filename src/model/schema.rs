use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A saved schema (SPEC §2): user-owned, immutable once saved (editing forks it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Generated: `sch_` + 12 hex characters.
    pub schema_id: String,
    /// The name users type: `^[a-z0-9][a-z0-9_-]{0,63}$`, unique in the store.
    pub schema_ref: String,
    /// `sha256(canonical JSON)`: the content identity.
    pub schema_uid: String,
    /// The schema exactly as the user gave it (uid is computed from its canonical form).
    pub json: Value,
    /// OS user who saved it.
    pub owner: String,
    pub created_at: String,
    /// `schema_id` of the schema this one was forked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<String>,
    /// Id of the built-in template this one was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Compatibility warnings found when it was saved (never block saving).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A fresh schema id: `sch_` + 12 hex characters of sha256(uid, time, process, salt). The store
/// retries with another `salt` on the (unlikely) collision.
pub fn generate_schema_id(schema_uid: &str, salt: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let hash = crate::hashing::sha256_hex(&[
        schema_uid.as_bytes(),
        &nanos.to_le_bytes(),
        &std::process::id().to_le_bytes(),
        &salt.to_le_bytes(),
    ]);
    format!("sch_{}", &hash[..12])
}
