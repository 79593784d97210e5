//! Which blocks a new run skips by type (`worker.skip_block_types`, SPEC §3): read from the
//! document's block chunks inside the run-creating transaction, types only (no text is read).

use std::collections::BTreeSet;

use redb::ReadableTable;

use super::block_codec;
use super::tables::BLOCKS;
use super::StoreError;
use crate::model::BlockType;

/// Indices below `total_blocks` of `conv_uid`'s blocks whose type is in `skip` (empty `skip`:
/// nothing to read).
pub(super) fn indices_of_types(
    tx: &redb::WriteTransaction,
    conv_uid: &str,
    total_blocks: u32,
    skip: &[BlockType],
) -> Result<BTreeSet<u32>, StoreError> {
    let mut out = BTreeSet::new();
    if skip.is_empty() || total_blocks == 0 {
        return Ok(out);
    }
    let table = tx.open_table(BLOCKS)?;
    let last_chunk = block_codec::chunk_of(total_blocks - 1);
    for entry in table.range((conv_uid, 0u32)..=(conv_uid, last_chunk))? {
        let (k, v) = entry?;
        for r in block_codec::chunk_records(conv_uid, k.value().1, v.value())? {
            if r.index < total_blocks && skip.contains(&r.block_type) {
                out.insert(r.index);
            }
        }
    }
    Ok(out)
}
