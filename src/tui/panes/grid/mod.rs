//! The review grid: one row per block, `#`, `type`, `status`, `content`, then one column per
//! top-level schema property. Only the visible window of rows is fetched and laid out.
//! Review keys (confirm, reject, discard) leave as background jobs; `e` opens the cell editor.

use std::collections::BTreeSet;

use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;
use serde_json::Value;

use std::sync::Arc;

mod detail;
mod find;

use crate::model::{sanitize_line, OverlayStatus, Run};
use crate::tui::kit::draw::GRID_FIXED as FIXED;
use crate::tui::kit::text::compact;
use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{nav_delta, Component, Ctx, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::modals::{Ask, EnumPicker, FilterPicker, Prompt, PromptKind};
use crate::workspace::BlockFilter as Filter;
use crate::workspace::{properties, Selection, StoreError, Target, Workspace};
use detail::Detail;

const FIELD_WIDTH: u16 = 22;
/// Tab bar, status bar, table borders and header.
const CHROME_ROWS: u16 = 6;

/// One visible row, built from the block and its overlay.
#[derive(Debug, Clone)]
pub struct GridRow {
    pub index: u32,
    pub block_type: String,
    pub content: String,
    pub status: OverlayStatus,
    /// Confirmed value when confirmed, staged when ai_complete, else `None`.
    pub value: Option<Value>,
    /// A draft edit differs from the model's answer.
    pub edited: bool,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct GridPane {
    pub run: Option<Run>,
    pub schema: Option<Value>,
    pub fields: Vec<String>,
    pub cursor: u32,
    pub offset: u32,
    /// Index into `fields` of the current cell.
    pub col: usize,
    pub selected: BTreeSet<u32>,
    /// Where a range selection (`v`) started; the range runs to the cursor.
    pub anchor: Option<u32>,
    pub rows: Vec<GridRow>,
    /// Rows the table can show (set from the terminal size).
    pub height: u32,
    /// The detail view of the cursor's block, when open (`enter`; `esc` closes it).
    pub detail: Option<Detail>,
    /// The active filter and the blocks it keeps (ascending); `cursor` and `offset` are then
    /// positions in this list. `None`: every block, position = block index.
    pub view: Option<(Filter, Arc<[u32]>)>,
    /// The last search (`/`) and its matching blocks (ascending), for `n` / `N` and highlights.
    pub search: Option<(String, Arc<[u32]>)>,
}

impl Default for GridPane {
    fn default() -> Self {
        GridPane {
            run: None,
            schema: None,
            fields: Vec::new(),
            cursor: 0,
            offset: 0,
            col: 0,
            selected: BTreeSet::new(),
            anchor: None,
            rows: Vec::new(),
            height: 20,
            detail: None,
            view: None,
            search: None,
        }
    }
}

impl GridPane {
    /// Rows in the grid: the filtered blocks, else every block of the run.
    pub fn total(&self) -> u32 {
        match &self.view {
            Some((_, v)) => v.len() as u32,
            None => self.run.as_ref().map(|r| r.counters.total).unwrap_or(0),
        }
    }

    /// The block shown at row `pos`.
    pub fn index_at(&self, pos: u32) -> u32 {
        match &self.view {
            Some((_, v)) => v.get(pos as usize).copied().unwrap_or(u32::MAX),
            None => pos,
        }
    }

    /// The block under the cursor.
    pub fn index(&self) -> u32 {
        self.index_at(self.cursor)
    }

    /// The row of block `index`, or of the first kept block after it (filtered).
    pub fn position_of(&self, index: u32) -> u32 {
        match &self.view {
            Some((_, v)) => match v.binary_search(&index) {
                Ok(p) => p as u32,
                Err(p) => (p as u32).min((v.len() as u32).saturating_sub(1)),
            },
            None => index,
        }
    }

    /// A filter's result arrived: show only those blocks, keeping the cursor's block if kept.
    pub fn set_view(&mut self, filter: Filter, kept: Arc<[u32]>, ws: &Workspace) -> Vec<Effect> {
        let at = self.index();
        self.view = if filter.is_empty() {
            None
        } else {
            Some((filter, kept))
        };
        self.anchor = None;
        self.cursor = self.position_of(at);
        self.clamp();
        self.refresh(ws)
    }

    /// A search's result arrived: go to the first match at or after the cursor.
    pub fn set_search(&mut self, query: String, hits: Arc<[u32]>, ws: &Workspace) -> Vec<Effect> {
        if query.is_empty() {
            self.search = None;
            return vec![Effect::Info("search cleared".into())];
        }
        let n = hits.len();
        let first = find::next_in(&hits, self.index().saturating_sub(1), true);
        self.search = Some((query.clone(), hits));
        let shown = sanitize_line(&query).into_owned();
        match first {
            Some(i) => {
                let mut fx = self.goto(i, ws);
                fx.push(Effect::Info(format!(
                    "/{shown}: {} block(s) match · n / N next / previous",
                    thousands(n as u32)
                )));
                fx
            }
            None => vec![Effect::Info(format!("/{shown}: no block matches"))],
        }
    }

    /// `n` / `N`: the next / previous match (wrapping).
    fn next_match(&mut self, forward: bool, ws: &Workspace) -> Vec<Effect> {
        let Some((_, hits)) = &self.search else {
            return vec![Effect::Info("no search yet: / searches".into())];
        };
        match find::next_in(hits, self.index(), forward) {
            Some(i) => self.goto(i, ws),
            None => vec![Effect::Info("no block matches the search".into())],
        }
    }

    /// Show `run` (fresh cursor when it is another run).
    pub fn open(&mut self, ws: &Workspace, run: Run) -> Result<(), StoreError> {
        let same = self.run.as_ref().is_some_and(|r| r.run_id == run.run_id);
        if !same {
            self.cursor = 0;
            self.offset = 0;
            self.col = 0;
            self.detail = None;
            self.view = None;
            self.search = None;
            self.clear_selection();
            let schema = ws.get_schema(&run.schema_id)?.map(|s| s.json);
            self.fields = schema
                .as_ref()
                .and_then(properties)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            self.schema = schema;
        }
        self.run = Some(run);
        self.reload(ws)
    }

    /// Re-read the run and the visible window (a bounded read: `height` rows).
    pub fn reload(&mut self, ws: &Workspace) -> Result<(), StoreError> {
        let Some(run) = &self.run else {
            self.rows.clear();
            return Ok(());
        };
        if let Some(fresh) = ws.get_run(&run.run_id)? {
            self.run = Some(fresh);
        }
        self.clamp();
        let Some(run) = &self.run else {
            return Ok(());
        };
        let to = (self.offset + self.height.max(1)).min(self.total());
        let overlays = match &self.view {
            None => ws.overlays_range(&run.run_id, self.offset, to)?,
            Some((_, kept)) => {
                let mut out = Vec::new();
                for &i in kept.get(self.offset as usize..to as usize).unwrap_or(&[]) {
                    out.extend(ws.overlay(&run.run_id, i)?);
                }
                out
            }
        };
        let indices: Vec<u32> = overlays.iter().map(|o| o.block_index).collect();
        let blocks = ws.blocks_at(&run.conv_uid, &indices)?;
        self.rows = overlays
            .into_iter()
            .zip(blocks)
            .map(|(ov, b)| {
                let value = ov.status.shown(ov.confirmed, ov.staging).value();
                GridRow {
                    index: ov.block_index,
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                    status: ov.status,
                    value,
                    edited: ov.edited,
                    error: ov.last_error,
                }
            })
            .collect();
        if self.detail.is_some() {
            self.load_detail(ws)?;
        }
        Ok(())
    }

    /// (Re)read the detail view for the cursor's block, keeping the scroll on the same block.
    fn load_detail(&mut self, ws: &Workspace) -> Result<(), StoreError> {
        let Some(run) = &self.run else {
            self.detail = None;
            return Ok(());
        };
        let (scroll, value_scroll) = match &self.detail {
            Some(d) if d.index == self.index() => (d.scroll, d.value_scroll),
            _ => (0, 0),
        };
        self.detail = Detail::load(ws, run, self.index())?.map(|mut d| {
            d.scroll = scroll;
            d.value_scroll = value_scroll;
            d
        });
        Ok(())
    }

    /// The detail view's keys: scrolling and closing; everything else is the grid's.
    fn update_detail(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let detail = self.detail.as_mut()?;
        let page = i64::from(self.height.max(2) / 2);
        match action {
            Action::Cancel => self.detail = None,
            Action::Down => detail.scroll_by(1),
            Action::Up => detail.scroll_by(-1),
            Action::PageDown => detail.scroll_by(page),
            Action::PageUp => detail.scroll_by(-page),
            Action::Top => detail.scroll = 0,
            Action::PreviewDown => detail.scroll_value_by(1),
            Action::PreviewUp => detail.scroll_value_by(-1),
            Action::Open => {}
            _ => return None,
        }
        Some(Vec::new())
    }

    /// Re-read, reporting a failure as an effect.
    pub fn refresh(&mut self, ws: &Workspace) -> Vec<Effect> {
        match self.reload(ws) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Effect::Error(format!("cannot read the grid: {e}"))],
        }
    }

    /// The terminal now has `rows` rows: size the window and fetch what became visible.
    pub fn resize(&mut self, rows: u16, ws: &Workspace) -> Vec<Effect> {
        self.height = u32::from(rows.saturating_sub(CHROME_ROWS)).max(1);
        if self.clamp() || self.rows.len() < self.height as usize {
            return self.refresh(ws);
        }
        Vec::new()
    }

    /// Keep the cursor in range and inside the window. Returns whether the window moved.
    pub fn clamp(&mut self) -> bool {
        let total = self.total();
        self.cursor = self.cursor.min(total.saturating_sub(1));
        self.col = self.col.min(self.fields.len().saturating_sub(1));
        let h = self.height.max(1);
        let before = self.offset;
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(total.saturating_sub(h));
        before != self.offset
    }

    /// Move the cursor by `delta` rows.
    pub fn move_by(&mut self, delta: i64) {
        let max = self.total().saturating_sub(1) as i64;
        self.cursor = (self.cursor as i64)
            .saturating_add(delta)
            .clamp(0, max.max(0)) as u32;
    }

    /// Move and fetch the window when the cursor left it.
    fn move_and_fetch(&mut self, delta: i64, ws: &Workspace) -> Vec<Effect> {
        self.move_by(delta);
        if self.clamp() || self.current_row().is_none() {
            return self.refresh(ws);
        }
        Vec::new()
    }

    pub fn current_row(&self) -> Option<&GridRow> {
        let at = self.index();
        self.rows.iter().find(|r| r.index == at)
    }

    pub fn current_field(&self) -> Option<&str> {
        self.fields.get(self.col).map(String::as_str)
    }

    /// Selected rows (marked and the `v` range), or the current row when none is selected.
    pub fn targets(&self) -> Selection {
        let marked = Selection::from_indices(self.selected.iter().copied());
        match (self.anchor, &self.view) {
            (Some(a), None) => marked.with_range(a, self.cursor),
            (Some(a), Some((_, kept))) => {
                let (lo, hi) = (a.min(self.cursor) as usize, a.max(self.cursor) as usize);
                let range = kept.get(lo..=hi).unwrap_or(&[]).iter().copied();
                Selection::from_indices(self.selected.iter().copied().chain(range))
            }
            (None, _) if self.selected.is_empty() && self.total() > 0 => {
                Selection::from_indices([self.index()])
            }
            (None, _) => marked,
        }
    }

    /// Whether the row at `pos` (showing block `index`) is selected.
    pub fn is_selected(&self, pos: u32, index: u32) -> bool {
        self.selected.contains(&index)
            || self
                .anchor
                .is_some_and(|a| (a.min(self.cursor)..=a.max(self.cursor)).contains(&pos))
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
    }

    /// The first staged block after `sel` (wrapping to the start), for accept-and-next: the
    /// blocks of `sel` still read as staged until the job lands, so they are skipped.
    fn next_needing_review(&self, ws: &Workspace, sel: &Selection) -> Option<u32> {
        let run = self.run.as_ref()?;
        let staged = |from| {
            ws.next_with_status(&run.run_id, OverlayStatus::AiComplete, from, true)
                .ok()
                .flatten()
        };
        let mut from = sel.max().map_or(self.index(), |m| m.saturating_add(1));
        let mut wrapped = false;
        // At most |sel| + 1 look-ups: each skipped hit is a block of `sel`.
        loop {
            match staged(from) {
                Some(i) if sel.contains(i) => from = i + 1,
                Some(i) => return Some(i),
                None if !wrapped => {
                    wrapped = true;
                    from = 0;
                }
                None => return None,
            }
        }
    }

    /// Put the cursor on block `index` and fetch the window around it.
    pub fn goto(&mut self, index: u32, ws: &Workspace) -> Vec<Effect> {
        self.cursor = self.position_of(index);
        self.clamp();
        self.refresh(ws)
    }

    /// Jump to the nearest block with `status` after (`forward`) or before the cursor.
    fn jump(&mut self, status: OverlayStatus, forward: bool, ws: &Workspace) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let from = if forward {
            self.index().saturating_add(1)
        } else {
            self.index()
        };
        let what = match status {
            OverlayStatus::Failed => "failed",
            _ => "staged",
        };
        match ws.next_with_status(&run.run_id, status, from, forward) {
            Ok(Some(i)) => self.goto(i, ws),
            Ok(None) => vec![Effect::Info(format!(
                "no {what} block {} row {}",
                if forward { "after" } else { "before" },
                self.index()
            ))],
            Err(e) => vec![Effect::Error(e.to_string())],
        }
    }

    /// A review job on the open run, or the reason there is none.
    fn review(&self, job: impl FnOnce(String) -> Job) -> Vec<Effect> {
        match &self.run {
            Some(run) => vec![Effect::Job(job(run.run_id.clone()), Reply::Status)],
            None => vec![no_run()],
        }
    }

    /// Accept-and-next: confirm the targets, then go to the next block needing review.
    fn confirm_and_next(&mut self, ws: &Workspace) -> Vec<Effect> {
        let sel = self.targets();
        if sel.is_empty() {
            return Vec::new();
        }
        let next = self.next_needing_review(ws, &sel);
        let target = Target::Blocks(sel);
        let mut fx = self.review(|run_id| Job::Confirm { run_id, target });
        self.clear_selection();
        if let Some(i) = next {
            fx.extend(self.goto(i, ws));
        }
        fx
    }

    /// Ask for an optional reason, then reject the targets and move on.
    fn begin_reject(&self, ws: &Workspace) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let selection = self.targets();
        if selection.is_empty() {
            return Vec::new();
        }
        let next = self.next_needing_review(ws, &selection);
        let prompt = Prompt::new(
            PromptKind::RejectReason {
                run_id: run.run_id.clone(),
                title: format!("Reject {} block(s): {selection}", selection.len()),
                selection,
                next,
            },
            String::new(),
            "optional reason, kept in the review log · Enter rejects, Esc cancels".into(),
            String::new(),
        );
        vec![Effect::Open(Box::new(prompt))]
    }

    /// `/`: ask for the text to find (empty clears the search).
    fn begin_search(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let current = self
            .search
            .as_ref()
            .map(|(q, _)| q.clone())
            .unwrap_or_default();
        let prompt = Prompt::new(
            PromptKind::Search {
                run: Box::new(run.clone()),
            },
            "Search block content and values".into(),
            "case-insensitive · Enter searches (empty clears), Esc cancels · then n / N".into(),
            current,
        );
        vec![Effect::Open(Box::new(prompt))]
    }

    /// `f`: choose statuses and block types.
    fn begin_filter(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let current = self
            .view
            .as_ref()
            .map(|(f, _)| f.clone())
            .unwrap_or_default();
        let picker = FilterPicker::new(run.clone(), &current);
        vec![Effect::Open(Box::new(picker))]
    }

    /// `A`: ask first, with the count.
    fn ask_confirm_all(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let n = run.counters.ai_complete;
        if n == 0 {
            return vec![Effect::Info("no staged blocks to confirm".into())];
        }
        let ask = Ask::new(
            format!(
                "Confirm all {} staged blocks of run {}?",
                thousands(n),
                run.run_id
            ),
            Job::Confirm {
                run_id: run.run_id.clone(),
                target: Target::AllStaged,
            },
        );
        vec![Effect::Open(Box::new(ask))]
    }

    /// Open the editor that fits the current field: a picker for an enum, a toggle for a
    /// boolean, a multi-line JSON editor for an array or object, else the one-line prompt.
    fn begin_edit(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let Some(field) = self.current_field().map(str::to_string) else {
            return vec![Effect::Error(
                "this run's schema has no top-level properties to edit".into(),
            )];
        };
        let Some(row) = self.current_row() else {
            return Vec::new();
        };
        if row.status != OverlayStatus::AiComplete {
            return vec![Effect::Error(format!(
                "block {} is {}: only staged blocks can be edited",
                row.index,
                row.status.as_str()
            ))];
        }
        let current = row
            .value
            .as_ref()
            .and_then(|v| v.get(&field))
            .map(compact)
            .unwrap_or_default();
        let field_schema = self
            .schema
            .as_ref()
            .and_then(properties)
            .and_then(|p| p.get(&field))
            .cloned()
            .unwrap_or(Value::Null);
        let ty = serde_json::to_string(&field_schema).unwrap_or_default();
        let kind = field_kind(&field_schema);
        if let FieldKind::Enum(members) = &kind {
            let picker = EnumPicker::new(
                run.run_id.clone(),
                row.index,
                field,
                members.clone(),
                &current,
            );
            return vec![Effect::Open(Box::new(picker))];
        }
        if kind == FieldKind::Boolean {
            let text = if current == "true" { "false" } else { "true" };
            return vec![Effect::Job(
                Job::Edit {
                    run_id: run.run_id.clone(),
                    index: row.index,
                    field,
                    text: text.into(),
                },
                Reply::Status,
            )];
        }
        if kind == FieldKind::Json {
            let pretty = row
                .value
                .as_ref()
                .and_then(|v| v.get(&field))
                .and_then(|v| serde_json::to_string_pretty(v).ok())
                .unwrap_or_default();
            let mut prompt = Prompt::new(
                PromptKind::EditCell {
                    run_id: run.run_id.clone(),
                    index: row.index,
                    field: field.clone(),
                },
                format!("Edit block {} · {field} (JSON)", row.index),
                format!("Enter: new line · ctrl-s saves, Esc cancels · schema {ty}"),
                pretty,
            );
            prompt.multiline = true;
            return vec![Effect::Open(Box::new(prompt))];
        }
        let prompt = Prompt::new(
            PromptKind::EditCell {
                run_id: run.run_id.clone(),
                index: row.index,
                field: field.clone(),
            },
            format!("Edit block {} · {field}", row.index),
            format!("Enter saves, Esc cancels · schema {ty}"),
            current,
        );
        vec![Effect::Open(Box::new(prompt))]
    }

    /// Property columns that fit `width`, starting so the current one is visible.
    fn field_window(&self, width: u16) -> (usize, usize) {
        let fixed: u16 = FIXED.iter().map(|(_, w)| w + 1).sum::<u16>() + 2;
        let fit = (width.saturating_sub(fixed) / (FIELD_WIDTH + 1)).max(1) as usize;
        let first = self.col.saturating_sub(fit - 1);
        (first, (first + fit).min(self.fields.len()))
    }
}

