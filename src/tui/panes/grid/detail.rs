//! The detail view of one block (`enter` on a grid row, `esc` back): its full content wrapped
//! and scrollable between its dimmed neighbours, every field of its value as pretty JSON, the
//! model's answer / staged edit / confirmed value per field when they differ (before / after
//! lines, or a marked word diff for long text: `change.rs`), `last_error` and attempts, and the call that produced it. Everything is read
//! when the view opens or its block changes: a handful of bounded reads.

use std::cell::Cell;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;

use super::change::text_change;
use super::View;
use crate::model::{
    sanitize, sanitize_line, Block as DocBlock, CallRecord, Overlay, OverlayStatus, Run,
};
use crate::workspace::{self, Workspace};

#[derive(Debug, Clone)]
pub struct Detail {
    pub index: u32,
    pub block: DocBlock,
    pub before: Option<DocBlock>,
    pub after: Option<DocBlock>,
    pub overlay: Overlay,
    /// The call whose answer produced the value (`Overlay::result_call`).
    pub call: Option<CallRecord>,
    /// Lines scrolled in the content panel.
    pub scroll: u16,
    /// Lines scrolled in the value panel (`J` / `K`): a long value does not fit beside the
    /// content.
    pub value_scroll: u16,
    /// The furthest each panel can scroll (content, value) and still fill its height, as of the
    /// last frame: scrolling stops at the end instead of running into blank rows.
    limits: Cell<(u16, u16)>,
}

/// `at` moved by `delta`, within `0..=max` (an `at` already past `max`, from before the panel
/// was drawn at this size, counts from `max`).
fn scrolled(at: u16, delta: i64, max: u16) -> u16 {
    (i64::from(at.min(max)) + delta).clamp(0, i64::from(max)) as u16
}

/// How far `para` can scroll in `area` before its last line leaves the bottom row.
fn scroll_limit(para: &Paragraph, area: Rect) -> u16 {
    let lines = para.line_count(area.width);
    u16::try_from(lines.saturating_sub(usize::from(area.height))).unwrap_or(u16::MAX)
}

impl Detail {
    /// Read block `index` of `run`, its neighbours, overlay and call.
    pub fn load(ws: &Workspace, run: &Run, index: u32) -> Result<Option<Detail>, workspace::Error> {
        let Some(overlay) = ws.overlay(&run.run_id, index)? else {
            return Ok(None);
        };
        let mut wanted = vec![index];
        if index > 0 {
            wanted.push(index - 1);
        }
        if index + 1 < run.counters.total {
            wanted.push(index + 1);
        }
        let mut blocks = ws.blocks_at(&run.conv_uid, &wanted)?;
        let take = |blocks: &mut Vec<DocBlock>, i: u32| {
            let at = blocks.iter().position(|b| b.block_index == i)?;
            Some(blocks.swap_remove(at))
        };
        let Some(block) = take(&mut blocks, index) else {
            return Ok(None);
        };
        let before = index.checked_sub(1).and_then(|i| take(&mut blocks, i));
        let after = take(&mut blocks, index + 1);
        let call = match overlay.result_call {
            Some(seq) => ws.call(&run.run_id, seq)?,
            None => None,
        };
        Ok(Some(Detail {
            index,
            block,
            before,
            after,
            overlay,
            call,
            scroll: 0,
            value_scroll: 0,
            limits: Cell::new((u16::MAX, u16::MAX)),
        }))
    }

    pub fn scroll_by(&mut self, delta: i64) {
        self.scroll = scrolled(self.scroll, delta, self.limits.get().0);
    }

