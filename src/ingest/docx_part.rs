//! DOCX part reading: the paragraphs (style, numbering, outline level, text, images, note) and
//! top-level tables of one XML part, in document order, for the block building in `docx.rs`.

use super::inline_md;
use super::xml::{attr, walk, XmlEvent};

/// One paragraph of a part.
#[derive(Debug, Default)]
pub(super) struct Para {
    pub(super) index: u32,
    pub(super) style: Option<String>,
    pub(super) num: Option<(String, u32)>,
    pub(super) outline: Option<u32>,
    pub(super) text: String,
    /// Images: description and relationship id of the picture.
    pub(super) images: Vec<(String, String)>,
    /// The footnote or endnote (id, type) the paragraph belongs to.
    pub(super) note: Option<(String, String)>,
    /// The text again as formatted runs, for its inline Markdown ([`Para::markdown`]).
    pub(super) runs: Vec<Run>,
    /// Names of the bookmarks that start in the paragraph or just before it.
    pub(super) bookmarks: Vec<String>,
}

/// How a run of text is set: bold, italic, code (a code style or a monospace font), and the
/// hyperlink it sits in. `raw` text is Markdown already.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Run {
    pub(super) text: String,
    bold: bool,
    italic: bool,
    code: bool,
    link: Option<Link>,
    raw: bool,
}

/// Where a hyperlink goes: a relationship (`r:id`, an external URL) or a bookmark of the
/// document (`w:anchor`, read as the in-page link `#anchor`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    Rel(String),
    Anchor(String),
}

impl Link {
    fn of(attrs: &[(String, String)]) -> Option<Link> {
        match (attr(attrs, "id"), attr(attrs, "anchor")) {
            (Some(id), _) => Some(Link::Rel(id.to_string())),
            (None, Some(a)) if !a.is_empty() => Some(Link::Anchor(a.to_string())),
            _ => None,
        }
    }

    fn url(&self, targets: &std::collections::HashMap<String, String>) -> Option<String> {
        match self {
            Link::Rel(id) => targets.get(id).cloned(),
            // A bookmark at a heading reads as the heading's own anchor (`docx.rs`).
            Link::Anchor(a) => {
                let key = format!("#{a}");
                Some(targets.get(&key).cloned().unwrap_or(key))
            }
        }
    }
}

impl Run {
    fn same_format(&self, other: &Run) -> bool {
        (self.bold, self.italic, self.code, self.raw)
            == (other.bold, other.italic, other.code, other.raw)
    }
}

/// Fonts whose text is code.
const MONOSPACE: &[&str] = &[
    "courier",
    "consolas",
    "menlo",
    "monaco",
    "lucida console",
    "source code",
    "dejavu sans mono",
    "liberation mono",
    "fira code",
    "fira mono",
    "jetbrains mono",
];

impl Para {
    /// The paragraph as inline Markdown: literal text escaped, bold, italic, code and
    /// hyperlinks (through `targets`, the part's relationships) in their CommonMark forms.
    pub(super) fn markdown(&self, targets: &std::collections::HashMap<String, String>) -> String {
        markdown_of(&self.runs, targets)
    }
}

/// A table cell: its paragraphs' text, space-separated, and the same as formatted runs.
#[derive(Debug, Default)]
pub(super) struct Cell {
    pub(super) text: String,
    runs: Vec<Run>,
}

impl Cell {
    /// The cell as inline Markdown, like [`Para::markdown`].
    pub(super) fn markdown(&self, targets: &std::collections::HashMap<String, String>) -> String {
        markdown_of(&self.runs, targets)
    }
}

fn markdown_of(runs: &[Run], targets: &std::collections::HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < runs.len() {
        let link = &runs[i].link;
        let end = (i..runs.len())
            .find(|&j| &runs[j].link != link)
            .unwrap_or(runs.len());
        let inner = formatted(&runs[i..end]);
        match link.as_ref().and_then(|l| l.url(targets)) {
            Some(url) => out.push_str(&inline_md::link(&inner, &url)),
            None => out.push_str(&inner),
        }
        i = end;
    }
    out
}