/// The content column's width: at most its own, less when the table (borders, the other fixed
/// columns, `fields` value columns and one space between columns) would not fit, so the text is
/// cut here with an ellipsis rather than clipped by the layout.
fn content_width(width: u16, fields: usize) -> u16 {
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

fn no_run() -> Effect {
    Effect::Error("no run open: pick one in the Runs pane and press Enter".into())
}

impl Component for GridPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(fx) = self.update_detail(&action) {
            return fx;
        }
        let fx = self.update_grid(action, ctx);
        // The detail view follows the cursor (accept-and-next, jumps).
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.index != self.index())
        {
            if let Err(e) = self.load_detail(ctx.ws) {
                return vec![Effect::Error(e.to_string())];
            }
        }
        fx
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        self.render_grid(frame, area, view);
    }

    /// A click on a row of the table puts the cursor there (the detail view ignores clicks).
    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        if self.detail.is_some() || self.run.is_none() {
            return Vec::new();
        }
        let Some(pos) = crate::tui::kit::row_at(area, self.offset as usize, at) else {
            return Vec::new();
        };
        // Only a row on screen can be clicked, and its block is already fetched.
        if pos < self.offset as usize + self.rows.len() && (pos as u32) < self.total() {
            self.cursor = pos as u32;
            self.clamp();
        }
        Vec::new()
    }
}

