//! Keys in the panes (no modal open): switching panes, moving cursors, and the actions that
//! open a prompt from the Runs or Policy pane.

use super::action::Action;
use super::app::{App, Modal, Pane};
use super::modal::{new_prompt, PromptKind};
use crate::workspace::{Selection, Target};

impl App {
    pub(super) fn update_pane(&mut self, action: Action) {
        match action {
            Action::ToggleHelp => self.modal = Modal::Help,
            Action::NextPane | Action::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = Pane::ALL.len();
                let next = if matches!(action, Action::NextPane) {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.pane = Pane::ALL[next];
            }
            Action::ShowRuns => self.pane = Pane::Runs,
            Action::ShowGrid => self.pane = Pane::Grid,
            Action::ShowSchemas => self.pane = Pane::Schemas,
            Action::ShowPolicy => self.pane = Pane::Policy,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                let page = i64::from(self.grid.height.max(1));
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    _ => page,
                };
                self.move_by(delta);
            }
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::Left if self.pane == Pane::Grid => {
                self.grid.col = self.grid.col.saturating_sub(1)
            }
            Action::Right if self.pane == Pane::Grid => {
                self.grid.col = (self.grid.col + 1).min(self.grid.fields.len().saturating_sub(1))
            }
            Action::Open if self.pane == Pane::Runs => {
                if let Some(id) = self.runs.current().map(|r| r.run_id.clone()) {
                    self.open_run(&id);
                    self.pane = Pane::Grid;
                }
            }
            Action::NewRun => self.open_picker(),
            Action::StartWorker => {
                if let Some(id) = self.target_run() {
                    self.start_worker(&id);
                }
            }
            Action::CancelRun => self.transition(true),
            Action::ResumeRun => self.transition(false),
            Action::ToggleSelect if self.pane == Pane::Grid && self.grid.total() > 0 => {
                let i = self.grid.cursor;
                if !self.grid.selected.remove(&i) {
                    self.grid.selected.insert(i);
                }
                self.move_by(1);
            }
            Action::ConfirmSelected if self.pane == Pane::Grid => {
                let sel = Selection::from_indices(self.grid.targets());
                self.confirm(Target::Blocks(sel));
            }
            Action::ConfirmAllStaged if self.pane == Pane::Grid => self.confirm(Target::AllStaged),
            Action::Reject if self.pane == Pane::Grid => self.reject(),
            Action::Edit if self.pane == Pane::Grid => self.begin_edit(),
            Action::Edit if self.pane == Pane::Policy => self.begin_policy_edit(),
            Action::DiscardEdit if self.pane == Pane::Grid => self.discard(),
            Action::Export => self.begin_export(),
            _ => {}
        }
    }

    fn move_by(&mut self, delta: i64) {
        match self.pane {
            Pane::Runs => self.runs.move_by(delta),
            Pane::Grid => {
                self.grid.move_by(delta);
                if self.grid.clamp() || self.grid.current_row().is_none() {
                    self.reload_grid();
                }
            }
            Pane::Schemas => self.schemas.move_by(delta),
            Pane::Policy => self.policy.move_by(delta),
        }
    }

    /// The run an action applies to: the Runs cursor in the Runs pane, else the grid's run.
    pub(super) fn target_run(&self) -> Option<String> {
        let run = match self.pane {
            Pane::Runs => self.runs.current(),
            _ => self.grid.run.as_ref(),
        };
        run.map(|r| r.run_id.clone())
    }

    fn begin_export(&mut self) {
        let Some(run_id) = self.target_run() else {
            self.error("no run to export");
            return;
        };
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::Export {
                run_id: run_id.clone(),
            },
            format!("Export run {run_id}"),
            "file path; .jsonl, .csv or .md picks the format; add ' staging' or ' both' for \
             unconfirmed values · Enter exports, Esc cancels"
                .into(),
            format!("{run_id}.jsonl"),
        )));
    }

    fn begin_policy_edit(&mut self) {
        let Some(v) = self.policy.current().cloned() else {
            return;
        };
        if !self.policy.is_admin {
            self.error(format!(
                "user '{}' is not a workspace admin: policy is read only here (an admin runs \
                 `blockwise policy admins add {}`)",
                self.user, self.user
            ));
            return;
        }
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::PolicyValue { key: v.key.clone() },
            format!("Set {}", v.key),
            format!(
                "{} · bounds {} · Enter next (reason), Esc cancels",
                v.value_type, v.bounds
            ),
            crate::workspace::display_value(&v.value),
        )));
    }
}
