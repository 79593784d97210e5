//! Run groups in the Runs pane (issue 22): a group is one row with its members' sums (state,
//! progress, counters, cost), and `space` unfolds it into its member runs in project order.
//! This file builds the list of rows and draws the group rows; `runs.rs` owns the pane.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::tui::kit::{Action, Effect, Pane};

use crate::model::{GroupSummary, OverlayStatus, Run, RunCounters, RunGroup, RunStatus};
use crate::store::{GroupTally, Head};
use crate::tui::kit::text::{cut_to_width, inert};
use crate::tui::kit::View;
use crate::workspace::format_cost;

/// A group as the pane shows it: the record and its members' state summed.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// Shared with the grid when it shows the group (a 1,000-member record is not copied).
    pub group: Arc<RunGroup>,
    pub summary: GroupSummary,
    /// Where the group's members are in the run list, in project order (members the list
    /// lacks are left out).
    pub members: Vec<usize>,
}

/// One row of the Runs list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A run of no group: `runs[i]`.
    Run(usize),
    /// Group `groups[g]`, folded or unfolded.
    Group(usize),
    /// A member run of group `g`: `runs[i]`.
    Member(usize, usize),
}

/// Sum every group's members out of `runs` (a member the list lacks is left out of the sums),
/// or take `tallies[g]` (the stored sums) when the list lacks the group's members.
pub fn group_rows(
    groups: &[Arc<RunGroup>],
    tallies: &[Option<GroupTally>],
    runs: &[Arc<Head>],
) -> Vec<GroupRow> {
    if groups.is_empty() {
        return Vec::new();
    }
    let index: rustc_hash::FxHashMap<&[u8], usize> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.order_key().1, i))
        .collect();
    groups
        .iter()
        .enumerate()
        .map(|(at, g)| {
            let members: Vec<usize> = g
                .run_ids
                .iter()
                .filter_map(|id| index.get(id.as_bytes()).copied())
                .collect();
            let tally = tallies.get(at).and_then(Option::as_ref);
            let summary = match tally {
                Some(t) if members.len() < g.run_ids.len() => t.summary(g),
                _ => GroupSummary::of(g, members.iter().map(|&i| &*runs[i])),
            };
            GroupRow {
                summary,
                group: g.clone(),
                members,
            }
        })
        .collect()
}

/// The rows: runs of no group and groups, newest first; an unfolded group's members follow it
/// in project order. `runs` is sorted newest first.
pub fn entries(runs: &[Arc<Head>], groups: &[GroupRow], unfolded: &HashSet<String>) -> Vec<Entry> {
    let mut grouped = vec![false; runs.len()];
    for &i in groups.iter().flat_map(|g| &g.members) {
        grouped[i] = true;
    }
    // (created_at, entry), then newest first; a stable sort keeps the runs' own order on ties.
    let mut top: Vec<(&str, Entry)> = runs
        .iter()
        .enumerate()
        .filter(|(i, _)| !grouped[*i])
        .map(|(i, r)| (r.created_at(), Entry::Run(i)))
        .collect();
    top.extend(
        groups
            .iter()
            .enumerate()
            .map(|(g, row)| (row.group.created_at.as_str(), Entry::Group(g))),
    );
    top.sort_by(|a, b| b.0.cmp(a.0));
    let mut out = Vec::with_capacity(top.len());
    for (_, e) in top {
        out.push(e);
        if let Entry::Group(g) = e {
            let row = &groups[g];
            if unfolded.contains(&row.group.group_id) {
                out.extend(row.members.iter().map(|&i| Entry::Member(g, i)));
            }
        }
    }
    out
}

/// What is happening to a group, in words: its summed state and how many runs are done.
pub fn group_state(row: &GroupRow, view: &View) -> String {
    let s = &row.summary;
    let runs = format!("{}/{} docs done", s.runs_complete, s.runs);
    match s.status {
        RunStatus::Paused => format!(
            "paused: {}",
            s.paused_reason.as_deref().unwrap_or("no reason recorded")
        ),
        RunStatus::Cancelled => format!("cancelled · {runs}"),
        RunStatus::Complete if s.counters.failed > 0 => {
            format!("complete with {} failed · {runs}", s.counters.failed)
        }
        RunStatus::Complete => format!("complete · {runs}"),
        RunStatus::Running if view.working.contains(&row.group.group_id) => {
            format!("running ▶ worker in this window · {runs}")
        }
        RunStatus::Running => format!("idle · {runs}"),
    }
}

