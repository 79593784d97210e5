//! Plain text: paragraphs separated by blank lines.

use super::assemble::trim_range;
use super::validate::is_blank;
use super::{BlockDraft, Drafts};
use crate::model::BlockType;

pub fn text_drafts(text: &str) -> Drafts {
    let mut blocks = Vec::new();
    let mut para_start: Option<usize> = None;
    let mut para_end = 0usize;
    let mut offset = 0usize;
    let close = |blocks: &mut Vec<BlockDraft>, s: usize, e: usize| {
        let (start, end) = trim_range(text, s, e);
        if end > start {
            blocks.push(BlockDraft {
                block_type: BlockType::Paragraph,
                start,
                end,
                locator: None,
            });
        }
    };
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        if line.trim_matches(is_blank).is_empty() {
            if let Some(s) = para_start.take() {
                close(&mut blocks, s, para_end);
            }
        } else {
            para_start.get_or_insert(line_start);
            para_end = offset;
        }
    }
    if let Some(s) = para_start {
        close(&mut blocks, s, para_end);
    }
    Drafts {
        blocks,
        title: None,
        table_header: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_split_on_blank_lines_including_crlf_and_spaces() {
        let t = "one\r\nline two\r\n  \r\nthree\n\n\n four \n";
        let d = text_drafts(t);
        let got: Vec<&str> = d.blocks.iter().map(|b| &t[b.start..b.end]).collect();
        assert_eq!(got, vec!["one\r\nline two", "three", "four"]);
    }
}