    pub fn scroll_value_by(&mut self, delta: i64) {
        self.value_scroll = scrolled(self.value_scroll, delta, self.limits.get().1);
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View, title: Line) {
        let theme = view.theme;
        let outer = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(title);
        let inner = outer.inner(area);
        frame.render_widget(outer, area);
        let [left, right] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(inner);
        let content = Paragraph::new(self.content_lines(view))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::RIGHT)
                    .border_style(theme.border()),
            );
        let value = Paragraph::new(self.value_lines(view)).wrap(Wrap { trim: false });
        // The width the text wraps in: the content panel gives one column to its border.
        let text_left = Rect {
            width: left.width.saturating_sub(1),
            ..left
        };
        let limits = (
            scroll_limit(&content, text_left),
            scroll_limit(&value, right),
        );
        self.limits.set(limits);
        frame.render_widget(content.scroll((self.scroll.min(limits.0), 0)), left);
        frame.render_widget(value.scroll((self.value_scroll.min(limits.1), 0)), right);
    }

    /// The previous block dimmed, this block, the next block dimmed.
    fn content_lines(&self, view: &View) -> Vec<Line<'static>> {
        let theme = view.theme;
        let dim = theme.fg("muted").add_modifier(Modifier::DIM);
        let mut lines = Vec::new();
        let push_block = |b: &DocBlock, style: Style, lines: &mut Vec<Line<'static>>| {
            lines.push(Line::from(Span::styled(
                format!("── #{} {} ──", b.block_index, b.block_type),
                style.add_modifier(Modifier::ITALIC),
            )));
            for l in sanitize(&b.block_content).lines() {
                lines.push(Line::from(Span::styled(l.to_string(), style)));
            }
        };
        if let Some(b) = &self.before {
            push_block(b, dim, &mut lines);
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(
            format!(
                "── #{} {} ──",
                self.block.block_index, self.block.block_type
            ),
            theme.fg("text").add_modifier(Modifier::ITALIC),
        )));
        // This block with the value's grounded spans marked.
        let own = super::evidence::marked_content(
            &self.block.block_content,
            &self.overlay,
            theme.fg("text"),
        );
        lines.extend(own);
        if let Some(b) = &self.after {
            lines.push(Line::default());
            push_block(b, dim, &mut lines);
        }
        lines
    }

    /// Status, value fields, differing versions, failure and call.
    fn value_lines(&self, view: &View) -> Vec<Line<'static>> {
        let theme = view.theme;
        let ov = &self.overlay;
        let head = theme.title();
        let mut lines = vec![Line::from(vec![
            Span::styled("status ", head),
            Span::styled(label(ov).to_string(), theme.status(ov.status)),
            Span::raw(format!("  {}", tries(ov))),
        ])];
        if let (Some(at), Some(by)) = (&ov.confirmed_at, &ov.confirmed_by) {
            lines.push(Line::from(format!(
                "confirmed by {} at {at}",
                sanitize_line(by)
            )));
        }
        if let Some(e) = &ov.last_error {
            lines.push(Line::from(Span::styled("last error", theme.fg("error"))));
            for l in sanitize(e).lines() {
                lines.push(Line::from(Span::styled(l.to_string(), theme.fg("error"))));
            }
        }
        let shown = ov
            .status
            .shown(ov.confirmed.as_ref(), ov.staging.as_ref())
            .value();
        lines.push(Line::default());
        match (shown, &ov.invalid_answer) {
            (Some(v), _) => lines.extend(field_lines(v, head)),
            (None, Some(answer)) => {
                lines.push(Line::from(Span::styled(
                    "the model's last answer (invalid, not staged): e fixes the field under the \
                     cursor; once the answer obeys the schema it is staged and a confirms it",
                    theme.fg("error"),
                )));
                lines.extend(field_lines(answer, head));
            }
            (None, None) => lines.push(Line::from(Span::styled(
                "(no value yet)",
                theme.fg("muted"),
            ))),
        }
        lines.extend(super::evidence::evidence_lines(ov, view));
        lines.extend(super::evidence::feedback_lines(self.call.as_ref(), view));
        lines.extend(self.versions(view));
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("call", head)));
        lines.push(Line::from(match &self.call {
            Some(c) => format!(
                "#{} · pack {} (blocks {}-{}) · tokens in {} out {} · {}",
                c.seq,
                c.pack_size,
                c.first_block,
                c.last_block,
                c.usage.input_tokens,
                c.usage.output_tokens,
                c.outcome,
            ),
            None if ov.status == OverlayStatus::Failed => {
                "its failed calls, with their reasons: the call log (c in the Runs pane)".into()
            }
            None if ov.status == OverlayStatus::Skipped => {
                "none: the run skips this block type (worker.skip_block_types in its snapshot); \
                 it costs nothing and exports with data null"
                    .into()
            }
            None if ov.edited => "none: a reviewer fixed the model's invalid answer".into(),
            None => "no call produced this value yet".into(),
        }));
        lines
    }

    /// Model answer / staged / confirmed, per field where they differ.
    fn versions(&self, view: &View) -> Vec<Line<'static>> {
        let ov = &self.overlay;
        let model = ov.model_output.as_ref();
        let other = match ov.status {
            OverlayStatus::Confirmed => ov.confirmed.as_ref().map(|v| ("confirmed", v)),
            _ => ov.staging.as_ref().map(|v| ("staged", v)),
        };
        let (Some(model), Some((name, other))) = (model, other) else {
            return Vec::new();
        };
        if model == other {
            return Vec::new();
        }
        let theme = view.theme;
        let mut lines = vec![
            Line::default(),
            Line::from(Span::styled(
                format!("model answer → {name} (differs)"),
                theme.title(),
            )),
        ];
        let empty = serde_json::Map::new();
        let (m, o) = (
            model.as_object().unwrap_or(&empty),
            other.as_object().unwrap_or(&empty),
        );
        let mut keys: Vec<&String> = m.keys().chain(o.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (a, b) = (m.get(k), o.get(k));
            if a == b {
                continue;
            }
            lines.push(Line::from(Span::styled(
                format!("{}:", sanitize_line(k)),
                theme.fg("staged"),
            )));
            let text = |v: Option<&Value>| match v {
                Some(Value::String(s)) => s.clone(),
                Some(v) => compact_json(v),
                None => "(absent)".into(),
            };
            lines.extend(text_change(&text(a), &text(b), theme));
        }
        lines
    }
}

