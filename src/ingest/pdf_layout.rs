//! From positioned text to blocks: spans become lines (same baseline, left to right), lines are
//! read top to bottom on each page, running headers and footers (the same text in the top or
//! bottom margin of most pages, page numbers included) are kept as their own blocks, lines larger than the body
//! text are headings (a level per size, largest first; short bold lines come after), lines that
//! start with a bullet or a number are list items, and the rest are paragraphs split on vertical
//! gaps and short last lines. A hyphenated line end is joined when the whole word occurs
//! elsewhere (`pdf_words.rs`). Running headers and footers are `page_header` / `page_footer`.
//!
//! Lines split into cells by wide gaps are table rows; consecutive rows make one table block.
//!
//! Known limits: one column only (two-column pages interleave their lines), tables are found only
//! when their columns are set apart by wide gaps (a cell that wraps onto two lines becomes two
//! rows). A paragraph, list item or code block that runs across a page break is one block, its
//! locator naming the page and box where it starts.

use super::pdf_words::{join_lines, spaced, Vocabulary};
use super::render::{self, Renderer};
use running::{in_margin, margin_key, running_lines};
use sizes::Sizes;

#[path = "pdf_running.rs"]
mod running;
#[path = "pdf_sizes.rs"]
mod sizes;
use crate::model::{BlockType, Locator};

/// One shown string on a page, in page coordinates (points, origin bottom-left).
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub mono: bool,
    pub text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub origin: (f32, f32),
    pub spans: Vec<Span>,
    /// Bullet-sized painted shapes (`pdf_marks.rs`), as boxes `[x0, y0, x1, y1]`.
    pub marks: Vec<[f32; 4]>,
}

#[derive(Debug, Clone)]
struct Line {
    text: String,
    /// The line split at wide gaps: two or more cells mark a table row.
    cells: Vec<String>,
    x0: f32,
    x1: f32,
    y: f32,
    size: f32,
    bold: bool,
    /// Set in a monospace font throughout: a code line, `raw` its text with spacing kept.
    mono: bool,
    raw: String,
    /// A painted bullet sits just left of the line: it starts a list item.
    bullet: bool,
}

/// Lines of a page in reading order. A page set in two columns (a vertical gutter in the middle
/// that almost no text crosses) is read as: full-width text above the columns, the left column,
/// the right column, full-width text below.
fn page_lines(page: &Page) -> Vec<Line> {
    let mut lines = lines_in_order(page);
    for l in &mut lines {
        l.bullet = page.marks.iter().any(|m| bullet_of(m, l));
    }
    lines
}

/// Whether mark `m` is the bullet of line `l`: right before its first character (within three
/// ems) and level with its x-height.
fn bullet_of(m: &[f32; 4], l: &Line) -> bool {
    let mid = (m[1] + m[3]) / 2.0;
    let before = l.x0 - m[2];
    before > 0.0 && before < 3.0 * l.size && mid > l.y - 0.2 * l.size && mid < l.y + 0.8 * l.size
}

fn lines_in_order(page: &Page) -> Vec<Line> {
    let spans: Vec<&Span> = page
        .spans
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    let runs = runs(&spans);
    let Some(gutter) = gutter(page, &runs) else {
        return lines(&spans);
    };
    let (mut left, mut right, mut wide) = (Vec::new(), Vec::new(), Vec::new());
    for r in &runs {
        let side = if r.x1 <= gutter {
            &mut left
        } else if r.x0 >= gutter {
            &mut right
        } else {
            &mut wide
        };
        side.extend(r.spans.iter().copied());
    }
    let columns_top = left
        .iter()
        .chain(&right)
        .map(|s| s.y)
        .fold(f32::MIN, f32::max);
    let (above, below): (Vec<&Span>, Vec<&Span>) =
        wide.into_iter().partition(|s| s.y > columns_top);
    let mut out = lines(&above);
    out.extend(lines(&left));
    out.extend(lines(&right));
    out.extend(lines(&below));
    out
}

