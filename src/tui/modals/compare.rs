//! The compare view (`C` on two marked runs, SPEC §4a "Comparison"): per field the agreement
//! figures, then one disagreement at a time with A's and B's values side by side as a word diff
//! (removed words `[-…-]`, added `{+…+}`, coloured where the terminal can). `]` `[` step through
//! the disagreements, `tab` to the next field, `1` / `2` take A's / B's value as the staged value
//! of the block in the other run (a logged review edit, `d` in its grid discards it).

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use tui_textarea::{Input, Key};

use crate::evidence::compare_runs::Comparison;
use crate::model::{sanitize, sanitize_line, Run};
use crate::tui::kit::text::{compact, cut_to_width};
use crate::tui::kit::{Action, Component, Ctx, Effect, Hints, Job, Modal, Reply, Theme, View};
use crate::workspace::Workspace;

/// One block's values on both sides, and its content.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    pub index: u32,
    pub a: Option<Value>,
    pub b: Option<Value>,
    pub content: String,
}

pub struct CompareView {
    pub a: Run,
    pub b: Run,
    pub comparison: Comparison,
    /// The field shown (index into `comparison.fields`).
    pub field: usize,
    /// The disagreement shown (index into the field's `differing`).
    pub at: usize,
    pub pair: Option<Pair>,
}

impl CompareView {
    /// Compare runs `a` and `b` (two runs over the same document) and show the first
    /// disagreement of the first field that has one.
    pub fn load(ws: &Workspace, a: &Run, b: &Run) -> Result<CompareView, String> {
        let comparison = ws
            .compare_runs(&a.run_id, &b.run_id, None, false)
            .map_err(|e| e.to_string())?;
        if comparison.fields.is_empty() {
            return Err(format!(
                "{} and {} share no field to compare",
                a.run_id, b.run_id
            ));
        }
        let field = comparison
            .fields
            .iter()
            .position(|f| !f.differing.is_empty())
            .unwrap_or(0);
        let mut view = CompareView {
            a: a.clone(),
            b: b.clone(),
            comparison,
            field,
            at: 0,
            pair: None,
        };
        view.load_pair(ws)?;
        Ok(view)
    }

    fn differing(&self) -> &[(u32, u32)] {
        &self.comparison.fields[self.field].differing
    }

    pub fn field_name(&self) -> &str {
        &self.comparison.fields[self.field].field
    }

    /// Read both values of the disagreement shown (none: `pair` is `None`).
    fn load_pair(&mut self, ws: &Workspace) -> Result<(), String> {
        let Some(&(_, index)) = self.differing().get(self.at) else {
            self.pair = None;
            return Ok(());
        };
        let value = |run: &Run| -> Result<Option<Value>, String> {
            let ov = ws.overlay(&run.run_id, index).map_err(|e| e.to_string())?;
            Ok(ov.and_then(|ov| ov.status.shown(ov.confirmed, ov.staging).value()))
        };
        let content = ws
            .blocks_at(&self.a.conv_uid, &[index])
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .map(|b| b.block_content)
            .unwrap_or_default();
        let field = self.field_name().to_string();
        let pick = |v: Option<Value>| v.and_then(|v| v.get(&field).cloned());
        self.pair = Some(Pair {
            index,
            a: pick(value(&self.a)?),
            b: pick(value(&self.b)?),
            content,
        });
        Ok(())
    }

    fn step(&mut self, forward: bool, ws: &Workspace) -> Vec<Effect> {
        let n = self.differing().len();
        if n == 0 {
            return vec![Effect::Info(format!(
                "{}: A and B agree on every block",
                self.field_name()
            ))];
        }
        self.at = if forward {
            (self.at + 1) % n
        } else {
            (self.at + n - 1) % n
        };
        self.reload(ws)
    }

    fn next_field(&mut self, ws: &Workspace) -> Vec<Effect> {
        self.field = (self.field + 1) % self.comparison.fields.len();
        self.at = 0;
        self.reload(ws)
    }