/// A value's fields, each name over its pretty JSON (a non-object as JSON alone).
fn field_lines(v: &Value, head: Style) -> Vec<Line<'static>> {
    let Value::Object(map) = v else {
        return json_lines(v, Style::default());
    };
    let mut lines = Vec::new();
    for (k, v) in map {
        lines.push(Line::from(Span::styled(
            format!("{}:", sanitize_line(k)),
            head,
        )));
        lines.extend(json_lines(v, Style::default()));
    }
    lines
}

/// How many tries the block took, in words: `attempt_count` counts failed tries only, so an
/// answered block never reads "attempts 0".
pub fn tries(ov: &Overlay) -> String {
    let failed = ov.attempt_count;
    let plural = |n: u32| if n == 1 { "try" } else { "tries" };
    match ov.status {
        OverlayStatus::AiComplete | OverlayStatus::Confirmed if ov.model_output.is_some() => {
            format!("answered on try {}", failed + 1)
        }
        OverlayStatus::AiComplete | OverlayStatus::Confirmed if failed > 0 => {
            format!(
                "salvaged by a reviewer after {failed} failed {}",
                plural(failed)
            )
        }
        OverlayStatus::AiComplete | OverlayStatus::Confirmed => "staged".to_string(),
        OverlayStatus::Failed => format!("failed after {failed} {}", plural(failed)),
        OverlayStatus::Skipped => "never sent (skipped by type)".to_string(),
        _ if failed == 0 => "not tried yet".to_string(),
        _ => format!("{failed} failed {} so far", plural(failed)),
    }
}

fn label(ov: &Overlay) -> &'static str {
    match (ov.status, ov.edited) {
        (OverlayStatus::AiComplete, true) => "staged* (edited)",
        (OverlayStatus::AiComplete, false) => "staged",
        (s, _) => s.as_str(),
    }
}

fn compact_json(v: &Value) -> String {
    sanitize_line(&v.to_string()).into_owned()
}

/// A value as pretty JSON, indented under its field name.
fn json_lines(v: &Value, style: Style) -> Vec<Line<'static>> {
    let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
    sanitize(&pretty)
        .lines()
        .map(|l| Line::from(Span::styled(format!("  {l}"), style)))
        .collect()
}
