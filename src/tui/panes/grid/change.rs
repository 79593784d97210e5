//! How the detail view shows a changed text field, readable in every colour mode: a short value
//! (or a rewrite with little in common) as a before line (`- old`) and an after line
//! (`+ new`); a longer, mostly kept text as one word diff with
//! removed words in `[-…-]` and added words in `{+…+}` (git's `--word-diff=plain` markers), so
//! old and new never run together ("nonemedium"). Colour and strike-through / underline come on
//! top where the terminal has them.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use similar::{ChangeTag, TextDiff};

use crate::model::sanitize_line;
use crate::tui::kit::Theme;

/// Values at most this wide, on one line, are shown as before / after lines.
const SHORT: usize = 60;

/// The lines for a text field changed from `old` to `new`.
pub(super) fn text_change(old: &str, new: &str, theme: &Theme) -> Vec<Line<'static>> {
    let removed = theme.fg("error").add_modifier(Modifier::CROSSED_OUT);
    let added = theme.fg("confirmed").add_modifier(Modifier::UNDERLINED);
    // Short values, or texts with little in common (a word diff would be mostly markers):
    // the whole old value above the whole new one.
    if (is_short(old) && is_short(new)) || TextDiff::from_words(old, new).ratio() < 0.5 {
        return vec![
            Line::from(vec![Span::raw("  - "), Span::styled(shown(old), removed)]),
            Line::from(vec![Span::raw("  + "), Span::styled(shown(new), added)]),
        ];
    }
    let mut spans = vec![Span::raw("  ")];
    for (tag, text) in runs(old, new) {
        spans.push(match tag {
            ChangeTag::Equal => Span::raw(text),
            ChangeTag::Delete => Span::styled(format!("[-{text}-]"), removed),
            ChangeTag::Insert => Span::styled(format!("{{+{text}+}}"), added),
        });
    }
    vec![Line::from(spans)]
}

/// A value with its control characters shown; an empty one as `(empty)`.
fn shown(text: &str) -> String {
    if text.is_empty() {
        "(empty)".into()
    } else {
        sanitize_line(text).into_owned()
    }
}

fn is_short(text: &str) -> bool {
    !text.contains('\n') && text.chars().count() <= SHORT
}

/// The word diff as runs of one kind (consecutive removed words form one run), sanitized.
fn runs(old: &str, new: &str) -> Vec<(ChangeTag, String)> {
    let mut out: Vec<(ChangeTag, String)> = Vec::new();
    for change in TextDiff::from_words(old, new).iter_all_changes() {
        let text = sanitize_line(change.value()).into_owned();
        match out.last_mut() {
            Some((tag, run)) if *tag == change.tag() => run.push_str(&text),
            _ => out.push((change.tag(), text)),
        }
    }
    out
}

/// The plain text of [`text_change`]'s lines, as a terminal without colour shows them.
#[cfg(test)]
fn plain(old: &str, new: &str) -> String {
    let theme = Theme::with_mode(crate::tui::kit::theme::ColorMode::None);
    let lines = text_change(old, new, &theme);
    let text: Vec<String> = lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    text.join("\n")
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn a_short_value_is_a_before_and_an_after_line() {
        assert_eq!(plain("none", "medium"), "  - none\n  + medium");
        assert_eq!(plain("", "x"), "  - (empty)\n  + x");
    }

    #[test]
    fn a_long_text_marks_removed_and_added_words() {
        let old = "The tenant must pay the rent on the first day of every month to the landlord.";
        let new = "The tenant shall pay the rent on the fifth day of every month to the landlord.";
        let got = plain(old, new);
        assert!(got.contains("[-must-]{+shall+}"), "{got}");
        assert!(got.contains("[-first-]{+fifth+}"), "{got}");
        assert!(got.starts_with("  The tenant "), "{got}");
    }

    #[test]
    fn a_rewrite_with_little_in_common_is_before_and_after() {
        let got = plain(
            "demo: # Master Services Agreement and some more words here",
            "The Provider may end this agreement on thirty days written notice to the Customer.",
        );
        assert!(got.starts_with("  - demo: # Master"), "{got}");
        assert!(got.contains("\n  + The Provider may end"), "{got}");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let got = plain("a\u{1b}[2J", "b");
        assert!(!got.contains('\u{1b}'), "{got:?}");
    }
}
