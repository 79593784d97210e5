//! Hostile text made inert before it reaches the terminal: every control character (C0, DEL,
//! C1) and bidirectional override becomes a visible stand-in, so `\x1b[2J` shows as `␛[2J`.
//! Stand-in for issue 10's `crate::model::sanitize` (same rules), which is not on main yet:
//! when it lands these two functions become calls to it.

use std::borrow::Cow;

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn clean(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let bad = |c: char| match c {
        '\n' | '\t' => !keep_lines,
        c => c.is_control() || is_bidi(c),
    };
    let Some(first) = s.find(bad) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '\n' if keep_lines => out.push('\n'),
            '\t' if keep_lines => out.push_str("    "),
            '\n' => out.push('␊'),
            '\t' => out.push(' '),
            '\u{7f}' => out.push('␡'),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            c if c.is_control() || is_bidi(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Multi-line text: line feeds kept, tabs as spaces, every other control visible.
pub fn text(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

/// One line (titles, cells, list items): a line feed shows as `␊`.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_plain_text_is_untouched() {
        assert_eq!(line("a\x1b[2Jb\x1b]0;t\x07"), "a␛[2Jb␛]0;t␇");
        assert_eq!(line("x\ny\u{9b}z\u{202e}"), "x␊y<U+009B>z<U+202E>");
        assert_eq!(text("x\ny\rz"), "x\ny␍z");
        assert!(matches!(line("plain"), Cow::Borrowed(_)));
    }
}
