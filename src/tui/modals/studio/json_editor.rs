//! The raw JSON editor: a tui-textarea parsed after every key. A parse error shows its line and
//! column and blocks saving; F3 switches to the wizard, whose model keeps every key it does not
//! understand, so nothing is lost going there and back.

use crate::tui::kit::TextInput;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use tui_textarea::{Input, Key};

use super::{
    boxed, hint, is_save, is_switch, safe, split_rows, split_rows_bottom, Next, Origin, Screen,
    Wizard,
};
use crate::tui::kit::Action;
use crate::tui::kit::View;
use crate::workspace::{check_schema, WizardModel, Workspace};

/// Why the text is not a schema yet.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseProblem {
    pub reason: String,
    /// 1-based; `None` when the JSON parses but is not an object.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for ParseProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.reason),
            _ => write!(f, "{}", self.reason),
        }
    }
}

pub struct JsonEditor {
    /// The one text-input widget, multi-line.
    pub field: TextInput,
    pub origin: Origin,
    /// The ref the draft will be saved under (empty: derived at save).
    pub schema_ref: String,
    pub parsed: Result<Value, ParseProblem>,
    /// Shown above the editor (e.g. why an import is outside the wizard's subset).
    pub note: Option<String>,
    /// Esc was pressed once: a second Esc discards the draft.
    armed: bool,
}

/// Parse editor text as a schema: a JSON object, or the problem with its line and column.
pub fn parse(text: &str) -> Result<Value, ParseProblem> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(ParseProblem {
            reason: "a schema must be a JSON object ({ ... })".into(),
            line: None,
            column: None,
        }),
        Err(e) => {
            let reason = e.to_string();
            // serde_json appends " at line L column C"; the position is shown separately.
            let reason = reason
                .rsplit_once(" at line ")
                .map_or(reason.as_str(), |(r, _)| r)
                .to_string();
            Err(ParseProblem {
                reason,
                line: Some(e.line()),
                column: Some(e.column()),
            })
        }
    }
}

impl JsonEditor {
    pub fn new(text: &str, origin: Origin, schema_ref: String) -> JsonEditor {
        let mut field = TextInput::lines(text);
        field.cursor_to_start();
        field
            .area_mut()
            .set_line_number_style(ratatui::style::Style::default());
        JsonEditor {
            parsed: parse(text),
            field,
            origin,
            schema_ref,
            note: None,
            armed: false,
        }
    }

    pub fn text(&self) -> String {
        self.field.text()
    }

    fn edit(&mut self, input: Input) {
        if self.field.input(input) {
            self.parsed = parse(&self.text());
        }
    }

    pub fn update(&mut self, action: Action, _ws: &Workspace) -> Next {
        let armed = std::mem::take(&mut self.armed);
        match action {
            Action::Cancel if armed => Next::Back,
            Action::Cancel => {
                self.armed = true;
                Next::Stay
            }
            Action::Submit => {
                self.edit(Input {
                    key: Key::Enter,
                    ..Input::default()
                });
                Next::Stay
            }
            Action::Input(input) if is_save(&input) => match &self.parsed {
                Ok(json) => Next::Save {
                    json: json.clone(),
                    origin: self.origin.clone(),
                    schema_ref: self.schema_ref.clone(),
                    now: input.key == Key::Char('s'),
                },
                Err(_) => Next::Stay,
            },
            Action::Input(input) if is_switch(&input) => match &self.parsed {
                Ok(json) => match WizardModel::from_schema(json) {
                    Ok(model) => Next::Go(Screen::Wizard(Box::new(Wizard::new(
                        model,
                        self.origin.clone(),
                        self.schema_ref.clone(),
                    )))),
                    Err(_) => Next::Stay,
                },
                Err(_) => Next::Stay,
            },
            Action::Input(input) => {
                self.edit(input);
                Next::Stay
            }
            _ => Next::Stay,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let note_rows = if self.note.is_some() { 2 } else { 0 };
        let [note, rest] = split_rows(area, note_rows);
        let [status, rest] = split_rows(rest, 1);
        let [body, hints] = split_rows_bottom(rest, 1);
        if let Some(n) = &self.note {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(n), theme.fg("muted"))).wrap(Wrap { trim: false }),
                note,
            );
        }
        let (text, style) = match &self.parsed {
            Ok(json) => {
                let c = check_schema(json);
                if c.passes() {
                    (
                        "valid JSON · compatibility ok".to_string(),
                        theme.fg("confirmed"),
                    )
                } else {
                    (
                        format!(
                            "valid JSON · {}",
                            [c.errors, c.warnings].concat().join("; ")
                        ),
                        theme.fg("muted"),
                    )
                }
            }
            Err(p) => (format!("invalid, save blocked: {p}"), theme.fg("error")),
        };
        frame.render_widget(Paragraph::new(Span::styled(safe(&text), style)), status);
        let mut ta = self.field.area().clone();
        let r = if self.schema_ref.is_empty() {
            "ref derived at save".to_string()
        } else {
            format!("ref {}", safe(&self.schema_ref))
        };
        ta.set_block(boxed(view, format!("JSON editor · {r}")));
        frame.render_widget(&ta, body);
        let keys = if self.armed {
            "Esc again discards this draft; any other key keeps editing"
        } else {
            "ctrl-s saves (F2: review the ref first) · F3 wizard · Esc back"
        };
        hint(frame, hints, view, keys);
    }
}
