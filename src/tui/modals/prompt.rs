//! Text prompts: edit a cell, export a run, set a policy value (then its reason). Submitting
//! either refuses at once with the reason (nothing saved) or starts a job; while the job runs
//! the prompt waits, then closes on success or shows the refusal.

use crate::model::{sanitize, sanitize_line};
use std::path::PathBuf;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::{centered, Modal};
use crate::model::Run;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Reply};
use crate::tui::jobs::{Job, Secret};
use crate::tui::panes::{Component, Ctx, View};
use crate::workspace::{Format, Mode};

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
        demo: bool,
    },
    PolicyValue {
        key: String,
    },
    PolicyReason {
        key: String,
        value: String,
    },
    /// A file to ingest (Tab completes the path).
    Ingest,
    /// The custom provider's base URL, asked before its key.
    KeyBaseUrl {
        provider: String,
    },
    /// A provider's key: the text is masked and never drawn.
    SetKey {
        provider: String,
        base_url: Option<String>,
    },
    /// Asks before removing a stored key.
    RemoveKey {
        provider: String,
    },
    /// A stored key's default model, temperature and max tokens, one prompt each.
    KeyDefaults(super::key_defaults::KeyDefaults),
}

pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub hint: String,
    pub textarea: TextArea<'static>,
    /// Why the last submit was refused (nothing was saved).
    pub error: Option<String>,
    /// A submitted job is running; the prompt closes or shows its refusal when it reports.
    pub busy: bool,
}

impl Prompt {
    pub fn new(kind: PromptKind, title: String, hint: String, text: String) -> Prompt {
        let mut textarea = TextArea::new(text.lines().map(str::to_string).collect());
        textarea.move_cursor(tui_textarea::CursorMove::Bottom);
        textarea.move_cursor(tui_textarea::CursorMove::End);
        Prompt {
            kind,
            title,
            hint,
            textarea,
            error: None,
            busy: false,
        }
    }

    /// A provider's key, typed into a masked field (each character drawn as `•`).
    pub fn secret(provider: &str, base_url: Option<String>) -> Prompt {
        let hint = if provider == "custom" {
            "the server's key, if it wants one · empty: the endpoint is stored with no key · \
             Enter stores it, Esc cancels"
        } else {
            "paste or type the key · stored encrypted, shown only as its last 4 characters · \
             Enter stores it, Esc cancels"
        };
        let mut p = Prompt::new(
            PromptKind::SetKey {
                provider: provider.to_string(),
                base_url,
            },
            format!("API key for {provider} (input hidden)"),
            hint.into(),
            String::new(),
        );
        p.textarea.set_mask_char('•');
        p
    }

    /// A file to ingest.
    pub fn ingest() -> Prompt {
        Prompt::new(
            PromptKind::Ingest,
            "Ingest a file (.md or .txt)".into(),
            "path · Tab completes · Enter ingests, Esc cancels".into(),
            String::new(),
        )
    }

    /// Export `run` to a file.
    pub fn export(run: &Run) -> Prompt {
        let run_id = run.run_id.clone();
        Prompt::new(
            PromptKind::Export {
                run_id: run_id.clone(),
                demo: run.model_config.is_demo(),
            },
            format!("Export run {run_id}"),
            "file path; .jsonl, .csv or .md picks the format; add ' staging' or ' both' for \
             unconfirmed values · Enter exports, Esc cancels"
                .into(),
            format!("{run_id}.jsonl"),
        )
    }

