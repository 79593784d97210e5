//! Documents: the record, the text (in pages) and the immutable block records.

use redb::ReadableTable;

use super::block_codec;
use super::tables::{BLOCKS, DOCUMENTS, DOC_TEXT, SOURCES};
use super::text_pages::{self, TextReader};
use super::{Store, StoreError};
use crate::model::{Block, BlockRef, Document};

/// What [`DocumentWriter::finish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created,
    /// The same conversion was already stored; nothing was written.
    AlreadyPresent,
}

/// One document being written, in one write transaction: the text first (it does not depend
/// on parsing), then the blocks and the record. Dropping it unfinished writes nothing.
pub struct DocumentWriter {
    tx: super::WriteTxn,
    conv_uid: String,
    existing: Option<Document>,
}

impl DocumentWriter {
    /// The stored document when this conversion is already in the store (nothing to write).
    pub fn existing(&self) -> Option<&Document> {
        self.existing.as_ref()
    }

    pub fn write_text(&mut self, text: &[u8]) -> Result<(), StoreError> {
        let mut pages = self.tx.open_table(DOC_TEXT)?;
        text_pages::insert_pages(&mut pages, &self.conv_uid, text)
    }

    /// Store the block records (in index order) and the document record, and commit.
    pub fn finish<'a>(
        self,
        doc: &Document,
        blocks: impl IntoIterator<Item = BlockRef<'a>>,
    ) -> Result<InsertOutcome, StoreError> {
        if self.existing.is_some() {
            return Ok(InsertOutcome::AlreadyPresent);
        }
        put_document(&self.tx, doc, blocks)?;
        self.tx.commit()?;
        Ok(InsertOutcome::Created)
    }
}

/// Write the record, the source index and the block chunks of a new document into `tx`.
fn put_document<'a>(
    tx: &redb::WriteTransaction,
    doc: &Document,
    blocks: impl IntoIterator<Item = BlockRef<'a>>,
) -> Result<(), StoreError> {
    let conv = doc.conv_uid.as_str();
    let mut docs = tx.open_table(DOCUMENTS)?;
    docs.insert(conv, super::sealed::seal_json(doc)?.as_slice())?;
    let mut sources = tx.open_table(SOURCES)?;
    sources.insert(doc.source_uid.as_str(), conv)?;
    let mut table = tx.open_table(BLOCKS)?;
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut current: Option<u32> = None;
    for block in blocks {
        let chunk = block_codec::chunk_of(block.block_index);
        if current != Some(chunk) {
            if let Some(done) = current {
                super::sealed::seal_in_place(&mut buf);
                table.insert((conv, done), buf.as_slice())?;
            }
            buf.clear();
            block_codec::begin(&mut buf, block.locator.is_some());
            current = Some(chunk);
        }
        block_codec::push(&block, &mut buf)?;
    }
    if let Some(done) = current {
        super::sealed::seal_in_place(&mut buf);
        table.insert((conv, done), buf.as_slice())?;
    }
    Ok(())
}

/// Several documents written in ONE write transaction (folder ingest: 1,000 small files must
/// not cost 1,000 durable commits). Each document is whole or absent: nothing is visible
/// before [`BatchWriter::commit`], and dropping the writer writes nothing.
pub struct BatchWriter {
    tx: super::WriteTxn,
}