/// Spans of one baseline whose gaps are narrower than a column gap (under an em): the words of
/// one line of one column. Browser engines write a span per word or per glyph, so a gutter is
/// looked for between runs, never between words.
struct Run<'a> {
    x0: f32,
    x1: f32,
    spans: Vec<&'a Span>,
}

fn runs<'a>(spans: &[&'a Span]) -> Vec<Run<'a>> {
    let mut sorted = spans.to_vec();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x0.total_cmp(&b.x0)));
    let mut rows: Vec<Vec<&Span>> = Vec::new();
    for s in sorted {
        match rows.last_mut() {
            Some(row) if (row[0].y - s.y).abs() <= 0.4 * row[0].size.max(s.size) => row.push(s),
            _ => rows.push(vec![s]),
        }
    }
    let mut out: Vec<Run<'a>> = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let first = out.len();
        for s in row {
            let in_row = out.len() > first;
            match out.last_mut() {
                Some(r) if in_row && s.x0 - r.x1 < 0.9 * s.size => {
                    r.x1 = r.x1.max(s.x1);
                    r.spans.push(s);
                }
                _ => out.push(Run {
                    x0: s.x0,
                    x1: s.x1,
                    spans: vec![s],
                }),
            }
        }
    }
    out
}

/// The x of a column gutter: a 1 pt strip in the middle half of the page crossed by at most a
/// few runs, with enough text on both sides.
fn gutter(page: &Page, runs: &[Run<'_>]) -> Option<f32> {
    if runs.len() < 10 {
        return None;
    }
    let left_edge = page.origin.0 + page.width * 0.3;
    let right_edge = page.origin.0 + page.width * 0.7;
    let mut best: Option<(usize, f32)> = None;
    let mut x = left_edge;
    while x <= right_edge {
        let crossing = runs.iter().filter(|s| s.x0 < x && s.x1 > x).count();
        if best.is_none_or(|(c, _)| crossing < c) {
            best = Some((crossing, x));
        }
        x += 1.0;
    }
    let (crossing, x) = best?;
    let left = runs.iter().filter(|s| s.x1 <= x).count();
    let right = runs.iter().filter(|s| s.x0 >= x).count();
    (crossing * 10 <= runs.len() && left >= 5 && right >= 5).then_some(x)
}

/// Spans on (nearly) the same baseline, left to right, joined with spaces where there is a gap.
fn lines(spans: &[&Span]) -> Vec<Line> {
    let mut spans: Vec<&Span> = spans
        .iter()
        .copied()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    spans.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x0.total_cmp(&b.x0)));
    let mut rows: Vec<Vec<&Span>> = Vec::new();
    for s in spans {
        match rows.last_mut() {
            Some(row) if (row[0].y - s.y).abs() <= 0.4 * row[0].size.max(s.size) => row.push(s),
            _ => rows.push(vec![s]),
        }
    }
    rows.into_iter()
        .map(line_of)
        .filter(|l| !l.text.is_empty())
        .collect()
}

/// One row of spans (one baseline) as a line: text with spaces at gaps, cells split at column
/// gaps, the size and weight of most of its characters.
fn line_of(mut row: Vec<&Span>) -> Line {
    row.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    let mut text = String::new();
    let mut cells = vec![String::new()];
    let mut prev_x1: Option<f32> = None;
    for s in &row {
        if let Some(px) = prev_x1 {
            let gap = s.x0 - px;
            if gap > 0.15 * s.size && !text.ends_with(' ') && !s.text.starts_with(' ') {
                text.push(' ');
                if let Some(c) = cells.last_mut() {
                    c.push(' ');
                }
            }
            // Wider than a few spaces: a column gap (table cell padding is about an em).
            if gap > 0.9 * s.size {
                cells.push(String::new());
            }
        }
        text.push_str(&s.text);
        if let Some(c) = cells.last_mut() {
            c.push_str(&s.text);
        }
        prev_x1 = Some(s.x1);
    }
    // The line's size and weight are those of most of its characters, not counting
    // inline code (set smaller by browsers) when the line has other text.
    let prose = row.iter().any(|s| !s.mono);
    let main = row
        .iter()
        .filter(|s| !prose || !s.mono)
        .max_by_key(|s| s.text.chars().count())
        .copied()
        .unwrap_or(row[0]);
    let mut cells: Vec<String> = cells.iter().map(|c| render::inline(c)).collect();
    // A bullet or number set apart from its text is a list marker, not a column.
    if cells.len() >= 2
        && list_marker(&format!("{} x", cells[0])).is_some_and(|(_, rest)| rest == "x")
    {
        let first = cells.remove(0);
        cells[0] = format!("{first} {}", cells[0]);
    }
    Line {
        text: render::inline(&text),
        cells,
        x0: row.iter().map(|s| s.x0).fold(f32::MAX, f32::min),
        x1: row.iter().map(|s| s.x1).fold(f32::MIN, f32::max),
        y: main.y,
        size: main.size,
        bold: row.iter().all(|s| s.bold),
        mono: row.iter().all(|s| s.mono),
        raw: if row.iter().all(|s| s.mono) {
            let cells: Vec<_> = row
                .iter()
                .map(|s| (s.x0, s.x1, s.size, s.text.as_str()))
                .collect();
            spaced(&cells)
        } else {
            String::new()
        },
        bullet: false,
    }
}

