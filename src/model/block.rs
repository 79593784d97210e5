use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The closed set of block types of SPEC §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockType {
    Heading,
    Paragraph,
    ListItem,
    CodeBlock,
    Table,
    Figure,
    Caption,
    Footnote,
    Divider,
    HtmlBlock,
    Definition,
    Blockquote,
    PageHeader,
    PageFooter,
    Other,
}

impl BlockType {
    pub const ALL: [BlockType; 15] = [
        BlockType::Heading,
        BlockType::Paragraph,
        BlockType::ListItem,
        BlockType::CodeBlock,
        BlockType::Table,
        BlockType::Figure,
        BlockType::Caption,
        BlockType::Footnote,
        BlockType::Divider,
        BlockType::HtmlBlock,
        BlockType::Definition,
        BlockType::Blockquote,
        BlockType::PageHeader,
        BlockType::PageFooter,
        BlockType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockType::Heading => "heading",
            BlockType::Paragraph => "paragraph",
            BlockType::ListItem => "list_item",
            BlockType::CodeBlock => "code_block",
            BlockType::Table => "table",
            BlockType::Figure => "figure",
            BlockType::Caption => "caption",
            BlockType::Footnote => "footnote",
            BlockType::Divider => "divider",
            BlockType::HtmlBlock => "html_block",
            BlockType::Definition => "definition",
            BlockType::Blockquote => "blockquote",
            BlockType::PageHeader => "page_header",
            BlockType::PageFooter => "page_footer",
            BlockType::Other => "other",
        }
    }
}

impl fmt::Display for BlockType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BlockType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BlockType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = BlockType::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "unknown block type '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// How to find a block in its source. Every variant keeps `start..end`, the block's byte range in
/// the document's text representation (`block_content == representation[start..end]`); for
/// Markdown and plain text the representation is the source file itself. The other variants add
/// where the block sits in a source that is not text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Locator {
    /// Byte offsets into the source file: `block_content == source[start..end]`.
    TextOffsetRange { start: u64, end: u64 },
    /// An HTML element (also an EPUB chapter's): its path from the root (`html/body/p[2]`, 1-based
    /// among same-name siblings) and the byte range of its markup in the source file, or in the
    /// archive member `part` for EPUB.
    HtmlElement {
        start: u64,
        end: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        part: Option<String>,
        path: String,
        source_start: u64,
        source_end: u64,
    },
    /// A DOCX paragraph: index of its first `w:p` among all `w:p` of `part` (document order,
    /// table cells included), and how many paragraphs the block spans (a table spans many).
    DocxParagraph {
        start: u64,
        end: u64,
        part: String,
        paragraph: u32,
        paragraph_count: u32,
    },
    /// A PDF text region: 1-based page and bounding box `[x0, y0, x1, y1]` in PDF points
    /// (origin bottom-left).
    PdfBox {
        start: u64,
        end: u64,
        page: u32,
        bbox: [f64; 4],
    },
    /// A CSV/TSV record: 1-based record number after the header, and the 1-based line it starts on.
    CsvRow {
        start: u64,
        end: u64,
        row: u64,
        line: u64,
    },
    /// A PowerPoint shape: 1-based slide number (presentation order, hidden slides counted) and
    /// the shape's id on that slide (`p:cNvPr/@id`); `notes` marks the slide's speaker notes.
    Pptx {
        start: u64,
        end: u64,
        slide: u32,
        shape: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        notes: bool,
    },
    /// A spreadsheet row: the sheet's name and the row's 1-based number in the sheet (the
    /// heading of a sheet names its first used row).
    Sheet {
        start: u64,
        end: u64,
        sheet: String,
        row: u32,
    },
}

// Bounding boxes are finite numbers from the PDF reader (never NaN), so equality is total.
impl Eq for Locator {}

impl Locator {
    /// The block's byte range in the text representation.
    pub fn range(&self) -> (u64, u64) {
        match *self {
            Locator::TextOffsetRange { start, end }
            | Locator::HtmlElement { start, end, .. }
            | Locator::DocxParagraph { start, end, .. }
            | Locator::PdfBox { start, end, .. }
            | Locator::CsvRow { start, end, .. }
            | Locator::Pptx { start, end, .. }
            | Locator::Sheet { start, end, .. } => (start, end),
        }
    }

    /// The same locator moved to the representation range `start..end`.
    pub fn at_range(mut self, new_start: u64, new_end: u64) -> Locator {
        match &mut self {
            Locator::TextOffsetRange { start, end }
            | Locator::HtmlElement { start, end, .. }
            | Locator::DocxParagraph { start, end, .. }
            | Locator::PdfBox { start, end, .. }
            | Locator::CsvRow { start, end, .. }
            | Locator::Pptx { start, end, .. }
            | Locator::Sheet { start, end, .. } => {
                *start = new_start;
                *end = new_end;
            }
        }
        self
    }

    /// Whether this locator says more than the text range (a non-text source).
    pub fn is_source_specific(&self) -> bool {
        !matches!(self, Locator::TextOffsetRange { .. })
    }
}

/// One immutable block of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub block_uid: String,
    pub block_index: u32,
    pub block_type: BlockType,
    pub block_locator: Locator,
    pub block_content: String,
    /// The whitespace between this block and the next one (or the end of the file), kept so that
    /// the document can be rebuilt exactly. Internal: not part of the exported block.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub separator_after: String,
}

/// A borrowed view of a block, used to store a fresh ingest without copying every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef<'a> {
    pub block_index: u32,
    pub block_type: BlockType,
    pub start: u64,
    pub end: u64,
    pub content: &'a str,
    pub separator_after: &'a str,
    /// The source locator of a non-text format; `None` means a plain text range.
    pub locator: Option<&'a Locator>,
}

impl Block {
    pub fn as_ref(&self) -> BlockRef<'_> {
        let (start, end) = self.block_locator.range();
        BlockRef {
            block_index: self.block_index,
            block_type: self.block_type,
            start,
            end,
            content: &self.block_content,
            separator_after: &self.separator_after,
            locator: Some(&self.block_locator).filter(|l| l.is_source_specific()),
        }
    }
}
