//! The new-run form: document, schema, provider, model and the overridable parameters, each
//! with its effective value and where it comes from, and a cost preview from the real packer.
//! The preview and the creation both run as background jobs; the form only holds choices.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{Input, Key};

use crate::tui::kit::draw::centered;
use crate::tui::kit::edit_string;
use crate::tui::kit::text::{safe, text_lines};
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{Component, Ctx, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::kit::{JobDone, JobFate, JobKind, Modal, Output};
use crate::workspace::{
    estimate_summary, CreateRunOptions, ProviderChoice, RunEstimate, Workspace,
};

/// The form's rows, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Document,
    Schema,
    Provider,
    Model,
    Temperature,
    MaxTokens,
    Sample,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Document,
        Field::Schema,
        Field::Provider,
        Field::Model,
        Field::Temperature,
        Field::MaxTokens,
        Field::Sample,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Document => "document",
            Field::Schema => "schema",
            Field::Provider => "provider",
            Field::Model => "model",
            Field::Temperature => "temperature",
            Field::MaxTokens => "max tokens",
            Field::Sample => "sample",
        }
    }

    fn typed(self) -> bool {
        matches!(
            self,
            Field::Model | Field::Temperature | Field::MaxTokens | Field::Sample
        )
    }
}

/// A document the form offers: id and a label.
#[derive(Debug, Clone)]
pub struct DocChoice {
    pub conv_uid: String,
    pub label: String,
    pub blocks: u32,
}

#[derive(Debug, Clone)]
pub struct NewRunForm {
    pub docs: Vec<DocChoice>,
    pub schemas: Vec<String>,
    pub providers: Vec<ProviderChoice>,
    pub doc: usize,
    pub schema: usize,
    /// `None` until one is picked when no real provider is set up: the offline demo is never
    /// chosen for the user (issue 14), only offered.
    pub provider: Option<usize>,
    /// Typed overrides; empty means "use the precedence chain".
    pub model: String,
    pub temperature: String,
    pub max_tokens: String,
    pub sample: String,
    pub focus: Field,
    /// The number of the last preview asked for; older answers are dropped.
    pub asked: u64,
    pub preview: Option<Result<Box<RunEstimate>, String>>,
    /// A typed value that cannot be used, or why creating failed.
    pub error: Option<String>,
    /// The creation job is running.
    pub busy: bool,
    /// A run group over this project (its one "document" choice names the project).
    pub project: Option<String>,
}

