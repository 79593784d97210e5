//! A stored key's defaults (the Keys pane's `m`, what `keys set --model --temperature
//! --max-tokens` stores): three prompts in turn, model → temperature → max tokens, each filled
//! with the current value; empty clears it. A bad value is refused in its prompt with the same
//! bounds and words as the CLI (the vault's own check), and nothing is written until the last.

use super::{Prompt, PromptKind};
use crate::tui::kit::Job;
use crate::tui::kit::{Effect, Reply};
use crate::workspace::{KeySummary, Workspace};

/// The values gathered so far and the one being asked (`step` 0 model, 1 temperature, 2 max
/// tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDefaults {
    pub provider: String,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub step: u8,
}

impl KeyDefaults {
    /// Start from what the stored key has now.
    pub fn of(key: &KeySummary) -> KeyDefaults {
        KeyDefaults {
            provider: key.provider.clone(),
            model: key.model.clone(),
            temperature: key.temperature,
            max_tokens: key.max_tokens,
            step: 0,
        }
    }

    /// The prompt for the current step.
    pub fn prompt(self) -> Prompt {
        let p = &self.provider;
        let (title, hint, text) = match self.step {
            0 => (
                format!("Default model of the {p} key (1/3)"),
                "a model name · empty: no default · Enter next, Esc cancels".to_string(),
                self.model.clone().unwrap_or_default(),
            ),
            1 => (
                format!("Default temperature of the {p} key (2/3)"),
                format!(
                    "0.0 to {:.1} · empty: no default · Enter next, Esc cancels",
                    crate::vault::temperature_max(p)
                ),
                self.temperature.map(|t| t.to_string()).unwrap_or_default(),
            ),
            _ => (
                format!("Default max tokens of the {p} key (3/3)"),
                "1 to 1000000 · empty: no default · Enter saves, Esc cancels".to_string(),
                self.max_tokens.map(|t| t.to_string()).unwrap_or_default(),
            ),
        };
        Prompt::new(PromptKind::KeyDefaults(self), title, hint, text)
    }

    /// Take the typed text for the current step: the next prompt, the job that stores all three,
    /// or why the text is refused.
    pub fn submit(&self, text: &str) -> Result<Effect, String> {
        let text = text.trim();
        let mut next = self.clone();
        match self.step {
            0 => next.model = (!text.is_empty()).then(|| text.to_string()),
            1 => {
                next.temperature = parse(text, "temperature", "a number")?;
                Workspace::check_key_defaults(&next.provider, next.temperature, None)
                    .map_err(|e| e.to_string())?;
            }
            _ => {
                next.max_tokens = parse(text, "max tokens", "a whole number")?;
                Workspace::check_key_defaults(&next.provider, None, next.max_tokens)
                    .map_err(|e| e.to_string())?;
                return Ok(Effect::Job(
                    Job::SetKeyDefaults {
                        provider: next.provider,
                        model: next.model,
                        temperature: next.temperature,
                        max_tokens: next.max_tokens,
                    },
                    Reply::Prompt,
                ));
            }
        }
        next.step += 1;
        Ok(Effect::Replace(Box::new(next.prompt())))
    }
}

/// Empty → `None`; otherwise the value, or the CLI's kind of refusal naming the value.
fn parse<T: std::str::FromStr>(text: &str, what: &str, kind: &str) -> Result<Option<T>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("invalid value '{text}' for {what}: not {kind}"))
}
