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
    /// The calibration that chose the pack size (SPEC §4a), when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

/// Calibration (SPEC §4a): the first blocks answered singly (kept as the run's answers) and
/// packed at falling pack sizes; the largest size whose answers agree with the single ones on
/// at least 95% of field values is kept for the rest of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calibration {
    /// The blocks answered both ways, first and last index.
    pub first_block: u32,
    pub last_block: u32,
    /// Blocks with a single answer (the ones compared).
    pub blocks: u32,
    /// Each pack size tried, largest first, with its agreement.
    pub tries: Vec<CalibrationTry>,
    pub chosen: u32,
    /// Why calibration stopped early, if it did (a failed call, no single answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One pack size tried: field values compared with the single answers and how many agreed
/// (normalized: strings folded, numbers to 1e-9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrationTry {
    pub pack_size: u32,
    pub calls: u32,
    pub compared: u64,
    pub agreeing: u64,
}

impl CalibrationTry {
    /// Agreement with the single answers, 0..=1 (0 when nothing was compared).
    pub fn agreement(&self) -> f64 {
        if self.compared == 0 {
            0.0
        } else {
            self.agreeing as f64 / self.compared as f64
        }
    }
}

impl Calibration {
    /// `blocks 0-19 (20): pack 10 agreed 82.5% (165/200), pack 5 96.0% (192/200) -> pack size 5`.
    pub fn describe(&self) -> String {
        let tries: Vec<String> = self
            .tries
            .iter()
            .map(|t| {
                format!(
                    "pack {} agreed {:.1}% ({}/{})",
                    t.pack_size,
                    t.agreement() * 100.0,
                    t.agreeing,
                    t.compared
                )
            })
            .collect();
        let note = self
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        format!(
            "blocks {}-{} ({} answered singly): {} -> pack size {}{note}",
            self.first_block,
            self.last_block,
            self.blocks,
            if tries.is_empty() {
                "no pack tried".to_string()
            } else {
                tries.join(", ")
            },
            self.chosen
        )
    }
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
