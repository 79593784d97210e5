//! Text prompts: edit a cell, export a run, set a policy value (then its reason). Submitting
//! either refuses at once with the reason (nothing saved) or starts a job; while the job runs
//! the prompt waits, then closes on success or shows the refusal.

pub(crate) mod key_defaults;

use crate::model::{sanitize, sanitize_line};
use std::path::PathBuf;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{Input, Key};

use crate::model::Run;
use crate::tui::kit::draw::centered;
use crate::tui::kit::text::text_lines;
use crate::tui::kit::Action;
use crate::tui::kit::TextInput;
use crate::tui::kit::{Component, Ctx, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::kit::{Job, Scope, Secret};
use crate::tui::kit::{JobDone, JobFate, KeyMode, Modal, Output};
use crate::workspace::{Format, Mode, Selection};

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
    /// What `/` searches for in a run or a group's runs.
    Search {
        scope: Scope,
    },
    /// The optional reason of a reject of each (run, blocks) part (a group's selection may span
    /// several runs); then the grid moves on to `next`.
    RejectReason {
        parts: Vec<(String, Selection)>,
        title: String,
        next: Option<u32>,
    },
    /// A file or folder to ingest (Tab completes the path).
    Ingest,
    /// The name of a new project.
    NewProject,
    /// The custom provider's base URL, asked before its key.
    KeyBaseUrl {
        provider: String,
    },
    /// A provider's key: the text is masked and never drawn.
    SetKey {
        provider: String,
        base_url: Option<String>,
    },
    /// A stored key's default model, temperature and max tokens, one prompt each.
    KeyDefaults(key_defaults::KeyDefaults),
}

pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub hint: String,
    /// The one text-input widget: readline keys, Tab completes a path (ingest, export).
    pub field: TextInput,
    /// Why the last submit was refused (nothing was saved).
    pub error: Option<String>,
    /// A submitted job is running; the prompt closes or shows its refusal when it reports.
    pub busy: bool,
    /// A multi-line JSON editor: Enter types a new line, ctrl-s saves.
    pub multiline: bool,
}

