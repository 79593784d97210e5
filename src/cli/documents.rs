//! `ingest`, `docs`, `blocks`.

use std::path::PathBuf;

use serde_json::json;

use super::output::{one_line, print_json, short_id};
use super::{Ctx, Exit};
use crate::model::BlockType;

pub fn ingest(ctx: &Ctx, files: &[PathBuf]) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let limits = ws.ingest_limits()?;
    let mut rows = Vec::new();
    let mut failed = 0;
    for file in files {
        match ws.ingest(file, limits) {
            Ok(report) => {
                let d = &report.document;
                let status = if report.created { "created" } else { "exists" };
                if !ctx.json && !ctx.quiet {
                    outln!("{}", crate::workspace::ingest_line(&report));
                }
                rows.push(json!({
                    "file": file.display().to_string(),
                    "status": status,
                    "conv_uid": d.conv_uid,
                    "title": d.title,
                    "total_blocks": d.total_blocks,
                }));
            }
            Err(e) => {
                failed += 1;
                errln!(
                    "{}",
                    super::output::with_store_path(format!("error: {e}"), &ctx.store_path)
                );
                rows.push(json!({
                    "file": file.display().to_string(),
                    "status": "error",
                    "error": e.to_string(),
                }));
            }
        }
    }
    if ctx.json {
        print_json(&rows)?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

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
