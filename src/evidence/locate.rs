//! Finding one string value in its block: exact, normalized, neighbour, fuzzy, none (SPEC §4a).

use unicode_segmentation::GraphemeCursor;

use super::fuzzy;
use super::normalize::{fold, fold_plain, Folded};
use crate::model::{Span, SpanKind};

/// Whether `at` is a grapheme boundary of `text`: a match must not cut a base letter from its
/// combining mark, or an emoji from its modifier or joiner.
fn grapheme_boundary(text: &str, at: usize) -> bool {
    if at == 0 || at == text.len() {
        return true;
    }
    GraphemeCursor::new(at, text.len(), true)
        .is_boundary(text, 0)
        .unwrap_or(false)
}

/// First occurrence of `needle` in `hay` that starts and ends on grapheme boundaries.
pub fn find_exact(hay: &str, needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let mut from = 0;
    while let Some(rel) = hay[from..].find(needle) {
        let start = from + rel;
        let end = start + needle.len();
        if grapheme_boundary(hay, start) && grapheme_boundary(hay, end) {
            return Some((start, end));
        }
        // Step one character on: `start` is a char boundary, so is the next.
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// A block's content with its folding computed once (a value set is grounded against it).
pub struct Prepared<'a> {
    pub content: &'a str,
    folded: Option<Folded>,
}

impl<'a> Prepared<'a> {
    pub fn new(content: &'a str) -> Prepared<'a> {
        Prepared {
            content,
            folded: None,
        }
    }

    fn folded(&mut self) -> &Folded {
        self.folded.get_or_insert_with(|| fold(self.content))
    }

    /// `value` once case, whitespace, quotes and dashes are folded: its original byte range.
    pub fn find_normalized(&mut self, value: &str) -> Option<(usize, usize)> {
        let needle = fold_plain(value);
        if needle.is_empty() {
            return None;
        }
        let content = self.content;
        let folded = self.folded();
        let mut from = 0;
        while let Some(rel) = folded.text[from..].find(&needle) {
            let at = from + rel;
            let (s, e) = folded.original(at, at + needle.len());
            if grapheme_boundary(content, s) && grapheme_boundary(content, e) {
                return Some((s, e));
            }
            from = at + folded.text[at..].chars().next().map_or(1, char::len_utf8);
        }
        None
    }
}

/// Locate `value` (at `path` of the result) in `own`, else exactly in one of `others` (the
/// other blocks of the same call, with their indices).
pub fn locate(path: String, value: &str, own: &mut Prepared<'_>, others: &[(u32, &str)]) -> Span {
    if value.trim().is_empty() {
        let mut span = Span::new(path, SpanKind::None);
        span.note = Some("empty value".into());
        return span;
    }
    if let Some((s, e)) = find_exact(own.content, value) {
        return Span::new(path, SpanKind::Exact).at(s, e);
    }
    if let Some((s, e)) = own.find_normalized(value) {
        return Span::new(path, SpanKind::Normalized).at(s, e);
    }
    for (index, content) in others {
        if let Some((s, e)) = find_exact(content, value) {
            let mut span = Span::new(path, SpanKind::Neighbour).at(s, e);
            span.block = Some(*index);
            return span;
        }
    }
    match fuzzy::find(value, own.content) {
        Ok(Some(m)) => {
            let mut span = Span::new(path, SpanKind::Fuzzy).at(m.start, m.end);
            span.ratio = Some((m.ratio * 1000.0).round() / 1000.0);
            span
        }
        Ok(None) => Span::new(path, SpanKind::None),
        Err(skipped) => {
            let mut span = Span::new(path, SpanKind::None);
            span.note = Some(skipped.note());
            span
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str, block: &str) -> Span {
        locate("v".into(), value, &mut Prepared::new(block), &[])
    }

    #[test]
    fn exact_spans_are_byte_offsets_for_cjk_emoji_and_combining_marks() {
        let block = "日本語のテキスト 👩‍👩‍👧 and cafe\u{301} ok";
        for quote in ["テキスト", "👩‍👩‍👧", "cafe\u{301}", "ok"] {
            let s = one(quote, block);
            assert_eq!(s.kind, SpanKind::Exact, "{quote}");
            let (a, b) = (s.start.unwrap() as usize, s.end.unwrap() as usize);
            assert_eq!(&block[a..b], quote);
        }
    }

    #[test]
    fn a_match_that_cuts_a_combining_mark_or_a_joined_emoji_is_not_exact() {
        // "cafe" is not in "café" when the accent is a combining mark on the e.
        assert_eq!(one("cafe", "un cafe\u{301} noir").kind, SpanKind::None);
        // A lone woman is not the family emoji she is part of.
        assert_ne!(one("👩", "👩‍👩‍👧").kind, SpanKind::Exact);
    }

    #[test]
    fn normalized_folds_case_space_quotes_dashes() {
        let block = "He wrote: \u{201C}Time\u{2014}and   tide\u{201D} wait.";
        let s = one("\"time-and tide\"", block);
        assert_eq!(s.kind, SpanKind::Normalized);
        let (a, b) = (s.start.unwrap() as usize, s.end.unwrap() as usize);
        assert_eq!(&block[a..b], "\u{201C}Time\u{2014}and   tide\u{201D}");
    }

    #[test]
    fn a_value_found_only_in_another_block_of_the_call_is_a_neighbour() {
        let others = [(4u32, "alpha beta"), (6, "the shifted quote")];
        let s = locate(
            "q".into(),
            "shifted quote",
            &mut Prepared::new("own text"),
            &others,
        );
        assert_eq!(s.kind, SpanKind::Neighbour);
        assert_eq!(s.block, Some(6));
        assert_eq!((s.start, s.end), (Some(4), Some(17)));
    }

    #[test]
    fn empty_and_too_long_values_are_none_without_panicking() {
        assert_eq!(one("", "abc").kind, SpanKind::None);
        assert_eq!(one("   ", "abc").kind, SpanKind::None);
        assert_eq!(one("abcdef ghi", "abc").kind, SpanKind::None);
        let big = "x".repeat(1 << 20);
        let s = one(&big, "a short block");
        assert_eq!(s.kind, SpanKind::None);
        assert!(s.note.unwrap().contains("cap"));
    }
}