/// The list marker a line starts with: `None`, or `Some(Some(n))` for `n.` / `n)`,
/// `Some(None)` for a bullet. Returns the text after the marker too.
fn list_marker(text: &str) -> Option<(Option<usize>, &str)> {
    for bullet in ['•', '·', '▪', '◦', '‣', '–', '-', '*', '○', '■'] {
        if let Some(rest) = text.strip_prefix(bullet) {
            if rest.starts_with(' ') {
                return Some((None, rest.trim_start()));
            }
        }
    }
    let digits = text.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..4).contains(&digits) {
        let rest = &text[digits..];
        if let Some(after) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(')')) {
            if after.starts_with(' ') {
                return Some((text[..digits].parse().ok(), after.trim_start()));
            }
        }
    }
    None
}

struct Open {
    block_type: BlockType,
    rows: Vec<Vec<String>>,
    level: usize,
    ordinal: Option<usize>,
    lines: Vec<String>,
    page: u32,
    bbox: [f32; 4],
    size: f32,
    x0: f32,
    max_x1: f32,
    last: Line,
    /// A list item whose bullet is a painted shape.
    painted: bool,
    /// The page of the last line (the box covers only the first page's lines).
    last_page: u32,
}

fn push(r: &mut Renderer, b: Open, vocab: &Vocabulary) {
    let text = join_lines(&b.lines, vocab);
    let loc = Locator::PdfBox {
        start: 0,
        end: 0,
        page: b.page,
        bbox: b.bbox.map(|v| (v as f64 * 10.0).round() / 10.0),
    };
    match b.block_type {
        BlockType::Heading => r.heading(b.level, &text, loc),
        BlockType::CodeBlock => r.push(
            BlockType::CodeBlock,
            &render::code_block(&b.lines.join("\n"), ""),
            loc,
        ),
        BlockType::Table => r.push(BlockType::Table, &render::table(&b.rows), loc),
        BlockType::ListItem => r.push(
            BlockType::ListItem,
            &render::list_item(&text, b.ordinal, 0),
            loc,
        ),
        t => r.push(t, &render::paragraph(&text), loc),
    }
}

type Furniture = (BlockType, String, Locator);

/// A running header or footer line (repeated at the same place on most pages): kept as its
/// own `page_header` / `page_footer` block, never dropped.
fn furniture(page: &Page, l: &Line) -> Furniture {
    let top = (l.y - page.origin.1) / page.height.max(1.0) > 0.5;
    let block_type = if top {
        BlockType::PageHeader
    } else {
        BlockType::PageFooter
    };
    let loc = Locator::PdfBox {
        start: 0,
        end: 0,
        page: page.number,
        bbox: [l.x0, l.y, l.x1, l.y + l.size].map(|v| (v as f64 * 10.0).round() / 10.0),
    };
    (block_type, render::paragraph(&l.text), loc)
}

