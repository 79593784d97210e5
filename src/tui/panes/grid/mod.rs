//! The review grid: one row per block, `#`, `type`, `status`, `content`, then one column per
//! top-level schema property. Only the visible window of rows is fetched and laid out.
//! Review keys (confirm, reject, discard) leave as background jobs; `e` opens the cell editor.

use std::collections::BTreeSet;

use ratatui::layout::{Position, Rect};
use ratatui::Frame;
use serde_json::Value;

use std::sync::Arc;

mod change;
mod detail;
mod evidence;
mod find;
mod group;
mod group_window;
mod look;
mod review;
mod table;

pub use group::GroupGrid;
pub use group_window::Members;
pub use look::LookMode;

use crate::model::{OverlayStatus, Run};
use crate::tui::kit::draw::GRID_FIXED as FIXED;
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::Job;
use crate::tui::kit::{nav_delta, Component, Ctx, View};
use crate::workspace::BlockFilter as Filter;
use crate::workspace::{self, properties, Selection, Workspace};
use detail::Detail;

pub(super) const FIELD_WIDTH: u16 = 22;
/// Tab bar, status bar, table borders and header.
const CHROME_ROWS: u16 = 6;

/// One visible row, built from the block and its overlay.
#[derive(Debug, Clone)]
pub struct GridRow {
    /// The row's key: the block index, or in a group's grid the position across its members.
    pub index: u32,
    /// The block's index in its document.
    pub block: u32,
    /// The document's file name (the grid of a group).
    pub doc: Option<String>,
    pub block_type: String,
    pub content: String,
    pub status: OverlayStatus,
    /// Confirmed value when confirmed, staged when ai_complete, else `None`.
    pub value: Option<Value>,
    /// A draft edit differs from the model's answer.
    pub edited: bool,
    pub error: Option<String>,
    /// Top-level fields with a value grounded `none`, `fuzzy` or `neighbour` (SPEC §4a): the
    /// grid marks them.
    pub look: Vec<String>,
    /// A failed block's last invalid answer (what `e` fixes to salvage it).
    pub invalid_answer: Option<Value>,
}

#[derive(Debug)]
pub struct GridPane {
    /// The run shown; in a group's grid, the member run of the cursor's row.
    pub run: Option<Run>,
    /// The run group shown (every member's blocks), if a group is open.
    pub group: Option<GroupGrid>,
    /// The group members the filter keeps (none: all).
    pub doc_filter: Vec<usize>,
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
    /// The row key the detail view shows.
    detail_key: u32,
    /// The active filter and the blocks it keeps (ascending); `cursor` and `offset` are then
    /// positions in this list. `None`: every block, position = block index.
    pub view: Option<(Filter, Arc<[u32]>)>,
    /// The last search (`/`) and its matching blocks (ascending), for `n` / `N` and highlights.
    pub search: Option<(String, Arc<[u32]>)>,
    /// The needs-a-look order (`L`, SPEC §4a); `view` then holds its rows.
    pub look: Option<LookMode>,
    look_label: Option<String>,
    /// The run chosen to compare with (or as gold) in the Runs pane.
    pub against: Option<workspace::Against>,
}

impl Default for GridPane {
    fn default() -> Self {
        GridPane {
            run: None,
            group: None,
            doc_filter: Vec::new(),
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
            detail_key: 0,
            view: None,
            search: None,
            look: None,
            look_label: None,
            against: None,
        }
    }
}

impl GridPane {
    /// Rows in the grid: the filtered blocks, else every block of the run.
    pub fn total(&self) -> u32 {
        match &self.view {
            Some((_, v)) => v.len() as u32,
            None => match &self.group {
                Some(g) => g.total(),
                None => self.run.as_ref().map(|r| r.counters.total).unwrap_or(0),
            },
        }
    }