impl GridPane {
    fn update_grid(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(delta) = nav_delta(&action, self.height) {
            return self.move_and_fetch(delta, ctx.ws);
        }
        match action {
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(self.fields.len().saturating_sub(1)),
            Action::RangeSelect if self.total() > 0 => {
                self.anchor = match self.anchor {
                    Some(_) => None,
                    None => Some(self.cursor),
                };
            }
            Action::Cancel => self.clear_selection(),
            Action::Open if self.total() > 0 => {
                return match self.load_detail(ctx.ws) {
                    Ok(()) => Vec::new(),
                    Err(e) => vec![Effect::Error(e.to_string())],
                };
            }
            Action::SearchNext => return self.next_match(true, ctx.ws),
            Action::SearchPrev => return self.next_match(false, ctx.ws),
            Action::Search => return self.begin_search(),
            Action::Filter => return self.begin_filter(),
            Action::NextStaged => return self.jump(OverlayStatus::AiComplete, true, ctx.ws),
            Action::PrevStaged => return self.jump(OverlayStatus::AiComplete, false, ctx.ws),
            Action::NextFailed => return self.jump(OverlayStatus::Failed, true, ctx.ws),
            Action::PrevFailed => return self.jump(OverlayStatus::Failed, false, ctx.ws),
            Action::ToggleSelect if self.total() > 0 => {
                let i = self.index();
                if !self.selected.remove(&i) {
                    self.selected.insert(i);
                }
                return self.move_and_fetch(1, ctx.ws);
            }
            Action::ConfirmSelected => return self.confirm_and_next(ctx.ws),
            Action::ConfirmAllStaged => return self.ask_confirm_all(),
            Action::Reject => return self.begin_reject(ctx.ws),
            Action::Unconfirm => {
                let selection = self.targets();
                self.clear_selection();
                return self.review(|run_id| Job::Unconfirm { run_id, selection });
            }
            Action::DiscardEdit => {
                let index = self.index();
                return self.review(|run_id| Job::Discard { run_id, index });
            }
            Action::Edit => return self.begin_edit(),
            _ => {}
        }
        Vec::new()
    }

