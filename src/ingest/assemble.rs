//! Shared tail of every ingest: identities, blocks with separators, the document record.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::validate::is_blank;
use super::{BlockDraft, Drafts, SourceFormat};
use crate::hashing;
use crate::model::{Block, BlockRef, Document, Locator};

/// A converted file ready to be stored: the document record, the validated text and the block
/// ranges. Blocks are views into `text`, built on demand.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub document: Document,
    pub text: String,
    pub drafts: Vec<BlockDraft>,
}

/// Borrowed blocks of `text` in index order; each keeps the whitespace up to the next block.
pub fn block_refs<'a>(
    text: &'a str,
    drafts: &'a [BlockDraft],
) -> impl Iterator<Item = BlockRef<'a>> + 'a {
    drafts.iter().enumerate().map(move |(i, d)| {
        let next_start = drafts.get(i + 1).map(|n| n.start).unwrap_or(text.len());
        BlockRef {
            block_index: i as u32,
            block_type: d.block_type,
            start: d.start as u64,
            end: d.end as u64,
            content: &text[d.start..d.end],
            separator_after: &text[d.end..next_start],
            locator: d.locator.as_ref(),
        }
    })
}

impl Prepared {
    /// Borrowed blocks in index order (what the store writes).
    pub fn block_refs(&self) -> impl Iterator<Item = BlockRef<'_>> + '_ {
        block_refs(&self.text, &self.drafts)
    }

    /// Owned blocks with their uids, in index order.
    pub fn blocks(&self) -> Vec<Block> {
        self.block_refs()
            .map(|r| Block {
                block_uid: hashing::block_uid(&self.document.conv_uid, r.block_index),
                block_index: r.block_index,
                block_type: r.block_type,
                block_locator: match r.locator {
                    Some(l) => l.clone().at_range(r.start, r.end),
                    None => Locator::TextOffsetRange {
                        start: r.start,
                        end: r.end,
                    },
                },
                block_content: r.content.to_string(),
                separator_after: r.separator_after.to_string(),
            })
            .collect()
    }
}

/// The identities of a source file (SPEC §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub source_uid: String,
    pub conv_uid: String,
}

/// Hash a source into its identities: `source_uid` from the raw file, `conv_uid` from the
/// representation the blocks index (for Markdown and text, the file itself).
pub fn identity(format: SourceFormat, tool: &str, raw: &[u8], representation: &[u8]) -> Identity {
    Identity {
        source_uid: hashing::source_uid(format.source_type(), raw),
        conv_uid: hashing::conv_uid(tool, format.representation_type(), representation),
    }
}

/// The `parsing_tool` of a converted file: the format's, plus the encoding a text source was
/// decoded from (`store::check` reads it to know the stored text is not the file itself).
pub fn parsing_tool(format: SourceFormat, drafts: &Drafts) -> String {
    match drafts.decoded_from {
        Some(encoding) => format!("{} (from {encoding})", format.parsing_tool()),
        None => format.parsing_tool().to_string(),
    }
}

/// A source converted to its text representation and block drafts.
#[derive(Debug, Clone)]
pub struct Converted<'a> {
    pub text: Cow<'a, str>,
    pub drafts: Drafts,
}

/// Convert `raw` into its representation and drafts; refuse a file with no blocks.
pub fn convert(format: SourceFormat, raw: &[u8]) -> Result<Converted<'_>, String> {
    let (text, drafts) = format.convert(raw)?;
    if drafts.blocks.is_empty() {
        return Err("no content blocks found".into());
    }
    Ok(Converted { text, drafts })
}

/// The document record of a converted file.
pub fn document(
    format: SourceFormat,
    file_name: &str,
    ids: Identity,
    source_size: u64,
    text: &str,
    drafts: &Drafts,
) -> Document {
    let mut freq: BTreeMap<String, u32> = BTreeMap::new();
    for d in &drafts.blocks {
        *freq.entry(d.block_type.as_str().to_string()).or_default() += 1;
    }
    let first_start = drafts.blocks.first().map(|d| d.start).unwrap_or(0);
    Document {
        conv_uid: ids.conv_uid,
        source_uid: ids.source_uid,
        source_type: format.source_type().to_string(),
        source_filesize: source_size,
        file_name: file_name.to_string(),
        title: drafts
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| file_name.to_string()),
        total_blocks: drafts.blocks.len() as u32,
        block_type_freq: freq,
        parsing_tool: parsing_tool(format, drafts),
        representation_type: format.representation_type().to_string(),
        ingested_at: crate::clock::now_rfc3339(),
        leading_whitespace: text[..first_start].to_string(),
        table_header: drafts.table_header.clone(),
        hidden_skipped: drafts
            .hidden_skipped
            .map(|(count, kind)| crate::model::HiddenSkipped {
                count,
                kind: kind.to_string(),
            }),
    }
}

/// From this size a source that is its own representation is hashed on a second thread while
/// its text is parsed. Below it, hashing costs less than starting a thread (SHA-256 runs at
/// about 1 GB/s here), and a folder ingest already keeps every core parsing.
const HASH_BESIDE_PARSE_BYTES: usize = 256 * 1024;

/// Validate, split and identify `raw`. Pure: no I/O. For a large source that is its own
/// representation, hashing runs on a second thread while the text is validated and parsed.
pub fn assemble(format: SourceFormat, file_name: &str, raw: &[u8]) -> Result<Prepared, String> {
    let own = format.is_own_representation_of(raw);
    let (converted, ids) = if own && raw.len() >= HASH_BESIDE_PARSE_BYTES {
        let (ids, converted) = std::thread::scope(|scope| {
            let ids = scope.spawn(|| identity(format, format.parsing_tool(), raw, raw));
            let converted = convert(format, raw);
            (
                ids.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                converted,
            )
        });
        (converted?, ids)
    } else if own {
        let converted = convert(format, raw)?;
        (converted, identity(format, format.parsing_tool(), raw, raw))
    } else {
        let converted = convert(format, raw)?;
        let tool = parsing_tool(format, &converted.drafts);
        let ids = identity(format, &tool, raw, converted.text.as_bytes());
        (converted, ids)
    };
    let document = document(
        format,
        file_name,
        ids,
        raw.len() as u64,
        &converted.text,
        &converted.drafts,
    );
    Ok(Prepared {
        document,
        text: converted.text.into_owned(),
        drafts: converted.drafts.blocks,
    })
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
                locator: None,
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
