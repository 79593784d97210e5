//! Small output helpers shared by commands.

use serde::Serialize;

/// Print one JSON document on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let s = serde_json::to_string_pretty(value)?;
    println!("{s}");
    Ok(())
}

/// First `max` characters of `s` on one line, with an ellipsis when cut.
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        out.push('…');
    }
    out
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
