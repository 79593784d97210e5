//! Text helpers: everything from documents, models, files and errors reaches the terminal
//! through the one sanitizer ([`crate::model::sanitize`]) by way of these.

use crate::model::sanitize_line;
use serde_json::Value;

/// Text from documents, schemas, files and errors through the one terminal sanitizer
/// ([`crate::model::sanitize`]): control characters become visible stand-ins, line feeds and
/// tabs stay.
pub fn safe(s: &str) -> String {
    crate::model::sanitize(s).into_owned()
}

/// `s` on one line through the one terminal sanitizer ([`crate::model::sanitize_line`]): text
/// from documents, models and errors never moves the cursor or retitles the terminal.
pub fn inert(s: &str) -> String {
    sanitize_line(s).into_owned()
}

/// `s` cut to at most `width` terminal columns, by display width (CJK and emoji take two),
/// never splitting a grapheme, with `…` when something was cut. It is sanitized first, so a cut
/// never leaves half an escape sequence on screen.
pub fn cut_to_width(s: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;
    if width == 0 {
        return String::new();
    }
    let clean = sanitize_line(s);
    if clean.width() <= width {
        return clean.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in clean.graphemes(true) {
        let w = g.width();
        if used + w > width - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// Text that may hold line feeds (a refusal with a bulleted list) as one styled line per line
/// of it, sanitized: a `Span` drops line feeds, which ran the bullets together.
pub fn text_lines(s: &str, style: ratatui::style::Style) -> Vec<ratatui::text::Line<'static>> {
    safe(s)
        .split('\n')
        .map(|l| ratatui::text::Line::styled(l.to_string(), style))
        .collect()
}

/// `s` cut to `width` columns in the middle, keeping its start and its end (`entity_…ion_v2`):
/// names that differ only in a suffix (a version) stay apart. Sanitized first.
pub fn cut_middle(s: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;
    let clean = sanitize_line(s);
    if clean.width() <= width {
        return clean.into_owned();
    }
    if width < 5 {
        return cut_to_width(&clean, width);
    }
    let graphemes: Vec<&str> = clean.graphemes(true).collect();
    let tail_room = (width - 1) / 2;
    let (mut tail, mut used) = (Vec::new(), 0);
    for g in graphemes.iter().rev() {
        if used + g.width() > tail_room {
            break;
        }
        used += g.width();
        tail.push(*g);
    }
    tail.reverse();
    let head = cut_to_width(&clean, width - used);
    format!("{head}{}", tail.concat())
}

/// A value as one compact line: strings bare, everything else compact JSON.
pub fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `9452` as `9,452`.
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cut_to_width;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn cuts_by_display_width_with_an_ellipsis() {
        assert_eq!(cut_to_width("short", 10), "short");
        assert_eq!(cut_to_width("exactly10!", 10), "exactly10!");
        assert_eq!(cut_to_width("a longer line", 6), "a lon…");
        // CJK: two columns each; never a half character.
        assert_eq!(cut_to_width("契約書の条項", 7), "契約書…");
        assert_eq!(cut_to_width("契約書の条項", 7).width(), 7);
        assert_eq!(cut_to_width("契約書の条項", 6).width(), 5);
        // An emoji ZWJ sequence is one grapheme: kept whole or dropped whole.
        let family = "👨‍👩‍👧 family";
        let cut = cut_to_width(family, 4);
        assert!(cut.starts_with("👨‍👩‍👧") && cut.ends_with('…'), "{cut}");
        assert!(cut.width() <= 4);
        assert_eq!(
            cut_to_width(family, 2),
            "…",
            "the emoji does not fit beside the ellipsis"
        );
        assert_eq!(cut_to_width("anything", 0), "");
        assert_eq!(cut_to_width("anything", 1), "…");
    }

    #[test]
    fn control_bytes_never_reach_the_screen() {
        let cut = cut_to_width("a\x1b[2Jb\x07", 20);
        assert!(!cut.chars().any(char::is_control), "{cut:?}");
        assert_eq!(cut, "a␛[2Jb␇");
        assert_eq!(super::inert("x\ny\u{9b}"), "x␊y<U+009B>");
    }

    #[test]
    fn bullets_keep_their_lines() {
        let lines = super::text_lines(
            "works:\n- a hosted model;\n- a local one\u{1b}[2J",
            ratatui::style::Style::default(),
        );
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["works:", "- a hosted model;", "- a local one␛[2J"]);
    }

    #[test]
    fn a_middle_cut_keeps_the_suffix() {
        use super::cut_middle;
        assert_eq!(cut_middle("entity_extraction", 14), "entity_…action");
        assert_eq!(cut_middle("entity_extraction_v2", 14), "entity_…ion_v2");
        assert_eq!(cut_middle("short", 14), "short");
        assert_eq!(cut_middle("entity_extraction_v2", 14).width(), 14);
    }
}
