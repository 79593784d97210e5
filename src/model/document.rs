use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One converted source file (SPEC §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub conv_uid: String,
    pub source_uid: String,
    /// Lower-case extension family: `md`, `txt`, ...
    pub source_type: String,
    pub source_filesize: u64,
    pub file_name: String,
    pub title: String,
    pub total_blocks: u32,
    pub block_type_freq: BTreeMap<String, u32>,
    pub parsing_tool: String,
    pub representation_type: String,
    pub ingested_at: String,
    /// Whitespace before the first block, for exact reconstruction.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub leading_whitespace: String,
    /// Column names of a CSV/TSV source: the header row is kept here, not as a block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_header: Option<Vec<String>>,
    /// Hidden slides (PPTX) or sheets (XLSX) skipped at ingest, and what they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_skipped: Option<HiddenSkipped>,
}

/// How many hidden parts of a source were skipped: `{count, kind: "slides" | "sheets"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HiddenSkipped {
    pub count: u32,
    pub kind: String,
}
