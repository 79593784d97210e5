//! Checks every text format shares: not empty, not binary, valid UTF-8.

/// 50 MiB, the default of policy `upload.max_file_bytes`.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// Validate raw bytes as a text document and return them as a string.
pub fn validate_text(raw: &[u8]) -> Result<&str, String> {
    if raw.is_empty() {
        return Err("empty file: nothing to ingest".into());
    }
    if let Some(kind) = utf16_kind(raw) {
        return Err(format!(
            "the file is {kind} text, not UTF-8; convert it first, e.g. \
             `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.md`"
        ));
    }
    if raw.contains(&0) {
        let pos = raw.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(format!(
            "binary content: NUL byte at offset {pos} (expected a text file)"
        ));
    }
    let text = std::str::from_utf8(raw).map_err(|e| {
        format!(
            "not valid UTF-8: invalid byte sequence at offset {} (convert the file to UTF-8)",
            e.valid_up_to()
        )
    })?;
    // ASCII control bytes other than tab, newlines and form feed mark a binary file. Like git
    // and file(1), look at the head of the file only.
    let head = &raw[..raw.len().min(8192)];
    let control = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)) || b == 0x7f)
        .count();
    if control * 10 > head.len() {
        return Err("binary content: mostly control characters (expected a text file)".into());
    }
    if text.trim_matches(is_blank).is_empty() {
        return Err("empty file: only whitespace, nothing to ingest".into());
    }
    Ok(text)
}

/// "UTF-16 (little-endian)" / "UTF-16 (big-endian)" when `raw` looks like UTF-16: a byte-order
/// mark, or ASCII text with every other byte zero.
fn utf16_kind(raw: &[u8]) -> Option<&'static str> {
    match raw {
        [0xff, 0xfe, ..] => return Some("UTF-16 (little-endian)"),
        [0xfe, 0xff, ..] => return Some("UTF-16 (big-endian)"),
        _ => {}
    }
    let head = &raw[..raw.len().min(512) & !1];
    if head.len() < 4 {
        return None;
    }
    let zeros = |odd: bool| {
        head.chunks(2)
            .filter(|p| (if odd { p[1] } else { p[0] }) == 0)
            .count()
    };
    let pairs = head.len() / 2;
    if zeros(true) * 10 >= pairs * 9 && zeros(false) == 0 {
        Some("UTF-16 (little-endian)")
    } else if zeros(false) * 10 >= pairs * 9 && zeros(true) == 0 {
        Some("UTF-16 (big-endian)")
    } else {
        None
    }
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
        assert!(validate_text(&[]).unwrap_err().contains("empty"));
        assert!(validate_text(b"  \n\t\n")
            .unwrap_err()
            .contains("only whitespace"));
        assert!(validate_text(b"ab\0cd")
            .unwrap_err()
            .contains("NUL byte at offset 2"));
        assert!(validate_text(&[b'a', 0xff, b'b'])
            .unwrap_err()
            .contains("offset 1"));
        assert!(validate_text(&[1, 2, 3, 4, 5, b'a'])
            .unwrap_err()
            .contains("control"));
        assert_eq!(validate_text(b"# ok\n").unwrap(), "# ok\n");
        let le: Vec<u8> = "# Title\n\nText\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "# Title\n\nText\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        for (bytes, kind) in [(le.clone(), "little"), (be, "big")] {
            let e = validate_text(&bytes).unwrap_err();
            assert!(
                e.contains("UTF-16") && e.contains(kind) && e.contains("iconv"),
                "{e}"
            );
        }
        let mut bom = vec![0xff, 0xfe];
        bom.extend(le);
        assert!(validate_text(&bom)
            .unwrap_err()
            .contains("UTF-16 (little-endian)"));
    }
}
