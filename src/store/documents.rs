//! Documents and their immutable blocks.

use redb::ReadableTable;

use super::tables::{BLOCKS, DOCUMENTS, SOURCES};
use super::{Store, StoreError};
use crate::model::{Block, Document};

/// What `insert_document` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created,
    /// The same conversion was already stored; nothing was written.
    AlreadyPresent,
}

impl Store {
    /// Store a document and all its blocks in one write transaction. If `conv_uid` is already
    /// present nothing is written (ingest is idempotent).
    pub fn insert_document(
        &self,
        doc: &Document,
        blocks: &[Block],
    ) -> Result<InsertOutcome, StoreError> {
        if self.get_document(&doc.conv_uid)?.is_some() {
            return Ok(InsertOutcome::AlreadyPresent);
        }
        let tx = self.write()?;
        {
            let mut docs = tx.open_table(DOCUMENTS)?;
            // Re-check inside the write transaction: another process may have won the race.
            if docs.get(doc.conv_uid.as_str())?.is_some() {
                return Ok(InsertOutcome::AlreadyPresent);
            }
            docs.insert(doc.conv_uid.as_str(), serde_json::to_vec(doc)?.as_slice())?;
            let mut sources = tx.open_table(SOURCES)?;
            sources.insert(doc.source_uid.as_str(), doc.conv_uid.as_str())?;
            let mut table = tx.open_table(BLOCKS)?;
            let mut buf = Vec::with_capacity(1024);
            for block in blocks {
                buf.clear();
                serde_json::to_writer(&mut buf, block)?;
                table.insert((doc.conv_uid.as_str(), block.block_index), buf.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(InsertOutcome::Created)
    }

    pub fn get_document(&self, conv_uid: &str) -> Result<Option<Document>, StoreError> {
        let tx = self.read()?;
        let docs = tx.open_table(DOCUMENTS)?;
        match docs.get(conv_uid)? {
            Some(raw) => Ok(Some(serde_json::from_slice(raw.value())?)),
            None => Ok(None),
        }
    }

    /// The conversion a source file produced, if it was ingested before.
    pub fn conv_for_source(&self, source_uid: &str) -> Result<Option<String>, StoreError> {
        let tx = self.read()?;
        let sources = tx.open_table(SOURCES)?;
        Ok(sources.get(source_uid)?.map(|v| v.value().to_string()))
    }

    /// Every document, oldest ingest first.
    pub fn list_documents(&self) -> Result<Vec<Document>, StoreError> {
        let tx = self.read()?;
        let docs = tx.open_table(DOCUMENTS)?;
        let mut out = Vec::new();
        for entry in docs.iter()? {
            let (_, v) = entry?;
            out.push(serde_json::from_slice::<Document>(v.value())?);
        }
        out.sort_by(|a, b| {
            a.ingested_at
                .cmp(&b.ingested_at)
                .then(a.conv_uid.cmp(&b.conv_uid))
        });
        Ok(out)
    }

    /// Resolve a full `conv_uid` or a unique prefix of one.
    pub fn resolve_document(&self, prefix: &str) -> Result<String, StoreError> {
        self.resolve_prefix(DOCUMENTS, "document", prefix)
    }

    /// Visit the blocks of a document in index order (a range scan; memory stays flat).
    pub fn for_each_block(
        &self,
        conv_uid: &str,
        mut visit: impl FnMut(Block) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS)?;
        for entry in table.range((conv_uid, 0u32)..=(conv_uid, u32::MAX))? {
            let (_, v) = entry?;
            visit(serde_json::from_slice(v.value())?)?;
        }
        Ok(())
    }

    /// All blocks of a document in index order.
    pub fn blocks(&self, conv_uid: &str) -> Result<Vec<Block>, StoreError> {
        let mut out = Vec::new();
        self.for_each_block(conv_uid, |b| {
            out.push(b);
            Ok(())
        })?;
        Ok(out)
    }

    /// One block by index.
    pub fn block(&self, conv_uid: &str, index: u32) -> Result<Option<Block>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS)?;
        match table.get((conv_uid, index))? {
            Some(raw) => Ok(Some(serde_json::from_slice(raw.value())?)),
            None => Ok(None),
        }
    }
}
