//! The Markdown rendering that HTML, DOCX, PDF and EPUB blocks index into. Each format module
//! pushes blocks (type, Markdown text, source locator) in document order; the renderer lays them
//! out one after another, separated by a blank line, and records each block's byte range. The
//! result is a Markdown file, so the Markdown rebuild export works for every format.

use super::validate::is_blank;
use super::{BlockDraft, Drafts};
use crate::model::{BlockType, Locator};

#[derive(Debug, Default)]
pub(crate) struct Renderer {
    text: String,
    blocks: Vec<BlockDraft>,
    title: Option<String>,
    fallback_title: Option<String>,
}

impl Renderer {
    pub fn new() -> Self {
        Renderer::default()
    }

    /// Append one block. Blank content is skipped: a block always holds text.
    pub fn push(&mut self, block_type: BlockType, content: &str, locator: Locator) {
        self.push_trimmed(block_type, content.trim_matches(is_blank), locator);
    }

    /// Append one block keeping its leading indentation (a nested list item: `  - text`).
    pub fn push_indented(&mut self, block_type: BlockType, content: &str, locator: Locator) {
        let content = content
            .trim_end_matches(is_blank)
            .trim_start_matches(['\n', '\r']);
        if content.trim_matches(is_blank).is_empty() {
            return;
        }
        self.push_trimmed(block_type, content, locator);
    }

    /// Append one block on the next line, not after a blank line: the rows of one table.
    #[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
    pub fn push_next_line(&mut self, block_type: BlockType, content: &str, locator: Locator) {
        self.push_after(block_type, content.trim_matches(is_blank), locator, "\n");
    }

    /// The length of the rendering so far (size caps).
    #[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
    pub fn len(&self) -> usize {
        self.text.len()
    }

    fn push_trimmed(&mut self, block_type: BlockType, content: &str, locator: Locator) {
        self.push_after(block_type, content, locator, "\n\n");
    }

    fn push_after(&mut self, block_type: BlockType, content: &str, locator: Locator, sep: &str) {
        if content.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str(sep);
        }
        let start = self.text.len();
        self.text.push_str(content);
        let end = self.text.len();
        self.blocks.push(BlockDraft {
            block_type,
            start,
            end,
            locator: Some(locator.at_range(start as u64, end as u64)),
        });
    }

    /// A heading of `level` (1..=6); the first level-1 heading is the document title.
    pub fn heading(&mut self, level: usize, text: &str, locator: Locator) {
        let text = inline(text);
        if text.is_empty() {
            return;
        }
        if level == 1 && self.title.is_none() {
            self.title = Some(text.clone());
        }
        let hashes = "#".repeat(level.clamp(1, 6));
        self.push(BlockType::Heading, &format!("{hashes} {text}"), locator);
    }

    /// A title from the format's metadata, used when there is no level-1 heading.
    pub fn fallback_title(&mut self, title: &str) {
        let t = inline(title);
        if self.fallback_title.is_none() && !t.is_empty() {
            self.fallback_title = Some(t);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn finish(mut self) -> (String, Drafts) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        (
            self.text,
            Drafts {
                blocks: self.blocks,
                title: self.title.or(self.fallback_title),
                table_header: None,
                ..Default::default()
            },
        )
    }
}

/// Collapse runs of whitespace to one space and trim: how inline HTML/XML text reads.
pub(crate) fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(is_blank).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Paragraph text made safe as Markdown: a line that would start a heading, list, quote,
/// table or fence is escaped with a backslash so the rendering reads back as a paragraph.
pub(crate) fn paragraph(s: &str) -> String {
    s.lines()
        .map(inline)
        .filter(|l| !l.is_empty())
        .map(|l| escape_line_start(&l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_line_start(line: &str) -> String {
    let first = line.chars().next().unwrap_or(' ');
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    let ordered =
        digits > 0 && digits < 10 && matches!(line[digits..].chars().next(), Some('.') | Some(')'));
    if matches!(
        first,
        '#' | '>' | '-' | '+' | '*' | '=' | '|' | '`' | '~' | '<'
    ) {
        format!("\\{line}")
    } else if ordered {
        format!("{}\\{}", &line[..digits], &line[digits..])
    } else {
        line.to_string()
    }
}

/// A list item at `depth` (0 = top level): `- text` or `1. text`, continuation lines indented.
pub(crate) fn list_item(text: &str, ordinal: Option<usize>, depth: usize) -> String {
    list_item_body(&paragraph(text), ordinal, depth)
}

/// A list item of an already rendered body (see also `inline_md::list_item`).
pub(crate) fn list_item_body(body: &str, ordinal: Option<usize>, depth: usize) -> String {
    let indent = "  ".repeat(depth);
    let marker = match ordinal {
        Some(n) => format!("{n}. "),
        None => "- ".to_string(),
    };
    let pad = " ".repeat(marker.len());
    let mut out = String::new();
    for (i, line) in body.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{indent}{marker}{line}"));
        } else {
            out.push_str(&format!("\n{indent}{pad}{line}"));
        }
    }
    out
}

/// Quote every line with `> ` (blank lines become `>`).
pub(crate) fn blockquote(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fenced code block; the fence is longer than any backtick run inside.
pub(crate) fn code_block(code: &str, lang: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let code = code
        .trim_end_matches(is_blank)
        .trim_start_matches(['\n', '\r']);
    format!("{fence}{}\n{code}\n{fence}", inline(lang))
}

/// A GFM table; the first row is the header. Cells are inline text with `|` escaped.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let line = |row: &[String]| {
        let cells: Vec<String> = (0..width)
            .map(|i| {
                row.get(i)
                    .map(|c| inline(c).replace('|', "\\|"))
                    .unwrap_or_default()
            })
            .collect();
        format!("| {} |", cells.join(" | "))
    };
    let mut out = vec![line(&rows[0])];
    out.push(format!("|{}", " --- |".repeat(width)));
    out.extend(rows[1..].iter().map(|r| line(r)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_escape_block_starts_and_tables_escape_pipes() {
        assert_eq!(
            paragraph("# not a heading\n 2. not a list"),
            "\\# not a heading\n2\\. not a list"
        );
        assert_eq!(
            table(&[vec!["a".into(), "b|c".into()], vec!["1".into()]]),
            "| a | b\\|c |\n| --- | --- |\n| 1 |  |"
        );
        assert_eq!(code_block("x ``` y\n", "rust"), "````rust\nx ``` y\n````");
        assert_eq!(list_item("one\ntwo", Some(3), 1), "  3. one\n     two");
    }

    #[test]
    fn blocks_are_ranges_of_the_rendered_text() {
        let mut r = Renderer::new();
        let loc = Locator::TextOffsetRange { start: 0, end: 0 };
        r.heading(1, " The  Title ", loc.clone());
        r.push(BlockType::Paragraph, "  ", loc.clone());
        r.push(BlockType::Paragraph, "Body text.", loc);
        let (text, drafts) = r.finish();
        assert_eq!(text, "# The Title\n\nBody text.\n");
        assert_eq!(drafts.title.as_deref(), Some("The Title"));
        let got: Vec<&str> = drafts
            .blocks
            .iter()
            .map(|b| &text[b.start..b.end])
            .collect();
        assert_eq!(got, ["# The Title", "Body text."]);
    }
}
