//! The wizard: Intent → Fields → Prompt config → Preview → Save, every step reachable at any
//! time (Tab / shift-Tab, or 1–5). It edits a `WizardModel`, which keeps every key it does not
//! understand, so a schema passes through it unchanged except for what the user edited.

use crate::tui::kit::TextInput;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use tui_textarea::{Input, Key};

mod refine;
mod view;

use super::fields::{self, Path, Row};
use super::{
    boxed, hint, is_save, is_switch, line_field, plain_char, pretty, safe, split_rows,
    split_rows_bottom, JsonEditor, Next, Origin, Screen,
};
use crate::tui::kit::Action;
use crate::tui::kit::View;
use crate::workspace::{check_schema, PromptPreview, WizardModel, Workspace, PROMPT_CONFIG_KEYS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Intent,
    Fields,
    Prompt,
    Preview,
    Save,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Intent,
        Step::Fields,
        Step::Prompt,
        Step::Preview,
        Step::Save,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Intent => "Intent",
            Step::Fields => "Fields",
            Step::Prompt => "Prompt config",
            Step::Preview => "Preview",
            Step::Save => "Save",
        }
    }

    fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Intent step rows.
const INTENT_ROWS: [&str; 3] = ["intent (what to get from each block)", "title", "ref"];
/// Prompt config rows (the `prompt_config` keys the worker reads).
const PROMPT_ROWS: [&str; 6] = PROMPT_CONFIG_KEYS;

/// What a one-line edit writes to.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Intent(usize),
    Prompt(usize),
    Field(Path, Row),
}

struct LineEdit {
    target: Target,
    field: TextInput,
}

/// The field editor open on one field (Fields step).
pub struct FieldEditor {
    pub path: Path,
    pub row: usize,
}

/// The preview step's choices and its last result.
#[derive(Default)]
struct Preview {
    /// (conv_uid, title) of the workspace's documents, read when the step first opens.
    docs: Option<Vec<(String, String)>>,
    doc: usize,
    count: u32,
    scroll: u16,
    result: Option<Result<PromptPreview, String>>,
}

pub struct Wizard {
    pub model: WizardModel,
    pub origin: Origin,
    pub schema_ref: String,
    pub step: Step,
    /// The cursor row within the step.
    pub row: usize,
    pub editor: Option<FieldEditor>,
    edit: Option<LineEdit>,
    preview: Preview,
    /// A note or a refusal, shown above the hints.
    pub message: Option<String>,
    armed: bool,
    /// The provider the proposal came from (Describe); `r` refines with it (else the demo).
    pub assist: Option<super::AssistWith>,
    pub refine: refine::Refine,
}

impl Wizard {
    pub fn new(model: WizardModel, origin: Origin, schema_ref: String) -> Wizard {
        Wizard {
            model,
            origin,
            schema_ref,
            step: Step::Intent,
            row: 0,
            editor: None,
            edit: None,
            preview: Preview {
                count: 1,
                ..Preview::default()
            },
            message: None,
            armed: false,
            assist: None,
            refine: refine::Refine::default(),
        }
    }

    fn rows_in_step(&self) -> usize {
        match self.step {
            Step::Intent => INTENT_ROWS.len(),
            Step::Fields => match &self.editor {
                Some(e) => {
                    fields::field(&self.model, &e.path).map_or(0, |f| fields::rows(&f.spec).len())
                }
                None => fields::flatten(&self.model.fields).len(),
            },
            Step::Prompt => PROMPT_ROWS.len(),
            Step::Preview | Step::Save => 0,
        }
    }

    fn cursor(&self) -> usize {
        match &self.editor {
            Some(e) if self.step == Step::Fields => e.row,
            _ => self.row,
        }
    }

    fn set_cursor(&mut self, r: usize) {
        match &mut self.editor {
            Some(e) if self.step == Step::Fields => e.row = r,
            _ => self.row = r,
        }
    }

    fn go(&mut self, step: Step, ws: &Workspace) {
        if step != self.step {
            self.step = step;
            self.row = 0;
        }
        if step == Step::Preview {
            self.refresh_preview(ws);
        }
    }

    /// The selected field's path in the Fields list.
    fn selected_path(&self) -> Option<Path> {
        fields::flatten(&self.model.fields)
            .get(self.row)
            .map(|(p, _)| p.clone())
    }

    fn select_path(&mut self, path: &[usize]) {
        if let Some(i) = fields::flatten(&self.model.fields)
            .iter()
            .position(|(p, _)| p == path)
        {
            self.row = i;
        }
    }

    fn intent_value(&self, i: usize) -> String {
        match i {
            0 => self.model.intent.clone().unwrap_or_default(),
            1 => self
                .model
                .extra
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => self.schema_ref.clone(),
        }
    }

