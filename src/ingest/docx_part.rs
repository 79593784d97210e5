//! DOCX part reading: the paragraphs (style, numbering, outline level, text, images, note) and
//! top-level tables of one XML part, in document order, for the block building in `docx.rs`.

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
    let mut in_run = false;
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
            "r" => in_run = true,
            "t" => in_t = true,
            _ => {
                if let Some(p) = para.as_mut() {
                    run_property(p, &mut num, name, attrs, in_run);
                }
            }
        },
        XmlEvent::Text(t) => {
            if in_t {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(t);
                }
            }
        }
        XmlEvent::Close { name } => match name {
            "t" => in_t = false,
            "r" => in_run = false,
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
    in_run: bool,
) {
    match name {
        "pStyle" => p.style = attr(attrs, "val").map(str::to_string),
        "numId" => num.0 = attr(attrs, "val").map(str::to_string),
        "ilvl" => num.1 = attr(attrs, "val").and_then(|v| v.parse().ok()),
        "outlineLvl" => p.outline = attr(attrs, "val").and_then(|v| v.parse().ok()),
        "tab" if in_run => p.text.push('\t'),
        "br" | "cr" if in_run && attr(attrs, "type").is_none_or(|t| t == "textWrapping") => {
            p.text.push('\n')
        }
        "footnoteReference" => p
            .text
            .push_str(&format!("[^{}]", attr(attrs, "id").unwrap_or(""))),
        "endnoteReference" => p
            .text
            .push_str(&format!("[^en{}]", attr(attrs, "id").unwrap_or(""))),
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
