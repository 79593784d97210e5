//! The grid's table: the visible window of rows, `#`, `type`, `status`, `content`, then the
//! property columns that fit, under a title with the run's progress.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{find, GridPane, GridRow, FIELD_WIDTH, FIXED};
use crate::model::{sanitize_line, OverlayStatus, Run};
use crate::tui::kit::text::{compact, cut_to_width, thousands};
use crate::tui::kit::{Theme, View};

impl GridPane {
    pub(super) fn render_grid(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        if let (Some(run), Some(detail)) = (&self.run, &self.detail) {
            detail.render(frame, area, view, self.title(run, view));
            return;
        }
        let Some(run) = &self.run else {
            return no_run_box(frame, area, theme);
        };
        let doc_w = self.doc_width(area.width);
        let (first, last) = self.field_window(area.width);
        let doc_room = if doc_w > 0 { doc_w + 1 } else { 0 };
        let content_w = content_width(area.width.saturating_sub(doc_room), last - first);
        let (header, widths) = self.header(view.theme, (first, last), (content_w, doc_w));
        let here = self.index();
        let query = self.search.as_ref().map(|(q, _)| q.to_lowercase());
        let hl = theme.fg("marked").add_modifier(Modifier::REVERSED);
        let mark = |text: String, base: Style| match &query {
            Some(q) => Cell::from(highlighted(text, q, base, hl)),
            None => Cell::from(text).style(base),
        };
        let rows = self.rows.iter().enumerate().map(|(n, row)| {
            let status_style = theme.status(row.status);
            let marker = if self.is_selected(self.offset + n as u32, row.index) {
                "●"
            } else {
                " "
            };
            let mut cells = vec![
                Cell::from(Line::from(vec![
                    Span::styled(marker, theme.fg("marked")),
                    Span::raw(format!("{:>4}", row.block)),
                ])),
                Cell::from(one_line(&row.block_type, 10)).style(theme.fg("muted")),
                Cell::from(status_label(row)).style(status_style),
                mark(one_line(&row.content, content_w.into()), theme.fg("text")),
            ];
            if let (Some(doc), true) = (&row.doc, doc_w > 0) {
                cells.insert(
                    1,
                    Cell::from(one_line(doc, doc_w.into())).style(theme.fg("muted")),
                );
            }
            for (i, f) in self.fields[first..last].iter().enumerate() {
                let text = field_text(row, f, i == 0);
                let mut style = status_style;
                if row.index == here && first + i == self.col {
                    style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
                }
                cells.push(mark(one_line(&text, FIELD_WIDTH as usize), style));
            }
            let row_style = if row.index == here {
                theme.selection()
            } else {
                Style::default()
            };
            Row::new(cells).style(row_style)
        });
        let title = self.title(run, view);
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.title()))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(title),
            );
        frame.render_widget(table, area);
    }

    /// The header cells (the current field underlined) and column widths of fields
    /// `first..last`.
    fn header(
        &self,
        theme: &Theme,
        (first, last): (usize, usize),
        (content_w, doc_w): (u16, u16),
    ) -> (Vec<Cell<'static>>, Vec<Constraint>) {
        let mut header: Vec<Cell<'static>> = FIXED.iter().map(|(n, _)| Cell::from(*n)).collect();
        let mut widths: Vec<Constraint> = FIXED
            .iter()
            .map(|(n, w)| Constraint::Length(if *n == "content" { content_w } else { *w }))
            .collect();
        if doc_w > 0 {
            header.insert(1, Cell::from("doc"));
            widths.insert(1, Constraint::Length(doc_w));
        }
        for (i, f) in self.fields[first..last].iter().enumerate() {
            let mut style = theme.title();
            if first + i == self.col {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            header.push(Cell::from(one_line(f, FIELD_WIDTH as usize)).style(style));
            widths.push(Constraint::Length(FIELD_WIDTH));
        }
        (header, widths)
    }

    /// `Grid · run · schema · row r/T · reviewed 1,204 / 9,452 (12.7%) · …`, or the detail
    /// view's `Block N · type · …`.
    pub(super) fn title(&self, run: &Run, view: &View) -> Line<'static> {
        let theme = view.theme;
        let counters = self.group.as_ref().map(|g| g.counters());
        let c = counters.as_ref().unwrap_or(&run.counters);
        // A group's grid names the group and its size; the cursor's member is in the doc column.
        let (what, schema) = match &self.group {
            Some(g) => (
                format!("group {} · {} docs", g.group.group_id, g.len()),
                &g.group.schema_ref,
            ),
            None => (run.run_id.clone(), &run.schema_ref),
        };
        // Blocks skipped by type have nothing to review: they are counted apart.
        let reviewable = c.total.saturating_sub(c.skipped);
        let mut reviewed = format!(
            "reviewed {} / {} ({:.1}%)",
            thousands(c.confirmed),
            thousands(reviewable),
            if reviewable == 0 {
                0.0
            } else {
                f64::from(c.confirmed) * 100.0 / f64::from(reviewable)
            }
        );
        if c.skipped > 0 {
            reviewed.push_str(&format!(" · {} skipped", thousands(c.skipped)));
        }
        let head = match &self.detail {
            Some(d) => format!(
                " Block {} · {} · run {} · {reviewed} · esc back ",
                d.index,
                d.block.block_type,
                sanitize_line(&run.run_id),
            ),
            None => format!(
                " Grid{} · {} · {} · row {}/{} · {reviewed} · col {}/{} ",
                self.filter_label(),
                sanitize_line(&what),
                sanitize_line(schema),
                if self.total() == 0 {
                    0
                } else {
                    self.cursor + 1
                },
                self.total(),
                if self.fields.is_empty() {
                    0
                } else {
                    self.col + 1
                },
                self.fields.len()
            ),
        };
        let mut title = vec![Span::styled(head, theme.title())];
        if let Some((q, hits)) = &self.search {
            title.push(Span::styled(
                format!(" /{} ({}) ", one_line(q, 20), thousands(hits.len() as u32)),
                theme.fg("marked"),
            ));
        }
        if run.model_config.is_demo() {
            title.push(Span::styled(" DEMO OUTPUT ", theme.demo()));
        }
        if !self.selected.is_empty() || self.anchor.is_some() {
            title.push(Span::styled(
                format!(
                    " {} selected{} ",
                    self.targets().len(),
                    if self.anchor.is_some() {
                        " (range: v keeps it)"
                    } else {
                        ""
                    }
                ),
                theme.fg("marked"),
            ));
        }
        Line::from(title)
    }

    /// ` [filter: … · 2 doc(s)]`, or nothing without a filter.
    fn filter_label(&self) -> String {
        if let Some(look) = self.look_title() {
            return look;
        }
        match &self.view {
            Some((f, _)) if !self.doc_filter.is_empty() => format!(
                " [filter: {} · {} doc(s)]",
                f.describe(),
                self.doc_filter.len()
            ),
            Some((f, _)) => format!(" [filter: {}]", f.describe()),
            None => String::new(),
        }
    }

    /// The doc column's width in a group's grid (0: no such column).
    pub(super) fn doc_width(&self, width: u16) -> u16 {
        match (&self.group, width) {
            (None, _) => 0,
            (Some(_), 0..=99) => 12,
            (Some(_), 100..=139) => 18,
            _ => 24,
        }
    }

    /// Property columns that fit `width`, starting so the current one is visible.
    pub(super) fn field_window(&self, width: u16) -> (usize, usize) {
        let doc = self.doc_width(width);
        let fixed: u16 = FIXED.iter().map(|(_, w)| w + 1).sum::<u16>() + 2 + doc;
        let fit = (width.saturating_sub(fixed) / (FIELD_WIDTH + 1)).max(1) as usize;
        let first = self.col.saturating_sub(fit - 1);
        (first, (first + fit).min(self.fields.len()))
    }
}

