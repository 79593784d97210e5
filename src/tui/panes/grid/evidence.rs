//! Evidence in the detail view (SPEC §4a): the block's content with the grounded spans
//! marked, each span's kind, and the validation history of the call that produced the value.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span as Text};

use crate::model::{sanitize, sanitize_line, CallRecord, Overlay, SpanKind};
use crate::tui::kit::View;

/// Top-level fields of the value with a span that needs a look (`none`, `fuzzy`,
/// `neighbour`), each once.
pub fn needs_a_look(ov: &Overlay) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in ov
        .evidence
        .iter()
        .flatten()
        .filter(|s| s.kind.needs_a_look())
    {
        let field = s.path.split(['.', '[']).next().unwrap_or_default();
        if !out.iter().any(|f| f == field) {
            out.push(field.to_string());
        }
    }
    out
}

/// Byte ranges of the value's spans in its own block (merged, in order).
fn own_ranges(ov: &Overlay, len: usize) -> Vec<(usize, usize)> {
    let mut r: Vec<(usize, usize)> = ov
        .evidence
        .iter()
        .flatten()
        .filter(|s| {
            matches!(
                s.kind,
                SpanKind::Exact | SpanKind::Normalized | SpanKind::Fuzzy
            )
        })
        .filter_map(|s| Some((s.start? as usize, s.end? as usize)))
        .filter(|(a, b)| a < b && *b <= len)
        .collect();
    r.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in r {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// `content` as lines in `style`, the grounded spans of `ov` underlined and reversed. Each
/// piece is sanitized on its own, so the offsets (into the raw content) stay right.
pub fn marked_content(content: &str, ov: &Overlay, style: Style) -> Vec<Line<'static>> {
    let marks = own_ranges(ov, content.len());
    let mark = style.add_modifier(Modifier::UNDERLINED | Modifier::REVERSED);
    let mut pieces: Vec<(&str, Style)> = Vec::new();
    let mut at = 0;
    for (a, b) in marks {
        if !(content.is_char_boundary(a) && content.is_char_boundary(b)) {
            continue;
        }
        pieces.push((&content[at..a], style));
        pieces.push((&content[a..b], mark));
        at = b;
    }
    pieces.push((&content[at..], style));
    let mut lines = vec![Line::default()];
    for (text, st) in pieces {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                lines.push(Line::default());
            }
            if !part.is_empty() {
                let shown = sanitize(part).into_owned();
                lines
                    .last_mut()
                    .expect("one line")
                    .spans
                    .push(Text::styled(shown, st));
            }
        }
    }
    lines
}

fn kind_style(kind: SpanKind, view: &View) -> Style {
    match kind {
        SpanKind::Exact => view.theme.fg("confirmed"),
        SpanKind::Normalized => view.theme.fg("staged"),
        _ => view.theme.fg("error"),
    }
}

/// One line per grounded value: its path, kind and where it was found.
pub fn evidence_lines(ov: &Overlay, view: &View) -> Vec<Line<'static>> {
    let Some(spans) = &ov.evidence else {
        return Vec::new();
    };
    let mut lines = vec![
        Line::default(),
        Line::from(Text::styled("evidence", view.theme.title())),
    ];
    for s in spans {
        let place = match (s.kind, s.start, s.end, s.block) {
            (SpanKind::Neighbour, Some(a), Some(b), Some(n)) => format!("in block {n} at {a}-{b}"),
            (_, Some(a), Some(b), _) => format!("bytes {a}-{b}"),
            _ => "not in the block".to_string(),
        };
        let ratio = s
            .ratio
            .map(|r| format!(" ratio {r:.2}"))
            .unwrap_or_default();
        let note = s
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Text::raw(format!("  {} ", sanitize_line(&s.path))),
            Text::styled(s.kind.as_str().to_string(), kind_style(s.kind, view)),
            Text::raw(sanitize_line(&format!(" {place}{ratio}{note}")).into_owned()),
        ]));
    }
    lines
}

/// The validation history of the call that produced the value: first answer, the error sent
/// back, the answer that passed.
pub fn feedback_lines(call: Option<&CallRecord>, view: &View) -> Vec<Line<'static>> {
    let Some(fb) = call.and_then(|c| c.feedback.as_deref()) else {
        return Vec::new();
    };
    let cut = |v: &serde_json::Value| {
        sanitize_line(&v.to_string())
            .chars()
            .take(200)
            .collect::<String>()
    };
    let passed = fb.passed.as_ref().map_or("(none)".to_string(), cut);
    vec![
        Line::default(),
        Line::from(Text::styled(
            "fixed after a validation retry",
            view.theme.fg("staged"),
        )),
        Line::from(format!("  first answer  {}", cut(&fb.first_answer))),
        Line::from(Text::styled(
            format!("  sent back     {}", sanitize_line(&fb.error)),
            view.theme.fg("error"),
        )),
        Line::from(format!("  passed        {passed}")),
    ]
}
