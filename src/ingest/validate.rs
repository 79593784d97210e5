//! Checks every text format shares: not empty, not binary, valid UTF-8.

/// 50 MiB, the default of policy `upload.max_file_bytes`.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// Validate raw bytes as a text document and return them as a string.
pub fn validate_text(raw: Vec<u8>) -> Result<String, String> {
    if raw.is_empty() {
        return Err("empty file: nothing to ingest".into());
    }
    if let Some(pos) = raw.iter().position(|&b| b == 0) {
        return Err(format!(
            "binary content: NUL byte at offset {pos} (expected a text file)"
        ));
    }
    let text = String::from_utf8(raw).map_err(|e| {
        format!(
            "not valid UTF-8: invalid byte sequence at offset {} (convert the file to UTF-8)",
            e.utf8_error().valid_up_to()
        )
    })?;
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if control * 10 > text.chars().count() {
        return Err("binary content: mostly control characters (expected a text file)".into());
    }
    if text.trim_matches(is_blank).is_empty() {
        return Err("empty file: only whitespace, nothing to ingest".into());
    }
    Ok(text)
}

/// Whitespace for block boundaries: Unicode whitespace plus a byte-order mark.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_kind_with_reason() {
        assert!(validate_text(vec![]).unwrap_err().contains("empty"));
        assert!(validate_text(b"  \n\t\n".to_vec())
            .unwrap_err()
            .contains("only whitespace"));
        assert!(validate_text(b"ab\0cd".to_vec())
            .unwrap_err()
            .contains("NUL byte at offset 2"));
        assert!(validate_text(vec![b'a', 0xff, b'b'])
            .unwrap_err()
            .contains("offset 1"));
        assert!(validate_text(vec![1, 2, 3, 4, 5, b'a'])
            .unwrap_err()
            .contains("control"));
        assert_eq!(validate_text(b"# ok\n".to_vec()).unwrap(), "# ok\n");
    }
}
