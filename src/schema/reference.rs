//! `schema_ref`: validation, derivation from `$id` / `title`, and free-ref suggestions.

use serde_json::Value;

use super::SchemaError;

/// Longest allowed ref.
pub const MAX_REF_LEN: usize = 64;

/// Check `^[a-z0-9][a-z0-9_-]{0,63}$`, saying what is wrong.
pub fn validate_ref(r: &str) -> Result<(), SchemaError> {
    let bad = |reason: String| {
        Err(SchemaError::InvalidRef {
            schema_ref: r.to_string(),
            reason,
        })
    };
    let Some(first) = r.chars().next() else {
        return bad("it is empty".into());
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return bad(format!(
            "it must start with a lower-case letter or a digit, not '{first}'"
        ));
    }
    if let Some(c) = r
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return bad(format!(
            "'{c}' is not allowed; use a-z, 0-9, '_' and '-' only"
        ));
    }
    if r.len() > MAX_REF_LEN {
        return bad(format!(
            "it is {} characters long; the limit is {MAX_REF_LEN}",
            r.len()
        ));
    }
    Ok(())
}

/// Turn any text into a valid ref, or `None` when nothing usable is left: lower-cased, every
/// character outside `a-z 0-9 _ -` becomes `_`, runs of `_` collapse, leading and trailing `_`
/// are trimmed (a leading `-` too, since a ref must start with a letter or digit), cut to 64.
pub fn slugify(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            c
        } else {
            '_'
        };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_start_matches(['_', '-']);
    let mut cut: String = trimmed.chars().take(MAX_REF_LEN).collect();
    while cut.ends_with('_') {
        cut.pop();
    }
    (!cut.is_empty()).then_some(cut)
}

/// The ref for a schema saved without one: the tail of `$id` (after its last `/` or `:`), else
/// `title`, else `schema`, each slugified; a source that slugifies to nothing is skipped.
pub fn derive_ref(schema: &Value) -> String {
    let from_id = schema
        .get("$id")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit(['/', ':']).next())
        .and_then(slugify);
    let from_title = || {
        schema
            .get("title")
            .and_then(Value::as_str)
            .and_then(slugify)
    };
    from_id
        .or_else(from_title)
        .unwrap_or_else(|| "schema".to_string())
}

/// Split a trailing `_vN` (N ≥ 2) off a ref.
fn strip_version(r: &str) -> &str {
    if let Some((base, n)) = r.rsplit_once("_v") {
        if !base.is_empty()
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
            && n.parse::<u64>().is_ok_and(|n| n >= 2)
        {
            return base;
        }
    }
    r
}

/// First free ref among `<base>_v2`, `_v3`, ... where `base` is `r` without a trailing `_vN`
/// (so forking `invoice_v2` suggests `invoice_v3`). Stays within 64 characters.
pub fn suggest_fork_ref(r: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    let base = strip_version(r);
    let mut n: u64 = 2;
    loop {
        let suffix = format!("_v{n}");
        let keep = MAX_REF_LEN.saturating_sub(suffix.len());
        let mut stem: String = base.chars().take(keep).collect();
        while stem.ends_with('_') {
            stem.pop();
        }
        let candidate = format!("{stem}{suffix}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_skips_taken_and_strips_version() {
        let taken = ["inv_v2", "inv_v3"];
        assert_eq!(suggest_fork_ref("inv", |r| taken.contains(&r)), "inv_v4");
        assert_eq!(suggest_fork_ref("inv_v3", |r| taken.contains(&r)), "inv_v4");
        assert_eq!(suggest_fork_ref("inv_v1", |_| false), "inv_v1_v2");
        let long = "a".repeat(64);
        let s = suggest_fork_ref(&long, |_| false);
        assert_eq!(s.len(), 64);
        assert!(s.ends_with("_v2"));
        assert!(validate_ref(&s).is_ok());
    }
}
