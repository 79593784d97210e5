//! Review and export (SPEC §4): confirm, reject, edit, discard, the review log, and export.

use std::io::Write;
use std::path::Path;

use super::{
    EditOutcome, ExportError, ExportSummary, Format, Mode, ReviewError, ReviewEvent, ReviewOutcome,
    Selection, Target, Workspace,
};
use crate::model::Overlay;
use crate::store::StoreError;

impl Workspace {
    pub fn confirm(&self, run_id: &str, target: &Target) -> Result<ReviewOutcome, ReviewError> {
        crate::review::confirm(&self.store, run_id, target, &self.user)
    }

    pub fn reject(&self, run_id: &str, sel: &Selection) -> Result<ReviewOutcome, ReviewError> {
        crate::review::reject(&self.store, run_id, sel, &self.user)
    }

    /// Set one field of a staged block from the text the user typed.
    pub fn edit(
        &self,
        run_id: &str,
        index: u32,
        field: &str,
        text: &str,
    ) -> Result<EditOutcome, ReviewError> {
        crate::review::edit(&self.store, run_id, index, field, text, &self.user)
    }

    pub fn discard_edit(&self, run_id: &str, index: u32) -> Result<EditOutcome, ReviewError> {
        crate::review::discard_edit(&self.store, run_id, index, &self.user)
    }

    pub fn review_log(&self, run_id: Option<&str>) -> Result<Vec<ReviewEvent>, StoreError> {
        self.store.review_log(run_id)
    }

    pub fn overlay(&self, run_id: &str, index: u32) -> Result<Option<Overlay>, StoreError> {
        self.store.overlay(run_id, index)
    }

    /// Overlays `from..to` of a run, in block order.
    pub fn overlays_range(
        &self,
        run_id: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<Overlay>, StoreError> {
        self.store.overlays_range(run_id, from, to)
    }

    /// Export atomically to `path` (a failed export leaves no partial file).
    pub fn export_to_path(
        &self,
        run_id: &str,
        format: Format,
        mode: Mode,
        path: &Path,
    ) -> Result<ExportSummary, ExportError> {
        crate::export::export_to_path(&self.store, run_id, format, mode, path)
    }

    /// Stream an export to `out`; `target` names it in errors.
    pub fn export_to_writer<W: Write>(
        &self,
        run_id: &str,
        format: Format,
        mode: Mode,
        out: W,
        target: &str,
    ) -> Result<ExportSummary, ExportError> {
        crate::export::export_to_writer(&self.store, run_id, format, mode, out, target)
    }
}
