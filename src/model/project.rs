use serde::{Deserialize, Serialize};

/// A named, ordered set of documents (SPEC §1a). The member list itself lives in its own table
/// (`store::tables::PROJECT_MEMBERS`), so adding one document never rewrites the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Slug, same rule as `schema_ref` (`^[a-z0-9][a-z0-9_-]{0,63}$`).
    pub project_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: String,
    /// How many documents are members now.
    pub member_count: u32,
    /// Position the next added member gets (positions only grow, so order survives removals).
    pub next_position: u64,
}

/// What adding or removing members did, per document (`conv_uid`s, in the order given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChange {
    /// Documents that joined (add) or left (remove).
    pub changed: Vec<String>,
    /// Documents already members (add) or not members (remove): nothing written for them.
    pub unchanged: Vec<String>,
}