/// Runs of one link (or none) as Markdown, neighbours of the same format merged first.
fn formatted(runs: &[Run]) -> String {
    let mut merged: Vec<Run> = Vec::new();
    for r in runs {
        match merged.last_mut() {
            Some(last) if last.same_format(r) => last.text.push_str(&r.text),
            _ => merged.push(r.clone()),
        }
    }
    let mut out = String::new();
    for r in &merged {
        if r.raw {
            out.push_str(&r.text);
            continue;
        }
        let mut md = if r.code {
            let lead = &r.text[..r.text.len() - r.text.trim_start().len()];
            let trail = &r.text[r.text.trim_end().len()..];
            format!("{lead}{}{trail}", inline_md::code_span(&r.text))
        } else {
            inline_md::escape(&r.text)
        };
        if r.italic && !r.code {
            md = inline_md::emphasis(&md, "*");
        }
        if r.bold && !r.code {
            md = inline_md::emphasis(&md, "**");
        }
        out.push_str(&md);
    }
    out
}

/// The formatting state of the run being read.
#[derive(Default)]
struct RunState {
    in_run: bool,
    in_props: bool,
    format: Run,
    link: Option<Link>,
}

impl RunState {
    /// A run property (`w:b`, `w:i`, `w:rStyle`, `w:rFonts`) of the open run.
    fn property(&mut self, name: &str, attrs: &[(String, String)]) {
        let on = || !matches!(attr(attrs, "val"), Some("0" | "false" | "off"));
        match name {
            "b" => self.format.bold = on(),
            "i" => self.format.italic = on(),
            "rStyle" => {
                let style = attr(attrs, "val").unwrap_or("").to_ascii_lowercase();
                self.format.bold |= style.contains("strong");
                self.format.italic |= style.contains("emphasis");
                self.format.code |= style.contains("code") || style.contains("verbatim");
            }
            "rFonts" => {
                let font = attr(attrs, "ascii").unwrap_or("").to_ascii_lowercase();
                self.format.code |= MONOSPACE.iter().any(|m| font.contains(m));
            }
            _ => {}
        }
    }

    /// Text of the open run, set as the run is.
    fn run(&self, text: &str, raw: bool) -> Run {
        Run {
            text: text.to_string(),
            link: self.link.clone(),
            raw,
            ..self.format.clone()
        }
    }
}

#[derive(Debug)]
pub(super) enum Item {
    Para(Para),
    Table {
        rows: Vec<Vec<Cell>>,
        first: u32,
        count: u32,
    },
}

/// Read the paragraphs and top-level tables of a part in document order.
pub(super) fn parse_part(xml: &[u8], part: &str) -> Result<Vec<Item>, String> {
    let mut r = PartReader::default();
    walk(xml, part, |ev| r.event(ev))?;
    Ok(r.items)
}

/// The state of one part's walk: what is open (paragraph, run, table, note) and what is done.
#[derive(Default)]
struct PartReader {
    items: Vec<Item>,
    count: u32,
    para: Option<Para>,
    in_t: bool,
    rs: RunState,
    num: (Option<String>, Option<u32>),
    tbl_depth: u32,
    table: (Vec<Vec<Cell>>, u32),
    note: Option<(String, String)>,
    // A text box inside a paragraph holds paragraphs of its own: the outer one waits here.
    outer: Vec<Para>,
    // `mc:Fallback` repeats `mc:Choice` (a text box as VML): read once, from the choice.
    fallback: u32,
    // Bookmarks started between paragraphs: they belong to the next one.
    bookmarks: Vec<String>,
}