/// Lay out every page into blocks. A page's spans are dropped once they are lines.
pub(crate) fn layout(pages: Vec<Page>) -> Renderer {
    let pages: Vec<(Page, Vec<Line>)> = pages
        .into_iter()
        .map(|mut p| {
            let lines = page_lines(&p);
            p.spans = Vec::new();
            (p, lines)
        })
        .collect();
    let running = running_lines(&pages);
    let sizes = Sizes::measure(&pages);
    let mut vocab = Vocabulary::default();
    for l in pages.iter().flat_map(|(_, lines)| lines) {
        vocab.add_line(&l.text);
    }
    let mut r = Renderer::new();
    // A block open at a page's end may go on at the next page's top: the furniture met in
    // between (footer, header) waits and follows the block.
    let mut open: Option<Open> = None;
    let mut held = Vec::new();
    let close = |r: &mut Renderer, open: &mut Option<Open>, held: &mut Vec<Furniture>| {
        if let Some(done) = open.take() {
            push(r, done, &vocab);
        }
        for (t, text, loc) in held.drain(..) {
            r.push(t, &text, loc);
        }
    };
    for (page, lines) in &pages {
        for l in lines {
            if in_margin(page, l) && running.contains(&margin_key(&l.text)) {
                held.push(furniture(page, l));
                if open.is_none() {
                    close(&mut r, &mut open, &mut held);
                }
                continue;
            }
            let tabular = l.cells.len() >= 2 && !l.mono;
            let level = if tabular { None } else { sizes.level_of(l) };
            let marker = if level.is_none() && !tabular && !l.mono {
                list_marker(&l.text).or(l.bullet.then_some((None, l.text.as_str())))
            } else {
                None
            };
            if let Some(o) = open.as_mut().filter(|o| {
                let page_break = o.last_page != page.number;
                continues(o, l, tabular, level, marker, page_break)
            }) {
                o.extend(l, tabular, page.number);
                continue;
            }
            close(&mut r, &mut open, &mut held);
            open = Some(Open::start(page.number, l, tabular, level, marker));
        }
    }
    close(&mut r, &mut open, &mut held);
    r
}

/// Whether line `l` goes on in the open block: same kind, same size, a normal line gap. The
/// first line of a page (`page_break`) goes on a list item or paragraph whose text does not
/// end there, at the same left edge, or a code block that is not done ([`code_goes_on`]),
/// whatever the gap.
fn continues(
    o: &Open,
    l: &Line,
    tabular: bool,
    level: Option<usize>,
    marker: Option<(Option<usize>, &str)>,
    page_break: bool,
) -> bool {
    let gap = o.last.y - l.y;
    let gap_under = |k: f32| page_break || (gap > 0.0 && gap < o.last.size.max(l.size) * k);
    if (o.block_type == BlockType::CodeBlock || l.mono) && level.is_none() {
        // Code lines stay together across a blank line: browsers set `<pre>` at a line pitch
        // up to ~1.8x its size (Chromium: 18 pt for 10.2 pt code), so a blank line is ~3.6x.
        return o.block_type == BlockType::CodeBlock
            && l.mono
            && gap_under(4.5)
            && (!page_break || code_goes_on(o, l));
    }
    let same_size = (o.size - l.size).abs() < 1.0;
    let normal_gap = gap_under(1.75);
    if page_break {
        let ended = o.last.text.ends_with(['.', '!', '?', ':'])
            && !l.text.starts_with(|c: char| c.is_lowercase());
        let aligned = (l.x0 - o.x0).abs() < 1.0 || o.block_type == BlockType::ListItem;
        let kind_goes_on = matches!(o.block_type, BlockType::Paragraph | BlockType::ListItem);
        if ended || !aligned || tabular || !kind_goes_on {
            return false;
        }
    }
    if tabular || o.block_type == BlockType::Table {
        // Rows of one table: tabular lines close together.
        return tabular
            && o.block_type == BlockType::Table
            && gap > 0.0
            && gap < o.last.size.max(l.size) * 2.5;
    }
    match o.block_type {
        BlockType::Heading => level == Some(o.level) && same_size && normal_gap,
        BlockType::ListItem => {
            // Under a text marker the text is indented past it; under a painted one, the
            // wrapped lines line up with the first line's text.
            let hangs =
                l.x0 > o.x0 + 1.0 || (o.last.bullet || o.painted) && (l.x0 - o.x0).abs() < 1.0;
            level.is_none() && marker.is_none() && same_size && normal_gap && hangs
        }
        _ => {
            let short_last = o.last.x1 < o.max_x1 - 3.0 * o.size
                && o.last.text.ends_with(['.', '!', '?', ':', '"', '”']);
            level.is_none() && marker.is_none() && same_size && normal_gap && !short_last
        }
    }
}

