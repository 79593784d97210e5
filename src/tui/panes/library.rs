//! The Library pane (issue 22 item 6): the projects, then every document, with their counts,
//! block types, sizes, and which projects and runs use each. `i` ingests a file or a folder,
//! `p` creates a project, `space` selects documents and `a` adds them to a project, `n` on a
//! project opens the new-run form for a run group over it. The lists are read when the pane
//! is shown and after each change, not at launch.

use std::cell::Cell as StdCell;
use std::collections::{BTreeSet, HashMap};

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::model::{Document, Project};
use crate::tui::kit::draw::list_table;
use crate::tui::kit::text::{cut_to_width, inert, thousands};
use crate::tui::kit::{navigate, Action, Component, Ctx, Effect, View};
use crate::tui::modals::{ProjectPicker, Prompt};
use crate::workspace::Workspace;

/// Rows of the detail box (borders included).
const DETAIL_ROWS: u16 = 7;
/// From this width the list shows block types.
const WIDE: u16 = 110;

/// A document and what uses it.
#[derive(Debug, Clone)]
pub struct DocRow {
    pub doc: Document,
    pub projects: Vec<String>,
    /// Runs of this document (group members included).
    pub runs: Vec<String>,
}

/// A project, its members in order and the run groups made from it.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub project: Project,
    pub members: Vec<String>,
    pub groups: Vec<String>,
    pub blocks: u64,
    pub bytes: u64,
}

/// One row of the list: projects first, then documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Project(usize),
    Doc(usize),
}

#[derive(Debug, Default)]
pub struct LibraryPane {
    pub projects: Vec<ProjectRow>,
    pub docs: Vec<DocRow>,
    pub cursor: usize,
    /// Documents marked with `space` (`conv_uid`s): what `a` adds.
    pub selected: BTreeSet<String>,
    offset: StdCell<usize>,
}

