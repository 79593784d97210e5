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

/// First 12 characters of an id, for human tables.
pub fn short_id(id: &str) -> &str {
    let end = id
        .char_indices()
        .nth(12)
        .map(|(i, _)| i)
        .unwrap_or(id.len());
    &id[..end]
}