impl Prompt {
    pub fn new(kind: PromptKind, title: String, hint: String, text: String) -> Prompt {
        let title = match &kind {
            PromptKind::RejectReason { title, .. } => title.clone(),
            _ => title,
        };
        // The value being edited can hold hostile bytes: the editor shows (and would save) their
        // visible stand-ins, never the raw control characters.
        let text = sanitize(&text).into_owned();
        let field = match kind {
            PromptKind::Ingest | PromptKind::Export { .. } => TextInput::path(&text),
            _ => TextInput::line(&text),
        };
        Prompt {
            kind,
            title,
            hint,
            field,
            error: None,
            busy: false,
            multiline: false,
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
        p.field.area_mut().set_mask_char('•');
        p
    }

    /// A file or a folder to ingest.
    pub fn ingest() -> Prompt {
        Prompt::new(
            PromptKind::Ingest,
            "Ingest a file or a folder (its subfolders too)".into(),
            format!(
                "path · Tab completes · {} · Enter ingests, Esc cancels",
                crate::workspace::SUPPORTED_FORMATS
            ),
            String::new(),
        )
    }

    /// The name of a new project.
    pub fn new_project() -> Prompt {
        Prompt::new(
            PromptKind::NewProject,
            "New project".into(),
            "a name: a-z 0-9 _ - (up to 64) · Enter creates, Esc cancels".into(),
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
    fn submit(&self, text: String, ctx: &Ctx) -> Result<Vec<Effect>, String> {
        let job = match &self.kind {
            PromptKind::Search { scope } => {
                let job = Job::Search {
                    scope: scope.clone(),
                    query: text.trim().to_string(),
                };
                return Ok(vec![Effect::Close, Effect::Job(job, Reply::Status)]);
            }
            PromptKind::RejectReason { parts, next, .. } => return Ok(reject(parts, *next, &text)),
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
            PromptKind::PolicyValue { key } => return policy_value(key, text.trim(), ctx),
            PromptKind::PolicyReason { key, value } => policy_reason(key, value, text.trim())?,
            PromptKind::Ingest => return ingest(text.trim()),
            PromptKind::NewProject => {
                let project_ref = text.trim().to_string();
                crate::workspace::validate_project_ref(&project_ref).map_err(|e| e.to_string())?;
                Job::CreateProject { project_ref }
            }
            PromptKind::KeyBaseUrl { provider } => return key_base_url(provider, text.trim()),
            PromptKind::SetKey { provider, base_url } => set_key(provider, base_url, text)?,
            PromptKind::KeyDefaults(d) => return d.submit(&text).map(|e| vec![e]),
        };
        Ok(vec![Effect::Job(job, Reply::Prompt)])
    }

    /// A multi-line editor: Enter types a new line, ctrl-s saves (the JSON cell editor).
    pub fn set_multiline(&mut self) {
        self.multiline = true;
        self.field.set_multiline(true);
    }

    /// One key into the field; a Tab that could not complete a path says why below it.
    fn input(&mut self, input: Input) {
        let tab = input.key == Key::Tab;
        self.field.input(input);
        if tab {
            self.error = self.field.note().map(str::to_string);
        }
    }

    /// The job it started reported: `Err` keeps the prompt open with the reason.
    pub fn job_refused(&mut self, reason: String) {
        self.busy = false;
        self.error = Some(reason);
    }
}

/// Reject with the typed reason (none when empty), then move to `next` (accept-and-next).
fn reject(parts: &[(String, Selection)], next: Option<u32>, text: &str) -> Vec<Effect> {
    let reason = Some(text.trim().to_string()).filter(|r| !r.is_empty());
    let mut fx = vec![Effect::Close];
    for (run_id, selection) in parts {
        let job = Job::Reject {
            run_id: run_id.clone(),
            selection: selection.clone(),
            reason: reason.clone(),
        };
        fx.push(Effect::Job(job, Reply::Status));
    }
    fx.extend(next.map(Effect::GoTo));
    fx
}

/// A valid policy value leads to the prompt for its reason.
fn policy_value(key: &str, value: &str, ctx: &Ctx) -> Result<Vec<Effect>, String> {
    check_policy_value(key, value, ctx)?;
    let next = Prompt::new(
        PromptKind::PolicyReason {
            key: key.to_string(),
            value: value.to_string(),
        },
        format!("Why set {key} = {value}?"),
        "reason recorded in the audit log · Enter saves, Esc cancels".into(),
        String::new(),
    );
    Ok(vec![Effect::Replace(Box::new(next))])
}

fn policy_reason(key: &str, value: &str, reason: &str) -> Result<Job, String> {
    if reason.is_empty() {
        return Err(format!(
            "a reason is required: say why {key} should be {value} (it goes in the audit log)"
        ));
    }
    Ok(Job::SetPolicy {
        key: key.to_string(),
        value: value.to_string(),
        reason: Some(reason.to_string()),
    })
}

/// A file is ingested by a job this prompt waits for; a folder by a job the progress dialog
/// (which replaces the prompt) watches.
fn ingest(path: &str) -> Result<Vec<Effect>, String> {
    if path.is_empty() {
        return Err(format!(
            "type the path of a file or a folder (Tab completes; {})",
            crate::workspace::SUPPORTED_FORMATS
        ));
    }
    let path = crate::tui::kit::complete::expand_home(path);
    if path.is_dir() {
        let progress = std::sync::Arc::new(crate::tui::kit::job::IngestProgress::default());
        let watch = super::ingest_watch::IngestWatch::new(path.clone(), progress.clone());
        return Ok(vec![
            Effect::Replace(Box::new(watch)),
            Effect::Job(Job::IngestFolder { path, progress }, Reply::Status),
        ]);
    }
    Ok(vec![Effect::Job(Job::Ingest { path }, Reply::Prompt)])
}

/// The custom provider's base URL leads to the prompt for its (optional) key.
fn key_base_url(provider: &str, url: &str) -> Result<Vec<Effect>, String> {
    if url.is_empty() {
        return Err("the custom provider needs a base URL, e.g. http://localhost:8080/v1".into());
    }
    let next = Prompt::secret(provider, Some(url.to_string()));
    Ok(vec![Effect::Replace(Box::new(next))])
}

fn set_key(provider: &str, base_url: &Option<String>, text: String) -> Result<Job, String> {
    // A local server usually needs no key: custom stores its endpoint alone.
    if text.trim().is_empty() && provider != "custom" {
        return Err(format!("the key for {provider} is empty"));
    }
    Ok(Job::SetKey {
        provider: provider.to_string(),
        secret: Secret(text),
        base_url: base_url.clone(),
    })
}

impl Modal for Prompt {
    fn submit_label(&self) -> Option<&'static str> {
        Some(match self.kind {
            PromptKind::Search { .. } => "search",
            PromptKind::RejectReason { .. } => "reject",
            PromptKind::Export { .. } => "export",
            PromptKind::Ingest => "ingest",
            PromptKind::PolicyValue { .. } | PromptKind::KeyBaseUrl { .. } => "next",
            PromptKind::SetKey { .. } => "store",
            _ => return None,
        })
    }
    fn key_mode(&self) -> KeyMode {
        if self.multiline {
            KeyMode::Lines
        } else {
            KeyMode::Text
        }
    }
    /// The job it started came back: success closes it, a refusal stays in it with the reason.
    fn job_done(&mut self, done: JobDone) -> JobFate {
        if done.reply != Reply::Prompt || !self.busy {
            return JobFate::Pass(done);
        }
        match done.result {
            Err(reason) => {
                self.job_refused(reason);
                JobFate::Taken
            }
            Ok(Output::Message(_) | Output::Decided(..) | Output::Ingested { .. }) => {
                JobFate::Close(done)
            }
            Ok(_) => JobFate::Pass(done),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
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
            Action::Input(input) => {
                self.input(input);
                Vec::new()
            }
            Action::Submit => {
                let text = self.field.text();
                match self.submit(text, ctx) {
                    Ok(effects) => {
                        if effects
                            .iter()
                            .any(|e| matches!(e, Effect::Job(_, Reply::Prompt)))
                        {
                            self.busy = true;
                            self.error = None;
                        }
                        effects
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
        let text_rows: u16 = if self.multiline {
            (self.field.area().lines().len() as u16 + 2)
                .clamp(5, area.height.saturating_sub(8).max(5))
        } else {
            3
        };
        let width = area.width.saturating_sub(8).max(20);
        // The hint and a refusal wrap: the box grows to show them whole (as far as it can).
        let (hint_para, err_para) = self.notes(view);
        let rows = |p: &Paragraph| p.line_count(width.saturating_sub(2)) as u16;
        let err_rows = err_para.as_ref().map_or(0, rows);
        let hint_rows = rows(&hint_para).clamp(1, 2);
        // A refusal has priority over the height of the text field (at least one text row).
        let text_rows = text_rows.min(area.height.saturating_sub(2 + hint_rows + err_rows).max(3));
        let height = text_rows + 2 + hint_rows + err_rows;
        let rect = centered(area, width, height);
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
                Constraint::Length(text_rows),
                Constraint::Length(hint_rows),
                Constraint::Min(0),
            ])
            .areas(inner);
        let mut ta = self.field.area().clone();
        ta.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.fg("staged")),
        );
        // A visible block cursor even in a monochrome theme; the terminal cursor goes there too.
        ta.set_cursor_style(Style::default().add_modifier(Modifier::REVERSED));
        ta.set_cursor_line_style(Style::default());
        frame.render_widget(&ta, text);
        if !self.busy {
            let (row, col) = ta.cursor();
            let x = text.x + 1 + (col as u16).min(text.width.saturating_sub(3));
            let y = text.y + 1 + (row as u16).min(text.height.saturating_sub(3));
            frame.set_cursor_position((x, y));
        }
        frame.render_widget(hint_para, hint);
        if let Some(p) = err_para {
            frame.render_widget(p, err);
        }
    }
}

impl Prompt {
    /// The hint line and the refusal (if any), both wrapped.
    fn notes(&self, view: &View) -> (Paragraph<'static>, Option<Paragraph<'static>>) {
        let theme = view.theme;
        let hint_text = if self.busy {
            "working… (Esc closes; the work finishes in the background)".to_string()
        } else if self.field.area().mask_char().is_some() {
            // Hidden input: its length is the only feedback that the keys arrive.
            let n = self.field.text().chars().count();
            format!(
                "{n} character{} typed · {}",
                if n == 1 { "" } else { "s" },
                self.hint
            )
        } else {
            self.hint.clone()
        };
        let hint = Paragraph::new(Span::styled(
            sanitize_line(&hint_text).into_owned(),
            theme.fg("muted"),
        ))
        .wrap(Wrap { trim: false });
        let err = self.error.as_ref().map(|e| {
            Paragraph::new(text_lines(&format!("refused: {e}"), theme.fg("error")))
                .wrap(Wrap { trim: false })
        });
        (hint, err)
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