impl LibraryPane {
    /// Read the documents, projects, memberships and runs (keeping the cursor's row).
    pub fn load(&mut self, ws: &Workspace) -> Result<(), String> {
        let e = |e: &dyn std::fmt::Display| format!("cannot read the library: {e}");
        let docs = ws.list_documents().map_err(|x| e(&x))?;
        let runs = ws.list_run_heads().map_err(|x| e(&x))?;
        let mut of_doc: HashMap<&str, Vec<String>> = HashMap::new();
        for r in &runs {
            of_doc
                .entry(&r.conv_uid)
                .or_default()
                .push(r.run_id.clone());
        }
        let by_uid: HashMap<&str, &Document> =
            docs.iter().map(|d| (d.conv_uid.as_str(), d)).collect();
        let mut in_projects: HashMap<String, Vec<String>> = HashMap::new();
        let mut projects = Vec::new();
        for p in ws.list_projects().map_err(|x| e(&x))? {
            let members = ws.project_members(&p.project_ref).map_err(|x| e(&x))?;
            let groups = ws.project_groups(&p.project_ref).map_err(|x| e(&x))?;
            let (mut blocks, mut bytes) = (0u64, 0u64);
            for m in &members {
                in_projects
                    .entry(m.clone())
                    .or_default()
                    .push(p.project_ref.clone());
                if let Some(d) = by_uid.get(m.as_str()) {
                    blocks += u64::from(d.total_blocks);
                    bytes += d.source_filesize;
                }
            }
            projects.push(ProjectRow {
                project: p,
                members,
                groups,
                blocks,
                bytes,
            });
        }
        let keep = self.current_key();
        let mut docs = docs;
        docs.sort_by(|a, b| {
            a.file_name
                .cmp(&b.file_name)
                .then(a.conv_uid.cmp(&b.conv_uid))
        });
        self.docs = docs
            .iter()
            .map(|d| DocRow {
                projects: in_projects.remove(&d.conv_uid).unwrap_or_default(),
                runs: of_doc.remove(d.conv_uid.as_str()).unwrap_or_default(),
                doc: d.clone(),
            })
            .collect();
        self.projects = projects;
        let uids: BTreeSet<&str> = self.docs.iter().map(|d| d.doc.conv_uid.as_str()).collect();
        self.selected.retain(|s| uids.contains(s.as_str()));
        self.cursor = crate::tui::kit::moved(self.cursor, self.len(), 0);
        if let Some(k) = keep {
            self.select(&k);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.projects.len() + self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn item(&self, row: usize) -> Option<Item> {
        let p = self.projects.len();
        match row {
            r if r < p => Some(Item::Project(r)),
            r if r < self.len() => Some(Item::Doc(r - p)),
            _ => None,
        }
    }

    pub fn current_project(&self) -> Option<&ProjectRow> {
        match self.item(self.cursor)? {
            Item::Project(i) => self.projects.get(i),
            Item::Doc(_) => None,
        }
    }

    pub fn current_doc(&self) -> Option<&DocRow> {
        match self.item(self.cursor)? {
            Item::Doc(i) => self.docs.get(i),
            Item::Project(_) => None,
        }
    }

    fn current_key(&self) -> Option<String> {
        match (self.current_project(), self.current_doc()) {
            (Some(p), _) => Some(p.project.project_ref.clone()),
            (_, Some(d)) => Some(d.doc.conv_uid.clone()),
            _ => None,
        }
    }

    /// Put the cursor on a project (by ref) or a document (by `conv_uid`).
    pub fn select(&mut self, key: &str) {
        let p = self
            .projects
            .iter()
            .position(|p| p.project.project_ref == key);
        let d = self.docs.iter().position(|d| d.doc.conv_uid == key);
        if let Some(row) = p.or(d.map(|d| d + self.projects.len())) {
            self.cursor = row;
        }
    }

    /// `a`: the marked documents (or the current one) join a project picked from a list.
    fn add_to_project(&self) -> Vec<Effect> {
        let docs: Vec<String> = if self.selected.is_empty() {
            self.current_doc()
                .map(|d| vec![d.doc.conv_uid.clone()])
                .unwrap_or_default()
        } else {
            self.selected.iter().cloned().collect()
        };
        if docs.is_empty() {
            return vec![Effect::Error(
                "no document selected: space marks documents, then a adds them".into(),
            )];
        }
        if self.projects.is_empty() {
            return vec![Effect::Error("no project yet: p creates one".into())];
        }
        let projects = self
            .projects
            .iter()
            .map(|p| (p.project.project_ref.clone(), p.project.member_count))
            .collect();
        vec![Effect::Open(Box::new(ProjectPicker::new(projects, docs)))]
    }

    fn table(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let wide = area.width >= WIDE;
        let mut head = vec!["", "kind", "name", "blocks", "size", "in", "runs"];
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Min(16),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(14),
            Constraint::Length(6),
        ];
        if wide {
            head.insert(5, "types");
            widths.insert(5, Constraint::Length(30));
        }
        let header = Row::new(head.into_iter().map(Cell::from)).style(theme.title());
        let projects = self.projects.iter().map(|p| project_row(p, view, wide));
        let docs = self.docs.iter().map(|d| self.doc_row(d, view, wide));
        let rows: Vec<Row> = projects.chain(docs).collect();
        let title = if self.is_empty() {
            " Library · empty: i ingests a file or a folder ".to_string()
        } else {
            format!(
                " Library · {} project(s) · {} document(s){} ",
                self.projects.len(),
                self.docs.len(),
                match self.selected.len() {
                    0 => String::new(),
                    n => format!(" · {n} selected (a adds them to a project)"),
                }
            )
        };
        let cursor = (!self.is_empty()).then_some(self.cursor);
        let table = Table::new(rows, widths).header(header);
        list_table(frame, area, table, &title, theme, cursor, &self.offset);
    }

    fn doc_row(&self, d: &DocRow, view: &View, wide: bool) -> Row<'static> {
        let theme = view.theme;
        let mark = if self.selected.contains(&d.doc.conv_uid) {
            "●"
        } else {
            " "
        };
        let in_projects = match d.projects.len() {
            0 => "–".to_string(),
            _ => d.projects.join(", "),
        };
        let mut cells = vec![
            Cell::from(mark).style(theme.fg("marked")),
            Cell::from(d.doc.source_type.clone()).style(theme.fg("muted")),
            Cell::from(inert(&d.doc.file_name)),
            Cell::from(thousands(d.doc.total_blocks)),
            Cell::from(size(d.doc.source_filesize)),
            Cell::from(cut_to_width(&inert(&in_projects), 14)),
            Cell::from(format!("{}", d.runs.len())),
        ];
        if wide {
            cells.insert(5, Cell::from(types(&d.doc)).style(theme.fg("muted")));
        }
        Row::new(cells)
    }

