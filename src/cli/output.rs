//! Small output helpers shared by commands.

use serde::Serialize;

/// Print one JSON document on stdout. serde_json escapes C0 controls; the C1 controls and bidi
/// overrides it leaves raw are escaped here as `\uXXXX`, so the data is unchanged and the
/// terminal obeys nothing.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let s = serde_json::to_string_pretty(value)?;
    println!("{}", crate::model::json_escape_controls(&s));
    Ok(())
}

/// First `max` characters of `s` on one line, through the one terminal sanitizer.
pub use crate::model::one_line;

/// A storage failure (e.g. "No space left on device") names the store file it happened to.
pub fn with_store_path(message: String, store: &std::path::Path) -> String {
    let path = store.display().to_string();
    if message.contains("store error:") && !message.contains(&path) {
        format!("{message} (store file {path})")
    } else {
        message
    }
}

/// An error and its causes on one line, each cause only once: most errors here already quote
/// their cause in their own message (`cannot write the export to X: Permission denied`), and
/// anyhow's `{:#}` would repeat it.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// First 12 characters of an id, for human tables.
pub fn short_id(id: &str) -> &str {
    let end = id
        .char_indices()
        .nth(12)
        .map(|(i, _)| i)
        .unwrap_or(id.len());
    &id[..end]
}

/// The `blocks`, `usage` and `cost` lines of `run status`, for a run and for a group (its sums).
pub fn print_totals(c: &crate::model::RunCounters, u: &crate::model::UsageTotals) {
    // Blocks skipped by type (worker.skip_block_types) are named only when there are some.
    let skipped = match c.skipped {
        0 => String::new(),
        n => format!("  skipped {n} (by type)"),
    };
    outln!(
        "blocks    total {}  pending {}  claimed {}  ai_complete {}  confirmed {}  failed {}{skipped}",
        c.total,
        c.pending,
        c.claimed,
        c.ai_complete,
        c.confirmed,
        c.failed
    );
    outln!(
        "usage     calls {} (cache hits {}, failed {})  input {}  output {}  cache-write {}  cache-read {}",
        u.calls,
        u.cache_hit_calls,
        u.failed_calls,
        u.tokens.input_tokens,
        u.tokens.output_tokens,
        u.tokens.cache_write_tokens,
        u.tokens.cache_read_tokens
    );
    outln!(
        "cost      {} (estimated)",
        crate::workspace::format_cost(u.cost_usd)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_quoted_in_the_message_is_not_repeated() {
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let quoted = crate::export::ExportError::Io {
            target: "out.jsonl".into(),
            source: io,
        };
        let text = error_text(&anyhow::Error::new(quoted));
        assert_eq!(
            text,
            "cannot write the export to out.jsonl: permission denied"
        );
        let added = anyhow::Error::new(std::io::Error::other("disk gone")).context("saving");
        assert_eq!(error_text(&added), "saving: disk gone");
    }
}
