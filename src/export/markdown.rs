//! Markdown reconstruction: the document rebuilt in block order, each block replaced by its
//! confirmed rewrite where there is one (staged rewrites too in staging / both modes), joined
//! with the whitespace the source had between blocks. An unchanged run reproduces the source.
//!
//! A rewrite is `final.content` (the rewrite template; ignored when `action` is `keep` or
//! `skip_nonprose`, which mean "the original block") or a string `revised_content` field.

use std::borrow::Cow;
use std::io::Write;

use serde_json::value::RawValue;
use serde_json::Value;

use super::{io_at, pick, Context, ExportError, ExportSummary};
use crate::store::Store;

/// The rewritten Markdown of a block in `value`, if it carries one.
pub fn rewrite_of(value: &Value) -> Option<&str> {
    if let Some(action) = value.get("action").and_then(Value::as_str) {
        if action == "keep" || action == "skip_nonprose" {
            return None;
        }
    }
    value
        .get("final")
        .and_then(|f| f.get("content"))
        .and_then(Value::as_str)
        .or_else(|| value.get("revised_content").and_then(Value::as_str))
        // The block's own separator follows; stray outer line breaks would add blank lines.
        .map(|s| s.trim_matches(|c| c == '\n' || c == '\r'))
}

fn replacement(raw: Option<&RawValue>) -> Option<String> {
    let value: Value = serde_json::from_str(raw?.get()).ok()?;
    rewrite_of(&value).map(str::to_string)
}

pub(super) fn write<W: Write>(
    store: &Store,
    ctx: &Context,
    w: &mut W,
    target: &str,
) -> Result<ExportSummary, ExportError> {
    let io = io_at(target);
    let mut summary = ExportSummary {
        blocks: 0,
        bytes: 0,
        confirmed: 0,
        drafts: 0,
    };
    w.write_all(ctx.doc.leading_whitespace.as_bytes())
        .map_err(&io)?;
    // Markdown has one text per block: `both` means "confirmed, else staged", like `staging`.
    let mode = match ctx.mode {
        super::Mode::Both => super::Mode::Staging,
        m => m,
    };
    store.for_each_block_overlay(&ctx.doc.conv_uid, &ctx.run.run_id, |block, ov| {
        let picked = pick(mode, ov);
        // Counted like JSONL and CSV: every block exported with a value, rewrite or not (a
        // clause review confirms values but rewrites nothing).
        match (picked.data.is_some(), picked.draft) {
            (true, true) => summary.drafts += 1,
            (true, false) => summary.confirmed += 1,
            (false, _) => {}
        }
        let text: Cow<'_, str> = match replacement(picked.data) {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&block.block_content),
        };
        w.write_all(text.as_bytes()).map_err(&io)?;
        w.write_all(block.separator_after.as_bytes()).map_err(&io)?;
        summary.blocks += 1;
        Ok::<(), ExportError>(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_rewrites_and_respects_keep() {
        let v = json!({"action": "rewrite", "final": {"format": "markdown_fragment", "content": "New.\n"}});
        assert_eq!(rewrite_of(&v), Some("New."));
        let v = json!({"action": "keep", "final": {"content": "changed by model"}});
        assert_eq!(rewrite_of(&v), None);
        assert_eq!(rewrite_of(&json!({"revised_content": "R"})), Some("R"));
        assert_eq!(rewrite_of(&json!({"summary": "S"})), None);
    }
}
