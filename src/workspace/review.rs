//! Review and export (SPEC §4): confirm, reject, edit, discard, the review log, and export.

use std::io::Write;
use std::path::Path;

use std::sync::Arc;

use super::{
    BlockFilter, EditOutcome, Error, ExportSummary, Format, Mode, ReviewAction, ReviewEvent,
    ReviewOutcome, Selection, Target, Undo, Workspace,
};
use crate::model::{Overlay, OverlayStatus, Run};
use crate::store::StoreError;

impl Workspace {
    pub fn confirm(&self, run_id: &str, target: &Target) -> Result<ReviewOutcome, Error> {
        Ok(crate::review::confirm(
            &self.store,
            run_id,
            target,
            &self.user,
        )?)
    }

    /// Every staged block of each run (a group's members) confirmed in one transaction, one
    /// review event per run that changed; a refusal anywhere confirms nothing.
    pub fn confirm_all_staged(&self, run_ids: &[String]) -> Result<Vec<ReviewOutcome>, Error> {
        Ok(crate::review::confirm_all_staged(
            &self.store,
            run_ids,
            &self.user,
        )?)
    }

    pub fn reject(&self, run_id: &str, sel: &Selection) -> Result<ReviewOutcome, Error> {
        Ok(crate::review::reject(&self.store, run_id, sel, &self.user)?)
    }

    /// Reject with the reviewer's reason kept in the review log.
    pub fn reject_with_reason(
        &self,
        run_id: &str,
        sel: &Selection,
        reason: Option<&str>,
    ) -> Result<ReviewOutcome, Error> {
        Ok(crate::review::reject_with_reason(
            &self.store,
            run_id,
            sel,
            &self.user,
            reason,
        )?)
    }

    /// Confirmed blocks back to staged, logged with who and when.
    pub fn unconfirm(&self, run_id: &str, sel: &Selection) -> Result<ReviewOutcome, Error> {
        Ok(crate::review::unconfirm(
            &self.store,
            run_id,
            sel,
            &self.user,
        )?)
    }

    /// Reverse one earlier review action (`of`, logged as event `seq`) as a new `undo` event.
    pub fn undo(
        &self,
        run_id: &str,
        what: &Undo,
        of: ReviewAction,
        seq: Option<u64>,
    ) -> Result<ReviewOutcome, Error> {
        Ok(crate::review::undo(
            &self.store,
            run_id,
            what,
            of,
            seq,
            &self.user,
        )?)
    }

    /// The first block at or after `from` (`forward`), else the last before `from`, with `status`
    /// (an index lookup).
    pub fn next_with_status(
        &self,
        run_id: &str,
        status: OverlayStatus,
        from: u32,
        forward: bool,
    ) -> Result<Option<u32>, Error> {
        Ok(self.store.next_with_status(run_id, status, from, forward)?)
    }

    /// Block indices of a run with `status`, ascending (index scan, no overlay decoded).
    pub fn indices_with_status(
        &self,
        run_id: &str,
        status: OverlayStatus,
    ) -> Result<Vec<u32>, Error> {
        Ok(self.store.indices_with_status(run_id, status)?)
    }

    /// The blocks of `run` that `filter` keeps, ascending.
    pub fn filter_blocks(&self, run: &Run, filter: &BlockFilter) -> Result<Arc<[u32]>, Error> {
        Ok(filter.apply(&self.store, run)?)
    }

    /// The blocks of `run` whose content or shown value contains `query`, ignoring case.
    pub fn search_blocks(&self, run: &Run, query: &str) -> Result<Arc<[u32]>, Error> {
        Ok(crate::review::find_blocks(&self.store, run, query)?)
    }

    /// Visit a run's overlays in block order (memory stays flat).
    pub fn for_each_overlay(
        &self,
        run_id: &str,
        visit: impl FnMut(Overlay) -> Result<(), StoreError>,
    ) -> Result<(), Error> {
        Ok(self.store.for_each_overlay(run_id, visit)?)
    }

    /// Set one field of a staged block from the text the user typed.
    pub fn edit(
        &self,
        run_id: &str,
        index: u32,
        field: &str,
        text: &str,
    ) -> Result<EditOutcome, Error> {
        Ok(crate::review::edit(
            &self.store,
            run_id,
            index,
            field,
            text,
            &self.user,
        )?)
    }

    pub fn discard_edit(&self, run_id: &str, index: u32) -> Result<EditOutcome, Error> {
        Ok(crate::review::discard_edit(
            &self.store,
            run_id,
            index,
            &self.user,
        )?)
    }

    pub fn review_log(&self, run_id: Option<&str>) -> Result<Vec<ReviewEvent>, Error> {
        Ok(self.store.review_log(run_id)?)
    }

    pub fn overlay(&self, run_id: &str, index: u32) -> Result<Option<Overlay>, Error> {
        Ok(self.store.overlay(run_id, index)?)
    }

    /// Overlays `from..to` of a run, in block order.
    pub fn overlays_range(&self, run_id: &str, from: u32, to: u32) -> Result<Vec<Overlay>, Error> {
        Ok(self.store.overlays_range(run_id, from, to)?)
    }

    /// Export atomically to `path` (a failed export leaves no partial file); refused, writing
    /// nothing, when a value it would export does not obey the run's schema.
    pub fn export_to_path(
        &self,
        run_id: &str,
        format: Format,
        mode: Mode,
        path: &Path,
    ) -> Result<ExportSummary, Error> {
        crate::export::check_exportable(&self.store, run_id, mode)?;
        Ok(crate::export::export_to_path(
            &self.store,
            run_id,
            format,
            mode,
            path,
        )?)
    }

    /// Stream an export to `out`; `target` names it in errors. Refused like
    /// [`Self::export_to_path`] before anything is written.
    pub fn export_to_writer<W: Write>(
        &self,
        run_id: &str,
        format: Format,
        mode: Mode,
        out: W,
        target: &str,
    ) -> Result<ExportSummary, Error> {
        crate::export::check_exportable(&self.store, run_id, mode)?;
        Ok(crate::export::export_to_writer(
            &self.store,
            run_id,
            format,
            mode,
            out,
            target,
        )?)
    }
}