fn done(c: &RunCounters) -> u32 {
    c.total.saturating_sub(c.pending + c.claimed)
}

/// `[#####.....] 120/400` from summed counters.
pub fn counters_bar(c: &RunCounters, width: usize) -> String {
    let done = done(c);
    let filled = (done as usize * width) / c.total.max(1) as usize;
    format!(
        "[{}{}] {done}/{}",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width)),
        c.total
    )
}

/// A group's row: a fold marker and its id, the summed state, progress, counters and cost.
pub fn group_row(
    row: &GroupRow,
    unfolded: bool,
    view: &View,
    (wide, extra): (bool, bool),
    state_w: usize,
) -> Row<'static> {
    let theme = view.theme;
    let c = &row.summary.counters;
    let marker = if unfolded { "▾ " } else { "▸ " };
    // A prefix is what `blockwise run … PREFIX` takes: cut, no ellipsis.
    let id_w = if wide { 16 } else { 12 };
    let id: String = format!("{marker}{}", row.group.group_id)
        .chars()
        .take(id_w)
        .collect();
    let progress = if wide {
        counters_bar(c, 10)
    } else {
        format!("{}/{}", done(c), c.total)
    };
    let state = inert(&group_state(row, view));
    let mut cells = vec![
        Cell::from(id).style(theme.title()),
        Cell::from(cut_to_width(&state, state_w)).style(group_style(row, view)),
        Cell::from(progress),
        Cell::from(format!("{}", c.ai_complete)).style(theme.status(OverlayStatus::AiComplete)),
        Cell::from(format!("{}", c.failed)).style(theme.status(OverlayStatus::Failed)),
        Cell::from(format_cost(row.summary.usage.cost_usd)),
    ];
    if wide {
        cells.insert(
            3,
            Cell::from(format!("{}", c.pending + c.claimed))
                .style(theme.status(OverlayStatus::Pending)),
        );
        cells.insert(
            5,
            Cell::from(format!("{}", c.confirmed)).style(theme.status(OverlayStatus::Confirmed)),
        );
    }
    if extra {
        let project = format!("{} · {}", row.group.schema_ref, row.group.project_ref);
        cells.push(Cell::from(cut_to_width(&inert(&project), 18)));
        cells.push(Cell::from(Line::from(Span::raw(format!(
            "{} runs",
            row.summary.runs
        )))));
    }
    Row::new(cells)
}

fn group_style(row: &GroupRow, view: &View) -> ratatui::style::Style {
    let theme = view.theme;
    match row.summary.status {
        RunStatus::Paused => theme.fg("error"),
        RunStatus::Complete if row.summary.counters.failed > 0 => {
            theme.status(OverlayStatus::Failed)
        }
        RunStatus::Complete => theme.status(OverlayStatus::Confirmed),
        RunStatus::Running if view.working.contains(&row.group.group_id) => theme.fg("claimed"),
        _ => theme.fg("text"),
    }
}

/// The detail box's lines for a group: state, what to do, runs and usage.
pub fn group_lines(
    row: &GroupRow,
    view: &View,
    keys: GroupKeys,
    batch: Option<&String>,
) -> Vec<Line<'static>> {
    let theme = view.theme;
    let s = &row.summary;
    let label = |t: &'static str| Span::styled(format!("{t:<7}"), theme.fg("muted"));
    let c = &s.counters;
    let u = &s.usage;
    let mut lines = vec![
        Line::from(vec![
            label("state"),
            Span::styled(inert(&group_state(row, view)), group_style(row, view)),
        ]),
        Line::from(vec![
            label("do"),
            Span::raw(format!(
                "{}: grid of all {} documents · {}: their runs · {}: start the worker",
                keys.open, s.runs, keys.fold, keys.start
            )),
        ]),
        Line::from(vec![
            label("runs"),
            Span::raw(format!(
                "{} complete · {} paused · {} cancelled · {}/{} blocks done · {} staged · {} confirmed",
                s.runs_complete,
                s.runs_paused,
                s.runs_cancelled,
                done(c),
                c.total,
                c.ai_complete,
                c.confirmed
            )),
        ]),
        Line::from(vec![
            label("usage"),
            Span::raw(format!(
                "{} calls ({} failed) · tokens in {} out {} cache-read {} · cost {}",
                u.calls,
                u.failed_calls,
                u.tokens.input_tokens,
                u.tokens.output_tokens,
                u.tokens.cache_read_tokens,
                format_cost(u.cost_usd)
            )),
        ]),
    ];
    if let Some(batch) = batch {
        // The members' provider batches, as a run's detail shows its own; second, so a small
        // detail box (80×24) still shows it.
        lines.insert(1, Line::from(vec![label("batch"), Span::raw(inert(batch))]));
    }
    lines
}

