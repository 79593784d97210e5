//! Binary encoding of block chunks (table `BLOCKS`).
//!
//! Blocks are immutable and written in bulk at ingest, so they are stored in chunks of
//! [`CHUNK`] consecutive blocks per row, as byte ranges only: the text itself lives once in the
//! document's text pages (`text_pages.rs`).
//!
//! Chunk layout (all integers little-endian): `version u8 (=2)`, then per block:
//! `index u32, type u8, start u64, end u64, next u64` where `text[end..next]` is the whitespace
//! that separates the block from the next one (or the end of the text).
//!
//! Version 3 (documents from non-text sources: HTML, DOCX, PDF, EPUB, CSV) adds after each
//! record `len u32` and `len` bytes of the block's locator as JSON. Markdown and text keep
//! version 2, so their stored bytes did not change.

use super::text_pages::TextReader;
use super::StoreError;
use crate::hashing::block_uid;
use crate::model::{Block, BlockRef, BlockType, Locator};

/// Blocks per chunk row.
pub const CHUNK: u32 = 128;
const VERSION: u8 = 2;
const VERSION_LOCATED: u8 = 3;
const RECORD: usize = 4 + 1 + 8 + 8 + 8;

pub fn chunk_of(index: u32) -> u32 {
    index / CHUNK
}

fn type_code(t: BlockType) -> u8 {
    BlockType::ALL.iter().position(|x| *x == t).unwrap_or(14) as u8
}

/// Start a chunk in `out`; `located` when its blocks carry source locators (version 3).
pub fn begin(out: &mut Vec<u8>, located: bool) {
    out.push(if located { VERSION_LOCATED } else { VERSION });
}

/// Append one block to a chunk begun with [`begin`].
pub fn push(b: &BlockRef<'_>, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(&b.block_index.to_le_bytes());
    out.push(type_code(b.block_type));
    out.extend_from_slice(&b.start.to_le_bytes());
    out.extend_from_slice(&b.end.to_le_bytes());
    out.extend_from_slice(&(b.end + b.separator_after.len() as u64).to_le_bytes());
    if out.first() == Some(&VERSION_LOCATED) {
        let json = match b.locator {
            Some(l) => serde_json::to_vec(l)?,
            None => Vec::new(),
        };
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
    }
    Ok(())
}

/// One decoded record: the block's place in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub index: u32,
    pub block_type: BlockType,
    pub start: u64,
    pub end: u64,
    pub next: u64,
    /// The source locator (version 3 chunks of non-text documents).
    pub locator: Option<Locator>,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn fixed_record(r: &[u8]) -> Result<Record, String> {
    let code = r[4] as usize;
    let block_type = *BlockType::ALL
        .get(code)
        .ok_or_else(|| format!("unknown block type code {code}"))?;
    Ok(Record {
        index: u32::from_le_bytes([r[0], r[1], r[2], r[3]]),
        block_type,
        start: u64_at(r, 5),
        end: u64_at(r, 13),
        next: u64_at(r, 21),
        locator: None,
    })
}

