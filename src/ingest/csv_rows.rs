//! CSV and TSV: each record is one `table` block; the header row is kept on the document
//! record (`table_header`), not as a block. The representation is the records re-written one
//! per line with minimal quoting, so a block reads as the row it came from.

use std::borrow::Cow;

use super::validate::validate_text;
use super::{BlockDraft, Drafts};
use crate::model::{BlockType, Locator};

pub(crate) fn csv_drafts(raw: &[u8], delimiter: u8) -> Result<(Cow<'static, str>, Drafts), String> {
    let text = validate_text(raw)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    // One writer re-writes every record with minimal quoting; each block is the bytes it added.
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(text.len()));
    let mut blocks = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u64;
    let mut lines = LineCounter::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("malformed {}: {e}", kind(delimiter))),
        }
        row += 1;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = lines.line_of(text, &record);
        let start = writer.get_ref().len();
        writer
            .write_record(&record)
            .and_then(|_| writer.flush().map_err(csv::Error::from))
            .map_err(|e| format!("cannot re-write row {row}: {e}"))?;
        // The record without its line break.
        let end = writer.get_ref().len() - 1;
        blocks.push(BlockDraft {
            block_type: BlockType::Table,
            start,
            end,
            locator: Some(Locator::CsvRow {
                start: start as u64,
                end: end as u64,
                row,
                line,
            }),
        });
    }
    if blocks.is_empty() {
        return Err(format!(
            "{} has a header row but no data rows",
            kind(delimiter)
        ));
    }
    let out = writer
        .into_inner()
        .map_err(|e| format!("cannot re-write the rows: {e}"))?;
    let out = String::from_utf8(out).map_err(|_| "re-written rows are not UTF-8".to_string())?;
    Ok((
        Cow::Owned(out),
        Drafts {
            blocks,
            title: None,
            table_header: Some(header),
            ..Default::default()
        },
    ))
}

/// Line breaks before `counted_to`, counted once as the reader moves on.
#[derive(Default)]
struct LineCounter {
    counted_to: usize,
    lines_before: u64,
}

impl LineCounter {
    /// The 1-based line a record starts on. The reader's line count is off after skipped blank
    /// lines: count from the byte offset, past the line breaks that precede the record.
    fn line_of(&mut self, text: &str, record: &csv::StringRecord) -> u64 {
        let byte = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        let rest = &text[byte.min(text.len())..];
        let byte = byte + rest.len() - rest.trim_start_matches(['\r', '\n']).len();
        let byte = byte.min(text.len()).max(self.counted_to);
        self.lines_before += text.as_bytes()[self.counted_to..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.counted_to = byte;
        1 + self.lines_before
    }
}

fn kind(delimiter: u8) -> &'static str {
    if delimiter == b'\t' {
        "TSV"
    } else {
        "CSV"
    }
}
