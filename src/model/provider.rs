//! Which provider a run or key talks to. Stored as its lowercase name (`anthropic`, `openai`,
//! `google`, `custom`, `demo`), so the store format is the plain string it always was.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Anthropic,
    OpenAi,
    Google,
    /// Any OpenAI-compatible endpoint at a user-given base URL.
    Custom,
    /// The offline demo: the in-process fake server, labelled as such wherever results show.
    Demo,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::Anthropic,
        ProviderKind::OpenAi,
        ProviderKind::Google,
        ProviderKind::Custom,
        ProviderKind::Demo,
    ];

    /// The providers that take an API key (every one but the demo).
    pub const KEYED: [ProviderKind; 4] = [
        ProviderKind::Anthropic,
        ProviderKind::OpenAi,
        ProviderKind::Google,
        ProviderKind::Custom,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Google => "google",
            ProviderKind::Custom => "custom",
            ProviderKind::Demo => "demo",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn parse(name: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether a stored provider name is the offline demo (fronts label its output).
    pub fn is_demo_name(name: &str) -> bool {
        ProviderKind::parse(name) == Some(ProviderKind::Demo)
    }

    /// Whether a stored provider name is the custom OpenAI-compatible endpoint (the one
    /// provider that takes a base URL and may have no key).
    pub fn is_custom_name(name: &str) -> bool {
        ProviderKind::parse(name) == Some(ProviderKind::Custom)
    }

    pub fn is_demo(self) -> bool {
        self == ProviderKind::Demo
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown provider name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider '{0}': use one of anthropic, openai, google, custom, demo")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::parse(s).ok_or_else(|| UnknownProvider(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for k in ProviderKind::ALL {
            assert_eq!(k.as_str().parse::<ProviderKind>(), Ok(k));
        }
        assert!("Demo".parse::<ProviderKind>().is_err());
        assert!(ProviderKind::is_demo_name("demo"));
        assert!(!ProviderKind::is_demo_name("anthropic"));
        assert!(!ProviderKind::KEYED.contains(&ProviderKind::Demo));
    }
}
