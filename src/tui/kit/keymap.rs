//! The keymap: one table per context, embedded from `keymap.toml`, with an optional user file
//! that overrides only the keys it names. The help overlay is generated from it.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::context::KeyContext;

const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap {file}: {reason}; fix or remove the file")]
    Invalid { file: String, reason: String },
}

/// A normalised key: modifiers (ctrl / alt only; shift is in the character) and the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeySpec {
    ctrl: bool,
    alt: bool,
    code: KeyName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyName {
    Char(char),
    Named(&'static str),
    F(u8),
}

const NAMES: [&str; 14] = [
    "enter",
    "esc",
    "tab",
    "backtab",
    "space",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "backspace",
];

impl KeySpec {
    pub fn parse(text: &str) -> Option<KeySpec> {
        let mut rest = text;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyName::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if lower == "delete" || lower == "del" {
                    KeyName::Named("delete")
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    KeyName::F(n)
                } else {
                    KeyName::Named(NAMES.iter().find(|n| **n == lower)?)
                }
            }
        };
        Some(KeySpec { ctrl, alt, code })
    }

    pub fn from_event(ev: &KeyEvent) -> Option<KeySpec> {
        let code = match ev.code {
            KeyCode::Char(' ') => KeyName::Named("space"),
            KeyCode::Char(c) => KeyName::Char(c),
            KeyCode::Enter => KeyName::Named("enter"),
            KeyCode::Esc => KeyName::Named("esc"),
            KeyCode::Tab => KeyName::Named("tab"),
            KeyCode::BackTab => KeyName::Named("backtab"),
            KeyCode::Up => KeyName::Named("up"),
            KeyCode::Down => KeyName::Named("down"),
            KeyCode::Left => KeyName::Named("left"),
            KeyCode::Right => KeyName::Named("right"),
            KeyCode::PageUp => KeyName::Named("pageup"),
            KeyCode::PageDown => KeyName::Named("pagedown"),
            KeyCode::Home => KeyName::Named("home"),
            KeyCode::End => KeyName::Named("end"),
            KeyCode::Backspace => KeyName::Named("backspace"),
            KeyCode::Delete => KeyName::Named("delete"),
            KeyCode::F(n) => KeyName::F(n),
            _ => return None,
        };
        Some(KeySpec {
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
            code,
        })
    }

    /// The key as written in the keymap file.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.ctrl {
            s.push_str("ctrl-");
        }
        if self.alt {
            s.push_str("alt-");
        }
        match self.code {
            KeyName::Char(c) => s.push(c),
            KeyName::Named(n) => s.push_str(n),
            KeyName::F(n) => s.push_str(&format!("f{n}")),
        }
        s
    }
}

/// Context → key → action. A key is looked up in the focused pane's or top modal's context
/// first, then in `global`; prompts use `input` only.
#[derive(Debug, Clone)]
pub struct Keymap {
    tables: BTreeMap<KeyContext, BTreeMap<KeySpec, Action>>,
}

