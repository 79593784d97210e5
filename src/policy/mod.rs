//! Runtime policy (SPEC §5): a registry of keys with types, bounds and defaults; values stored
//! in the store; admins who may change them; an append-only audit log; the effective value of
//! every key with its source; the snapshot a run keeps forever; and the parameter precedence
//! chain of SPEC §3.

mod admins;
mod audit;
mod change;
pub mod identity;
pub(crate) mod keys;
mod prompts;
pub(crate) mod registry;
mod resolve;
mod snapshot;

pub use admins::{
    add_admin, ensure_workspace_admin, ensure_workspace_admin_as, is_admin, list_admins,
    remove_admin, AdminChange,
};
pub use audit::audit_log;
pub use change::{set_value, set_value_text, SetOutcome};
pub use prompts::{DEFAULT_BLOCK_PROMPT, DEFAULT_SYSTEM_PROMPT};
pub use registry::{lookup, PolicyKey, REGISTRY};
pub use resolve::{
    display_value, effective_all, effective_value, format_param, param_value_ok, resolve_param,
    EffectiveValue, ParamLayers, PolicySource, Source,
};
pub use snapshot::{build_model_config, snapshot, RunModelInputs, WorkerPolicy};

pub use crate::model::{AdminRecord, AuditEntry};
use crate::store::StoreError;

/// Why a policy operation failed. Messages say what, to which key or user, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "unknown policy key '{key}'{}; `blockwise policy list` shows every key",
        suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default()
    )]
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("invalid value '{value}' for {key}: expected {expected}; nothing was changed")]
    InvalidValue {
        key: String,
        value: String,
        expected: String,
    },
    #[error("{key} = {value} refused: {reason}; nothing was changed")]
    OutOfBounds {
        key: String,
        value: String,
        reason: String,
    },
    #[error(
        "user '{user}' may not {action}: only workspace admins can ({}); ask one of them to run \
         `blockwise policy admins add {user}`",
        if admins.is_empty() { "there are none yet".to_string() } else { format!("admins: {}", admins.join(", ")) }
    )]
    NotAdmin {
        user: String,
        action: String,
        admins: Vec<String>,
    },
    #[error("cannot remove '{user}': it is the last workspace admin; add another admin first")]
    LastAdmin { user: String },
    #[error("'{user}' is not a workspace admin (admins: {})", admins.join(", "))]
    NotAnAdmin { user: String, admins: Vec<String> },
    #[error("invalid user name '{user}': {reason}")]
    InvalidUser { user: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PolicyError {
    /// CLI exit code: 2 for a usage mistake (unknown key, wrong type), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            PolicyError::UnknownKey { .. } | PolicyError::InvalidValue { .. } => 2,
            _ => 1,
        }
    }
}

/// The OS account acting ([`identity::os_user`]); never taken from the environment. Library
/// callers that act for someone else (tests, tools) pass a user to the `*_as` functions.
pub fn current_user() -> String {
    identity::os_user()
}
