//! What the call log and a block's last error keep of text that can come from a model's answer
//! (issue 20 item 9): a validator's reason quotes the value it refused, and a model can answer
//! with megabytes. Kept: the first [`MAX_KEPT_BYTES`], marked as cut with the full size.

/// Bytes of a call's `detail` or a block's `last_error` that are kept.
pub const MAX_KEPT_BYTES: usize = 2000;

/// `text` as stored: unchanged when short, else its head (cut on a character boundary) and
/// `… [cut: N bytes in all]`.
pub fn cap(text: String) -> String {
    if text.len() <= MAX_KEPT_BYTES {
        return text;
    }
    let mut end = MAX_KEPT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut: {} bytes in all]", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_marked_short_text_is_kept() {
        assert_eq!(cap("short".into()), "short");
        let long = "é".repeat(5000);
        let kept = cap(long);
        assert!(kept.len() < MAX_KEPT_BYTES + 40, "{}", kept.len());
        assert!(kept.ends_with("… [cut: 10000 bytes in all]"), "{kept}");
    }
}
