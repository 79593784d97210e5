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
    let mut out = String::with_capacity(text.len());
    let mut blocks = Vec::new();
    let mut line_buf = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u64;
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
        // The reader's line count is off after skipped blank lines: count from the byte offset,
        // past the line breaks that precede the record.
        let byte = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        let byte = byte + text[byte.min(text.len())..].len()
            - text[byte.min(text.len())..]
                .trim_start_matches(['\r', '\n'])
                .len();
        let line = 1 + text.as_bytes()[..byte.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        line_buf.clear();
        {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut line_buf);
            w.write_record(&record)
                .and_then(|_| w.flush().map_err(csv::Error::from))
                .map_err(|e| format!("cannot re-write row {row}: {e}"))?;
        }
        let rendered = std::str::from_utf8(&line_buf)
            .map_err(|_| format!("row {row} is not UTF-8"))?
            .trim_end_matches('\n');
        if !out.is_empty() {
            out.push('\n');
        }
        let start = out.len();
        out.push_str(rendered);
        blocks.push(BlockDraft {
            block_type: BlockType::Table,
            start,
            end: out.len(),
            locator: Some(Locator::CsvRow {
                start: start as u64,
                end: out.len() as u64,
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
    out.push('\n');
    Ok((
        Cow::Owned(out),
        Drafts {
            blocks,
            title: None,
            table_header: Some(header),
        },
    ))
}

fn kind(delimiter: u8) -> &'static str {
    if delimiter == b'\t' {
        "TSV"
    } else {
        "CSV"
    }
}
