//! Review in the Grid pane: confirm, reject, discard a draft edit, and begin a cell edit.

use super::app::{App, Modal};
use super::grid::compact;
use super::modal::{new_prompt, PromptKind};
use crate::workspace::{Selection, Target};

impl App {
    fn grid_run_id(&mut self) -> Option<String> {
        let id = self.grid.run.as_ref().map(|r| r.run_id.clone());
        if id.is_none() {
            self.error("no run open: pick one in the Runs pane and press Enter");
        }
        id
    }

    pub(super) fn after_review(&mut self) {
        self.stale = true;
        self.flush();
    }

    pub(super) fn confirm(&mut self, target: Target) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        match self.ws.confirm(&run_id, &target) {
            Ok(out) => {
                self.grid.selected.clear();
                self.info(format!("confirmed {} block(s): {}", out.count, out.blocks));
            }
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    pub(super) fn reject(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        let sel = Selection::from_indices(self.grid.targets());
        match self.ws.reject(&run_id, &sel) {
            Ok(out) => {
                self.grid.selected.clear();
                self.info(format!(
                    "rejected {} block(s) back to pending: {} (s runs the worker again)",
                    out.count, out.blocks
                ));
            }
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    pub(super) fn discard(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        match self.ws.discard_edit(&run_id, self.grid.cursor) {
            Ok(out) => self.info(format!(
                "block {}: draft edit discarded, back to the model's answer",
                out.block_index
            )),
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    pub(super) fn begin_edit(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        let Some(field) = self.grid.current_field().map(str::to_string) else {
            self.error("this run's schema has no top-level properties to edit");
            return;
        };
        let Some(row) = self.grid.current_row() else {
            return;
        };
        if row.status != crate::model::OverlayStatus::AiComplete {
            self.error(format!(
                "block {} is {}: only staged blocks can be edited",
                row.index,
                row.status.as_str()
            ));
            return;
        }
        let current = row
            .value
            .as_ref()
            .and_then(|v| v.get(&field))
            .map(compact)
            .unwrap_or_default();
        let index = row.index;
        let ty = self
            .grid
            .schema
            .as_ref()
            .and_then(crate::workspace::properties)
            .and_then(|p| p.get(&field))
            .map(|s| serde_json::to_string(s).unwrap_or_default())
            .unwrap_or_default();
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::EditCell {
                run_id,
                index,
                field: field.clone(),
            },
            format!("Edit block {index} · {field}"),
            format!("Enter saves, Esc cancels · schema {ty}"),
            current,
        )));
    }
}