    /// A job for this prompt's text, the next prompt, or the reason nothing can be saved.
    fn submit(&self, text: String, ctx: &Ctx) -> Result<Effect, String> {
        let job = match &self.kind {
            PromptKind::EditCell {
                run_id,
                index,
                field,
            } => Job::Edit {
                run_id: run_id.clone(),
                index: *index,
                field: field.clone(),
                text,
            },
            PromptKind::Export { run_id, demo } => {
                let (path, mode) = parse_export_target(&text)?;
                Job::Export {
                    run_id: run_id.clone(),
                    format: format_of(&path)?,
                    path,
                    mode,
                    demo: *demo,
                }
            }
            PromptKind::PolicyValue { key } => {
                check_policy_value(key, text.trim(), ctx)?;
                let next = Prompt::new(
                    PromptKind::PolicyReason {
                        key: key.clone(),
                        value: text.trim().to_string(),
                    },
                    format!("Why set {key} = {}?", text.trim()),
                    "reason recorded in the audit log · Enter saves, Esc cancels".into(),
                    String::new(),
                );
                return Ok(Effect::Open(Modal::Prompt(Box::new(next))));
            }
            PromptKind::PolicyReason { key, value } => {
                let reason = text.trim();
                if reason.is_empty() {
                    return Err(format!(
                        "a reason is required: say why {key} should be {value} (it goes in the \
                         audit log)"
                    ));
                }
                Job::SetPolicy {
                    key: key.clone(),
                    value: value.clone(),
                    reason: Some(reason.to_string()),
                }
            }
            PromptKind::Ingest => {
                let path = text.trim();
                if path.is_empty() {
                    return Err("type the path of a .md or .txt file (Tab completes)".into());
                }
                Job::Ingest {
                    path: super::complete::expand_home(path),
                }
            }
            PromptKind::KeyBaseUrl { provider } => {
                let url = text.trim();
                if url.is_empty() {
                    return Err("the custom provider needs a base URL, e.g. \
                                http://localhost:8080/v1"
                        .into());
                }
                let next = Prompt::secret(provider, Some(url.to_string()));
                return Ok(Effect::Open(Modal::Prompt(Box::new(next))));
            }
            PromptKind::SetKey { provider, base_url } => {
                // A local server usually needs no key: custom stores its endpoint alone.
                if text.trim().is_empty() && provider != "custom" {
                    return Err(format!("the key for {provider} is empty"));
                }
                Job::SetKey {
                    provider: provider.clone(),
                    secret: Secret(text),
                    base_url: base_url.clone(),
                }
            }
            PromptKind::RemoveKey { provider } => Job::RemoveKey {
                provider: provider.clone(),
            },
            PromptKind::KeyDefaults(d) => return d.submit(&text),
        };
        Ok(Effect::Job(job, Reply::Prompt))
    }

    /// Tab in a path prompt: complete the path as far as it is unambiguous, and list the
    /// candidates when there are several.
    fn complete(&mut self) {
        let text = self.textarea.lines().join("");
        let done = super::complete::complete_path(&text);
        if done.text != text {
            self.textarea = TextArea::new(vec![done.text]);
            self.textarea.move_cursor(tui_textarea::CursorMove::End);
        }
        self.error = match done.candidates.len() {
            0 => Some(format!("nothing matches '{text}'")),
            1 => None,
            n => Some(format!(
                "{n} matches: {}",
                done.candidates
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("  ")
            )),
        };
    }

    /// The job it started reported: `Err` keeps the prompt open with the reason.
    pub fn job_refused(&mut self, reason: String) {
        self.busy = false;
        self.error = Some(reason);
    }
}

impl Component for Prompt {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Cancel if self.busy => vec![
                Effect::Close,
                Effect::Info("closed; the work already started finishes in the background".into()),
            ],
            Action::Cancel => vec![
                Effect::Close,
                Effect::Info("cancelled; nothing was changed".into()),
            ],
            _ if self.busy => Vec::new(),
            Action::Input(input)
                if matches!(self.kind, PromptKind::Ingest)
                    && input.key == tui_textarea::Key::Tab =>
            {
                self.complete();
                Vec::new()
            }
            Action::Input(input) => {
                self.textarea.input(input);
                Vec::new()
            }
            Action::Submit => {
                let text = self.textarea.lines().join("\n");
                match self.submit(text, ctx) {
                    Ok(effect) => {
                        if matches!(effect, Effect::Job(..)) {
                            self.busy = true;
                            self.error = None;
                        }
                        vec![effect]
                    }
                    Err(reason) => {
                        self.error = Some(reason);
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let height = if self.error.is_some() { 9 } else { 6 };
        let rect = centered(area, area.width.saturating_sub(8).max(20), height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(" {} ", sanitize_line(&self.title)),
                theme.title(),
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [text, hint, err] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(3),
                Constraint::Length(1),
                Constraint::Min(0),
            ])
            .areas(inner);
        let mut ta = self.textarea.clone();
        ta.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.fg("staged")),
        );
        frame.render_widget(&ta, text);
        let hint_text = if self.busy {
            "working… (Esc closes; the work finishes in the background)"
        } else {
            self.hint.as_str()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                sanitize_line(hint_text).into_owned(),
                theme.fg("muted"),
            )),
            hint,
        );
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!("refused: {}", sanitize(e)),
                    theme.fg("error"),
                ))
                .wrap(Wrap { trim: false }),
                err,
            );
        }
    }
}

/// Parse and bound-check a policy value before asking for the reason, so the reason prompt
/// only follows a value that can be saved (a small read of the stored values).
fn check_policy_value(key: &str, text: &str, ctx: &Ctx) -> Result<(), String> {
    ctx.ws
        .check_policy_text(key, text)
        .map_err(|e| e.to_string())
}

fn format_of(path: &std::path::Path) -> Result<Format, String> {
    Format::from_path(path).ok_or_else(|| {
        format!(
            "{}: end the file name with .jsonl, .csv or .md to pick the format",
            path.display()
        )
    })
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
