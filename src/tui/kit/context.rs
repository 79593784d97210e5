//! Where a key is looked up: the sections of `keymap.toml`, by name.

use serde::{Deserialize, Serialize};

/// A keymap section. The focused pane or the top modal names one; a key not bound there falls
/// back to `global` (except in `input`, where unbound keys are typed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyContext {
    Global,
    Runs,
    Grid,
    Schemas,
    Policy,
    Keys,
    Library,
    Input,
}

impl KeyContext {
    /// Every section, in the help overlay's order.
    pub const ALL: [KeyContext; 8] = [
        KeyContext::Global,
        KeyContext::Runs,
        KeyContext::Grid,
        KeyContext::Schemas,
        KeyContext::Policy,
        KeyContext::Keys,
        KeyContext::Library,
        KeyContext::Input,
    ];

    /// The section's name in `keymap.toml`.
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Runs => "runs",
            KeyContext::Grid => "grid",
            KeyContext::Schemas => "schemas",
            KeyContext::Policy => "policy",
            KeyContext::Keys => "keys",
            KeyContext::Library => "library",
            KeyContext::Input => "input",
        }
    }

    /// A section name as `keymap.toml` writes it (`None`: no such section).
    pub fn parse(name: &str) -> Option<KeyContext> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }
}

impl std::fmt::Display for KeyContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::KeyContext;

    #[test]
    fn names_round_trip_through_serde() {
        for c in KeyContext::ALL {
            assert_eq!(KeyContext::parse(c.name()), Some(c));
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json.as_str(), Some(c.name()));
        }
        assert_eq!(KeyContext::parse("Grid"), None, "lower-case names only");
        assert_eq!(KeyContext::parse("gird"), None);
    }
}