    fn render_grid(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        if let (Some(run), Some(detail)) = (&self.run, &self.detail) {
            detail.render(frame, area, view, self.title(run, view));
            return;
        }
        let Some(run) = &self.run else {
            let p = Paragraph::new("No run open. Pick one in the Runs pane (1) and press Enter.")
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(theme.border()),
                );
            frame.render_widget(p, area);
            return;
        };
        let (first, last) = self.field_window(area.width);
        let content_w = content_width(area.width, last - first);
        let mut header: Vec<Cell> = FIXED.iter().map(|(n, _)| Cell::from(*n)).collect();
        let mut widths: Vec<Constraint> = FIXED
            .iter()
            .map(|(n, w)| Constraint::Length(if *n == "content" { content_w } else { *w }))
            .collect();
        for (i, f) in self.fields[first..last].iter().enumerate() {
            let mut style = theme.title();
            if first + i == self.col {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            header.push(Cell::from(one_line(f, FIELD_WIDTH as usize)).style(style));
            widths.push(Constraint::Length(FIELD_WIDTH));
        }
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
                    Span::raw(format!("{:>4}", row.index)),
                ])),
                Cell::from(one_line(&row.block_type, 10)).style(theme.fg("muted")),
                Cell::from(status_label(row)).style(status_style),
                mark(one_line(&row.content, content_w.into()), theme.fg("text")),
            ];
            for (i, f) in self.fields[first..last].iter().enumerate() {
                let text = match (&row.value, row.status) {
                    (Some(v), _) => v.get(f).map(compact).unwrap_or_default(),
                    (None, OverlayStatus::Failed) if i == 0 => {
                        row.error.clone().unwrap_or_default()
                    }
                    _ => String::new(),
                };
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

    /// `Grid · run · schema · row r/T · reviewed 1,204 / 9,452 (12.7%) · …`, or the detail
    /// view's `Block N · type · …`.
    fn title(&self, run: &Run, view: &View) -> Line<'static> {
        let theme = view.theme;
        let c = &run.counters;
        let reviewed = format!(
            "reviewed {} / {} ({:.1}%)",
            thousands(c.confirmed),
            thousands(c.total),
            if c.total == 0 {
                0.0
            } else {
                f64::from(c.confirmed) * 100.0 / f64::from(c.total)
            }
        );
        let head = match &self.detail {
            Some(d) => format!(
                " Block {} · {} · run {} · {reviewed} · esc back ",
                d.index,
                d.block.block_type,
                sanitize_line(&run.run_id),
            ),
            None => format!(
                " Grid{} · {} · {} · row {}/{} · {reviewed} · col {}/{} ",
                match &self.view {
                    Some((f, _)) => format!(" [filter: {}]", f.describe()),
                    None => String::new(),
                },
                sanitize_line(&run.run_id),
                sanitize_line(&run.schema_ref),
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
                        " (range: v ends)"
                    } else {
                        ""
                    }
                ),
                theme.fg("marked"),
            ));
        }
        Line::from(title)
    }
}

