//! One consistent read snapshot over a run's blocks and overlays, in block order, for export.
//! Overlays are decoded into a borrowed view whose values stay raw JSON, so an export copies
//! them instead of rebuilding them; memory stays flat (one block chunk at a time).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::block_codec;
use super::tables::{BLOCKS, OVERLAYS};
use super::{Store, StoreError};
use crate::model::{Block, OverlayStatus};

/// The parts of an overlay an export reads, borrowed from the stored bytes.
#[derive(Debug, Deserialize)]
pub struct OverlayView<'a> {
    pub block_index: u32,
    pub status: OverlayStatus,
    #[serde(default)]
    pub edited: bool,
    #[serde(borrow, default)]
    pub staging: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub confirmed: Option<&'a RawValue>,
}

impl Store {
    /// Visit every block of `conv_uid` with the overlay of `run_id` for it, in block order, in
    /// one read transaction. A block without an overlay is reported as store corruption.
    pub fn for_each_block_overlay<E: From<StoreError>>(
        &self,
        conv_uid: &str,
        run_id: &str,
        mut visit: impl FnMut(&Block, &OverlayView<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = self.read()?;
        let blocks = tx.open_table(BLOCKS).map_err(StoreError::from)?;
        let overlays = tx.open_table(OVERLAYS).map_err(StoreError::from)?;
        let mut ov_iter = overlays
            .range((run_id, 0u32)..=(run_id, u32::MAX))
            .map_err(StoreError::from)?;
        for entry in blocks
            .range((conv_uid, 0u32)..=(conv_uid, u32::MAX))
            .map_err(StoreError::from)?
        {
            let (_, chunk) = entry.map_err(StoreError::from)?;
            let decoded =
                block_codec::decode(conv_uid, chunk.value()).map_err(StoreError::Corrupt)?;
            for block in &decoded {
                let missing = || {
                    StoreError::Corrupt(format!(
                        "run {run_id} has no overlay for block {} of document {conv_uid}",
                        block.block_index
                    ))
                };
                let (_, raw) = ov_iter.next().ok_or_else(missing)?.map_err(StoreError::from)?;
                let view: OverlayView<'_> =
                    serde_json::from_slice(raw.value()).map_err(StoreError::from)?;
                if view.block_index != block.block_index {
                    return Err(missing().into());
                }
                visit(block, &view)?;
            }
        }
        Ok(())
    }
}
