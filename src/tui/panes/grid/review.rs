//! Review from the grid: confirm (and move on), reject with a reason, confirm-all after a
//! question, and the cell editor `e` opens (an enum picker, a yes/no, a JSON or text prompt).

use serde_json::Value;

use super::{no_run, GridPane, GridRow};
use crate::model::OverlayStatus;
use crate::tui::kit::text::{compact, thousands};
use crate::tui::kit::{Effect, Job, Reply};
use crate::tui::modals::{Ask, EnumPicker, Prompt, PromptKind};
use crate::workspace::{properties, Selection, Target, Workspace};

impl GridPane {
    /// A review job on the open run, or the reason there is none.
    pub(super) fn review(&self, job: impl FnOnce(String) -> Job) -> Vec<Effect> {
        match &self.run {
            Some(run) => vec![Effect::Job(job(run.run_id.clone()), Reply::Status)],
            None => vec![no_run()],
        }
    }

    /// One review job per run the selection `sel` (row keys) touches.
    pub(super) fn review_each(
        &self,
        sel: &Selection,
        job: impl Fn(String, Selection) -> Job,
    ) -> Vec<Effect> {
        if self.run.is_none() {
            return vec![no_run()];
        }
        self.review_parts(sel)
            .into_iter()
            .map(|(run_id, part)| Effect::Job(job(run_id, part), Reply::Status))
            .collect()
    }

    /// Accept-and-next: confirm the targets, then go to the next block needing review.
    pub(super) fn confirm_and_next(&mut self, ws: &Workspace) -> Vec<Effect> {
        let sel = self.take_targets();
        if sel.is_empty() {
            return Vec::new();
        }
        let next = self.next_needing_review(ws, &sel);
        let mut fx = self.review_each(&sel, |run_id, part| Job::Confirm {
            run_id,
            target: Target::Blocks(part),
        });
        if let Some(i) = next {
            fx.extend(self.goto(i, ws));
        }
        fx
    }

    /// Ask for an optional reason, then reject the targets and move on.
    pub(super) fn begin_reject(&mut self, ws: &Workspace) -> Vec<Effect> {
        if self.run.is_none() {
            return vec![no_run()];
        }
        let selection = self.take_targets();
        if selection.is_empty() {
            return Vec::new();
        }
        let next = self.next_needing_review(ws, &selection);
        let parts = self.review_parts(&selection);
        let title = match parts.as_slice() {
            [(_, one)] => format!("Reject {} block(s): {one}", one.len()),
            _ => format!(
                "Reject {} block(s) in {} documents",
                selection.len(),
                parts.len()
            ),
        };
        let prompt = Prompt::new(
            PromptKind::RejectReason { parts, title, next },
            String::new(),
            "optional reason, kept in the review log · Enter rejects, Esc cancels".into(),
            String::new(),
        );
        vec![Effect::Open(Box::new(prompt))]
    }

    /// `A`: ask first, with the count; on a run, offer to confirm only the clean ones.
    pub(super) fn ask_confirm_all(&self, ws: &Workspace) -> Vec<Effect> {
        if let Some(g) = &self.group {
            let n = g.counters().ai_complete;
            if n == 0 {
                return vec![Effect::Info(
                    "no staged blocks to confirm in this group".into(),
                )];
            }
            let with = match g.staged_members(ws) {
                Ok(n) => n,
                Err(e) => return vec![Effect::Error(format!("cannot read the group: {e}"))],
            };
            let ask = Ask::new(
                format!(
                    "Confirm all {} staged blocks of {with} of the {} documents of group {}?",
                    thousands(n),
                    g.len(),
                    g.group.group_id
                ),
                Job::ConfirmAll {
                    group_id: g.group.group_id.clone(),
                    run_ids: g.group.run_ids.clone(),
                },
            );
            return vec![Effect::Open(Box::new(ask))];
        }
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let n = run.counters.ai_complete;
        if n == 0 {
            return vec![Effect::Info("no staged blocks to confirm".into())];
        }
        let all = Job::Confirm {
            run_id: run.run_id.clone(),
            target: Target::AllStaged,
        };
        let plain = || {
            format!(
                "Confirm all {} staged blocks of run {}?",
                thousands(n),
                run.run_id
            )
        };
        let ask = match self.look_now(ws) {
            Some(Ok(set)) if !set.look.is_empty() && !set.clean.is_empty() => {
                let label = format!(
                    "confirm only the {} clean ones",
                    thousands(set.clean.len() as u32)
                );
                let clean = Job::Confirm {
                    run_id: run.run_id.clone(),
                    target: Target::Blocks(Selection::from_indices(set.clean.iter().copied())),
                };
                Ask::new(super::look::confirm_question(&run.run_id, n, &set), all)
                    .with_other('c', label, clean)
            }
            Some(Err(e)) => {
                return vec![Effect::Error(format!("cannot tell what needs a look: {e}"))]
            }
            _ => Ask::new(plain(), all),
        };
        vec![Effect::Open(Box::new(ask))]
    }

