//! Binary encoding of block chunks (table `BLOCKS`).
//!
//! Blocks are immutable and written in bulk at ingest, so they are stored in chunks of
//! [`CHUNK`] consecutive blocks per row, in a compact binary layout rather than JSON: a 50k-block
//! ingest is then ~400 inserts and little more than one copy of the text.
//!
//! Chunk layout (all integers little-endian):
//! `version u8 (=1)`, then per block: `index u32, type u8, start u64, end u64,
//! content_len u32, content bytes, sep_len u32, sep bytes`.

use crate::hashing::block_uid;
use crate::model::{Block, BlockRef, BlockType, Locator};

/// Blocks per chunk row.
pub const CHUNK: u32 = 128;
const VERSION: u8 = 1;

pub fn chunk_of(index: u32) -> u32 {
    index / CHUNK
}

fn type_code(t: BlockType) -> u8 {
    BlockType::ALL.iter().position(|x| *x == t).unwrap_or(14) as u8
}

/// Start a chunk in `out`.
pub fn begin(out: &mut Vec<u8>) {
    out.push(VERSION);
}

/// Append one block to a chunk begun with [`begin`].
pub fn push(b: &BlockRef<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&b.block_index.to_le_bytes());
    out.push(type_code(b.block_type));
    out.extend_from_slice(&b.start.to_le_bytes());
    out.extend_from_slice(&b.end.to_le_bytes());
    out.extend_from_slice(&(b.content.len() as u32).to_le_bytes());
    out.extend_from_slice(b.content.as_bytes());
    out.extend_from_slice(&(b.separator_after.len() as u32).to_le_bytes());
    out.extend_from_slice(b.separator_after.as_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| format!("block chunk truncated at byte {}", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "block text is not UTF-8".to_string())
    }
}

/// Decode a chunk into its blocks (in index order).
pub fn decode(conv_uid: &str, buf: &[u8]) -> Result<Vec<Block>, String> {
    let mut out = Vec::with_capacity(CHUNK as usize);
    let mut r = Reader { buf, pos: 0 };
    let version = r.take(1)?[0];
    if version != VERSION {
        return Err(format!("unknown block chunk version {version}"));
    }
    while r.pos < buf.len() {
        let index = r.u32()?;
        let code = r.take(1)?[0] as usize;
        let block_type = *BlockType::ALL
            .get(code)
            .ok_or_else(|| format!("unknown block type code {code}"))?;
        let start = r.u64()?;
        let end = r.u64()?;
        let block_content = r.string()?;
        let separator_after = r.string()?;
        out.push(Block {
            block_uid: block_uid(conv_uid, index),
            block_index: index,
            block_type,
            block_locator: Locator::TextOffsetRange { start, end },
            block_content,
            separator_after,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_type() {
        let blocks: Vec<Block> = BlockType::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| Block {
                block_uid: block_uid("c", i as u32),
                block_index: i as u32,
                block_type: *t,
                block_locator: Locator::TextOffsetRange {
                    start: i as u64 * 10,
                    end: i as u64 * 10 + 3,
                },
                block_content: format!("é{i}"),
                separator_after: if i % 2 == 0 { "\n\n".into() } else { String::new() },
            })
            .collect();
        let mut buf = Vec::new();
        begin(&mut buf);
        for b in &blocks {
            push(&b.as_ref(), &mut buf);
        }
        assert_eq!(decode("c", &buf).unwrap(), blocks);
        assert!(decode("c", &buf[..buf.len() - 1]).is_err());
    }
}