/// One sanitized line cut to `width` columns (display width, `widgets::cut_to_width`).
fn one_line(s: &str, width: usize) -> String {
    // Cut before sanitizing: a cell never copies a 100 kB block. Every character takes at least
    // one column except zero-width ones, so twice the width in characters is plenty.
    let head = match s.char_indices().nth(2 * width + 2) {
        Some((end, _)) => &s[..end],
        None => s,
    };
    cut_to_width(head, width)
}

fn status_label(row: &GridRow) -> &'static str {
    match (row.status, row.edited) {
        (OverlayStatus::AiComplete, true) => "staged*",
        (OverlayStatus::AiComplete, false) => "staged",
        (s, _) => s.as_str(),
    }
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
enum FieldKind {
    /// Members shown as they are typed (strings bare).
    Enum(Vec<String>),
    Boolean,
    /// An array or object: the multi-line JSON editor.
    Json,
    Text,
}

fn field_kind(schema: &Value) -> FieldKind {
    if let Some(members) = schema.get("enum").and_then(Value::as_array) {
        return FieldKind::Enum(members.iter().map(compact).collect());
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| *t == "array" || *t == "object") {
        FieldKind::Json
    } else if types == ["boolean"] {
        FieldKind::Boolean
    } else {
        FieldKind::Text
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

/// `text` with every case-insensitive occurrence of `query` (lower-cased) in `hl`.
fn highlighted(text: String, query: &str, base: Style, hl: Style) -> Line<'static> {
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
