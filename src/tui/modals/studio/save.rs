//! The one save screen every way ends at: the ref field, the draft, and the outcome of the
//! workspace's save boundary. A conflict shows the existing schema beside the new one and puts
//! a free ref (when one resolves it) in the ref field.

use crate::tui::kit::TextInput;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use tui_textarea::{Input, Key};

use super::{
    boxed, hint, is_save, is_switch, line_field, pretty, safe, split_rows, JsonEditor, Next,
    Origin, Screen,
};
use crate::model::Schema;
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::View;
use crate::workspace::{self, derive_ref, templates, SaveOutcome, SchemaError, Workspace};

/// What the last save attempt ran into.
pub struct Conflict {
    pub message: String,
    /// The schema that holds the ref or the content, shown beside the draft.
    pub existing: Option<Schema>,
}

pub struct SaveForm {
    /// The draft. `None`: an unedited fork (the boundary saves a renamed copy of the source).
    pub json: Option<Value>,
    pub origin: Origin,
    /// What an unedited fork copies (shown as the draft).
    source_json: Option<Value>,
    pub ref_field: TextInput,
    pub conflict: Option<Conflict>,
    /// A rejection (invalid ref, bad prompt_config, ...): nothing was written.
    pub error: Option<String>,
    /// The editor this form came from (Esc returns there).
    back: Option<Box<Screen>>,
}

impl SaveForm {
    /// A draft from an editor, a template or an import.
    pub fn draft(json: Value, origin: Origin, schema_ref: &str, back: Option<Screen>) -> SaveForm {
        let r = if schema_ref.trim().is_empty() {
            match &origin {
                Origin::Template(id) => id.clone(),
                _ => derive_ref(&json),
            }
        } else {
            schema_ref.trim().to_string()
        };
        SaveForm {
            json: Some(json),
            origin,
            source_json: None,
            ref_field: line_field(&r),
            conflict: None,
            error: None,
            back: back.map(Box::new),
        }
    }

    /// A fork of `source` under the first free `<ref>_v2`, `_v3`, ...
    pub fn fork(ws: &Workspace, source: &Schema) -> Result<SaveForm, String> {
        let suggested = ws
            .suggest_schema_ref(&source.schema_ref)
            .map_err(|e| e.to_string())?;
        Ok(SaveForm {
            json: None,
            origin: Origin::Fork {
                source_id: source.schema_id.clone(),
                source_ref: source.schema_ref.clone(),
            },
            source_json: Some(source.json.clone()),
            ref_field: line_field(&suggested),
            conflict: None,
            error: None,
            back: None,
        })
    }

    fn typed_ref(&self) -> Option<String> {
        let r = self.ref_field.text().trim().to_string();
        (!r.is_empty()).then_some(r)
    }

    fn shown_json(&self) -> Option<&Value> {
        self.json.as_ref().or(self.source_json.as_ref())
    }

    fn call(&self, ws: &Workspace) -> Result<SaveOutcome, workspace::Error> {
        let schema_ref = self.typed_ref();
        match (&self.origin, &self.json) {
            (Origin::Fork { source_id, .. }, edited) => {
                ws.fork_schema(source_id, schema_ref, edited.clone())
            }
            (Origin::Template(id), Some(json)) if template_unchanged(id, json) => {
                ws.schema_from_template(id, schema_ref)
            }
            (_, Some(json)) => ws.save_schema(json.clone(), schema_ref),
            (_, None) => Err(SchemaError::NotAnObject { found: "nothing" }.into()),
        }
    }

    /// Save through the boundary: closes on created / unchanged, stays on a conflict or a
    /// rejection (nothing written) with the reason.
    pub fn save(&mut self, ws: &Workspace) -> Next {
        self.error = None;
        match self.call(ws) {
            Ok(outcome) => {
                let s = outcome.schema();
                let msg = match &outcome {
                    SaveOutcome::Created(_) => format!(
                        "created schema '{}' ({}, uid {}…)",
                        safe(&s.schema_ref),
                        s.schema_id,
                        &s.schema_uid[..12.min(s.schema_uid.len())]
                    ),
                    SaveOutcome::Unchanged(_) => format!(
                        "unchanged: schema '{}' already holds exactly this content; nothing was \
                         written",
                        safe(&s.schema_ref)
                    ),
                };
                Next::Close(vec![
                    Effect::Info(msg),
                    Effect::SchemasChanged(Some(s.schema_id.clone())),
                ])
            }
            Err(workspace::Error::Schema(SchemaError::RefConflict {
                schema_ref,
                existing_id,
                suggested_ref,
                ..
            })) => {
                self.conflict = Some(Conflict {
                    message: format!(
                        "conflict: ref '{}' is taken by a schema with different content (right). \
                         The free ref '{}' is in the ref field: Enter saves under it, or type \
                         another. Nothing was written.",
                        safe(&schema_ref),
                        safe(&suggested_ref)
                    ),
                    existing: ws.get_schema(&existing_id).ok().flatten(),
                });
                self.ref_field = line_field(&suggested_ref);
                Next::Stay
            }
            Err(workspace::Error::Schema(SchemaError::ContentConflict {
                existing_ref,
                existing_id,
                ..
            })) => {
                self.conflict = Some(Conflict {
                    message: format!(
                        "conflict: this content is already saved as '{}' (right); use that \
                         schema, or change the content (F3 edits it) before saving. Nothing was \
                         written.",
                        safe(&existing_ref)
                    ),
                    existing: ws.get_schema(&existing_id).ok().flatten(),
                });
                Next::Stay
            }
            Err(e) => {
                self.error = Some(format!("{e}"));
                Next::Stay
            }
        }
    }