    /// The cursor's block index in its own document (its run's index).
    pub fn local_index(&self) -> u32 {
        match &self.group {
            Some(g) => g.locate(self.index()).map_or(u32::MAX, |(_, i)| i),
            None => self.index(),
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
            // The look order is not ascending.
            Some((_, v)) if self.look == Some(LookMode::First) => {
                v.iter().position(|&i| i == index).unwrap_or(0) as u32
            }
            Some((_, v)) => match v.binary_search(&index) {
                Ok(p) => p as u32,
                Err(p) => (p as u32).min((v.len() as u32).saturating_sub(1)),
            },
            None => index,
        }
    }

    /// Show `run` (fresh cursor when it is another run).
    pub fn open(&mut self, ws: &Workspace, run: Run) -> Result<(), workspace::Error> {
        let same =
            self.group.is_none() && self.run.as_ref().is_some_and(|r| r.run_id == run.run_id);
        if !same {
            self.fresh(ws, &run.schema_id)?;
        }
        self.group = None;
        self.run = Some(run);
        self.reload(ws)
    }

    /// A fresh cursor, no filter, search or selection, and the fields of schema `schema_id`.
    fn fresh(&mut self, ws: &Workspace, schema_id: &str) -> Result<(), workspace::Error> {
        self.cursor = 0;
        self.offset = 0;
        self.col = 0;
        self.detail = None;
        self.view = None;
        self.look = None;
        self.doc_filter.clear();
        self.search = None;
        self.clear_selection();
        let schema = ws.get_schema(schema_id)?.map(|s| s.json);
        self.fields = schema
            .as_ref()
            .and_then(properties)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        self.schema = schema;
        Ok(())
    }

    /// Re-read the run (a group: its members) and the visible window (a bounded read:
    /// `height` rows).
    pub fn reload(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        if let Some(g) = &mut self.group {
            g.refresh(ws)?;
        } else if let Some(run) = &self.run {
            if let Some(fresh) = ws.get_run(&run.run_id)? {
                self.run = Some(fresh);
            }
        }
        self.load_window(ws)
    }

