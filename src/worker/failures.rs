//! Why a run's blocks failed, grouped by cause (issue 10 item 14: `run start` exits 5 with this
//! summary when a run ends with failed blocks).

use std::collections::BTreeMap;

use crate::model::OverlayStatus;
use crate::store::{Store, StoreError};

/// One cause of failure: how many blocks, and the first few of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailureCause {
    pub cause: String,
    pub count: u32,
    pub blocks: Vec<u32>,
    /// The full error of the first block (`blocks[0]`), e.g. the rule and the value given.
    pub example: String,
}

/// The cause of a `last_error`: its leading clause (an invalid answer keeps the field it names),
/// so "bad request (400): prompt too long for block 3" and "...block 9" group together.
fn cause_of(last_error: &str) -> String {
    let e = last_error.trim();
    if let Some(rest) = e.strip_prefix("invalid answer: ") {
        let field = rest.split(':').next().unwrap_or(rest);
        return format!("invalid answer ({field})");
    }
    let head = e.split(": ").next().unwrap_or(e);
    head.chars().take(80).collect()
}

/// Failed blocks of `run_id` grouped by cause, most frequent first.
pub fn failures_by_cause(store: &Store, run_id: &str) -> Result<Vec<FailureCause>, StoreError> {
    let mut by: BTreeMap<String, FailureCause> = BTreeMap::new();
    for index in store.indices_with_status(run_id, OverlayStatus::Failed)? {
        let error = store
            .overlay(run_id, index)?
            .and_then(|o| o.last_error)
            .unwrap_or_else(|| "no error recorded".to_string());
        let cause = cause_of(&error);
        let entry = by.entry(cause.clone()).or_insert_with(|| FailureCause {
            cause,
            count: 0,
            blocks: Vec::new(),
            example: error.clone(),
        });
        entry.count += 1;
        if entry.blocks.len() < 8 {
            entry.blocks.push(index);
        }
    }
    let mut out: Vec<FailureCause> = by.into_values().collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.cause.cmp(&b.cause)));
    Ok(out)
}

/// "3 blocks failed: 2 × bad request (400) (blocks 1, 4); 1 × invalid answer (field 'x') (block 7)".
pub fn summary(causes: &[FailureCause]) -> String {
    let total: u32 = causes.iter().map(|c| c.count).sum();
    let parts: Vec<String> = causes
        .iter()
        .map(|c| {
            let list: Vec<String> = c.blocks.iter().map(u32::to_string).collect();
            let more = if c.count as usize > c.blocks.len() {
                ", …"
            } else {
                ""
            };
            let noun = if c.blocks.len() == 1 {
                "block"
            } else {
                "blocks"
            };
            format!(
                "{} × {} ({noun} {}{more})",
                c.count,
                c.cause,
                list.join(", ")
            )
        })
        .collect();
    format!("{total} blocks failed: {}", parts.join("; "))
}

/// The failures of `run status`: a heading line, then per cause its count, example blocks and
/// the first block's full error.
pub fn lines(causes: &[FailureCause]) -> Vec<String> {
    let total: u32 = causes.iter().map(|c| c.count).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut out = vec![format!(
        "failures  {total} blocks failed, {} cause(s) (`run retry-failed` queues them again)",
        causes.len()
    )];
    for c in causes {
        let list: Vec<String> = c.blocks.iter().map(u32::to_string).collect();
        let more = if c.count as usize > c.blocks.len() {
            ", …"
        } else {
            ""
        };
        out.push(format!(
            "          {} × {}  blocks {}{more}",
            c.count,
            c.cause,
            list.join(", ")
        ));
        if let Some(first) = c.blocks.first() {
            out.push(format!("            e.g. block {first}: {}", c.example));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_group_by_leading_clause() {
        assert_eq!(
            cause_of("invalid answer: field 'score': 12 is greater than the maximum of 9"),
            "invalid answer (field 'score')"
        );
        assert_eq!(cause_of("bad request (400): too long"), "bad request (400)");
        let s = summary(&[FailureCause {
            cause: "x".into(),
            count: 9,
            blocks: (0..8).collect(),
            example: "x: y".into(),
        }]);
        assert!(s.starts_with("9 blocks failed: 9 × x (blocks 0, 1"), "{s}");
        assert!(s.ends_with(", …)"), "{s}");
    }
}