impl BatchWriter {
    /// Add one document. `Some(stored)` when this conversion is already in the store (also
    /// earlier in this batch): nothing is written for it.
    pub fn add<'a>(
        &mut self,
        doc: &Document,
        text: &[u8],
        blocks: impl IntoIterator<Item = BlockRef<'a>>,
    ) -> Result<Option<Document>, StoreError> {
        {
            let docs = self.tx.open_table(DOCUMENTS)?;
            let found = docs.get(doc.conv_uid.as_str())?;
            if let Some(raw) = found {
                let what = || format!("document {}", doc.conv_uid);
                return Ok(Some(super::sealed::open_json(raw.value(), what)?));
            }
        }
        {
            let mut pages = self.tx.open_table(DOC_TEXT)?;
            text_pages::insert_pages(&mut pages, &doc.conv_uid, text)?;
        }
        put_document(&self.tx, doc, blocks)?;
        Ok(None)
    }

    /// One durable commit for the whole batch.
    pub fn commit(self) -> Result<(), StoreError> {
        self.tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// Open a write transaction for a batch of new documents.
    pub fn begin_batch(&self) -> Result<BatchWriter, StoreError> {
        Ok(BatchWriter { tx: self.write()? })
    }

    /// Add `conv_uids` (in order) to project `project_ref`, creating it first when it does not
    /// exist, in one transaction. Returns what joined and what was a member already.
    pub fn join_project(
        &self,
        project: &crate::model::Project,
        conv_uids: &[String],
    ) -> Result<crate::model::MembershipChange, StoreError> {
        let tx = self.write()?;
        if let Err(StoreError::NotFound { .. }) =
            super::projects::project_in(&tx, &project.project_ref)
        {
            super::projects::put_new_project(&tx, project)?;
        }
        let change = super::projects::add_members_in(&tx, &project.project_ref, conv_uids)?;
        tx.commit()?;
        Ok(change)
    }

    /// Open the write transaction of a new document. If `conv_uid` is already stored, the
    /// writer reports it through [`DocumentWriter::existing`] and writes nothing.
    pub fn begin_document(&self, conv_uid: &str) -> Result<DocumentWriter, StoreError> {
        let _reading = super::guard::reading(format!("document {conv_uid}"));
        let tx = self.write()?;
        let existing = {
            let docs = tx.open_table(DOCUMENTS)?;
            let found = docs.get(conv_uid)?;
            match found {
                Some(raw) => Some(super::sealed::open_json(raw.value(), || {
                    format!("document {conv_uid}")
                })?),
                None => None,
            }
        };
        Ok(DocumentWriter {
            tx,
            conv_uid: conv_uid.to_string(),
            existing,
        })
    }

    pub fn get_document(&self, conv_uid: &str) -> Result<Option<Document>, StoreError> {
        let _reading = super::guard::reading(format!("document {conv_uid}"));
        let tx = self.read()?;
        let docs = tx.open_table(DOCUMENTS)?;
        match docs.get(conv_uid)? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("document {conv_uid}")
            })?)),
            None => Ok(None),
        }
    }

    /// Every document, oldest ingest first.
    pub fn list_documents(&self) -> Result<Vec<Document>, StoreError> {
        let _reading = super::guard::reading("the documents table");
        let tx = self.read()?;
        let docs = tx.open_table(DOCUMENTS)?;
        let mut out = Vec::new();
        for entry in docs.iter()? {
            let (k, v) = entry?;
            out.push(super::sealed::open_json::<Document>(v.value(), || {
                format!("document {}", k.value())
            })?);
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
        let _reading = super::guard::reading(format!("the blocks of document {conv_uid}"));
        let tx = self.read()?;
        super::check::verify_in(&tx, conv_uid)?;
        let table = tx.open_table(BLOCKS)?;
        let pages = tx.open_table(DOC_TEXT)?;
        let mut text = TextReader::new(&pages, conv_uid);
        for entry in table.range((conv_uid, 0u32)..=(conv_uid, u32::MAX))? {
            let (k, v) = entry?;
            for block in block_codec::decode(conv_uid, k.value().1, v.value(), &mut text)? {
                visit(block)?;
            }
        }
        Ok(())
    }

    /// All blocks of a document in index order.
    pub fn blocks(&self, conv_uid: &str) -> Result<Vec<Block>, StoreError> {
        let _reading = super::guard::reading(format!("the blocks of document {conv_uid}"));
        let mut out = Vec::new();
        self.for_each_block(conv_uid, |b| {
            out.push(b);
            Ok(())
        })?;
        Ok(out)
    }

    /// The blocks at `indices` (ascending), reading each chunk once.
    pub fn blocks_at(&self, conv_uid: &str, indices: &[u32]) -> Result<Vec<Block>, StoreError> {
        let _reading = super::guard::reading(format!("the blocks of document {conv_uid}"));
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS)?;
        let pages = tx.open_table(DOC_TEXT)?;
        let mut text = TextReader::new(&pages, conv_uid);
        let mut out = Vec::with_capacity(indices.len());
        let mut current: Option<(u32, Vec<block_codec::Record>)> = None;
        for &index in indices {
            let chunk = block_codec::chunk_of(index);
            if current.as_ref().is_none_or(|(c, _)| *c != chunk) {
                let records = match table.get((conv_uid, chunk))? {
                    Some(raw) => block_codec::chunk_records(conv_uid, chunk, raw.value())?,
                    None => Vec::new(),
                };
                current = Some((chunk, records));
            }
            if let Some((_, records)) = &current {
                if let Some(r) = records.iter().find(|r| r.index == index) {
                    out.push(block_codec::block(conv_uid, r, &mut text)?);
                }
            }
        }
        Ok(out)
    }

    /// One block by index.
    pub fn block(&self, conv_uid: &str, index: u32) -> Result<Option<Block>, StoreError> {
        let _reading = super::guard::reading(format!("document {conv_uid} block {index}"));
        Ok(self.blocks_at(conv_uid, &[index])?.pop())
    }
}
