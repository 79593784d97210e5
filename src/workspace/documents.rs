//! Documents and their blocks: ingest, list, read.

use std::path::Path;

use super::{Error, IngestLimits, IngestReport, Workspace};
use crate::model::{Block, Document};
use crate::store::StoreError;

impl Workspace {
    /// The ingest limits policy sets (read once per batch of files).
    pub fn ingest_limits(&self) -> Result<IngestLimits, Error> {
        Ok(IngestLimits::from_policy(&self.store)?)
    }

    /// Ingest one file (idempotent: the same bytes give the same document).
    pub fn ingest(&self, path: &Path, limits: IngestLimits) -> Result<IngestReport, Error> {
        Ok(crate::ingest::ingest_path(&self.store, path, limits)?)
    }

    pub fn get_document(&self, conv_uid: &str) -> Result<Option<Document>, Error> {
        Ok(self.store.get_document(conv_uid)?)
    }

    pub fn list_documents(&self) -> Result<Vec<Document>, Error> {
        Ok(self.store.list_documents()?)
    }

    /// A document's `conv_uid` from a unique prefix.
    pub fn resolve_document(&self, prefix: &str) -> Result<String, Error> {
        Ok(self.store.resolve_document(prefix)?)
    }

    /// Visit every block of a document in order, without holding them all in memory.
    pub fn for_each_block(
        &self,
        conv_uid: &str,
        visit: impl FnMut(Block) -> Result<(), StoreError>,
    ) -> Result<(), Error> {
        Ok(self.store.for_each_block(conv_uid, visit)?)
    }

    pub fn blocks(&self, conv_uid: &str) -> Result<Vec<Block>, Error> {
        Ok(self.store.blocks(conv_uid)?)
    }

    pub fn blocks_at(&self, conv_uid: &str, indices: &[u32]) -> Result<Vec<Block>, Error> {
        Ok(self.store.blocks_at(conv_uid, indices)?)
    }
}

/// The line `ingest` prints for one file (the TUI shows the same).
pub fn ingest_line(report: &IngestReport) -> String {
    let d = &report.document;
    let status = if report.created { "created" } else { "exists" };
    let hidden = match &d.hidden_skipped {
        Some(h) => format!("  ({} hidden {} skipped)", h.count, h.kind),
        None => String::new(),
    };
    format!(
        "{status:<8} {}  {:>6} blocks  {}{hidden}",
        d.conv_uid, d.total_blocks, d.title
    )
}