    pub fn update(&mut self, action: Action, ws: &Workspace) -> Next {
        match action {
            Action::Cancel => match self.back.take() {
                Some(back) => Next::Go(*back),
                None => Next::Back,
            },
            Action::Submit => self.save(ws),
            Action::Input(input) if is_save(&input) => self.save(ws),
            Action::Input(input) if is_switch(&input) => self.edit_as_json(),
            Action::Input(Input {
                key: Key::Enter, ..
            }) => self.save(ws),
            Action::Input(input) => {
                self.ref_field.input(input);
                Next::Stay
            }
            _ => Next::Stay,
        }
    }

    /// F3: edit the draft's JSON before saving (a fork stays a fork).
    fn edit_as_json(&mut self) -> Next {
        let Some(json) = self.shown_json() else {
            return Next::Stay;
        };
        Next::Go(Screen::Json(Box::new(JsonEditor::new(
            &pretty(json),
            self.origin.clone(),
            self.typed_ref().unwrap_or_default(),
        ))))
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let what = match &self.origin {
            Origin::New => "new schema".to_string(),
            Origin::Template(id) => format!("from template {}", safe(id)),
            Origin::Fork { source_ref, .. } => {
                format!("fork of {} (original untouched)", safe(source_ref))
            }
        };
        let [top, rest] = split_rows(area, 3);
        let mut field = self.ref_field.area().clone();
        field.set_block(boxed(view, format!("Save · {what} · ref")));
        frame.render_widget(&field, top);
        let msg_rows = if self.conflict.is_some() || self.error.is_some() {
            3
        } else {
            0
        };
        let [msg, rest] = split_rows(rest, msg_rows);
        let [body, hints] = super::split_rows_bottom(rest, 1);
        if let Some(text) = self
            .conflict
            .as_ref()
            .map(|c| c.message.clone())
            .or_else(|| self.error.as_ref().map(|e| format!("refused: {e}")))
        {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(&text), theme.fg("error")))
                    .wrap(Wrap { trim: false }),
                msg,
            );
        }
        let draft = self.shown_json().map(pretty).unwrap_or_default();
        let compat = self
            .shown_json()
            .map(crate::workspace::check_schema)
            .unwrap_or_default();
        let mut lines = vec![Line::from(Span::styled(
            if compat.passes() {
                "compatibility: ok".to_string()
            } else {
                format!(
                    "compatibility: {}",
                    safe(&[compat.errors, compat.warnings].concat().join("; "))
                )
            },
            theme.fg("muted"),
        ))];
        lines.extend(safe(&draft).lines().map(|l| Line::from(l.to_string())));
        let draft_view = Paragraph::new(lines).block(boxed(view, "draft".into()));
        match self.conflict.as_ref().and_then(|c| c.existing.as_ref()) {
            Some(existing) => {
                let [l, r] = Layout::default()
                    .direction(Direction::Horizontal)
                    .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(body);
                frame.render_widget(draft_view, l);
                frame.render_widget(
                    Paragraph::new(safe(&pretty(&existing.json))).block(boxed(
                        view,
                        format!(
                            "existing · {} · uid {}",
                            safe(&existing.schema_ref),
                            &existing.schema_uid[..8.min(existing.schema_uid.len())]
                        ),
                    )),
                    r,
                );
            }
            None => frame.render_widget(draft_view, body),
        }
        hint(
            frame,
            hints,
            view,
            "Enter / ctrl-s / F2 saves · type to change the ref · F3 edit the JSON · Esc back",
        );
    }
}

fn template_unchanged(id: &str, json: &Value) -> bool {
    templates()
        .ok()
        .and_then(|all| all.into_iter().find(|t| t.id == id))
        .is_some_and(|t| &t.schema == json)
}
