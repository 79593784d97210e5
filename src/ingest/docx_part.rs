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
}

/// How a run of text is set: bold, italic, code (a code style or a monospace font), and the
/// relationship id of the hyperlink it sits in. `raw` text is Markdown already.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Run {
    pub(super) text: String,
    bold: bool,
    italic: bool,
    code: bool,
    link: Option<String>,
    raw: bool,
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
        let mut out = String::new();
        let mut i = 0;
        while i < self.runs.len() {
            let link = &self.runs[i].link;
            let end = (i..self.runs.len())
                .find(|&j| &self.runs[j].link != link)
                .unwrap_or(self.runs.len());
            let inner = formatted(&self.runs[i..end]);
            match link.as_ref().and_then(|id| targets.get(id)) {
                Some(url) => out.push_str(&inline_md::link(&inner, url)),
                None => out.push_str(&inner),
            }
            i = end;
        }
        out
    }
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
    link: Option<String>,
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
        rows: Vec<Vec<String>>,
        first: u32,
        count: u32,
    },
}

/// Read the paragraphs and top-level tables of a part in document order.
pub(super) fn parse_part(xml: &[u8], part: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut count = 0u32;
    let mut para: Option<Para> = None;
    let mut in_t = false;
    let mut rs = RunState::default();
    let mut num: (Option<String>, Option<u32>) = (None, None);
    let mut tbl_depth = 0u32;
    let mut table: (Vec<Vec<String>>, u32) = (Vec::new(), 0);
    let mut note: Option<(String, String)> = None;
    // A text box inside a paragraph holds paragraphs of its own: the outer one waits here.
    let mut outer: Vec<Para> = Vec::new();
    // `mc:Fallback` repeats `mc:Choice` (a text box as VML): read once, from the choice.
    let mut fallback = 0u32;
    walk(xml, part, |ev| match ev {
        XmlEvent::Open {
            name: "Fallback", ..
        } => fallback += 1,
        XmlEvent::Close { name: "Fallback" } => fallback = fallback.saturating_sub(1),
        XmlEvent::Open { name: "p", .. } if fallback > 0 => count += 1,
        _ if fallback > 0 => {}
        XmlEvent::Open { name, attrs } => match name {
            "p" => {
                if let Some(open) = para.take() {
                    outer.push(open);
                }
                para = Some(Para {
                    index: count,
                    note: note.clone(),
                    ..Para::default()
                });
                count += 1;
            }
            "footnote" | "endnote" => note = Some(note_of(attrs)),
            "tbl" => {
                tbl_depth += 1;
                if tbl_depth == 1 {
                    table = (Vec::new(), count);
                }
            }
            "tr" if tbl_depth == 1 => table.0.push(Vec::new()),
            "tc" if tbl_depth == 1 => {
                if let Some(row) = table.0.last_mut() {
                    row.push(String::new());
                }
            }
            "r" => {
                rs.in_run = true;
                rs.format = Run::default();
            }
            "rPr" if rs.in_run => rs.in_props = true,
            "hyperlink" => rs.link = attr(attrs, "id").map(str::to_string),
            "t" => in_t = true,
            _ if rs.in_props => rs.property(name, attrs),
            _ => {
                if let Some(p) = para.as_mut() {
                    run_property(p, &mut num, name, attrs, &rs);
                }
            }
        },
        XmlEvent::Text(t) => {
            if in_t {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(t);
                    p.runs.push(rs.run(t, false));
                }
            }
        }
        XmlEvent::Close { name } => match name {
            "t" => in_t = false,
            "r" => rs.in_run = false,
            "rPr" => rs.in_props = false,
            "hyperlink" => rs.link = None,
            "numPr" => {
                if let (Some(p), Some(id)) = (para.as_mut(), num.0.take()) {
                    p.num = Some((id, num.1.take().unwrap_or(0)));
                }
                num = (None, None);
            }
            "p" => {
                let Some(p) = para.take() else { return };
                if tbl_depth > 0 {
                    append_to_cell(&mut table.0, &p.text);
                } else {
                    items.push(Item::Para(p));
                }
                para = outer.pop();
            }
            "tbl" => {
                tbl_depth = tbl_depth.saturating_sub(1);
                if tbl_depth == 0 {
                    items.push(finished_table(&mut table, count));
                }
            }
            "footnote" | "endnote" => note = None,
            _ => {}
        },
    })?;
    Ok(items)
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
fn finished_table(table: &mut (Vec<Vec<String>>, u32), count: u32) -> Item {
    let (rows, first) = std::mem::take(table);
    Item::Table {
        rows,
        first,
        count: count - first,
    }
}

/// Append a paragraph's text to the last cell of a table, space-separated from what is there.
fn append_to_cell(rows: &mut [Vec<String>], text: &str) {
    if let Some(cell) = rows.last_mut().and_then(|r| r.last_mut()) {
        if !cell.is_empty() && !text.trim().is_empty() {
            cell.push(' ');
        }
        cell.push_str(text);
    }
}
