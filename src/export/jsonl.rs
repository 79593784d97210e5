//! JSONL export: one line per block with exactly two top-level keys, `immutable` and
//! `user_defined` (SPEC §4). The per-document parts are serialized once; stored values are
//! copied as raw JSON, never rebuilt.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use serde_json::value::RawValue;

use super::{io_at, pick, Context, ExportError, ExportSummary, Mode};
use crate::model::{BlockType, Locator};
use crate::store::{Store, StoreError};

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

pub(super) fn write<W: Write>(
    store: &Store,
    ctx: &Context,
    w: &mut W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
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
    let mut summary = ExportSummary {
        blocks: 0,
        bytes: 0,
        confirmed: 0,
        drafts: 0,
    };
    let io = io_at(target);
    store.for_each_block_overlay(&doc.conv_uid, &ctx.run.run_id, |block, ov| {
        let picked = pick(ctx.mode, ov);
        let line = Line {
            immutable: Immutable {
                source_upload: &source_upload,
                conversion: &conversion,
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
            },
        };
        serde_json::to_writer(&mut *w, &line).map_err(|e| io(e.into()))?;
        w.write_all(b"\n").map_err(&io)?;
        summary.blocks += 1;
        if picked.draft || picked.staging.is_some() {
            summary.drafts += 1;
        }
        if picked.data.is_some() && !picked.draft {
            summary.confirmed += 1;
        }
        Ok::<(), ExportError>(())
    })?;
    Ok(summary)
}