    fn reload(&mut self, ws: &Workspace) -> Vec<Effect> {
        match self.load_pair(ws) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Effect::Error(format!("cannot read the values: {e}"))],
        }
    }

    /// `1` (`take_a`) writes A's value into B's staged value, `2` B's into A's.
    fn take(&self, take_a: bool) -> Vec<Effect> {
        let Some(pair) = &self.pair else {
            return vec![Effect::Info("no disagreement shown".into())];
        };
        let (from, into, value) = if take_a {
            ("A", &self.b, &pair.a)
        } else {
            ("B", &self.a, &pair.b)
        };
        let Some(value) = value else {
            return vec![Effect::Error(format!(
                "{from} has no value of {} at block {}: nothing to take",
                self.field_name(),
                pair.index
            ))];
        };
        vec![Effect::Job(
            Job::Edit {
                run_id: into.run_id.clone(),
                index: pair.index,
                field: self.field_name().to_string(),
                text: compact(value),
            },
            Reply::Status,
        )]
    }

    /// The field's figures: `quote · 40 compared · exact 92.5% · normalized 95.0% · 2 differ`.
    fn figures(&self) -> String {
        let t = &self.comparison.fields[self.field];
        let pct = |r: Option<f64>| r.map_or("–".into(), |r| format!("{:.1}%", r * 100.0));
        let kappa = t
            .kappa()
            .map(|k| format!(" · κ {k:.2}"))
            .unwrap_or_default();
        format!(
            "{} ({}/{}) · {} compared · exact {} · normalized {}{kappa} · {} differ",
            t.field,
            self.field + 1,
            self.comparison.fields.len(),
            t.compared,
            pct(t.exact_rate()),
            pct(t.normalized_rate()),
            t.differing.len()
        )
    }
}

impl Modal for CompareView {
    fn hints(&self) -> Hints {
        Hints::Line(
            " ] [ next / previous disagreement · tab next field · 1 take A · 2 take B · esc close",
        )
    }
    /// An edit made here changes a run: show the values as they are now.
    fn store_changed(&mut self, ws: &Workspace) {
        let _ = self.load_pair(ws);
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for CompareView {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        let typed = match &action {
            Action::Input(Input { key, .. }) => *key,
            Action::Cancel => return vec![Effect::Close],
            _ => return Vec::new(),
        };
        match typed {
            Key::Char(']') => self.step(true, ctx.ws),
            Key::Char('[') => self.step(false, ctx.ws),
            Key::Tab => self.next_field(ctx.ws),
            Key::Char('1') => self.take(true),
            Key::Char('2') => self.take(false),
            Key::Char('q') => vec![Effect::Close],
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = area.inner(ratatui::layout::Margin::new(1, 1));
        frame.render_widget(Clear, rect);
        let title = cut_to_width(
            &format!(" Compare · A {} · B {} ", self.a.run_id, self.b.run_id),
            rect.width.saturating_sub(2) as usize,
        );
        let outer = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(title, theme.title()));
        let inner = outer.inner(rect);
        frame.render_widget(outer, rect);
        let [head, sides, block] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(3),
                Constraint::Length(self.sides_height(inner)),
                Constraint::Min(3),
            ])
            .areas(inner);
        let n = self.differing().len();
        let where_ = match &self.pair {
            Some(p) => format!("block {} · disagreement {} of {n}", p.index, self.at + 1),
            None => "A and B agree on every block of this field".into(),
        };
        let head_lines = vec![
            Line::from(Span::styled(
                sanitize_line(&self.figures()).into_owned(),
                theme.fg("text"),
            )),
            Line::from(Span::styled(where_, theme.fg("muted"))),
        ];
        frame.render_widget(Paragraph::new(head_lines).wrap(Wrap { trim: false }), head);
        if let Some(pair) = &self.pair {
            self.render_sides(frame, sides, theme, pair);
            let content = Paragraph::new(sanitize(&pair.content).into_owned())
                .wrap(Wrap { trim: false })
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(theme.border())
                        .title(Span::styled(" block ", theme.fg("muted"))),
                );
            frame.render_widget(content, block);
        }
    }
}

