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

/// How to find a block in its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Locator {
    /// Byte offsets into the source file: `block_content == source[start..end]`.
    TextOffsetRange { start: u64, end: u64 },
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
}

impl Block {
    pub fn as_ref(&self) -> BlockRef<'_> {
        let Locator::TextOffsetRange { start, end } = self.block_locator;
        BlockRef {
            block_index: self.block_index,
            block_type: self.block_type,
            start,
            end,
            content: &self.block_content,
            separator_after: &self.separator_after,
        }
    }
}
