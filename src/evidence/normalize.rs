//! The folding of normalized matching (SPEC §4a): case, whitespace runs, quotes and dashes.
//! A folded text keeps, for each of its bytes, the byte range of the original character it
//! came from, so a match in the folded text maps back to exact offsets in the original.

/// `text` folded, with the original byte range behind every folded byte.
pub struct Folded {
    pub text: String,
    /// `starts[i]`: byte offset in the original of the character folded byte `i` came from.
    starts: Vec<u32>,
    /// `ends[i]`: byte offset just past that character (or whitespace run).
    ends: Vec<u32>,
}

impl Folded {
    /// The original byte range of the folded range `from..to` (non-empty).
    pub fn original(&self, from: usize, to: usize) -> (usize, usize) {
        (self.starts[from] as usize, self.ends[to - 1] as usize)
    }
}

/// The one character a quote or dash folds to, if `c` is one.
fn fold_punct(c: char) -> Option<char> {
    match c {
        '\'' | '"' | '`' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{201C}'
        | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2032}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{2039}' | '\u{203A}' | '\u{FF02}' | '\u{FF07}' => Some('"'),
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => Some('-'),
        _ => None,
    }
}

/// Fold `text`: lower case, every whitespace run one space (none at either end), quotes to
/// `"`, dashes to `-`.
pub fn fold(text: &str) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(text.len()),
        starts: Vec::with_capacity(text.len()),
        ends: Vec::with_capacity(text.len()),
    };
    let mut space_from: Option<usize> = None;
    let push = |out: &mut Folded, c: char, start: usize, end: usize| {
        let before = out.text.len();
        out.text.push(c);
        for _ in before..out.text.len() {
            out.starts.push(start as u32);
            out.ends.push(end as u32);
        }
    };
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            space_from.get_or_insert(at);
            continue;
        }
        if let Some(from) = space_from.take() {
            if !out.text.is_empty() {
                push(&mut out, ' ', from, at);
            }
        }
        let end = at + c.len_utf8();
        if let Some(p) = fold_punct(c) {
            push(&mut out, p, at, end);
        } else if c.is_uppercase() {
            for l in c.to_lowercase() {
                push(&mut out, l, at, end);
            }
        } else {
            push(&mut out, c, at, end);
        }
    }
    out
}

/// `text` folded, without the offset map (for the value side of a search).
pub fn fold_plain(text: &str) -> String {
    fold(text).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_space_quotes_and_dashes_and_maps_back() {
        let src = "He said \u{201C}Hello\u{201D}  \n world \u{2014} Ünïcode";
        let f = fold(src);
        assert_eq!(f.text, "he said \"hello\" world - ünïcode");
        let at = f.text.find("\"hello\" world").unwrap();
        let (s, e) = f.original(at, at + "\"hello\" world".len());
        assert_eq!(&src[s..e], "\u{201C}Hello\u{201D}  \n world");
        let at = f.text.find("ünïcode").unwrap();
        let (s, e) = f.original(at, at + "ünïcode".len());
        assert_eq!(&src[s..e], "Ünïcode");
    }

    #[test]
    fn leading_and_trailing_space_is_dropped() {
        assert_eq!(fold_plain("  a  b \t"), "a b");
        assert_eq!(fold_plain(""), "");
    }
}