    /// The selected row in full.
    fn detail(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let label = |s: &'static str| Span::styled(format!("{s:<10}"), theme.fg("muted"));
        let list = |v: &[String]| match v.len() {
            0 => "none".to_string(),
            n if n > 6 => format!("{} … ({n})", v[..6].join(", ")),
            _ => v.join(", "),
        };
        let (title, lines) = if let Some(p) = self.current_project() {
            let names: Vec<String> = p
                .members
                .iter()
                .filter_map(|m| self.docs.iter().find(|d| &d.doc.conv_uid == m))
                .map(|d| d.doc.file_name.clone())
                .collect();
            let desc = match &p.project.description {
                Some(d) => format!(" · {d}"),
                None => String::new(),
            };
            (
                format!(" project {}{desc} ", p.project.project_ref),
                vec![
                    Line::from(vec![label("documents"), Span::raw(inert(&list(&names)))]),
                    Line::from(vec![label("groups"), Span::raw(list(&p.groups))]),
                    Line::from(vec![
                        label("do"),
                        Span::raw("n creates a run group (one run per document); i ingests more"),
                    ]),
                ],
            )
        } else if let Some(d) = self.current_doc() {
            (
                format!(" {} · {} ", d.doc.title, d.doc.file_name),
                vec![
                    Line::from(vec![
                        label("document"),
                        Span::raw(format!(
                            "{} · {} · {} blocks · {} · ingested {}",
                            d.doc.conv_uid.get(..12).unwrap_or(&d.doc.conv_uid),
                            d.doc.source_type,
                            d.doc.total_blocks,
                            size(d.doc.source_filesize),
                            d.doc.ingested_at
                        )),
                    ]),
                    Line::from(vec![label("types"), Span::raw(types(&d.doc))]),
                    Line::from(vec![
                        label("projects"),
                        Span::raw(inert(&list(&d.projects))),
                    ]),
                    Line::from(vec![label("runs"), Span::raw(list(&d.runs))]),
                ],
            )
        } else {
            return;
        };
        let title = cut_to_width(&inert(&title), area.width.saturating_sub(2) as usize);
        let box_ = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(title, theme.title())),
        );
        frame.render_widget(box_, area);
    }
}

fn project_row(p: &ProjectRow, view: &View, wide: bool) -> Row<'static> {
    let theme = view.theme;
    let groups = match p.groups.len() {
        0 => "–".to_string(),
        n => format!("{n} grp"),
    };
    let mut cells = vec![
        Cell::from(" "),
        Cell::from("proj").style(theme.title()),
        Cell::from(inert(&p.project.project_ref)).style(theme.title()),
        Cell::from(thousands(p.blocks.min(u64::from(u32::MAX)) as u32)),
        Cell::from(size(p.bytes)),
        Cell::from(format!("{} docs", p.members.len())),
        Cell::from(groups),
    ];
    if wide {
        cells.insert(5, Cell::from(""));
    }
    Row::new(cells)
}

/// The three most frequent block types: `paragraph 12, heading 3, table 1`.
fn types(d: &Document) -> String {
    let mut v: Vec<(&String, &u32)> = d.block_type_freq.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = v.iter().take(3).map(|(t, n)| format!("{t} {n}")).collect();
    shown.join(", ")
}

/// `812 B`, `14.2 kB`, `3.1 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1_000..=999_999 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn split(area: Rect) -> [Rect; 2] {
    let detail = if area.height >= DETAIL_ROWS + 5 {
        DETAIL_ROWS
    } else {
        0
    };
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(detail)])
        .areas(area)
}

impl Component for LibraryPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        let len = self.len();
        if navigate(&mut self.cursor, len, &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::NewProject => vec![Effect::Open(Box::new(Prompt::new_project()))],
            Action::AddToProject => self.add_to_project(),
            Action::ToggleSelect => {
                if let Some(uid) = self.current_doc().map(|d| d.doc.conv_uid.clone()) {
                    if !self.selected.remove(&uid) {
                        self.selected.insert(uid);
                    }
                    self.cursor = crate::tui::kit::moved(self.cursor, self.len(), 1);
                }
                Vec::new()
            }
            Action::Cancel => {
                self.selected.clear();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [list, info] = split(area);
        self.table(frame, list, view);
        if info.height > 0 {
            self.detail(frame, info, view);
        }
    }

    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [list, _] = split(area);
        if let Some(row) = crate::tui::kit::row_at(list, self.offset.get(), at) {
            if row < self.len() {
                self.cursor = row;
            }
        }
        Vec::new()
    }
}
