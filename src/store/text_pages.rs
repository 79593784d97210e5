//! A document's text, stored once in fixed-size pages (table `DOC_TEXT`). Blocks keep only
//! their byte range; their content is `text[start..end]`, read back from the pages. Storing the
//! text apart from the block records lets ingest write it while the parser is still running.

use redb::{ReadOnlyTable, Table};

use super::StoreError;

/// Bytes per text page.
pub const PAGE: usize = 64 * 1024;

type PageTable = ReadOnlyTable<(&'static str, u32), &'static [u8]>;

/// Write `text` as pages `0..` of `conv_uid`.
pub(super) fn insert_pages(
    table: &mut Table<'_, (&'static str, u32), &'static [u8]>,
    conv_uid: &str,
    text: &[u8],
) -> Result<(), StoreError> {
    for (i, page) in text.chunks(PAGE).enumerate() {
        table.insert((conv_uid, i as u32), page)?;
    }
    Ok(())
}

/// Reads byte ranges of one document's text, keeping the last pages it loaded (reads in block
/// order touch each page once).
pub(super) struct TextReader<'t> {
    table: &'t PageTable,
    conv_uid: &'t str,
    cache: Vec<(u32, Vec<u8>)>,
}

impl<'t> TextReader<'t> {
    pub fn new(table: &'t PageTable, conv_uid: &'t str) -> Self {
        TextReader {
            table,
            conv_uid,
            cache: Vec::with_capacity(2),
        }
    }

    fn page(&mut self, n: u32) -> Result<&[u8], StoreError> {
        if let Some(i) = self.cache.iter().position(|(p, _)| *p == n) {
            return Ok(&self.cache[i].1);
        }
        let bytes = match self.table.get((self.conv_uid, n))? {
            Some(v) => v.value().to_vec(),
            None => {
                return Err(StoreError::Corrupt(format!(
                    "document {} is missing text page {n}",
                    self.conv_uid
                )))
            }
        };
        if self.cache.len() >= 2 {
            self.cache.remove(0);
        }
        self.cache.push((n, bytes));
        Ok(&self.cache.last().map(|(_, b)| b).expect("just pushed")[..])
    }

    /// `text[start..end]` as a string (block boundaries are character boundaries).
    pub fn slice(&mut self, start: u64, end: u64) -> Result<String, StoreError> {
        let (start, end) = (start as usize, end as usize);
        if end < start {
            return Err(StoreError::Corrupt(format!(
                "bad text range {start}..{end}"
            )));
        }
        // A damaged range must not decide the allocation: pages fill the buffer as they are read.
        let mut out = Vec::with_capacity((end - start).min(PAGE));
        let mut pos = start;
        while pos < end {
            let n = (pos / PAGE) as u32;
            let page = self.page(n)?;
            let from = pos % PAGE;
            let to = (end - n as usize * PAGE).min(page.len());
            if to <= from {
                return Err(StoreError::Corrupt(format!(
                    "text range {start}..{end} runs past the end of document {}",
                    self.conv_uid
                )));
            }
            out.extend_from_slice(&page[from..to]);
            pos += to - from;
        }
        String::from_utf8(out)
            .map_err(|_| StoreError::Corrupt(format!("text range {start}..{end} is not UTF-8")))
    }
}