type RawKeymap = BTreeMap<String, BTreeMap<String, String>>;

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keymap() -> Keymap {
        let mut map = Keymap {
            tables: BTreeMap::new(),
        };
        // The embedded file is part of the program and covered by a test.
        if let Err(e) = map.merge(DEFAULT_KEYMAP, "built-in keymap.toml") {
            tracing::error!("{e}");
        }
        map
    }

    /// The default keymap with `<dir>/keymap.toml` merged over it when present.
    pub fn load(config_dir: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default_keymap();
        if let Some(path) = config_dir.map(|d| d.join("keymap.toml")) {
            if let Ok(text) = std::fs::read_to_string(&path) {
                map.merge(&text, &path.display().to_string())?;
            }
        }
        Ok(map)
    }

    /// Merge a keymap file: each named key replaces (or, with "none", removes) that binding.
    pub fn merge(&mut self, text: &str, file: &str) -> Result<(), KeymapError> {
        let invalid = |reason: String| KeymapError::Invalid {
            file: file.to_string(),
            reason,
        };
        let raw: RawKeymap = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (name, keys) in raw {
            let context = KeyContext::parse(&name).ok_or_else(|| {
                let known: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                invalid(format!(
                    "unknown section [{name}] (sections: {})",
                    known.join(", ")
                ))
            })?;
            let table = self.tables.entry(context).or_default();
            for (key, action) in keys {
                let spec = KeySpec::parse(&key)
                    .ok_or_else(|| invalid(format!("[{context}] unknown key '{key}'")))?;
                if action == "none" {
                    table.remove(&spec);
                    continue;
                }
                let action: Action = serde_json::from_value(serde_json::Value::String(
                    action.clone(),
                ))
                .map_err(|_| invalid(format!("[{context}] '{key}': unknown action '{action}'")))?;
                table.insert(spec, action);
            }
        }
        Ok(())
    }

    /// The action bound to `key` in `context`, falling back to `global` (except in `input`).
    pub fn lookup(&self, context: KeyContext, key: &KeyEvent) -> Option<Action> {
        let spec = KeySpec::from_event(key)?;
        let found = self.tables.get(&context).and_then(|t| t.get(&spec));
        let found = match found {
            Some(a) => Some(a),
            None if context != KeyContext::Input => self
                .tables
                .get(&KeyContext::Global)
                .and_then(|t| t.get(&spec)),
            None => None,
        };
        found.cloned()
    }

    /// The first key bound to `action` in `context`, else in `global`, as the file writes it.
    pub fn key_for(&self, context: KeyContext, action: &Action) -> Option<String> {
        let name = action_name(action);
        [context, KeyContext::Global].iter().find_map(|ctx| {
            self.tables
                .get(ctx)?
                .iter()
                .find(|(_, a)| action_name(a) == name)
                .map(|(spec, _)| spec.label())
        })
    }

    /// Key hints for `context` (lazygit's bottom line): its own bindings, then `?` and `q` from
    /// `global`, keys of one action joined with `/`. Only bound keys can appear.
    pub fn hints(&self, context: KeyContext) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let rank = |a: &Action| {
            let name = action_name(a);
            HINT_ORDER
                .iter()
                .position(|n| *n == name)
                .unwrap_or(HINT_ORDER.len())
        };
        let mut add = |spec: &KeySpec, action: &Action| {
            let Some(hint) = action.hint() else { return };
            match out.iter_mut().find(|(_, h)| *h == hint) {
                Some((keys, _)) => {
                    keys.push('/');
                    keys.push_str(&spec.label());
                }
                None => out.push((spec.label(), hint)),
            }
        };
        if let Some(table) = self.tables.get(&context) {
            let mut bound: Vec<_> = table.iter().collect();
            bound.sort_by_key(|(_, a)| rank(a));
            for (spec, action) in bound {
                add(spec, action);
            }
        }
        if context != KeyContext::Input {
            if let Some(table) = self.tables.get(&KeyContext::Global) {
                for (spec, action) in table {
                    if matches!(action, Action::ToggleHelp | Action::Quit) && !spec.ctrl {
                        add(spec, action);
                    }
                }
            }
        }
        out
    }

    /// Help lines per context: (context, [(keys, description)]), keys of one action joined.
    pub fn help(&self) -> Vec<(String, Vec<(String, String)>)> {
        let mut out = Vec::new();
        for context in KeyContext::ALL {
            let Some(table) = self.tables.get(&context) else {
                continue;
            };
            let mut by_action: Vec<(String, Vec<String>)> = Vec::new();
            for (spec, action) in table {
                let name = action_name(action);
                match by_action.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, keys)) => keys.push(spec.label()),
                    None => by_action.push((name, vec![spec.label()])),
                }
            }
            let lines = by_action
                .into_iter()
                .map(|(name, keys)| {
                    let action: Option<Action> =
                        serde_json::from_value(serde_json::Value::String(name.clone())).ok();
                    let desc = action.map(|a| a.describe()).unwrap_or("");
                    (keys.join(" "), desc.to_string())
                })
                .collect::<Vec<_>>();
            if !lines.is_empty() {
                out.push((context.name().to_string(), lines));
            }
        }
        out
    }
}

