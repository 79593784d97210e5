//! Grounding evidence of a staged value (SPEC §4a): where each quoted string of an
//! `x-grounded` field was found in its block, and how.

use serde::{Deserialize, Serialize};

/// How a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// The exact bytes occur in the block.
    Exact,
    /// Found once case, whitespace, quotes and dashes are folded.
    Normalized,
    /// Token alignment with the block reaches the fuzzy ratio (≥ 0.75).
    Fuzzy,
    /// Not in its own block, but exactly in another block of the same call (a pack shift).
    Neighbour,
    /// Not found.
    None,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Exact => "exact",
            SpanKind::Normalized => "normalized",
            SpanKind::Fuzzy => "fuzzy",
            SpanKind::Neighbour => "neighbour",
            SpanKind::None => "none",
        }
    }

    /// A reviewer should look at this value (SPEC §4a "needs a look").
    pub fn needs_a_look(self) -> bool {
        matches!(self, SpanKind::Fuzzy | SpanKind::Neighbour | SpanKind::None)
    }
}

/// One grounded string value. `start`/`end` are byte offsets into the block's content (into
/// block `block`'s content for a `neighbour`); absent for `none`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Where the value sits in the result, e.g. `entities[2].text`.
    pub path: String,
    pub kind: SpanKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
    /// `neighbour`: the index of the block the value was found in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u32>,
    /// `fuzzy`: the token alignment ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// Why a step was skipped (e.g. the fuzzy step past its length cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Span {
    pub fn new(path: String, kind: SpanKind) -> Span {
        Span {
            path,
            kind,
            start: None,
            end: None,
            block: None,
            ratio: None,
            note: None,
        }
    }

    pub fn at(mut self, start: usize, end: usize) -> Span {
        self.start = Some(start as u32);
        self.end = Some(end as u32);
        self
    }
}

/// What the pack guard did to a run: packs whose answers held values grounded in a neighbour
/// block, and each halving of the pack size (at most one per two such packs, down to 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackGuard {
    pub shifted_packs: u32,
    /// The pack size for the rest of the run, once halved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_size: Option<u32>,
    /// One line per halving, e.g. `call 12: 2 packs moved values between blocks; pack size 10 -> 5`.
    #[serde(default)]
    pub steps: Vec<String>,
}

/// Validation feedback (SPEC §4a): a block's first answer was invalid, so its single retry
/// told the model why. Kept on the retry's call record: the first answer, the error sent
/// back, and the answer that passed (if one did).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallFeedback {
    pub block_index: u32,
    /// What was wrong (field, rule, value), as sent to the model.
    pub error: String,
    pub first_answer: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<serde_json::Value>,
}