/// The grid before a run is opened: where to open one.
fn no_run_box(frame: &mut Frame, area: Rect, theme: &Theme) {
    let p = Paragraph::new("No run open. Pick one in the Runs pane (1) and press Enter.").block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border()),
    );
    frame.render_widget(p, area);
}

/// The content column's width: at most its own, less when the table (borders, the other fixed
/// columns, `fields` value columns and one space between columns) would not fit, so the text is
/// cut here with an ellipsis rather than clipped by the layout.
pub(super) fn content_width(width: u16, fields: usize) -> u16 {
    let fields = fields as u16;
    let others: u16 = FIXED
        .iter()
        .filter(|(n, _)| *n != "content")
        .map(|(_, w)| w)
        .sum();
    let spacing = FIXED.len() as u16 - 1 + fields;
    let room = width
        .saturating_sub(2 + others + fields * FIELD_WIDTH + spacing)
        .min(FIXED[3].1);
    room.max(8)
}

/// One sanitized line cut to `width` columns (display width, `widgets::cut_to_width`).
pub(super) fn one_line(s: &str, width: usize) -> String {
    // Cut before sanitizing: a cell never copies a 100 kB block. Every character takes at least
    // one column except zero-width ones, so twice the width in characters is plenty.
    let head = match s.char_indices().nth(2 * width + 2) {
        Some((end, _)) => &s[..end],
        None => s,
    };
    cut_to_width(head, width)
}

pub(super) fn status_label(row: &GridRow) -> &'static str {
    match (row.status, row.edited) {
        (OverlayStatus::AiComplete, true) => "staged*",
        (OverlayStatus::AiComplete, false) => "staged",
        (s, _) => s.as_str(),
    }
}

/// `text` with every case-insensitive occurrence of `query` (lower-cased) in `hl`.
pub(super) fn highlighted(text: String, query: &str, base: Style, hl: Style) -> Line<'static> {
    let ranges = find::match_ranges(&text, query);
    if ranges.is_empty() {
        return Line::from(Span::styled(text, base));
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for (lo, hi) in ranges {
        if lo > at {
            spans.push(Span::styled(text[at..lo].to_string(), base));
        }
        spans.push(Span::styled(text[lo..hi].to_string(), hl));
        at = hi;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_string(), base));
    }
    Line::from(spans)
}

/// The text of field `f` in a row: its value, a failed block's error in the first field
/// column, and `?` before a quote not found as such in its block (SPEC §4a).
fn field_text(row: &GridRow, f: &str, first_column: bool) -> String {
    let text = match (&row.value, row.status) {
        (Some(v), _) => v.get(f).map(compact).unwrap_or_default(),
        (None, OverlayStatus::Failed) if first_column => row.error.clone().unwrap_or_default(),
        _ => String::new(),
    };
    if row.look.iter().any(|l| l == f) {
        format!("?{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_column_shrinks_to_what_the_table_leaves() {
        // 80 columns, one value column: 78 inside the borders - 27 other fixed - 22 - 4 spaces.
        assert_eq!(content_width(80, 1), 25);
        // Wide enough: its own width.
        assert_eq!(content_width(120, 2), 36);
        // Never below 8 (the layout clips from there).
        assert_eq!(content_width(40, 1), 8);
        let cell = one_line("The Provider shall deliver the data-review services", 25);
        assert_eq!(cell, "The Provider shall deliv…");
    }
}
