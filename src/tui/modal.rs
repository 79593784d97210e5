//! The modal dialogs: text prompts (edit a cell, export, set a policy value) and the new-run
//! picker.

use std::path::PathBuf;

use tui_textarea::TextArea;

use super::action::Action;
use super::app::{App, Modal};
use super::grid::compact;
use crate::model::ProviderKind;
use crate::workspace::{display_value, CreateRunOptions, Format, Mode, SetOutcome};

/// What a text prompt is for.
#[derive(Debug, Clone)]
pub enum PromptKind {
    EditCell {
        run_id: String,
        index: u32,
        field: String,
    },
    Export {
        run_id: String,
    },
    PolicyValue {
        key: String,
    },
    PolicyReason {
        key: String,
        value: String,
    },
}

pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub hint: String,
    pub textarea: TextArea<'static>,
    /// Why the last submit was refused (nothing was saved).
    pub error: Option<String>,
}

/// The new-run picker: a document, then a schema.
#[derive(Debug, Clone)]
pub struct Picker {
    pub doc: Option<String>,
    /// (id, label) of the current step's choices.
    pub items: Vec<(String, String)>,
    pub cursor: usize,
}

impl App {
    pub(super) fn update_prompt(&mut self, action: Action) {
        let Modal::Prompt(prompt) = &mut self.modal else {
            return;
        };
        match action {
            Action::Cancel => {
                self.modal = Modal::None;
                self.info("cancelled; nothing was changed");
            }
            Action::Input(input) => {
                prompt.textarea.input(input);
            }
            Action::Submit => {
                let text = prompt.textarea.lines().join("\n");
                let kind = prompt.kind.clone();
                match self.submit_prompt(kind, text) {
                    Ok(true) => self.modal = Modal::None,
                    Ok(false) => {}
                    Err(reason) => {
                        if let Modal::Prompt(p) = &mut self.modal {
                            p.error = Some(reason);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Carry out a prompt: `Ok(true)` closes it, `Ok(false)` when it was replaced by the next
    /// step; `Err` keeps it open with the reason (nothing was saved).
    fn submit_prompt(&mut self, kind: PromptKind, text: String) -> Result<bool, String> {
        match kind {
            PromptKind::EditCell {
                run_id,
                index,
                field,
            } => {
                let out = self
                    .ws
                    .edit(&run_id, index, &field, &text)
                    .map_err(|e| e.to_string())?;
                self.info(format!(
                    "block {index}: {field} = {}{}",
                    out.new_value.as_ref().map(compact).unwrap_or_default(),
                    if out.edited {
                        " (draft edit; d discards)"
                    } else {
                        ""
                    }
                ));
                self.after_review();
                Ok(true)
            }
            PromptKind::Export { run_id } => {
                let (path, mode) = parse_export_target(&text)?;
                let format = Format::from_path(&path).ok_or_else(|| {
                    format!(
                        "{}: end the file name with .jsonl, .csv or .md to pick the format",
                        path.display()
                    )
                })?;
                let demo = self
                    .runs
                    .runs
                    .iter()
                    .find(|r| r.run_id == run_id)
                    .is_some_and(|r| r.model_config.is_demo());
                let sum = self
                    .ws
                    .export_to_path(&run_id, format, mode, &path)
                    .map_err(|e| e.to_string())?;
                self.info(format!(
                    "exported {} blocks ({} confirmed, {} drafts, {} bytes) to {}{}",
                    sum.blocks,
                    sum.confirmed,
                    sum.drafts,
                    sum.bytes,
                    path.display(),
                    if demo { " [DEMO output]" } else { "" }
                ));
                Ok(true)
            }
            PromptKind::PolicyValue { key } => {
                // Bounds now, so the reason prompt only follows a value that can be saved.
                self.ws
                    .check_policy_text(&key, &text)
                    .map_err(|e| e.to_string())?;
                self.modal = Modal::Prompt(Box::new(new_prompt(
                    PromptKind::PolicyReason {
                        key: key.clone(),
                        value: text.trim().to_string(),
                    },
                    format!("Why set {key} = {}?", text.trim()),
                    "reason recorded in the audit log · Enter saves, Esc cancels".into(),
                    String::new(),
                )));
                Ok(false)
            }
            PromptKind::PolicyReason { key, value } => {
                let reason = Some(text.trim()).filter(|r| !r.is_empty());
                let out = self
                    .ws
                    .set_policy_text(&key, &value, reason)
                    .map_err(|e| e.to_string())?;
                match out {
                    SetOutcome::Changed(e) => self.info(format!(
                        "{key}: {} → {} (audit #{})",
                        display_value(&e.old),
                        display_value(&e.new),
                        e.seq
                    )),
                    SetOutcome::Unchanged { .. } => {
                        self.info(format!("{key} already holds {value}; nothing was written"))
                    }
                }
                self.reload_all();
                Ok(true)
            }
        }
    }

    pub(super) fn open_picker(&mut self) {
        match self.ws.list_documents() {
            Ok(docs) if docs.is_empty() => {
                self.error("no documents yet: `blockwise ingest FILE` first")
            }
            Ok(docs) => {
                let items = docs
                    .into_iter()
                    .map(|d| {
                        let label = format!(
                            "{}  {}  ({} blocks)  {}",
                            &d.conv_uid[..12.min(d.conv_uid.len())],
                            d.title,
                            d.total_blocks,
                            d.file_name
                        );
                        (d.conv_uid, label)
                    })
                    .collect();
                self.modal = Modal::Picker(Picker {
                    doc: None,
                    items,
                    cursor: 0,
                });
            }
            Err(e) => self.error(e),
        }
    }

    pub(super) fn update_picker(&mut self, action: Action) {
        let Modal::Picker(p) = &mut self.modal else {
            return;
        };
        let max = p.items.len().saturating_sub(1);
        match action {
            Action::Cancel => self.modal = Modal::None,
            Action::Up => p.cursor = p.cursor.saturating_sub(1),
            Action::Down => p.cursor = (p.cursor + 1).min(max),
            Action::Top => p.cursor = 0,
            Action::Bottom => p.cursor = max,
            Action::Submit => {
                let Some((id, _)) = p.items.get(p.cursor).cloned() else {
                    return;
                };
                match p.doc.clone() {
                    None => match self.ws.list_schemas() {
                        Ok(s) if s.is_empty() => {
                            self.modal = Modal::None;
                            self.error("no schemas yet: `blockwise schema from-template ID` first")
                        }
                        Ok(schemas) => {
                            p.doc = Some(id);
                            p.items = schemas
                                .into_iter()
                                .map(|s| (s.schema_ref.clone(), s.schema_ref))
                                .collect();
                            p.cursor = 0;
                        }
                        Err(e) => self.error(e),
                    },
                    Some(doc) => {
                        self.modal = Modal::None;
                        let opts = CreateRunOptions {
                            provider: Some(ProviderKind::Demo.as_str().into()),
                            ..Default::default()
                        };
                        match self.ws.create_run(&doc, &id, &opts) {
                            Ok(run) => {
                                self.info(format!(
                                    "created run {} ({} blocks, schema {}, provider demo — \
                                     offline DEMO output); s starts the worker",
                                    run.run_id, run.counters.total, run.schema_ref
                                ));
                                self.reload_all();
                                self.open_run(&run.run_id);
                            }
                            Err(e) => self.error(e),
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

pub(super) fn new_prompt(kind: PromptKind, title: String, hint: String, text: String) -> Prompt {
    let mut textarea = TextArea::new(text.lines().map(str::to_string).collect());
    textarea.move_cursor(tui_textarea::CursorMove::Bottom);
    textarea.move_cursor(tui_textarea::CursorMove::End);
    Prompt {
        kind,
        title,
        hint,
        textarea,
        error: None,
    }
}

/// `PATH [confirmed|staging|both]`.
fn parse_export_target(text: &str) -> Result<(PathBuf, Mode), String> {
    let text = text.trim();
    let (path, mode) = match text.rsplit_once(' ') {
        Some((p, m)) => match m.parse::<Mode>() {
            Ok(mode) => (p.trim(), mode),
            Err(_) => (text, Mode::Confirmed),
        },
        None => (text, Mode::Confirmed),
    };
    if path.is_empty() {
        return Err("type a file path to export to".into());
    }
    Ok((PathBuf::from(path), mode))
}