    fn prompt_value(&self, i: usize) -> String {
        let key = PROMPT_ROWS[i.min(PROMPT_ROWS.len() - 1)];
        match self.model.prompt_config.to_map().get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    fn start_edit(&mut self, target: Target) {
        let text = match &target {
            Target::Intent(i) => self.intent_value(*i),
            Target::Prompt(i) => self.prompt_value(*i),
            Target::Field(p, r) => fields::value(&self.model, p, *r),
        };
        self.edit = Some(LineEdit {
            target,
            field: line_field(&text),
        });
    }

    /// Write a finished one-line edit; `Err` leaves the model as it was.
    fn commit(&mut self, target: &Target, text: &str) -> Result<(), String> {
        let text = text.trim();
        match target {
            Target::Intent(0) => self.model.intent = (!text.is_empty()).then(|| text.into()),
            Target::Intent(1) => {
                if text.is_empty() {
                    self.model.extra.shift_remove("title");
                } else {
                    self.model.extra.insert("title".into(), Value::from(text));
                }
            }
            Target::Intent(_) => {
                if !text.is_empty() {
                    crate::workspace::validate_ref(text).map_err(|e| e.to_string())?;
                }
                self.schema_ref = text.to_string();
            }
            Target::Prompt(i) => self.set_prompt(*i, text)?,
            Target::Field(path, row) => fields::set_text(&mut self.model, path, *row, text)?,
        }
        Ok(())
    }

    /// Set one `prompt_config` key from text, checked the way the save boundary checks it.
    fn set_prompt(&mut self, i: usize, text: &str) -> Result<(), String> {
        let key = PROMPT_ROWS[i.min(PROMPT_ROWS.len() - 1)];
        let mut map = self.model.prompt_config.to_map();
        if text.is_empty() {
            map.shift_remove(key);
        } else {
            let value = if i < 3 {
                Value::from(text)
            } else {
                serde_json::from_str::<Value>(text)
                    .map_err(|_| format!("{key} must be a number, not '{text}'"))?
            };
            map.insert(key.to_string(), value);
        }
        let config = crate::workspace::PromptConfig::from_schema(
            &serde_json::json!({ "prompt_config": Value::Object(map) }),
        )
        .map_err(|e| e.to_string())?;
        self.model.prompt_config = config;
        self.model.prompt_extra.shift_remove(key);
        Ok(())
    }

    fn refresh_preview(&mut self, ws: &Workspace) {
        let p = &mut self.preview;
        if p.docs.is_none() {
            p.docs = Some(match ws.list_documents() {
                Ok(d) => d.into_iter().map(|d| (d.conv_uid, d.title)).collect(),
                Err(e) => {
                    p.result = Some(Err(e.to_string()));
                    return;
                }
            });
        }
        let docs = p.docs.as_deref().unwrap_or_default();
        p.result = Some(match docs.get(p.doc) {
            Some((uid, _)) => ws.preview_prompt(&self.model.to_schema(), uid, p.count),
            None => Err("no documents in this workspace: ingest one to preview the prompt".into()),
        });
    }

    pub fn update(&mut self, action: Action, ws: &Workspace) -> Next {
        if let Some(next) = self.refine_update(&action) {
            return next;
        }
        if let Some(mut edit) = self.edit.take() {
            match action {
                Action::Cancel => {}
                Action::Submit => {
                    let text = edit.field.text();
                    if let Err(e) = self.commit(&edit.target, &text) {
                        self.message = Some(format!("refused: {e}; nothing changed"));
                        self.edit = Some(edit);
                    }
                }
                Action::Input(input) => {
                    edit.field.input(input);
                    self.edit = Some(edit);
                }
                _ => self.edit = Some(edit),
            }
            return Next::Stay;
        }
        let armed = std::mem::take(&mut self.armed);
        self.message = None;
        match action {
            Action::Cancel if self.editor.is_some() && self.step == Step::Fields => {
                self.editor = None;
                Next::Stay
            }
            Action::Cancel if armed => Next::Back,
            Action::Cancel => {
                self.armed = true;
                Next::Stay
            }
            Action::Submit => self.enter(ws),
            Action::Input(input) => self.key(input, ws),
            _ => Next::Stay,
        }
    }

    fn save(&self, now: bool) -> Next {
        Next::Save {
            json: self.model.to_schema(),
            origin: self.origin.clone(),
            schema_ref: self.schema_ref.clone(),
            now,
        }
    }

    /// Enter: edit the row (or open the field editor, or save on the Save step).
    fn enter(&mut self, ws: &Workspace) -> Next {
        let row = self.cursor();
        match self.step {
            Step::Intent => self.start_edit(Target::Intent(row)),
            Step::Prompt => self.start_edit(Target::Prompt(row)),
            Step::Fields => match &self.editor {
                Some(e) => {
                    let path = e.path.clone();
                    let spec_rows = fields::field(&self.model, &path)
                        .map(|f| fields::rows(&f.spec))
                        .unwrap_or_default();
                    if let Some(r) = spec_rows.get(row).copied() {
                        if r.is_choice() {
                            fields::cycle(&mut self.model, &path, r, 1);
                        } else {
                            self.start_edit(Target::Field(path, r));
                        }
                    }
                }
                None => {
                    if let Some(path) = self.selected_path() {
                        self.editor = Some(FieldEditor { path, row: 0 });
                    }
                }
            },
            Step::Preview => self.refresh_preview(ws),
            Step::Save => return self.save(true),
        }
        Next::Stay
    }

    fn key(&mut self, input: Input, ws: &Workspace) -> Next {
        if is_save(&input) {
            return self.save(input.key != Key::F(2));
        }
        if is_switch(&input) {
            return Next::Go(Screen::Json(Box::new(JsonEditor::new(
                &pretty(&self.model.to_schema()),
                self.origin.clone(),
                self.schema_ref.clone(),
            ))));
        }
        let i = self.step.index();
        match (input.key, plain_char(&input)) {
            (Key::Tab, _) => {
                let next = (if input.shift { i + 4 } else { i + 1 }) % 5;
                self.go(Step::ALL[next], ws);
            }
            (_, Some(c @ '1'..='5')) => {
                self.go(Step::ALL[(c as usize) - ('1' as usize)], ws);
            }
            (Key::Down, _) | (_, Some('j')) => self.move_by(1),
            (Key::Up, _) | (_, Some('k')) => self.move_by(-1),
            _ if self.step == Step::Fields => self.fields_key(input),
            _ if self.step == Step::Preview => self.preview_key(input, ws),
            _ => {}
        }
        Next::Stay
    }

    fn move_by(&mut self, by: isize) {
        if self.step == Step::Preview {
            let s = &mut self.preview.scroll;
            *s = if by < 0 {
                s.saturating_sub(1)
            } else {
                s.saturating_add(1)
            };
            return;
        }
        let n = self.rows_in_step();
        let r = (self.cursor() as isize + by).clamp(0, n.saturating_sub(1) as isize);
        self.set_cursor(r as usize);
    }

    fn fields_key(&mut self, input: Input) {
        let c = plain_char(&input);
        if let Some(e) = &self.editor {
            let path = e.path.clone();
            let spec_rows = fields::field(&self.model, &path)
                .map(|f| fields::rows(&f.spec))
                .unwrap_or_default();
            let Some(row) = spec_rows.get(e.row).copied() else {
                return;
            };
            let by = match (input.key, c) {
                (Key::Left, _) => -1,
                (Key::Right, _) | (_, Some(' ')) => 1,
                _ => return,
            };
            if row.is_choice() {
                fields::cycle(&mut self.model, &path, row, by);
            }
            return;
        }
        let sel = self.selected_path();
        match (input.key, c) {
            (_, Some('a')) => {
                let p = fields::add_sibling(&mut self.model, sel.as_deref());
                self.select_path(&p);
                self.editor = Some(FieldEditor { path: p, row: 0 });
            }
            (_, Some('c')) => match sel.and_then(|p| fields::add_child(&mut self.model, &p)) {
                Some(p) => {
                    self.select_path(&p);
                    self.editor = Some(FieldEditor { path: p, row: 0 });
                }
                None => {
                    self.message = Some(
                        "c adds a nested field to an object, or an item field to an array of \
                         objects: set its type (or its items type) to object first"
                            .into(),
                    )
                }
            },
            (Key::Delete, _) | (_, Some('d')) => {
                if let Some(p) = sel {
                    fields::remove(&mut self.model, &p);
                    self.move_by(0);
                }
            }
            (_, Some('K')) | (_, Some('J')) => {
                if let Some(p) = sel {
                    let by = if c == Some('K') { -1 } else { 1 };
                    let moved = fields::shift(&mut self.model, &p, by);
                    self.select_path(&moved);
                }
            }
            _ => {}
        }
    }

    fn preview_key(&mut self, input: Input, ws: &Workspace) {
        let docs = self.preview.docs.as_ref().map_or(0, Vec::len);
        match plain_char(&input) {
            Some('d') if docs > 0 => self.preview.doc = (self.preview.doc + 1) % docs,
            Some('+') => self.preview.count = (self.preview.count + 1).min(3),
            Some('-') => self.preview.count = self.preview.count.saturating_sub(1).max(1),
            _ => return,
        }
        self.preview.scroll = 0;
        self.refresh_preview(ws);
    }
}