impl NewRunForm {
    /// The form over the workspace's documents, schemas and usable providers (short lists).
    pub fn open(ws: &Workspace) -> Result<NewRunForm, String> {
        let docs: Vec<DocChoice> = ws
            .list_documents()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|d| DocChoice {
                // Titles and file names come from documents: made safe before they are drawn.
                label: safe(&format!(
                    "{}  {}  ({} blocks)  {}",
                    &d.conv_uid[..12.min(d.conv_uid.len())],
                    d.title,
                    d.total_blocks,
                    d.file_name
                )),
                blocks: d.total_blocks,
                conv_uid: d.conv_uid,
            })
            .collect();
        if docs.is_empty() {
            return Err("no documents yet: press i to ingest a file".into());
        }
        let schemas: Vec<String> = ws
            .list_schemas()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|s| s.schema_ref)
            .collect();
        // Schema refs are drawn through `row` (made safe there).
        if schemas.is_empty() {
            return Err("no schemas yet: make one in the Schemas pane (3, then n)".into());
        }
        let providers = ws.run_providers().map_err(|e| e.to_string())?;
        let provider = providers.iter().position(|p| !p.demo);
        Ok(NewRunForm {
            docs,
            schemas,
            providers,
            doc: 0,
            schema: 0,
            provider,
            model: String::new(),
            temperature: String::new(),
            max_tokens: String::new(),
            sample: String::new(),
            focus: Field::Document,
            asked: 0,
            preview: None,
            error: None,
            busy: false,
            project: None,
        })
    }

    /// The same form with project `project_ref` as the target: it creates a run group, one run
    /// per member document (`n` on a project in the Library pane).
    pub fn for_project(
        ws: &Workspace,
        (project_ref, docs, blocks): (&str, usize, u32),
    ) -> Result<NewRunForm, String> {
        if docs == 0 {
            return Err(format!(
                "project {project_ref} has no documents: a adds the selected ones"
            ));
        }
        let mut form = NewRunForm::open(ws)?;
        form.docs = vec![DocChoice {
            conv_uid: project_ref.to_string(),
            label: safe(&format!(
                "project {project_ref}  ({docs} documents, {blocks} blocks): a run group"
            )),
            blocks,
        }];
        form.doc = 0;
        form.focus = Field::Schema;
        form.project = Some(project_ref.to_string());
        Ok(form)
    }

    /// Put the cursor on a document (the one just ingested).
    pub fn select_document(&mut self, conv_uid: &str) {
        if let Some(i) = self.docs.iter().position(|d| d.conv_uid == conv_uid) {
            self.doc = i;
        }
    }

    fn provider_choice(&self) -> Option<&ProviderChoice> {
        self.providers.get(self.provider?)
    }

    /// The run options the form describes, or why a typed value cannot be used.
    pub fn options(&self) -> Result<CreateRunOptions, String> {
        fn parse<T: std::str::FromStr>(
            text: &str,
            name: &str,
            expected: &str,
        ) -> Result<Option<T>, String> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse().map(Some).map_err(|_| {
                format!("{name} '{t}' is not {expected}; leave it empty for the default")
            })
        }
        Ok(CreateRunOptions {
            provider: self.provider_choice().map(|p| p.name.clone()),
            model: Some(self.model.trim().to_string()).filter(|m| !m.is_empty()),
            temperature: parse(&self.temperature, "temperature", "a number from 0.0 to 2.0")?,
            max_tokens: parse(&self.max_tokens, "max tokens", "a whole number")?,
            sample: parse(&self.sample, "sample", "a number of blocks")?,
        })
    }

    fn target(&self) -> Option<(String, String)> {
        Some((
            self.docs.get(self.doc)?.conv_uid.clone(),
            self.schemas.get(self.schema)?.clone(),
        ))
    }

    /// Ask for a new cost preview of the current choices.
    pub fn refresh(&mut self) -> Vec<Effect> {
        let opts = match self.options() {
            Ok(o) => o,
            Err(e) => {
                self.error = Some(e);
                self.preview = None;
                return Vec::new();
            }
        };
        self.error = None;
        let Some((doc, schema)) = self.target() else {
            return Vec::new();
        };
        self.asked += 1;
        vec![Effect::Job(
            Job::Estimate {
                ask: self.asked,
                doc,
                schema,
                opts,
                project: self.project.is_some(),
            },
            Reply::Status,
        )]
    }

    /// A preview came back; only the latest one counts.
    pub fn preview_done(&mut self, ask: u64, result: Result<Box<RunEstimate>, String>) {
        if ask == self.asked {
            self.preview = Some(result);
        }
    }

    /// Creating failed: say why in the form, keep every choice.
    pub fn create_refused(&mut self, reason: String) {
        self.busy = false;
        self.error = Some(reason);
    }

    fn submit(&mut self) -> Vec<Effect> {
        if self.focus == Field::Document {
            self.focus = Field::Schema;
            return Vec::new();
        }
        let opts = match self.options() {
            Ok(o) => o,
            Err(e) => {
                self.error = Some(e);
                return Vec::new();
            }
        };
        let Some((doc, schema)) = self.target() else {
            return Vec::new();
        };
        self.busy = true;
        self.error = None;
        vec![Effect::Job(
            Job::CreateRun {
                doc,
                schema,
                opts,
                project: self.project.is_some(),
            },
            Reply::Status,
        )]
    }

    fn step_focus(&mut self, step: isize) {
        let n = Field::ALL.len() as isize;
        let i = Field::ALL
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0) as isize;
        self.focus = Field::ALL[(i + step).rem_euclid(n) as usize];
    }

    /// Left / right on a choice row: the previous / next choice.
    fn cycle(&mut self, step: isize) -> bool {
        let turn = |i: &mut usize, len: usize| {
            if len > 0 {
                *i = (*i as isize + step).rem_euclid(len as isize) as usize;
            }
        };
        match self.focus {
            Field::Document => turn(&mut self.doc, self.docs.len()),
            Field::Schema => turn(&mut self.schema, self.schemas.len()),
            Field::Provider => {
                // With none picked yet, the first step picks the first choice.
                let mut i = self.provider.unwrap_or(0);
                if self.provider.is_some() {
                    turn(&mut i, self.providers.len());
                }
                self.provider = Some(i).filter(|i| *i < self.providers.len());
                // A model typed for another provider would not fit this one.
                self.model.clear();
            }
            Field::Model => {
                let mut models = vec![String::new()];
                models.extend(
                    self.provider_choice()
                        .map(|p| p.models.clone())
                        .unwrap_or_default(),
                );
                let mut i = models.iter().position(|m| *m == self.model).unwrap_or(0);
                turn(&mut i, models.len());
                self.model = models[i].clone();
            }
            _ => return false,
        }
        true
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.focus {
            Field::Model => Some(&mut self.model),
            Field::Temperature => Some(&mut self.temperature),
            Field::MaxTokens => Some(&mut self.max_tokens),
            Field::Sample => Some(&mut self.sample),
            _ => None,
        }
    }

    fn input(&mut self, input: Input) -> Vec<Effect> {
        let changed = match input.key {
            Key::Up => {
                self.step_focus(-1);
                false
            }
            Key::Down | Key::Tab => {
                self.step_focus(1);
                false
            }
            Key::Left => self.cycle(-1),
            Key::Right => self.cycle(1),
            // Typed fields edit through the one text-input widget (ctrl-u, ctrl-w, ...).
            _ => match self.text_mut() {
                Some(t) => edit_string(t, input),
                None => false,
            },
        };
        if changed {
            self.refresh()
        } else {
            Vec::new()
        }
    }

    /// The value a row shows: the choice, or what was typed, or the effective value.
    fn row(&self, field: Field) -> (String, String) {
        let est = self.preview.as_ref().and_then(|p| p.as_ref().ok());
        let eff = |name: &str, value: String| match est {
            Some(e) => format!(
                "effective {value} ({})",
                e.sources.get(name).map(String::as_str).unwrap_or("run")
            ),
            None => "effective …".into(),
        };
        match field {
            Field::Document => (
                self.docs
                    .get(self.doc)
                    .map(|d| d.label.clone())
                    .unwrap_or_default(),
                format!("{}/{}", self.doc + 1, self.docs.len()),
            ),
            Field::Schema => (
                self.schemas.get(self.schema).cloned().unwrap_or_default(),
                format!("{}/{}", self.schema + 1, self.schemas.len()),
            ),
            Field::Provider => match self.provider_choice() {
                Some(p) => (
                    p.name.clone(),
                    format!(
                        "{}{}",
                        p.source,
                        p.base_url
                            .as_ref()
                            .map(|u| format!(" · {u}"))
                            .unwrap_or_default()
                    ),
                ),
                None => (
                    "none set up".into(),
                    "a key in the Keys pane (5), an API key variable, or a local server \
                 (BLOCKWISE_CUSTOM_BASE_URL); ←/→ picks the offline demo"
                        .into(),
                ),
            },
            Field::Model => (
                self.model.clone(),
                eff("model", est.map(|e| e.model.clone()).unwrap_or_default()),
            ),
            Field::Temperature => (
                self.temperature.clone(),
                eff(
                    "temperature",
                    est.map(|e| e.temperature.to_string()).unwrap_or_default(),
                ),
            ),
            Field::MaxTokens => (
                self.max_tokens.clone(),
                eff(
                    "max_tokens",
                    est.map(|e| e.max_tokens.to_string()).unwrap_or_default(),
                ),
            ),
            Field::Sample => (
                self.sample.clone(),
                match self.docs.get(self.doc) {
                    Some(d) => format!("empty: all {} blocks; N: the first N only", d.blocks),
                    None => String::new(),
                },
            ),
        }
    }
}