/// Which hints come first when the line is too short for all (the rest follow in key order).
const HINT_ORDER: [&str; 22] = [
    "open",
    "submit",
    "confirm_selected",
    "toggle_select",
    "reject",
    "edit",
    "undo",
    "next_staged",
    "prev_staged",
    "search",
    "filter",
    "start_worker",
    "new_run",
    "new_schema",
    "fork_schema",
    "delete_schema",
    "call_log",
    "cancel_run",
    "resume_run",
    "retry_failed",
    "confirm_all_staged",
    "export",
];

fn action_name(action: &Action) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn default_keymap_parses_and_binds_the_essentials() {
        let mut map = Keymap {
            tables: BTreeMap::new(),
        };
        map.merge(DEFAULT_KEYMAP, "default").unwrap();
        let grid = |c| map.lookup(KeyContext::Grid, &key(KeyCode::Char(c), KeyModifiers::NONE));
        assert!(matches!(grid('a'), Some(Action::ConfirmSelected)));
        assert!(matches!(grid('q'), Some(Action::Quit)), "global fallback");
        // Shift+A arrives as 'A' with SHIFT; shift is part of the character.
        let shift_a = map.lookup(
            KeyContext::Grid,
            &key(KeyCode::Char('A'), KeyModifiers::SHIFT),
        );
        assert!(matches!(shift_a, Some(Action::ConfirmAllStaged)));
        let enter = map.lookup(KeyContext::Input, &key(KeyCode::Enter, KeyModifiers::NONE));
        assert!(matches!(enter, Some(Action::Submit)));
        assert!(map
            .lookup(
                KeyContext::Input,
                &key(KeyCode::Char('q'), KeyModifiers::NONE)
            )
            .is_none());
    }

    #[test]
    fn user_file_overrides_only_the_keys_it_names() {
        let mut map = Keymap::default_keymap();
        map.merge(
            "[grid]\n\"y\" = \"confirm_selected\"\n\"a\" = \"none\"\n",
            "user",
        )
        .unwrap();
        let grid = |c| map.lookup(KeyContext::Grid, &key(KeyCode::Char(c), KeyModifiers::NONE));
        assert!(matches!(grid('y'), Some(Action::ConfirmSelected)));
        assert!(grid('a').is_none());
        assert!(matches!(grid('x'), Some(Action::Reject)), "untouched");
    }

    #[test]
    fn bad_user_file_names_the_problem() {
        let mut map = Keymap::default_keymap();
        let err = map
            .merge("[grid]\n\"y\" = \"fly\"\n", "/tmp/k.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/tmp/k.toml") && err.contains("fly"), "{err}");
    }

    #[test]
    fn an_unknown_section_is_refused_at_load_naming_it_and_the_known_ones() {
        let mut map = Keymap::default_keymap();
        let before = map.lookup(
            KeyContext::Grid,
            &key(KeyCode::Char('a'), KeyModifiers::NONE),
        );
        let err = map
            .merge("[gird]\n\"y\" = \"confirm_selected\"\n", "/tmp/k.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/tmp/k.toml") && err.contains("unknown section [gird]"),
            "{err}"
        );
        assert!(
            err.contains("global, runs, grid, schemas, policy, keys, library, input"),
            "{err}"
        );
        // Sections are lower-case names: `[Grid]` is not `[grid]`.
        let err = map.merge("[Grid]\n", "user").unwrap_err().to_string();
        assert!(err.contains("unknown section [Grid]"), "{err}");
        let after = map.lookup(
            KeyContext::Grid,
            &key(KeyCode::Char('a'), KeyModifiers::NONE),
        );
        assert_eq!(
            format!("{before:?}"),
            format!("{after:?}"),
            "nothing changed"
        );
    }
}
