//! Words in PDF text: ligature glyphs expanded (the presentation forms U+FB00–U+FB06, as NFKC
//! maps them), and line-end hyphens joined only where the joined word is the likelier reading
//! (it occurs unhyphenated elsewhere in the document); real compounds keep their hyphen.

use std::borrow::Cow;
use std::collections::HashSet;

/// Expand the Latin ligature presentation forms; other text is returned as is.
pub(crate) fn expand_ligatures(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| ('\u{fb00}'..='\u{fb06}').contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\u{fb00}' => out.push_str("ff"),
            '\u{fb01}' => out.push_str("fi"),
            '\u{fb02}' => out.push_str("fl"),
            '\u{fb03}' => out.push_str("ffi"),
            '\u{fb04}' => out.push_str("ffl"),
            '\u{fb05}' | '\u{fb06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The lower-case words of a document, to tell a broken word from a compound.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    words: HashSet<String>,
    after_hyphen: bool,
}

impl Vocabulary {
    /// Add a line's words; the first word of a line that continues a hyphenated line end is
    /// only a word part, so it is left out.
    pub fn add_line(&mut self, line: &str) {
        let words = line.split(|c: char| !c.is_alphanumeric());
        let skip = usize::from(self.after_hyphen);
        self.after_hyphen = line.trim_end().ends_with('-');
        for w in words.filter(|w| !w.is_empty()).skip(skip) {
            if w.chars().count() > 2 && !self.words.contains(w) {
                self.words.insert(w.to_lowercase());
            }
        }
    }

    fn contains(&self, word: &str) -> bool {
        self.words.contains(&word.to_lowercase())
    }
}

/// Join wrapped lines with spaces. A line ending in `letter-` before a lower-case letter is
/// joined without the hyphen when the whole word occurs elsewhere unhyphenated or the part
/// after the hyphen is no word of the document; else it is kept as a compound (`well-known`).
pub(crate) fn join_lines(lines: &[String], vocab: &Vocabulary) -> String {
    let mut out = String::new();
    for l in lines {
        let l = l.trim();
        if out.is_empty() {
            out.push_str(l);
            continue;
        }
        let hyphenated = out.ends_with('-')
            && out.chars().rev().nth(1).is_some_and(|c| c.is_alphabetic())
            && l.chars().next().is_some_and(|c| c.is_lowercase());
        if !hyphenated {
            out.push(' ');
            out.push_str(l);
            continue;
        }
        let head = out[..out.len() - 1]
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        let tail = l.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
        // The whole word elsewhere: a broken word. Else a compound when its second part is a
        // word of the document (`well-` + `known`), else a broken word (`doc-` + `ument`).
        let compound = vocab.contains(tail) || tail.chars().count() <= 2;
        if vocab.contains(&format!("{head}{tail}")) || !compound {
            out.pop();
        }
        out.push_str(l);
    }
    out
}

/// Whether a PDF font's base name is a fixed-pitch face.
pub(crate) fn is_monospace(base: &str) -> bool {
    let b = base.to_ascii_lowercase();
    [
        "courier",
        "mono",
        "consol",
        "menlo",
        "monaco",
        "code",
        "typewriter",
        "fixed",
    ]
    .iter()
    .any(|m| b.contains(m))
}

/// A monospace line's text with its spacing kept: the gap between two spans (`(x0, x1, size,
/// text)`, left to right) becomes as many spaces as monospace cells (0.6 em) fit in it, at
/// least one where there is any gap.
pub(crate) fn spaced(row: &[(f32, f32, f32, &str)]) -> String {
    let mut out = String::new();
    let mut prev_x1: Option<f32> = None;
    for &(x0, x1, size, text) in row {
        if let Some(px) = prev_x1 {
            let cell = 0.6 * size.max(1.0);
            let gap = x0 - px;
            if gap > 0.3 * cell && !out.ends_with(' ') && !text.starts_with(' ') {
                out.push_str(&" ".repeat(((gap / cell).round() as usize).clamp(1, 200)));
            }
        }
        out.push_str(text);
        prev_x1 = Some(x1);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ligatures_expand_and_hyphens_join_only_for_known_words() {
        assert_eq!(
            expand_ligatures("\u{fb01}nd the \u{fb02}ow, e\u{fb03}cient"),
            "find the flow, efficient"
        );
        assert!(matches!(expand_ligatures("plain"), Cow::Borrowed(_)));
        let mut v = Vocabulary::default();
        v.add_line("The information is here, as is known. A doc-");
        v.add_line("ument follows.");
        let j = |a: &str, b: &str| join_lines(&[a.into(), b.into()], &v);
        assert_eq!(
            j("more informa-", "tion follows"),
            "more information follows"
        );
        assert_eq!(j("a well-", "known fact"), "a well-known fact");
        assert_eq!(j("the doc-", "ument says"), "the document says");
        assert_eq!(j("pages 3-", "5"), "pages 3- 5");
        assert_eq!(j("the North-", "East"), "the North- East");
    }
}