/// Whether code line `l`, the first of a page, goes on the code block left open at the end of
/// the previous one: a bracket is still open, or either side of the break is indented. Two
/// whole code blocks in a row (Node's `mjs` / `cjs` pairs) start and end at the margin.
fn code_goes_on(o: &Open, l: &Line) -> bool {
    let depth: i32 = o
        .lines
        .iter()
        .flat_map(|line| line.chars())
        .map(|c| match c {
            '(' | '[' | '{' => 1,
            ')' | ']' | '}' => -1,
            _ => 0,
        })
        .sum();
    let indented = o.lines.last().is_some_and(|s| s.starts_with(' '));
    l.x0 > o.x0 - 1.0 && (depth > 0 || indented || l.x0 > o.x0 + 1.0)
}

/// A line's box as (bottom, top), from its baseline and size.
fn vertical_extent(l: &Line) -> (f32, f32) {
    (l.y - l.size * 0.25, l.y + l.size * 0.8)
}

impl Open {
    /// A new block starting at line `l`: a table, heading, list item or paragraph.
    fn start(
        page: u32,
        l: &Line,
        tabular: bool,
        level: Option<usize>,
        marker: Option<(Option<usize>, &str)>,
    ) -> Open {
        let (bottom, top) = vertical_extent(l);
        let (block_type, level, ordinal, text) = match (level, marker) {
            _ if l.mono && level.is_none() => (BlockType::CodeBlock, 0, None, l.raw.clone()),
            _ if tabular => (BlockType::Table, 0, None, l.text.clone()),
            (Some(n), _) => (BlockType::Heading, n, None, l.text.clone()),
            (None, Some((n, rest))) => (BlockType::ListItem, 0, n, rest.to_string()),
            (None, None) => (BlockType::Paragraph, 0, None, l.text.clone()),
        };
        Open {
            block_type,
            rows: if tabular {
                vec![l.cells.clone()]
            } else {
                Vec::new()
            },
            level,
            ordinal,
            lines: vec![text],
            page,
            bbox: [l.x0, bottom, l.x1, top],
            size: l.size,
            x0: l.x0,
            max_x1: l.x1,
            last: l.clone(),
            painted: l.bullet,
            last_page: page,
        }
    }

    /// Add line `l` (on page `page`) to the block and grow its box on its first page.
    fn extend(&mut self, l: &Line, tabular: bool, page: u32) {
        let (bottom, top) = vertical_extent(l);
        if self.block_type == BlockType::CodeBlock {
            // Indentation from the offset to the block's first line, in monospace cells.
            let cells = ((l.x0 - self.x0) / (0.6 * l.size)).round().max(0.0) as usize;
            if self.last.y - l.y > 1.8 * l.size {
                self.lines.push(String::new());
            }
            self.lines.push(format!("{}{}", " ".repeat(cells), l.raw));
        } else {
            self.lines.push(l.text.clone());
        }
        if tabular {
            self.rows.push(l.cells.clone());
        }
        self.last = l.clone();
        self.last_page = page;
        self.max_x1 = self.max_x1.max(l.x1);
        if page != self.page {
            return;
        }
        self.bbox = [
            self.bbox[0].min(l.x0),
            self.bbox[1].min(bottom),
            self.bbox[2].max(l.x1),
            self.bbox[3].max(top),
        ];
    }
}

#[cfg(test)]
#[path = "pdf_layout_tests.rs"]
mod tests;