/// The keys the group detail names (from the keymap).
pub struct GroupKeys {
    pub open: String,
    pub fold: String,
    pub start: String,
}

/// The selected group in full, in the detail box: its summed state, what to do, runs, usage.
pub fn group_detail(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    row: &GroupRow,
    batch: Option<&String>,
) {
    let theme = view.theme;
    let k = |a: Action| {
        view.keymap
            .key_for(crate::tui::kit::KeyContext::Runs, &a)
            .unwrap_or_else(|| "?".into())
    };
    let keys = GroupKeys {
        open: k(Action::Open),
        fold: k(Action::Fold),
        start: k(Action::StartWorker),
    };
    let lines = group_lines(row, view, keys, batch);
    let title = cut_to_width(
        &inert(&format!(
            " group {} · project {} · schema {} ",
            row.group.group_id, row.group.project_ref, row.group.schema_ref
        )),
        area.width.saturating_sub(2) as usize,
    );
    let box_ = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(title, theme.title())),
    );
    frame.render_widget(box_, area);
}

/// What a key does on the row of group `id`: open its grid (unfolding it), fold it, or say
/// where the run keys work. The bool: fold (or unfold) the row.
pub fn group_action(action: Action, id: &str, unfolded: bool) -> (Vec<Effect>, bool) {
    match action {
        Action::Open => (
            vec![Effect::OpenGroup(id.to_string()), Effect::Focus(Pane::Grid)],
            !unfolded,
        ),
        Action::Fold | Action::ToggleSelect => (Vec::new(), true),
        Action::CallLog | Action::RetryFailed => (
            vec![Effect::Info(format!(
                "group {id}: unfold it (space) and pick a member run, or `blockwise run calls \
                 / retry-failed {id}`"
            ))],
            false,
        ),
        _ => (Vec::new(), false),
    }
}

/// A member run's row label: `└ run_…` cut to the id column, and its document's file name
/// (the first 12 characters of its `conv_uid` until the name is read).
pub fn member_label(run: &Run, wide: bool, names: &HashMap<String, String>) -> (String, String) {
    let w = if wide { 16 } else { 12 };
    let id = format!("└ {}", run.run_id).chars().take(w).collect();
    let doc = match names.get(&run.conv_uid) {
        Some(name) => name.clone(),
        None => run.conv_uid.chars().take(12).collect(),
    };
    (id, doc)
}

/// A member row's state cell: the document's name (muted, cut to at most two fifths of the
/// column, at least 8 characters) then the state in the rest.
pub fn member_state(
    doc: &str,
    state: &str,
    style: Style,
    width: usize,
    view: &View,
) -> Cell<'static> {
    let name = cut_to_width(doc, (width * 2 / 5).max(8).min(width));
    let rest = width.saturating_sub(name.width() + 3);
    Cell::from(Line::from(vec![
        Span::styled(name, view.theme.fg("muted")),
        Span::raw(" · "),
        Span::styled(cut_to_width(state, rest), style),
    ]))
}

/// Read the file names of group `group_id`'s documents that `names` lacks (an unreadable
/// document keeps its `conv_uid` prefix). Names go through the one sanitizer.
pub fn read_names(
    ws: &crate::workspace::Workspace,
    rows: &[GroupRow],
    group_id: &str,
    names: &mut HashMap<String, String>,
) {
    let Some(row) = rows.iter().find(|r| r.group.group_id == group_id) else {
        return;
    };
    for conv in &row.group.conv_uids {
        if names.contains_key(conv) {
            continue;
        }
        if let Ok(Some(doc)) = ws.get_document(conv) {
            let name = crate::model::sanitize_line(&doc.file_name).into_owned();
            names.insert(conv.clone(), name);
        }
    }
}
