//! One consistent read snapshot over a run's blocks and overlays, in block order, for export.
//! Overlays are decoded into a borrowed view whose values stay raw JSON, so an export copies
//! them instead of rebuilding them; memory stays flat (one block chunk at a time per thread).

use std::sync::mpsc;

use redb::ReadOnlyTable;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::block_codec;
use super::tables::{BLOCKS, DOCUMENTS, DOC_TEXT, OVERLAYS, RUNS};
use super::text_pages::TextReader;
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
    /// Grounding of the staged value (SPEC §4a), raw.
    #[serde(borrow, default)]
    pub evidence: Option<&'a RawValue>,
}

fn missing(run_id: &str, conv_uid: &str, index: u32) -> StoreError {
    StoreError::Corrupt(format!(
        "run {run_id} has no overlay for block {index} of document {conv_uid}"
    ))
}

/// Chunks of output in flight per worker thread (bounds memory: threads × this × one chunk).
const IN_FLIGHT: usize = 2;

type BlockTable = ReadOnlyTable<(&'static str, u32), &'static [u8]>;

/// How many blocks of its document a run covers: the sample size of a sample run, else all
/// the document's blocks (so a missing overlay or block chunk is reported as damage, never
/// taken for the end of the document).
fn run_blocks(tx: &redb::ReadTransaction, run_id: &str) -> Result<u32, StoreError> {
    let runs = tx.open_table(RUNS)?;
    let raw = runs
        .get(run_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("run {run_id} does not exist")))?;
    let run: crate::model::Run = super::sealed::open_json(raw.value(), || format!("run {run_id}"))?;
    let docs = tx.open_table(DOCUMENTS)?;
    let conv = run.conv_uid.as_str();
    let total = match docs.get(conv)? {
        Some(raw) => {
            let doc: crate::model::Document =
                super::sealed::open_json(raw.value(), || format!("document {conv}"))?;
            doc.total_blocks
        }
        None => u32::MAX,
    };
    Ok(run.sample.unwrap_or(u32::MAX).min(total))
}

/// Decode block chunk `chunk` and the run's overlays for it, and feed each pair to `each`.
/// Returns `false` when the document has no such chunk or the run covers no block of it (the
/// end; a sample run covers only the first `limit` blocks).
#[allow(clippy::too_many_arguments)]
fn visit_chunk<E: From<StoreError>>(
    blocks: &BlockTable,
    overlays: &BlockTable,
    text: &mut TextReader<'_>,
    conv_uid: &str,
    run_id: &str,
    chunk: u32,
    limit: u32,
    mut each: impl FnMut(&Block, &OverlayView<'_>) -> Result<(), E>,
) -> Result<bool, E> {
    let Some(raw) = blocks.get((conv_uid, chunk)).map_err(StoreError::from)? else {
        let first = chunk.saturating_mul(block_codec::CHUNK);
        if first < limit {
            return Err(StoreError::Damaged {
                what: format!("the blocks of document {conv_uid}"),
                detail: format!("block {first} is missing (the run covers {limit})"),
            }
            .into());
        }
        return Ok(false);
    };
    let mut decoded = block_codec::decode(conv_uid, chunk, raw.value(), text)?;
    if decoded.first().is_some_and(|b| b.block_index >= limit) {
        return Ok(false);
    }
    decoded.retain(|b| b.block_index < limit);
    let (Some(first), Some(last)) = (decoded.first(), decoded.last()) else {
        return Ok(true);
    };
    let mut ovs = overlays
        .range((run_id, first.block_index)..=(run_id, last.block_index))
        .map_err(StoreError::from)?;
    for block in &decoded {
        let gone = || missing(run_id, conv_uid, block.block_index);
        let (_, raw) = ovs.next().ok_or_else(gone)?.map_err(StoreError::from)?;
        let what = || format!("overlay {run_id} block {}", block.block_index);
        let view: OverlayView<'_> = super::sealed::open_json_borrowed(raw.value(), what)?;
        if view.block_index != block.block_index {
            return Err(gone().into());
        }
        each(block, &view)?;
    }
    Ok(true)
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
        let _reading = super::guard::reading(format!("the blocks and overlays of run {run_id}"));
        let tx = self.read()?;
        // Damaged text is refused before the first byte is exported.
        super::check::verify_in(&tx, conv_uid)?;
        let blocks = tx.open_table(BLOCKS).map_err(StoreError::from)?;
        let overlays = tx.open_table(OVERLAYS).map_err(StoreError::from)?;
        let pages = tx.open_table(DOC_TEXT).map_err(StoreError::from)?;
        let limit = run_blocks(&tx, run_id)?;
        let mut text = TextReader::new(&pages, conv_uid);
        let mut chunk = 0;
        while visit_chunk(
            &blocks, &overlays, &mut text, conv_uid, run_id, chunk, limit, &mut visit,
        )? {
            chunk += 1;
        }
        Ok(())
    }

    /// Like [`Store::for_each_block_overlay`], but `render` runs on `workers` threads, each
    /// taking every `workers`-th chunk of blocks from the same read snapshot and rendering it
    /// into a buffer; `consume` receives the buffers on this thread in block order. At most a
    /// few chunks per thread are in flight, so memory stays flat.
    pub fn par_render_block_overlays<E, R, C>(
        &self,
        conv_uid: &str,
        run_id: &str,
        workers: usize,
        render: R,
        mut consume: C,
    ) -> Result<(), E>
    where
        E: From<StoreError> + Send,
        R: Fn(&mut Vec<u8>, &Block, &OverlayView<'_>) -> Result<(), E> + Sync,
        C: FnMut(&[u8]) -> Result<(), E>,
    {
        let _reading = super::guard::reading(format!("the blocks and overlays of run {run_id}"));
        let workers = workers.max(1);
        let tx = self.read()?;
        // Damaged text is refused before the first byte is exported.
        super::check::verify_in(&tx, conv_uid)?;
        let limit = run_blocks(&tx, run_id)?;
        let blocks = tx.open_table(BLOCKS).map_err(StoreError::from)?;
        let overlays = tx.open_table(OVERLAYS).map_err(StoreError::from)?;
        let pages = tx.open_table(DOC_TEXT).map_err(StoreError::from)?;
        let (blocks, overlays, pages, render) = (&blocks, &overlays, &pages, &render);
        std::thread::scope(|scope| {
            let mut receivers = Vec::with_capacity(workers);
            for w in 0..workers {
                let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>, E>>(IN_FLIGHT);
                receivers.push(rx);
                scope.spawn(move || {
                    let mut text = TextReader::new(pages, conv_uid);
                    let mut chunk = w as u32;
                    loop {
                        let mut buf = Vec::with_capacity(256 * 1024);
                        let res = visit_chunk(
                            blocks,
                            overlays,
                            &mut text,
                            conv_uid,
                            run_id,
                            chunk,
                            limit,
                            |b, ov| render(&mut buf, b, ov),
                        );
                        let more = match res {
                            Ok(true) => tx.send(Ok(buf)).is_ok(),
                            Ok(false) => false,
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                false
                            }
                        };
                        if !more {
                            break;
                        }
                        chunk += workers as u32;
                    }
                });
            }
            // Chunk c comes from worker c % workers; the first worker with nothing more to send
            // marks the end of the document.
            for next in 0.. {
                match receivers[next % workers].recv() {
                    Ok(Ok(buf)) => consume(&buf)?,
                    Ok(Err(e)) => return Err(e),
                    Err(mpsc::RecvError) => break,
                }
            }
            Ok(())
        })
        // Leaving the scope drops the receivers first (on error), so blocked workers stop.
    }
}
