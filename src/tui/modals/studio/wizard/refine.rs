//! `r` in the wizard (issue 26): one line of instruction sent with the draft to the provider
//! the proposal came from (the offline demo otherwise); the answer is shown as a field diff to
//! accept (Enter) or drop (Esc); `u` undoes the last accepted refinement. Nothing is saved here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;

use super::{boxed, line_field, plain_char, safe, Next, Wizard};
use crate::tui::kit::{Action, Effect, Job, Reply, TextInput, View};
use crate::tui::modals::studio::describe::{next_ask, Busy};
use crate::workspace::{schema_refine, AssistOutcome, AssistTask, WizardModel};

/// A refinement's answer waiting for Enter (accept) or Esc (drop).
pub struct Pending {
    pub schema: Value,
    pub changes: Vec<String>,
    pub from: String,
}

#[derive(Default)]
pub struct Refine {
    /// The instruction being typed.
    pub prompt: Option<TextInput>,
    pub busy: Option<Busy>,
    pub pending: Option<Pending>,
    /// Drafts before each accepted refinement, newest last.
    pub undo: Vec<WizardModel>,
}

impl Refine {
    pub fn is_open(&self) -> bool {
        self.prompt.is_some() || self.busy.is_some() || self.pending.is_some()
    }
}

impl Wizard {
    /// Keys the refinement takes: everything while it is open, `r` and `u` otherwise (not while
    /// a line is being edited). `None`: not its key.
    pub(super) fn refine_update(&mut self, action: &Action) -> Option<Next> {
        if let Some(b) = &self.refine.busy {
            if matches!(action, Action::Cancel) {
                b.cancel.store(true, Ordering::Relaxed);
            }
            return Some(Next::Stay);
        }
        if self.refine.pending.is_some() {
            match action {
                Action::Submit => self.accept(),
                Action::Cancel => {
                    self.refine.pending = None;
                    self.message = Some("refinement dropped; the draft is as it was".into());
                }
                _ => {}
            }
            return Some(Next::Stay);
        }
        if let Some(mut prompt) = self.refine.prompt.take() {
            return Some(match action {
                Action::Cancel => Next::Stay,
                Action::Submit => self.send(prompt.text().trim()),
                Action::Input(input) => {
                    prompt.input(input.clone());
                    self.refine.prompt = Some(prompt);
                    Next::Stay
                }
                _ => {
                    self.refine.prompt = Some(prompt);
                    Next::Stay
                }
            });
        }
        let Action::Input(input) = action else {
            return None;
        };
        if self.edit.is_some() {
            return None;
        }
        match plain_char(input) {
            Some('r') => {
                self.refine.prompt = Some(line_field(""));
                self.message = None;
                Some(Next::Stay)
            }
            Some('u') => {
                self.message = Some(match self.refine.undo.pop() {
                    Some(before) => {
                        self.model = before;
                        "undid the last accepted refinement".into()
                    }
                    None => "no accepted refinement to undo".into(),
                });
                Some(Next::Stay)
            }
            _ => None,
        }
    }

    fn with(&self) -> (String, Option<String>) {
        match &self.assist {
            Some(a) => (a.provider.clone(), a.model.clone()),
            None => ("demo".into(), None),
        }
    }

    fn send(&mut self, instruction: &str) -> Next {
        if instruction.is_empty() {
            self.message = Some("the instruction is empty; nothing was sent".into());
            return Next::Stay;
        }
        let (provider, model) = self.with();
        let ask = next_ask();
        let cancel = Arc::new(AtomicBool::new(false));
        self.refine.busy = Some(Busy {
            ask,
            since: Instant::now(),
            cancel: cancel.clone(),
            what: format!("refining with {provider}"),
        });
        let task = AssistTask::Refine {
            draft: self.model.to_schema(),
            instruction: instruction.to_string(),
        };
        let job = Job::Assist {
            ask,
            task,
            provider,
            model,
            cancel,
        };
        Next::Run(vec![Effect::Job(job, Reply::Status)])
    }

    /// A refinement came back: its diff waits for Enter / Esc; a refusal is said.
    pub fn refine_done(&mut self, ask: u64, result: Result<Box<AssistOutcome>, String>) {
        if self.refine.busy.as_ref().is_none_or(|b| b.ask != ask) {
            return;
        }
        self.refine.busy = None;
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                self.message = Some(format!("refinement refused: {e}; the draft is as it was"));
                return;
            }
        };
        let before = self.model.to_schema();
        let changes: Vec<String> = schema_refine::field_diff(&before, &outcome.schema)
            .iter()
            .map(ToString::to_string)
            .collect();
        if changes.is_empty() {
            self.message = Some("the refinement changed no field; the draft is as it was".into());
            return;
        }
        let from = match outcome.label {
            Some(l) => format!("{l} (offline)"),
            None => format!("{} {}", outcome.provider, outcome.model),
        };
        self.refine.pending = Some(Pending {
            schema: outcome.schema.clone(),
            changes,
            from,
        });
    }

    fn accept(&mut self) {
        let Some(p) = self.refine.pending.take() else {
            return;
        };
        match WizardModel::from_schema(&p.schema) {
            Ok(model) => {
                let before = std::mem::replace(&mut self.model, model);
                self.refine.undo.push(before);
                self.message = Some(format!(
                    "accepted {} change(s) · u undoes · nothing is saved until the Save step",
                    p.changes.len()
                ));
            }
            Err(e) => self.message = Some(format!("cannot open the refinement: {e}")),
        }
    }

    /// The refinement panel over the lower part of the wizard, when one is open.
    pub(super) fn render_refine(&self, frame: &mut Frame, area: Rect, view: &View) {
        let r = &self.refine;
        if !r.is_open() {
            return;
        }
        let theme = view.theme;
        let (title, mut lines, keys) = if let Some(b) = &r.busy {
            (
                "Refine",
                vec![Line::from(Span::styled(b.line(), theme.fg("title")))],
                "Esc cancels",
            )
        } else if let Some(p) = &r.pending {
            let lines = p
                .changes
                .iter()
                .map(|c| Line::from(Span::styled(safe(c), theme.fg(change_role(c)))))
                .collect();
            (
                "Refinement · field changes",
                lines,
                "Enter accepts · Esc drops",
            )
        } else {
            (
                "Refine · one instruction, e.g. \"add owner\"",
                vec![],
                "Enter sends · Esc closes",
            )
        };
        let from = r
            .pending
            .as_ref()
            .map(|p| format!(" from {}", safe(&p.from)));
        lines.push(Line::from(Span::styled(
            format!("{keys}{}", from.unwrap_or_default()),
            theme.fg("muted"),
        )));
        let want = lines.len() as u16 + 2 + u16::from(r.prompt.is_some());
        let h = want.min(area.height);
        let panel = Rect {
            y: area.y + area.height - h,
            height: h,
            ..area
        };
        frame.render_widget(Clear, panel);
        let block = boxed(view, title.into());
        let inner = block.inner(panel);
        frame.render_widget(block, panel);
        let [field, text] = super::split_rows(inner, u16::from(r.prompt.is_some()));
        if let Some(p) = &r.prompt {
            frame.render_widget(p.area(), field);
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    }
}

fn change_role(change: &str) -> &'static str {
    match change.chars().next() {
        Some('+') => "confirmed",
        Some('-') => "error",
        _ => "text",
    }
}
