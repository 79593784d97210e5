//! Shared tail of every ingest: identities, blocks with separators, the document record.

use std::collections::BTreeMap;

use super::validate::{is_blank, validate_text};
use super::{BlockDraft, SourceFormat};
use crate::hashing;
use crate::model::{Block, Document, Locator};

/// A converted file ready to be stored.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub document: Document,
    pub blocks: Vec<Block>,
}

/// Validate, split and identify `raw`. Pure: no I/O.
pub fn assemble(format: SourceFormat, file_name: &str, raw: Vec<u8>) -> Result<Prepared, String> {
    let source_type = format.source_type();
    let source_uid = hashing::source_uid(source_type, &raw);
    let source_filesize = raw.len() as u64;
    let text = validate_text(raw)?;
    // For Markdown and text the representation is the file itself.
    let conv_uid = hashing::conv_uid(
        format.parsing_tool(),
        format.representation_type(),
        text.as_bytes(),
    );
    let drafts = format.drafts(&text);
    let blocks = build_blocks(&conv_uid, &text, &drafts.blocks);
    if blocks.is_empty() {
        return Err("no content blocks found".into());
    }
    let mut freq: BTreeMap<String, u32> = BTreeMap::new();
    for b in &blocks {
        *freq.entry(b.block_type.as_str().to_string()).or_default() += 1;
    }
    let first_start = drafts.blocks.first().map(|d| d.start).unwrap_or(0);
    let document = Document {
        conv_uid,
        source_uid,
        source_type: source_type.to_string(),
        source_filesize,
        file_name: file_name.to_string(),
        title: drafts
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| file_name.to_string()),
        total_blocks: blocks.len() as u32,
        block_type_freq: freq,
        parsing_tool: format.parsing_tool().to_string(),
        representation_type: format.representation_type().to_string(),
        ingested_at: crate::clock::now_rfc3339(),
        leading_whitespace: text[..first_start].to_string(),
    };
    Ok(Prepared { document, blocks })
}

/// Turn sorted, non-overlapping drafts into blocks; each keeps the whitespace that follows it.
fn build_blocks(conv_uid: &str, text: &str, drafts: &[BlockDraft]) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let next_start = drafts.get(i + 1).map(|n| n.start).unwrap_or(text.len());
        let separator = &text[d.end..next_start];
        debug_assert!(separator.chars().all(is_blank), "gap must be whitespace");
        let index = i as u32;
        blocks.push(Block {
            block_uid: hashing::block_uid(conv_uid, index),
            block_index: index,
            block_type: d.block_type,
            block_locator: Locator::TextOffsetRange {
                start: d.start as u64,
                end: d.end as u64,
            },
            block_content: text[d.start..d.end].to_string(),
            separator_after: separator.to_string(),
        });
    }
    blocks
}

/// Cover every non-blank byte: any gap between drafts that holds text becomes its own block,
/// typed by `classify`. Returns drafts sorted by start. Shared by all formats.
pub(crate) fn fill_gaps(
    text: &str,
    mut drafts: Vec<BlockDraft>,
    classify: impl Fn(&str) -> crate::model::BlockType,
) -> Vec<BlockDraft> {
    drafts.sort_by_key(|d| d.start);
    let mut out = Vec::with_capacity(drafts.len());
    let mut pos = 0usize;
    let push_gap = |out: &mut Vec<BlockDraft>, from: usize, to: usize| {
        for (s, e) in non_blank_runs(text, from, to) {
            tracing::debug!(start = s, end = e, "uncovered text kept as its own block");
            out.push(BlockDraft {
                block_type: classify(&text[s..e]),
                start: s,
                end: e,
            });
        }
    };
    for d in drafts {
        if d.start < pos {
            // Overlap with the previous block (should not happen): keep the earlier one whole.
            if d.end <= pos {
                continue;
            }
            push_gap(&mut out, pos, d.end);
            pos = d.end;
            continue;
        }
        push_gap(&mut out, pos, d.start);
        pos = d.end;
        out.push(d);
    }
    push_gap(&mut out, pos, text.len());
    out
}

/// Trim blank characters from both ends of `text[start..end]`.
pub(crate) fn trim_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start_matches(is_blank).len();
    let trail = slice.trim_end_matches(is_blank).len();
    if trail <= lead {
        return (start, start);
    }
    (start + lead, start + trail)
}

/// Runs of text in `text[from..to]` separated by blank lines, trimmed.
fn non_blank_runs(text: &str, from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut run_start: Option<usize> = None;
    let mut last_end = from;
    let mut offset = from;
    for line in text[from..to].split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        if line.trim_matches(is_blank).is_empty() {
            if let Some(s) = run_start.take() {
                runs.push(trim_range(text, s, last_end));
            }
        } else {
            if run_start.is_none() {
                run_start = Some(line_start);
            }
            last_end = offset;
        }
    }
    if let Some(s) = run_start {
        runs.push(trim_range(text, s, last_end));
    }
    runs.retain(|(s, e)| e > s);
    runs
}
