//! The one terminal sanitizer (issue 10 item 9). Text from documents, schemas, models and file
//! names is hostile: before it reaches a terminal, every control character is replaced by a
//! visible stand-in, so `\x1b[2J` prints as `␛[2J` instead of clearing the screen and
//! `\x1b]0;t\x07` cannot retitle the terminal. Pure: no I/O.
//!
//! - C0 controls and DEL become their Unicode control pictures (`␛`, `␇`, `␍`, `␡`, ...);
//! - C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B) and the bidirectional overrides and
//!   isolates (U+202A–U+202E, U+2066–U+2069, which can reorder what the reader sees) become
//!   `<U+XXXX>`;
//! - private-use code points (icon-font glyphs such as U+F0C1) are dropped: their width depends
//!   on the terminal's font, so they would misalign every column after them;
//! - [`sanitize`] keeps line feeds and tabs (multi-line content); [`sanitize_line`] shows a line
//!   feed as `␊` and a tab as a space, for one-line places (titles, file names, cells).

use std::borrow::Cow;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Private-use code points: icon-font glyphs (a Sphinx permalink `U+F0C1`, Nerd Font icons).
/// Terminals draw them one or two columns wide depending on the font, so no width computed
/// here can match; they carry no text, and are dropped from display.
fn is_private_use(c: char) -> bool {
    matches!(c, '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{ffffd}' | '\u{100000}'..='\u{10fffd}')
}

fn needs_change(c: char, keep_lines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_lines,
        c => c.is_control() || is_bidi_control(c) || is_private_use(c),
    }
}

fn push_visible(out: &mut String, c: char, keep_lines: bool) {
    match c {
        '\n' if keep_lines => out.push('\n'),
        '\t' if keep_lines => out.push('\t'),
        '\n' => out.push('␊'),
        '\t' => out.push(' '),
        '\u{7f}' => out.push('␡'),
        c if (c as u32) < 0x20 => {
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�'));
        }
        c if c.is_control() || is_bidi_control(c) => {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        }
        c if is_private_use(c) => {}
        c => out.push(c),
    }
}

fn clean(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let Some(first) = s.find(|c| needs_change(c, keep_lines)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        push_visible(&mut out, c, keep_lines);
    }
    Cow::Owned(out)
}

/// Multi-line text made safe for a terminal: line feeds and tabs kept, every other control
/// character visible and inert.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

/// One-line text made safe for a terminal: like [`sanitize`], and line feeds shown as `␊`.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// Serialized JSON made terminal-safe without changing its data: characters the terminal could
/// obey that serde_json leaves raw (C1 controls, DEL, bidi controls; they can only occur inside
/// strings) become `\uXXXX` escapes.
pub fn json_escape_controls(json: &str) -> Cow<'_, str> {
    let risky = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c);
    if !json.contains(risky) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The first `max` characters of `s` on one line, sanitized, with an ellipsis when cut.
pub fn one_line(s: &str, max: usize) -> String {
    let flat = sanitize_line(s);
    if flat.chars().count() <= max {
        return flat.into_owned();
    }
    let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_data() {
        let v = serde_json::json!({"t": "a\u{9b}b\u{202e}c\x1bd"});
        let s = serde_json::to_string(&v).unwrap();
        let safe = json_escape_controls(&s);
        assert!(
            !safe.chars().any(|c| c.is_control() || is_bidi_control(c)),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn one_line_cuts_after_sanitizing() {
        assert_eq!(one_line("a\x1b[2Jb", 10), "a␛[2Jb");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("ab\ncd", 10), "ab␊cd");
    }

    #[test]
    fn escape_sequences_become_visible_and_inert() {
        assert_eq!(sanitize("a\x1b[2Jb"), "a␛[2Jb");
        assert_eq!(sanitize("\x1b]0;t\x07"), "␛]0;t␇");
        assert_eq!(sanitize("x\ry\x08\x00\x7f"), "x␍y␈␀␡");
        assert_eq!(sanitize("\u{9b}31m"), "<U+009B>31m");
        assert_eq!(sanitize("abc\u{202e}fed"), "abc<U+202E>fed");
        assert_eq!(sanitize("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(sanitize_line("two\nlines\tok"), "two␊lines ok");
        let out = sanitize("\x1b[2J\x1b]0;t\x07\u{9b}\u{85}");
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
    }

    #[test]
    fn icon_glyphs_are_dropped() {
        assert_eq!(sanitize_line("Permalink\u{f0c1} here"), "Permalink here");
        assert_eq!(sanitize("a\u{e000}b\u{f0000}c\u{10fffd}"), "abc");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("Plain — ünïcode 👍\n"), Cow::Borrowed(_)));
        assert!(matches!(sanitize_line("Plain"), Cow::Borrowed(_)));
    }
}