impl PartReader {
    fn event(&mut self, ev: XmlEvent<'_>) {
        match ev {
            XmlEvent::Open {
                name: "Fallback", ..
            } => self.fallback += 1,
            XmlEvent::Close { name: "Fallback" } => self.fallback = self.fallback.saturating_sub(1),
            XmlEvent::Open { name: "p", .. } if self.fallback > 0 => self.count += 1,
            _ if self.fallback > 0 => {}
            XmlEvent::Open { name, attrs } => self.open(name, attrs),
            XmlEvent::Text(t) => {
                if self.in_t {
                    if let Some(p) = self.para.as_mut() {
                        p.text.push_str(t);
                        p.runs.push(self.rs.run(t, false));
                    }
                }
            }
            XmlEvent::Close { name } => self.close(name),
        }
    }

    fn open(&mut self, name: &str, attrs: &[(String, String)]) {
        match name {
            "p" => {
                if let Some(open) = self.para.take() {
                    self.outer.push(open);
                }
                self.para = Some(Para {
                    index: self.count,
                    note: self.note.clone(),
                    bookmarks: std::mem::take(&mut self.bookmarks),
                    ..Para::default()
                });
                self.count += 1;
            }
            "footnote" | "endnote" => self.note = Some(note_of(attrs)),
            "tbl" => {
                self.tbl_depth += 1;
                if self.tbl_depth == 1 {
                    self.table = (Vec::new(), self.count);
                }
            }
            "tr" if self.tbl_depth == 1 => self.table.0.push(Vec::new()),
            "tc" if self.tbl_depth == 1 => {
                if let Some(row) = self.table.0.last_mut() {
                    row.push(Cell::default());
                }
            }
            "r" => {
                self.rs.in_run = true;
                self.rs.format = Run::default();
            }
            "rPr" if self.rs.in_run => self.rs.in_props = true,
            "hyperlink" => self.rs.link = Link::of(attrs),
            "bookmarkStart" => {
                let name = attr(attrs, "name").unwrap_or("").to_string();
                match self.para.as_mut() {
                    Some(p) => p.bookmarks.push(name),
                    None => self.bookmarks.push(name),
                }
            }
            "t" => self.in_t = true,
            _ if self.rs.in_props => self.rs.property(name, attrs),
            _ => {
                if let Some(p) = self.para.as_mut() {
                    run_property(p, &mut self.num, name, attrs, &self.rs);
                }
            }
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "t" => self.in_t = false,
            "r" => self.rs.in_run = false,
            "rPr" => self.rs.in_props = false,
            "hyperlink" => self.rs.link = None,
            "numPr" => {
                if let (Some(p), Some(id)) = (self.para.as_mut(), self.num.0.take()) {
                    p.num = Some((id, self.num.1.take().unwrap_or(0)));
                }
                self.num = (None, None);
            }
            "p" => {
                let Some(p) = self.para.take() else { return };
                if self.tbl_depth > 0 {
                    append_to_cell(&mut self.table.0, p);
                } else {
                    self.items.push(Item::Para(p));
                }
                self.para = self.outer.pop();
            }
            "tbl" => {
                self.tbl_depth = self.tbl_depth.saturating_sub(1);
                if self.tbl_depth == 0 {
                    self.items.push(finished_table(&mut self.table, self.count));
                }
            }
            "footnote" | "endnote" => self.note = None,
            _ => {}
        }
    }
}

/// A paragraph or run property inside the open paragraph: its style, numbering, outline level,
/// tabs and line breaks inside runs, note references and images.
fn run_property(
    p: &mut Para,
    num: &mut (Option<String>, Option<u32>),
    name: &str,
    attrs: &[(String, String)],
    rs: &RunState,
) {
    let in_run = rs.in_run;
    let push = |p: &mut Para, text: &str, md: &str| {
        p.text.push_str(text);
        p.runs.push(rs.run(md, true));
    };
    match name {
        "pStyle" => p.style = attr(attrs, "val").map(str::to_string),
        "numId" => num.0 = attr(attrs, "val").map(str::to_string),
        "ilvl" => num.1 = attr(attrs, "val").and_then(|v| v.parse().ok()),
        "outlineLvl" => p.outline = attr(attrs, "val").and_then(|v| v.parse().ok()),
        "tab" if in_run => push(p, "\t", "\t"),
        "br" | "cr" if in_run && attr(attrs, "type").is_none_or(|t| t == "textWrapping") => {
            push(p, "\n", inline_md::HARD_BREAK)
        }
        "footnoteReference" => {
            let r = format!("[^{}]", attr(attrs, "id").unwrap_or(""));
            push(p, &r, &r)
        }
        "endnoteReference" => {
            let r = format!("[^en{}]", attr(attrs, "id").unwrap_or(""));
            push(p, &r, &r)
        }
        "docPr" => p.images.push((
            attr(attrs, "descr")
                .filter(|d| !d.trim().is_empty())
                .or_else(|| attr(attrs, "title"))
                .or_else(|| attr(attrs, "name"))
                .unwrap_or("image")
                .to_string(),
            String::new(),
        )),
        "blip" => {
            if let (Some(last), Some(id)) = (p.images.last_mut(), attr(attrs, "embed")) {
                last.1 = id.to_string();
            }
        }
        _ => {}
    }
}

