//! JSONL export: one line per block with exactly two top-level keys, `immutable` and
//! `user_defined` (SPEC §4). The per-document parts are serialized once; stored values are
//! copied as raw JSON, never rebuilt.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::value::RawValue;

use super::{io_at, pick, Context, ExportError, ExportSummary, Mode, Picked};
use crate::model::{Block, BlockType, Locator};
use crate::store::{OverlayView, Store, StoreError};

#[derive(Serialize)]
struct Line<'a> {
    immutable: Immutable<'a>,
    user_defined: UserDefined<'a>,
}

#[derive(Serialize)]
struct Immutable<'a> {
    source_upload: &'a RawValue,
    conversion: &'a RawValue,
    block: BlockOut<'a>,
}

#[derive(Serialize)]
struct BlockOut<'a> {
    block_uid: &'a str,
    block_index: u32,
    block_type: BlockType,
    block_locator: &'a Locator,
    block_content: &'a str,
}

#[derive(Serialize)]
struct UserDefined<'a> {
    schema_ref: &'a str,
    schema_uid: &'a str,
    run_id: &'a str,
    data: Option<&'a RawValue>,
    /// Staging mode only.
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<bool>,
    /// Both mode only (`null` when the block has no unconfirmed staged value).
    #[serde(skip_serializing_if = "Option::is_none")]
    staging: Option<Option<&'a RawValue>>,
    /// Grounding of the exported value's quoted strings (SPEC §4a), when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a RawValue>,
}

/// `immutable.source_upload`, keys in contract order.
#[derive(Serialize)]
struct SourceUpload<'a> {
    source_uid: &'a str,
    source_type: &'a str,
    source_filesize: u64,
}

/// `immutable.conversion`, keys in contract order.
#[derive(Serialize)]
struct Conversion<'a> {
    conv_uid: &'a str,
    conv_parsing_tool: &'a str,
    conv_total_blocks: u32,
    conv_block_type_freq: &'a BTreeMap<String, u32>,
}

/// Serialize once; every line copies the bytes.
fn raw<T: Serialize>(v: &T) -> Result<Box<RawValue>, ExportError> {
    let text = serde_json::to_string(v).map_err(StoreError::from)?;
    Ok(RawValue::from_string(text).map_err(StoreError::from)?)
}

/// Threads rendering JSONL: `BLOCKWISE_EXPORT_THREADS` when set, else the available cores (at
/// most 4).
pub fn threads() -> usize {
    std::env::var("BLOCKWISE_EXPORT_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .clamp(1, 4)
}

/// `immutable.source_upload` and `immutable.conversion` of the document, serialized once.
fn document_parts(ctx: &Context) -> Result<(Box<RawValue>, Box<RawValue>), ExportError> {
    let doc = &ctx.doc;
    let source_upload = raw(&SourceUpload {
        source_uid: &doc.source_uid,
        source_type: &doc.source_type,
        source_filesize: doc.source_filesize,
    })?;
    let conversion = raw(&Conversion {
        conv_uid: &doc.conv_uid,
        conv_parsing_tool: &doc.parsing_tool,
        conv_total_blocks: doc.total_blocks,
        conv_block_type_freq: &doc.block_type_freq,
    })?;
    Ok((source_upload, conversion))
}

/// One block's line: the immutable parts and the value `picked` for the export mode.
fn line<'a>(
    ctx: &'a Context,
    source_upload: &'a RawValue,
    conversion: &'a RawValue,
    block: &'a Block,
    picked: &Picked<'a>,
    evidence: Option<&'a RawValue>,
) -> Line<'a> {
    Line {
        immutable: Immutable {
            source_upload,
            conversion,
            block: BlockOut {
                block_uid: &block.block_uid,
                block_index: block.block_index,
                block_type: block.block_type,
                block_locator: &block.block_locator,
                block_content: &block.block_content,
            },
        },
        user_defined: UserDefined {
            schema_ref: &ctx.run.schema_ref,
            schema_uid: &ctx.run.schema_uid,
            run_id: &ctx.run.run_id,
            data: picked.data,
            draft: (ctx.mode == Mode::Staging).then_some(picked.draft),
            staging: (ctx.mode == Mode::Both).then_some(picked.staging),
            evidence: evidence.filter(|_| picked.data.is_some() || picked.staging.is_some()),
        },
    }
}

pub(super) fn write<W: Write>(
    store: &Store,
    ctx: &Context,
    w: &mut W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
    let doc = &ctx.doc;
    let (source_upload, conversion) = document_parts(ctx)?;
    let (blocks, confirmed, drafts) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let io = io_at(target);
    let render = |buf: &mut Vec<u8>, block: &Block, ov: &OverlayView<'_>| {
        let picked = pick(ctx.mode, ov);
        let line = line(
            ctx,
            &source_upload,
            &conversion,
            block,
            &picked,
            ov.evidence,
        );
        serde_json::to_writer(&mut *buf, &line).map_err(|e| io_at(target)(e.into()))?;
        buf.push(b'\n');
        blocks.fetch_add(1, Ordering::Relaxed);
        if picked.draft || picked.staging.is_some() {
            drafts.fetch_add(1, Ordering::Relaxed);
        }
        if picked.data.is_some() && !picked.draft {
            confirmed.fetch_add(1, Ordering::Relaxed);
        }
        Ok::<(), ExportError>(())
    };
    let workers = threads();
    if workers > 1 {
        // Serialization runs on a few threads over one read snapshot; lines stay in order.
        store.par_render_block_overlays(
            &doc.conv_uid,
            &ctx.run.run_id,
            workers,
            render,
            |bytes| w.write_all(bytes).map_err(&io),
        )?;
    } else {
        let mut buf = Vec::with_capacity(64 * 1024);
        store.for_each_block_overlay(&doc.conv_uid, &ctx.run.run_id, |block, ov| {
            render(&mut buf, block, ov)?;
            if buf.len() >= 60 * 1024 {
                w.write_all(&buf).map_err(&io)?;
                buf.clear();
            }
            Ok::<(), ExportError>(())
        })?;
        w.write_all(&buf).map_err(&io)?;
    }
    Ok(ExportSummary {
        blocks: blocks.into_inner(),
        bytes: 0,
        confirmed: confirmed.into_inner(),
        drafts: drafts.into_inner(),
    })
}