    /// Read the visible window's rows (and the detail view's block when open).
    fn load_window(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        self.clamp();
        if self.group.is_some() {
            self.rows = self.group_window(ws)?;
            // The window read the heads of its members: `run` is the cursor's.
            self.follow_member();
            return self.detail_follows(ws);
        }
        let Some(run) = &self.run else {
            self.rows.clear();
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
                let look = evidence::needs_a_look(&ov);
                let value = ov.status.shown(ov.confirmed, ov.staging).value();
                GridRow {
                    index: ov.block_index,
                    block: ov.block_index,
                    doc: None,
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                    status: ov.status,
                    value,
                    edited: ov.edited,
                    look,
                    error: ov.last_error,
                    invalid_answer: ov.invalid_answer,
                }
            })
            .collect();
        self.detail_follows(ws)
    }

    fn detail_follows(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        if self.detail.is_some() {
            self.load_detail(ws)?;
        }
        Ok(())
    }

    /// (Re)read the detail view for the cursor's block, keeping the scroll on the same block.
    fn load_detail(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        let Some(run) = &self.run else {
            self.detail = None;
            return Ok(());
        };
        let (scroll, value_scroll) = match &self.detail {
            Some(d) if self.detail_key == self.index() => (d.scroll, d.value_scroll),
            _ => (0, 0),
        };
        self.detail_key = self.index();
        self.detail = Detail::load(ws, run, self.local_index())?.map(|mut d| {
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
            // The window only: a group's members are as fresh as the last reload.
            return self.fetch(ws);
        }
        Vec::new()
    }

    /// Keep the cursor in range and inside the window. Returns whether the window moved.
    pub fn clamp(&mut self) -> bool {
        let total = self.total();
        self.cursor = self.cursor.min(total.saturating_sub(1));
        self.col = self.col.min(self.fields.len().saturating_sub(1));
        self.follow_member();
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
            return self.fetch(ws);
        }
        Vec::new()
    }

    /// Read the window only (the cursor moved; the run's counters are as fresh as the last
    /// reload), reporting a failure as an effect.
    fn fetch(&mut self, ws: &Workspace) -> Vec<Effect> {
        match self.load_window(ws) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Effect::Error(format!("cannot read the grid: {e}"))],
        }
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

    /// End a `v` range by keeping it: its blocks join the marked ones.
    pub fn keep_range(&mut self) {
        let Some(a) = self.anchor.take() else {
            return;
        };
        let (lo, hi) = (a.min(self.cursor), a.max(self.cursor));
        let blocks: Vec<u32> = (lo..=hi).map(|p| self.index_at(p)).collect();
        self.selected
            .extend(blocks.into_iter().filter(|&i| i != u32::MAX));
    }

    /// The targets of a review key, the `v` range kept as marked blocks, so that the selection
    /// survives the cursor moving on (accept-and-next) and a refusal.
    pub fn take_targets(&mut self) -> Selection {
        self.keep_range();
        self.targets()
    }

    /// After a review job: exactly these blocks stay selected (those it skipped).
    pub fn select_only(&mut self, blocks: Vec<u32>) {
        self.anchor = None;
        self.selected = blocks.into_iter().collect();
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
    }

    /// The first staged block after `sel` (wrapping to the start), for accept-and-next: the
    /// blocks of `sel` still read as staged until the job lands, so they are skipped.
    fn next_needing_review(&self, ws: &Workspace, sel: &Selection) -> Option<u32> {
        self.run.as_ref()?;
        let staged = |from| {
            self.next_status(ws, OverlayStatus::AiComplete, from, true)
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
        self.fetch(ws)
    }

    /// Jump to the nearest block with `status` after (`forward`) or before the cursor.
    fn jump(&mut self, status: OverlayStatus, forward: bool, ws: &Workspace) -> Vec<Effect> {
        if self.run.is_none() {
            return vec![no_run()];
        }
        let from = if forward {
            self.index().saturating_add(1)
        } else {
            self.index()
        };
        let what = match status {
            OverlayStatus::Failed => "failed",
            _ => "staged",
        };
        match self.next_status(ws, status, from, forward) {
            Ok(Some(i)) => self.goto(i, ws),
            Ok(None) => vec![Effect::Info(format!(
                "no {what} block {} row {}",
                if forward { "after" } else { "before" },
                self.index()
            ))],
            Err(e) => vec![Effect::Error(e.to_string())],
        }
    }
}

pub(super) fn no_run() -> Effect {
    Effect::Error("no run open: pick one in the Runs pane and press Enter".into())
}

impl Component for GridPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(fx) = self.update_detail(&action) {
            return fx;
        }
        let fx = self.update_grid(action, ctx);
        // The detail view follows the cursor (accept-and-next, jumps).
        if self.detail.is_some() && self.detail_key != self.index() {
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
            Action::RangeSelect if self.total() > 0 => match self.anchor {
                Some(_) => self.keep_range(),
                None => self.anchor = Some(self.cursor),
            },
            Action::Cancel => self.clear_selection(),
            Action::Open if self.total() > 0 => {
                return match self.load_detail(ctx.ws) {
                    Ok(()) => Vec::new(),
                    Err(e) => vec![Effect::Error(e.to_string())],
                };
            }
            Action::SearchNext => return self.next_match(true, ctx.ws),
            Action::SearchPrev => return self.next_match(false, ctx.ws),
            Action::Search => return self.begin_search(ctx.ws),
            Action::Filter => return self.begin_filter(ctx.ws),
            Action::NeedsALook => return self.cycle_look(ctx.ws),
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
            Action::ConfirmAllStaged => return self.ask_confirm_all(ctx.ws),
            Action::Reject => return self.begin_reject(ctx.ws),
            Action::Unconfirm => {
                let selection = self.take_targets();
                return self.review_each(&selection, |run_id, selection| Job::Unconfirm {
                    run_id,
                    selection,
                });
            }
            Action::DiscardEdit => {
                let index = self.local_index();
                return self.review(|run_id| Job::Discard { run_id, index });
            }
            Action::Edit => return self.begin_edit(),
            _ => {}
        }
        Vec::new()
    }
}