impl Modal for NewRunForm {
    /// Its cost preview lands here; a created run closes it; a refused create stays in it.
    fn job_done(&mut self, done: JobDone) -> JobFate {
        match done.result {
            Ok(Output::Estimate { ask, result }) => {
                self.preview_done(ask, result);
                JobFate::Taken
            }
            Ok(Output::Created(_) | Output::CreatedGroup(_)) => JobFate::Close(done),
            Err(reason) if done.kind == JobKind::CreateRun => {
                self.create_refused(reason);
                JobFate::Taken
            }
            _ => JobFate::Pass(done),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for NewRunForm {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Cancel => vec![
                Effect::Close,
                Effect::Info("new run cancelled; nothing was created".into()),
            ],
            _ if self.busy => Vec::new(),
            Action::Submit => self.submit(),
            Action::Input(input) => self.input(input),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let title = self.title();
        let rect = centered(area, area.width.saturating_sub(4).min(110), 22);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(title, theme.title()));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        // The fields come first: in a small terminal the preview gives way, and a list taller
        // than the room scrolls to keep the focused field in view (at 40x10 the provider shows).
        let field_rows = (Field::ALL.len() as u16 + 1).min(inner.height.saturating_sub(1));
        let [fields, preview, hint] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(field_rows),
                Constraint::Min(0),
                Constraint::Length(1),
            ])
            .areas(inner);
        let focus_at = Field::ALL
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0);
        let skip = focus_at.saturating_sub(usize::from(field_rows.saturating_sub(1)));
        let lines: Vec<Line> = Field::ALL
            .iter()
            .skip(skip)
            .map(|f| {
                let (value, note) = self.row(*f);
                let focused = *f == self.focus;
                let marker = if focused { "▸ " } else { "  " };
                let value = if f.typed() {
                    format!("[{value}{}]", if focused { "_" } else { "" })
                } else {
                    format!("◂ {value} ▸")
                };
                let style = if focused {
                    theme.selection()
                } else {
                    theme.fg("text")
                };
                Line::from(vec![
                    Span::styled(format!("{marker}{:<12}", f.label()), style),
                    Span::styled(safe(&value), style),
                    Span::styled(safe(&format!("  {note}")), theme.fg("muted")),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), fields);
        let mut text = vec![Line::from(Span::styled("Cost preview", theme.title()))];
        match (&self.error, &self.preview) {
            (Some(e), _) | (None, Some(Err(e))) => {
                text.extend(text_lines(&format!("refused: {e}"), theme.fg("error")));
            }
            (None, None) => text.push(Line::from("estimating…")),
            (None, Some(Ok(e))) => {
                text.extend(estimate_summary(e).iter().map(|l| Line::from(safe(l))));
            }
        }
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), preview);
        let hint_text = if self.busy {
            "creating the run… (Esc closes; the run is still created)"
        } else {
            "↑/↓/Tab field · ←/→ choose · type to override (empty: default) · Enter · Esc cancels"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint_text, theme.fg("muted"))),
            hint,
        );
    }
}

impl NewRunForm {
    /// The form's title: what Enter does from the focused field.
    fn title(&self) -> &'static str {
        match (self.focus, &self.project) {
            (Field::Schema | Field::Document, Some(_)) => {
                " New run group · pick a schema (←/→), Enter creates one run per document "
            }
            (_, Some(_)) => " New run group · Enter creates one run per document ",
            (Field::Document, None) => " New run · pick a document (←/→), Enter: next ",
            (Field::Schema, None) => " New run · pick a schema (←/→), Enter creates the run ",
            _ => " New run · Enter creates the run ",
        }
    }
}
