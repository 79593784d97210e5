//! Documents and their immutable blocks.

use redb::ReadableTable;

use super::block_codec;
use super::tables::{BLOCKS, DOCUMENTS, SOURCES};
use super::{Store, StoreError};
use crate::model::{Block, BlockRef, Document};

/// What `insert_document` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created,
    /// The same conversion was already stored; nothing was written.
    AlreadyPresent,
}

impl Store {
    /// Store a document and all its blocks (in index order) in one write transaction. If `conv_uid` is already
    /// present nothing is written (ingest is idempotent).
    pub fn insert_document<'a>(
        &self,
        doc: &Document,
        blocks: impl IntoIterator<Item = BlockRef<'a>>,
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
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut current: Option<u32> = None;
            for block in blocks {
                let chunk = block_codec::chunk_of(block.block_index);
                if current != Some(chunk) {
                    if let Some(done) = current {
                        table.insert((doc.conv_uid.as_str(), done), buf.as_slice())?;
                    }
                    buf.clear();
                    block_codec::begin(&mut buf);
                    current = Some(chunk);
                }
                block_codec::push(&block, &mut buf);
            }
            if let Some(done) = current {
                table.insert((doc.conv_uid.as_str(), done), buf.as_slice())?;
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
            for block in block_codec::decode(conv_uid, v.value()).map_err(StoreError::Corrupt)? {
                visit(block)?;
            }
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

    /// The blocks at `indices` (ascending), decoding each chunk once.
    pub fn blocks_at(&self, conv_uid: &str, indices: &[u32]) -> Result<Vec<Block>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS)?;
        let mut out = Vec::with_capacity(indices.len());
        let mut current: Option<(u32, Vec<Block>)> = None;
        for &index in indices {
            let chunk = block_codec::chunk_of(index);
            if current.as_ref().is_none_or(|(c, _)| *c != chunk) {
                let blocks = match table.get((conv_uid, chunk))? {
                    Some(raw) => {
                        block_codec::decode(conv_uid, raw.value()).map_err(StoreError::Corrupt)?
                    }
                    None => Vec::new(),
                };
                current = Some((chunk, blocks));
            }
            if let Some((_, blocks)) = &current {
                if let Some(b) = blocks.iter().find(|b| b.block_index == index) {
                    out.push(b.clone());
                }
            }
        }
        Ok(out)
    }

    /// One block by index.
    pub fn block(&self, conv_uid: &str, index: u32) -> Result<Option<Block>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS)?;
        let Some(raw) = table.get((conv_uid, block_codec::chunk_of(index)))? else {
            return Ok(None);
        };
        let chunk = block_codec::decode(conv_uid, raw.value()).map_err(StoreError::Corrupt)?;
        Ok(chunk.into_iter().find(|b| b.block_index == index))
    }
}
