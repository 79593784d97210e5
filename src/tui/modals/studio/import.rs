//! Import a JSON file: a path prompt, then the import classification decides where it goes —
//! invalid: the error with line and column, nothing else happens; inside the wizard's subset:
//! the wizard; anything else: the raw JSON editor (with the reasons).

use crate::tui::kit::TextInput;
use std::path::Path;

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{Input, Key};

use super::{
    boxed, hint, safe, split_rows, split_rows_bottom, JsonEditor, Next, Origin, Screen, Wizard,
};
use crate::tui::kit::Action;
use crate::tui::kit::View;
use crate::workspace::{classify_schema, ImportClass, WizardModel};

/// Largest file the studio reads (a schema is small; this keeps a wrong path from eating memory).
const MAX_BYTES: u64 = 4 * 1024 * 1024;

pub struct ImportForm {
    /// A path field: Tab completes.
    pub path: TextInput,
    pub error: Option<String>,
}

impl Default for ImportForm {
    fn default() -> Self {
        ImportForm::new()
    }
}

impl ImportForm {
    pub fn new() -> ImportForm {
        ImportForm {
            path: TextInput::path(""),
            error: None,
        }
    }

    pub fn update(&mut self, action: Action) -> Next {
        match action {
            Action::Cancel => Next::Back,
            Action::Submit
            | Action::Input(Input {
                key: Key::Enter, ..
            }) => {
                let text = self.path.text();
                match open(Path::new(text.trim())) {
                    Ok(screen) => Next::Go(screen),
                    Err(e) => {
                        self.error = Some(e);
                        Next::Stay
                    }
                }
            }
            Action::Input(input) => {
                let tab = input.key == Key::Tab;
                self.path.input(input);
                if tab {
                    self.error = self.path.note().map(str::to_string);
                }
                Next::Stay
            }
            _ => Next::Stay,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [field, rest] = split_rows(area, 3);
        let [body, hints] = split_rows_bottom(rest, 1);
        let mut ta = self.path.area().clone();
        ta.set_block(boxed(view, "Import a JSON schema file · path".into()));
        frame.render_widget(&ta, field);
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!("refused: {}", safe(e)),
                    view.theme.fg("error"),
                ))
                .wrap(Wrap { trim: false }),
                body,
            );
        }
        hint(
            frame,
            hints,
            view,
            "Tab completes · Enter opens it in the wizard (or the JSON editor) · Esc back",
        );
    }
}

/// Read and classify `path`: the screen to continue on, or why not (line and column when the
/// JSON does not parse).
pub fn open(path: &Path) -> Result<Screen, String> {
    if path.as_os_str().is_empty() {
        return Err("type the path of a .json file".into());
    }
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a file"));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{shown}: {} bytes; a schema file may be at most {MAX_BYTES} bytes",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("{shown}: not UTF-8 text ({e})"))?;
    match classify_schema(&text) {
        ImportClass::Invalid {
            reason,
            line,
            column,
        } => Err(match (line, column) {
            (Some(l), Some(c)) => format!("{shown}: line {l}, column {c}: {reason}"),
            _ => format!("{shown}: {reason}"),
        }),
        ImportClass::WizardEditable { json } => {
            let model = WizardModel::from_schema(&json).map_err(|e| e.to_string())?;
            let mut w = Wizard::new(model, Origin::New, String::new());
            w.message = Some(format!("imported {shown}: every part fits the wizard"));
            Ok(Screen::Wizard(Box::new(w)))
        }
        ImportClass::Advanced { reasons, .. } => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let mut e = JsonEditor::new(text, Origin::New, String::new());
            e.note = Some(format!(
                "imported {shown}: outside the wizard's subset, so the JSON editor: {}",
                reasons.join("; ")
            ));
            Ok(Screen::Json(Box::new(e)))
        }
    }
}