/// Decode a chunk's records.
pub fn records(buf: &[u8]) -> Result<Vec<Record>, String> {
    let located = match buf.first() {
        Some(&VERSION) => false,
        Some(&VERSION_LOCATED) => true,
        Some(v) => return Err(format!("unknown block chunk version {v}")),
        None => return Err("empty block chunk".into()),
    };
    let body = &buf[1..];
    let truncated = || format!("block chunk truncated ({} bytes)", buf.len());
    if !located {
        if !body.len().is_multiple_of(RECORD) {
            return Err(truncated());
        }
        return body.chunks(RECORD).map(fixed_record).collect();
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < body.len() {
        let fixed = body.get(at..at + RECORD + 4).ok_or_else(truncated)?;
        let mut rec = fixed_record(fixed)?;
        let len = u32::from_le_bytes([
            fixed[RECORD],
            fixed[RECORD + 1],
            fixed[RECORD + 2],
            fixed[RECORD + 3],
        ]) as usize;
        at += RECORD + 4;
        let json = body.get(at..at + len).ok_or_else(truncated)?;
        at += len;
        if len > 0 {
            let loc: Locator = serde_json::from_slice(json)
                .map_err(|e| format!("block {} has a bad locator: {e}", rec.index))?;
            rec.locator = Some(loc);
        }
        out.push(rec);
    }
    Ok(out)
}

/// The full block of a record, its content read from the text pages.
pub(super) fn block(
    conv_uid: &str,
    r: &Record,
    text: &mut TextReader<'_>,
) -> Result<Block, StoreError> {
    Ok(Block {
        block_uid: block_uid(conv_uid, r.index),
        block_index: r.index,
        block_type: r.block_type,
        block_locator: match &r.locator {
            Some(l) => l.clone().at_range(r.start, r.end),
            None => Locator::TextOffsetRange {
                start: r.start,
                end: r.end,
            },
        },
        block_content: text.slice(r.start, r.end)?,
        separator_after: text.slice(r.end, r.next)?,
    })
}

/// The records of sealed chunk row `chunk` of `conv_uid`; damage names the chunk's blocks.
pub(super) fn chunk_records(
    conv_uid: &str,
    chunk: u32,
    sealed: &[u8],
) -> Result<Vec<Record>, StoreError> {
    let what = || {
        let first = chunk.saturating_mul(CHUNK);
        format!(
            "blocks {first}..{} of document {conv_uid}",
            first.saturating_add(CHUNK - 1)
        )
    };
    let buf = super::sealed::open(sealed, what)?;
    records(buf).map_err(|detail| StoreError::Damaged {
        what: what(),
        detail,
    })
}

/// Decode a whole sealed chunk row into blocks (in index order).
pub(super) fn decode(
    conv_uid: &str,
    chunk: u32,
    sealed: &[u8],
    text: &mut TextReader<'_>,
) -> Result<Vec<Block>, StoreError> {
    chunk_records(conv_uid, chunk, sealed)?
        .iter()
        .map(|r| block(conv_uid, r, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_every_type_and_reject_damage() {
        let text = "x".repeat(400);
        let refs: Vec<BlockRef<'_>> = BlockType::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| BlockRef {
                block_index: i as u32,
                block_type: *t,
                start: i as u64 * 10,
                end: i as u64 * 10 + 3,
                content: &text[..3],
                separator_after: if i % 2 == 0 { "\n\n" } else { "" },
                locator: None,
            })
            .collect();
        let mut buf = Vec::new();
        begin(&mut buf, false);
        for r in &refs {
            push(r, &mut buf).unwrap();
        }
        let back = records(&buf).unwrap();
        assert_eq!(back.len(), refs.len());
        for (r, b) in refs.iter().zip(&back) {
            assert_eq!(
                (b.index, b.block_type, b.start, b.end),
                (r.block_index, r.block_type, r.start, r.end)
            );
            assert_eq!(b.next - b.end, r.separator_after.len() as u64);
        }
        assert!(records(&buf[..buf.len() - 1]).is_err());
        assert!(
            records(&[1]).is_err(),
            "version 1 chunks are refused by name"
        );
    }

    #[test]
    fn located_chunks_round_trip_their_locators_and_reject_damage() {
        let loc = Locator::PdfBox {
            start: 0,
            end: 0,
            page: 3,
            bbox: [72.0, 700.5, 500.0, 720.0],
        };
        let refs = [
            BlockRef {
                block_index: 0,
                block_type: BlockType::Heading,
                start: 0,
                end: 7,
                content: "# Title",
                separator_after: "\n\n",
                locator: Some(&loc),
            },
            BlockRef {
                block_index: 1,
                block_type: BlockType::Paragraph,
                start: 9,
                end: 13,
                content: "Body",
                separator_after: "",
                locator: None,
            },
        ];
        let mut buf = Vec::new();
        begin(&mut buf, true);
        for r in &refs {
            push(r, &mut buf).unwrap();
        }
        let back = records(&buf).unwrap();
        assert_eq!(back[0].locator.as_ref(), Some(&loc));
        assert_eq!(back[1].locator, None);
        assert_eq!((back[1].start, back[1].end, back[1].next), (9, 13, 13));
        for cut in [1, 5, buf.len() - 3] {
            assert!(records(&buf[..buf.len() - cut]).is_err(), "cut {cut}");
        }
    }
}
