//! Drawing the wizard: the step tabs, the intent and prompt-config forms, the field tree with
//! its editor, the preview of the prompt and the grid columns, and the save step.

use super::*;

impl Wizard {
    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [steps, rest] = split_rows(area, 1);
        let msg_rows = u16::from(self.message.is_some());
        let [body, rest] = split_rows_bottom(rest, msg_rows + 1);
        let [msg, hints] = split_rows(rest, msg_rows);
        let mut spans = vec![Span::styled("Wizard ", theme.title())];
        for (i, s) in Step::ALL.iter().enumerate() {
            let label = if *s == self.step {
                format!("[{} {}]", i + 1, s.title())
            } else {
                format!(" {} {} ", i + 1, s.title())
            };
            spans.push(if *s == self.step {
                Span::styled(label, theme.selection())
            } else {
                Span::raw(label)
            });
            if i < 4 {
                spans.push(Span::styled("→", theme.fg("muted")));
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), steps);
        match self.step {
            Step::Intent => self.render_rows(
                frame,
                body,
                view,
                "Intent",
                INTENT_ROWS
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.to_string(), self.intent_value(i)))
                    .collect(),
            ),
            Step::Fields => self.render_fields(frame, body, view),
            Step::Prompt => self.render_rows(
                frame,
                body,
                view,
                "Prompt config (empty: the policy default)",
                PROMPT_ROWS
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.to_string(), self.prompt_value(i)))
                    .collect(),
            ),
            Step::Preview => self.render_preview(frame, body, view),
            Step::Save => self.render_save(frame, body, view),
        }
        if let Some(m) = &self.message {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(m), theme.fg("error"))),
                msg,
            );
        }
        let keys = if self.edit.is_some() {
            "typing · Enter keeps the value · Esc drops the change"
        } else if self.armed {
            "Esc again discards this draft; any other key keeps editing"
        } else {
            match self.step {
                Step::Fields if self.editor.is_some() => {
                    "j/k · Enter edit/cycle · space ←/→ choice · Esc list · Tab step · ctrl-s save"
                }
                Step::Fields => {
                    "a add · c nested · d del · J/K move · Enter edit · Tab/1-5 step · ctrl-s save"
                }
                Step::Preview => {
                    "d next doc · +/- blocks (1-3) · j/k scroll · Tab/1-5 step · F3 JSON"
                }
                Step::Save => {
                    "Enter saves · the ref is set in step 1 · Tab/1-5 step · F3 JSON · Esc back"
                }
                _ => "j/k · Enter edit · Tab/1-5 · r refine · u undo · F3 JSON · ctrl-s save · Esc",
            }
        };
        hint(frame, hints, view, keys);
        self.render_refine(frame, body, view);
    }

    /// A label / value form: the cursor row marked, an open one-line edit drawn in place of its
    /// value. `spacing`: screen rows per form row.
    #[allow(clippy::too_many_arguments)]
    fn render_form(
        &self,
        frame: &mut Frame,
        area: Rect,
        view: &View,
        title: String,
        rows: Vec<(String, String)>,
        cursor: usize,
        spacing: u16,
        editing: bool,
    ) {
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let block = boxed(view, title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        for (i, (label, value)) in rows.iter().enumerate() {
            let y = inner.y + i as u16 * spacing;
            if y >= inner.y + inner.height {
                break;
            }
            let line_area = Rect {
                y,
                height: 1,
                ..inner
            };
            let selected = i == cursor;
            let label = format!("{}{label:width$}  ", marker(selected));
            if let (true, true, Some(e)) = (selected, editing, &self.edit) {
                let [l, r] = Layout::default()
                    .direction(Direction::Horizontal)
                    .constraints([Constraint::Length(label.len() as u16), Constraint::Min(1)])
                    .areas(line_area);
                frame.render_widget(Paragraph::new(label), l);
                frame.render_widget(e.field.area(), r);
                continue;
            }
            let style = if selected {
                view.theme.selection()
            } else {
                ratatui::style::Style::default()
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(label, view.theme.fg("muted")),
                    Span::styled(safe(value), style),
                ])),
                line_area,
            );
        }
    }

    /// Intent and Prompt config: one field every other line.
    fn render_rows(
        &self,
        frame: &mut Frame,
        area: Rect,
        view: &View,
        title: &str,
        rows: Vec<(String, String)>,
    ) {
        let editing = self
            .edit
            .as_ref()
            .is_some_and(|e| matches!(e.target, Target::Intent(_) | Target::Prompt(_)));
        self.render_form(
            frame,
            area,
            view,
            title.to_string(),
            rows,
            self.cursor(),
            2,
            editing,
        );
    }

    /// The field tree: one row per field, indented by depth, `?` nullable and `*` required.
    fn render_field_list(&self, frame: &mut Frame, list_area: Rect, view: &View) {
        let theme = view.theme;
        let flat = fields::flatten(&self.model.fields);
        let items: Vec<ListItem> = flat
            .iter()
            .enumerate()
            .map(|(i, (path, depth))| {
                let Some(f) = fields::field(&self.model, path) else {
                    return ListItem::new("");
                };
                let mut ty = fields::value(&self.model, path, Row::Type);
                if f.spec.nullable {
                    ty.push('?');
                }
                let req = if fields::is_required(&self.model, path) {
                    " *"
                } else {
                    ""
                };
                let item = ListItem::new(format!(
                    "{}{}{} : {ty}{req}",
                    marker(i == self.row),
                    "  ".repeat(*depth),
                    safe(&f.name)
                ));
                if i == self.row && self.editor.is_none() {
                    item.style(theme.selection())
                } else if i == self.row {
                    item.style(theme.fg("staged"))
                } else {
                    item
                }
            })
            .collect();
        let title = format!("Fields · {} (* required, ? nullable)", flat.len());
        let list = if items.is_empty() {
            List::new(vec![ListItem::new("no fields yet: a adds one")])
        } else {
            List::new(items)
        };
        frame.render_widget(list.block(boxed(view, title)), list_area);
    }

    fn render_fields(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [list_area, editor_area] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(area);
        self.render_field_list(frame, list_area, view);
        let Some(e) = &self.editor else {
            frame.render_widget(
                Paragraph::new("Enter opens the field editor for the selected field.")
                    .wrap(Wrap { trim: false })
                    .block(boxed(view, "Field".into())),
                editor_area,
            );
            return;
        };
        let Some(f) = fields::field(&self.model, &e.path) else {
            return;
        };
        let rows: Vec<(String, String)> = fields::rows(&f.spec)
            .into_iter()
            .map(|r| {
                (
                    r.label().to_string(),
                    fields::value(&self.model, &e.path, r),
                )
            })
            .collect();
        let editing = self
            .edit
            .as_ref()
            .is_some_and(|x| matches!(x.target, Target::Field(..)));
        self.render_form(
            frame,
            editor_area,
            view,
            format!("Field · {}", safe(&f.name)),
            rows,
            e.row,
            1,
            editing,
        );
    }

    fn render_preview(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let json = self.model.to_schema();
        let mut columns: Vec<String> = crate::tui::kit::draw::GRID_FIXED
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        // In the order the grid will show them: the saved JSON's property order.
        columns.extend(
            crate::workspace::properties(&json)
                .into_iter()
                .flatten()
                .map(|(name, _)| safe(name)),
        );
        let c = check_schema(&json);
        let compat = if c.passes() {
            "ok: the grid shows a column per field".to_string()
        } else {
            safe(&[c.errors, c.warnings].concat().join("; "))
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled("grid columns: ", theme.fg("muted")),
                Span::raw(columns.join(" │ ")),
            ]),
            Line::from(vec![
                Span::styled("compatibility: ", theme.fg("muted")),
                Span::raw(compat),
            ]),
        ];
        let doc = self
            .preview
            .docs
            .as_ref()
            .and_then(|d| d.get(self.preview.doc))
            .map_or("-".to_string(), |(_, t)| safe(t));
        match &self.preview.result {
            Some(Ok(p)) => {
                lines.push(Line::from(Span::styled(
                    format!(
                        "prompt for the first {} block(s) of '{doc}' (d: next document, +/-: 1-3 blocks):",
                        p.blocks
                    ),
                    theme.fg("muted"),
                )));
                lines.push(Line::from(Span::styled("── system ──", theme.title())));
                lines.extend(
                    safe(&p.system_prompt)
                        .lines()
                        .map(|l| Line::from(l.to_string())),
                );
                lines.push(Line::from(Span::styled(
                    "── user message ──",
                    theme.title(),
                )));
                lines.extend(
                    safe(&p.user_message)
                        .lines()
                        .map(|l| Line::from(l.to_string())),
                );
            }
            Some(Err(e)) => lines.push(Line::from(Span::styled(
                format!("no prompt preview: {}", safe(e)),
                theme.fg("error"),
            ))),
            None => lines.push(Line::from("Enter builds the prompt preview")),
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.preview.scroll, 0))
                .block(boxed(view, "Preview".into())),
            area,
        );
    }

    fn render_save(&self, frame: &mut Frame, area: Rect, view: &View) {
        let json = self.model.to_schema();
        let c = check_schema(&json);
        let r = if self.schema_ref.is_empty() {
            format!(
                "{} (derived; set it in step 1)",
                safe(&crate::workspace::derive_ref(&json))
            )
        } else {
            safe(&self.schema_ref)
        };
        let mut lines = vec![
            Line::from(format!("ref: {r}")),
            Line::from(format!(
                "fields: {}   compatibility: {}",
                self.model.fields.len(),
                if c.passes() {
                    "ok".to_string()
                } else {
                    safe(&[c.errors, c.warnings].concat().join("; "))
                }
            )),
            Line::from(Span::styled(
                "Enter saves through the one save boundary (created / unchanged / conflict).",
                view.theme.fg("muted"),
            )),
            Line::from(""),
        ];
        lines.extend(
            safe(&pretty(&json))
                .lines()
                .map(|l| Line::from(l.to_string())),
        );
        frame.render_widget(
            Paragraph::new(lines).block(boxed(view, "Save".into())),
            area,
        );
    }
}

/// The cursor mark, visible without colours too.
fn marker(selected: bool) -> &'static str {
    if selected {
        "› "
    } else {
        "  "
    }
}