impl CompareView {
    /// Rows for the two value boxes: what the longer value needs wrapped, at most half of `area`.
    fn sides_height(&self, area: Rect) -> u16 {
        let len = |v: &Option<Value>| v.as_ref().map_or(10, |v| compact(v).chars().count());
        let longest = self.pair.as_ref().map_or(0, |p| len(&p.a).max(len(&p.b)));
        let per_line = (area.width / 2).saturating_sub(2).max(1) as usize;
        let rows = (longest / per_line + 1 + 2) as u16;
        rows.clamp(3, (area.height / 2).max(3))
    }

    fn render_sides(&self, frame: &mut Frame, area: Rect, theme: &Theme, pair: &Pair) {
        let [left, right] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(area);
        let text = |v: &Option<Value>| v.as_ref().map_or("(no value)".to_string(), compact);
        let (a, b) = side_by_side(&text(&pair.a), &text(&pair.b), theme);
        for (side, lines, name) in [(left, a, "A"), (right, b, "B")] {
            let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(format!(" {name} "), theme.title())),
            );
            frame.render_widget(p, side);
        }
    }
}

/// A's words with those B lacks marked `[-…-]`, and B's with those A lacks marked `{+…+}`,
/// each piece sanitized; the space between two changed words belongs to the change.
pub fn side_by_side(a: &str, b: &str, theme: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let removed = theme.fg("error").add_modifier(Modifier::CROSSED_OUT);
    let added = theme.fg("confirmed").add_modifier(Modifier::UNDERLINED);
    let diff = TextDiff::from_words(a, b);
    let changes: Vec<(ChangeTag, String)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), sanitize_line(c.value()).into_owned()))
        .collect();
    let side = |mine: ChangeTag, style, open: &str, close: &str| {
        let pieces: Vec<(bool, &str)> = changes
            .iter()
            .filter(|(t, _)| *t == ChangeTag::Equal || *t == mine)
            .map(|(t, text)| (*t == mine, text.as_str()))
            .collect();
        let spans = merged(&pieces)
            .into_iter()
            .map(|(changed, text)| match changed {
                true => Span::styled(format!("{open}{text}{close}"), style),
                false => Span::raw(text),
            })
            .collect::<Vec<_>>();
        vec![Line::from(spans)]
    };
    (
        side(ChangeTag::Delete, removed, "[-", "-]"),
        side(ChangeTag::Insert, added, "{+", "+}"),
    )
}

/// Runs of changed and kept text; blank kept text between two changes joins them.
fn merged(pieces: &[(bool, &str)]) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for (i, &(changed, text)) in pieces.iter().enumerate() {
        let between = !changed
            && text.trim().is_empty()
            && out.last().is_some_and(|(c, _)| *c)
            && pieces.get(i + 1).is_some_and(|(c, _)| *c);
        let changed = changed || between;
        match out.last_mut() {
            Some((c, run)) if *c == changed => run.push_str(text),
            _ => out.push((changed, text.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::side_by_side;
    use crate::tui::kit::Theme;

    fn plain(lines: &[ratatui::text::Line]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn each_side_marks_the_words_the_other_lacks_and_never_passes_an_escape() {
        let theme = Theme::with_mode(crate::tui::kit::theme::ColorMode::None);
        let (a, b) = side_by_side(
            "the tenant must pay",
            "the tenant shall pay \u{1b}[2J",
            &theme,
        );
        assert_eq!(plain(&a), "the tenant [-must-] pay");
        let b = plain(&b);
        assert!(b.starts_with("the tenant {+shall+} "), "{b}");
        assert!(!b.contains('\u{1b}'), "{b:?}");
    }
}