/// The (id, type) of a footnote or endnote element.
fn note_of(attrs: &[(String, String)]) -> (String, String) {
    (
        attr(attrs, "id").unwrap_or("").to_string(),
        attr(attrs, "type").unwrap_or("normal").to_string(),
    )
}

/// The top-level table just closed, spanning the paragraphs counted since it opened.
fn finished_table(table: &mut (Vec<Vec<Cell>>, u32), count: u32) -> Item {
    let (rows, first) = std::mem::take(table);
    Item::Table {
        rows,
        first,
        count: count - first,
    }
}

/// Append a paragraph to the last cell of a table, space-separated from what is there.
fn append_to_cell(rows: &mut [Vec<Cell>], p: Para) {
    if let Some(cell) = rows.last_mut().and_then(|r| r.last_mut()) {
        if !cell.text.is_empty() && !p.text.trim().is_empty() {
            cell.text.push(' ');
            cell.runs.push(Run {
                text: " ".into(),
                raw: true,
                ..Run::default()
            });
        }
        cell.text.push_str(&p.text);
        cell.runs.extend(p.runs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paras(body: &str) -> Vec<Para> {
        let xml =
            format!("<w:document xmlns:w=\"w\" xmlns:r=\"r\"><w:body>{body}</w:body></w:document>");
        parse_part(xml.as_bytes(), "word/document.xml")
            .unwrap()
            .into_iter()
            .filter_map(|i| match i {
                Item::Para(p) => Some(p),
                Item::Table { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_table_cell_keeps_its_code_spans_and_links() {
        let xml = r#"<w:document xmlns:w="w" xmlns:r="r"><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:rPr><w:rStyle w:val="VerbatimChar"/></w:rPr><w:t>--json</w:t></w:r></w:p><w:p><w:r><w:t>a*b</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t xml:space="preserve">see </w:t></w:r><w:hyperlink w:anchor="opts"><w:r><w:t>options</w:t></w:r></w:hyperlink></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#;
        let items = parse_part(xml.as_bytes(), "word/document.xml").unwrap();
        let Some(Item::Table { rows, .. }) = items.first() else {
            panic!("{items:?}")
        };
        let none = Default::default();
        let md: Vec<String> = rows[0].iter().map(|c| c.markdown(&none)).collect();
        assert_eq!(md, ["`--json` a\\*b", "see [options](#opts)"]);
        assert_eq!(
            rows[0][0].text, "--json a*b",
            "the plain text stays for furniture"
        );
    }

    #[test]
    fn a_hyperlink_to_a_bookmark_reads_as_an_in_page_link() {
        let got = paras(
            r#"<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:hyperlink w:anchor="part-two"><w:r><w:t>part two</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> and </w:t></w:r><w:hyperlink r:id="rId5"><w:r><w:t>the site</w:t></w:r></w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>"#,
        );
        let targets = [("rId5".to_string(), "https://x.org/".to_string())].into();
        assert_eq!(
            got[0].markdown(&targets),
            "See [part two](#part-two) and [the site](https://x.org/)."
        );
    }
}
