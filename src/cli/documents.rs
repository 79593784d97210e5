//! `docs`, `blocks`.

use super::output::{one_line, print_json, short_id};
use super::{Ctx, Exit};
use crate::model::BlockType;

pub fn docs(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let docs = ws.list_documents()?;
    if ctx.json {
        print_json(&docs)?;
        return Ok(0);
    }
    if docs.is_empty() {
        if !ctx.quiet {
            outln!("No documents yet. Ingest one with `blockwise ingest FILE`.");
        }
        return Ok(0);
    }
    outln!(
        "{:<12}  {:>7}  {:<4}  {:<20}  TITLE",
        "CONV_UID",
        "BLOCKS",
        "TYPE",
        "INGESTED"
    );
    for d in docs {
        outln!(
            "{:<12}  {:>7}  {:<4}  {:<20}  {}",
            short_id(&d.conv_uid),
            d.total_blocks,
            d.source_type,
            d.ingested_at,
            one_line(&d.title, 60)
        );
    }
    Ok(0)
}

pub fn blocks(ctx: &Ctx, doc: &str, block_type: Option<&str>) -> anyhow::Result<u8> {
    let filter: Option<BlockType> = match block_type {
        Some(t) => Some(t.parse().map_err(|e: String| Exit::new(2, e))?),
        None => None,
    };
    let ws = ctx.open_read()?;
    let conv = ws.resolve_document(doc)?;
    let mut list = Vec::new();
    ws.for_each_block(&conv, |b| {
        if filter.is_none_or(|t| t == b.block_type) {
            list.push(b);
        }
        Ok(())
    })?;
    if ctx.json {
        print_json(&list)?;
        return Ok(0);
    }
    for b in list {
        outln!(
            "{:>6}  {:<11}  {}",
            b.block_index,
            b.block_type.as_str(),
            one_line(&b.block_content, 90)
        );
    }
    Ok(0)
}