    /// Open the editor that fits the current field: a picker for an enum, a toggle for a
    /// boolean, a multi-line JSON editor for an array or object, else the one-line prompt.
    pub(super) fn begin_edit(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let Some(field) = self.current_field().map(str::to_string) else {
            return vec![Effect::Error(
                "this run's schema has no top-level properties to edit".into(),
            )];
        };
        let Some(row) = self.current_row() else {
            return Vec::new();
        };
        let salvage = row.status == OverlayStatus::Failed && row.invalid_answer.is_some();
        if row.status != OverlayStatus::AiComplete && !salvage {
            return vec![Effect::Error(format!(
                "block {} is {}: only staged blocks, and failed ones that kept the model's \
                 answer, can be edited",
                row.block,
                row.status.as_str()
            ))];
        }
        let current = row
            .value
            .as_ref()
            .or(row.invalid_answer.as_ref())
            .and_then(|v| v.get(&field))
            .map(compact)
            .unwrap_or_default();
        let field_schema = self
            .schema
            .as_ref()
            .and_then(properties)
            .and_then(|p| p.get(&field))
            .cloned()
            .unwrap_or(Value::Null);
        cell_editor(&run.run_id, row, field, current, &field_schema)
    }
}

/// The editor for one cell by its schema: an enum picker, a yes/no flip, the multi-line JSON
/// editor or a text prompt.
fn cell_editor(
    run_id: &str,
    row: &GridRow,
    field: String,
    current: String,
    field_schema: &Value,
) -> Vec<Effect> {
    let ty = serde_json::to_string(field_schema).unwrap_or_default();
    let kind = field_kind(field_schema);
    if let FieldKind::Enum(members) = &kind {
        let picker = EnumPicker::new(
            run_id.to_string(),
            row.block,
            field,
            members.clone(),
            &current,
        );
        return vec![Effect::Open(Box::new(picker))];
    }
    if kind == FieldKind::Boolean {
        let text = if current == "true" { "false" } else { "true" };
        return vec![Effect::Job(
            Job::Edit {
                run_id: run_id.to_string(),
                index: row.block,
                field,
                text: text.into(),
            },
            Reply::Status,
        )];
    }
    if kind == FieldKind::Json {
        let pretty = row
            .value
            .as_ref()
            .or(row.invalid_answer.as_ref())
            .and_then(|v| v.get(&field))
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or_default();
        let mut prompt = Prompt::new(
            PromptKind::EditCell {
                run_id: run_id.to_string(),
                index: row.block,
                field: field.clone(),
            },
            format!("Edit block {} · {field} (JSON)", row.block),
            format!("Enter: new line · ctrl-s saves, Esc cancels · schema {ty}"),
            pretty,
        );
        prompt.set_multiline();
        return vec![Effect::Open(Box::new(prompt))];
    }
    let prompt = Prompt::new(
        PromptKind::EditCell {
            run_id: run_id.to_string(),
            index: row.block,
            field: field.clone(),
        },
        format!("Edit block {} · {field}", row.block),
        format!("Enter saves, Esc cancels · schema {ty}"),
        current,
    );
    vec![Effect::Open(Box::new(prompt))]
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FieldKind {
    /// Members shown as they are typed (strings bare).
    Enum(Vec<String>),
    Boolean,
    /// An array or object: the multi-line JSON editor.
    Json,
    Text,
}

pub(super) fn field_kind(schema: &Value) -> FieldKind {
    if let Some(members) = schema.get("enum").and_then(Value::as_array) {
        return FieldKind::Enum(members.iter().map(compact).collect());
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| *t == "array" || *t == "object") {
        FieldKind::Json
    } else if types == ["boolean"] {
        FieldKind::Boolean
    } else {
        FieldKind::Text
    }
}
