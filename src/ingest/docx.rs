//! DOCX to blocks: paragraph styles give heading levels (and quotes, captions, code), numbered
//! and bulleted paragraphs are list items (deeper levels stay inside their top-level item),
//! each table is one block, footnotes and endnotes follow the body. The locator is the index of
//! the block's first `w:p` among all paragraphs of its part, in document order.

use std::borrow::Cow;
use std::collections::HashMap;

use super::archive::Archive;
use super::docx_furniture;
use super::docx_part::{parse_part, Item, Para};
use super::inline_md;
use super::render::{self, Renderer};
use super::xml::{attr, walk, XmlEvent};
use super::Drafts;
use crate::model::{BlockType, Locator};

const BODY: &str = "word/document.xml";

pub(crate) fn docx_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    let mut zip = Archive::open(raw, "DOCX")?;
    let body = zip.require(BODY)?;
    let styles = match zip.read("word/styles.xml")? {
        Some(x) => Styles::parse(&x)?,
        None => Styles::default(),
    };
    let numbering = match zip.read("word/numbering.xml")? {
        Some(x) => Numbering::parse(&x)?,
        None => Numbering::default(),
    };
    let rels = zip.read("word/_rels/document.xml.rels")?;
    let targets = match &rels {
        Some(x) => relationships(x)?,
        None => HashMap::new(),
    };
    let (headers, footers) = match &rels {
        Some(x) => docx_furniture::parts(x)?,
        None => (Vec::new(), Vec::new()),
    };
    let mut r = Renderer::new();
    if let Some(core) = zip.read("docProps/core.xml")? {
        if let Some(title) = core_title(&core)? {
            r.fallback_title(&title);
        }
    }
    let mut seen = std::collections::HashSet::new();
    docx_furniture::render(&mut r, &mut zip, &headers, BlockType::PageHeader, &mut seen)?;
    let items = parse_part(&body, BODY)?;
    let mut targets = targets;
    heading_anchors(&items, &styles, &mut targets);
    let mut out = Out {
        r: &mut r,
        styles: &styles,
        numbering: &numbering,
        pending: None,
        counters: HashMap::new(),
        targets: &targets,
    };
    for item in &items {
        out.item(item);
    }
    out.flush();
    docx_furniture::render(&mut r, &mut zip, &footers, BlockType::PageFooter, &mut seen)?;
    for (part, label) in [("word/footnotes.xml", ""), ("word/endnotes.xml", "en")] {
        if let Some(xml) = zip.read(part)? {
            notes(&mut r, &parse_part(&xml, part)?, part, label);
        }
    }
    if r.is_empty() {
        return Err("the DOCX has no text".into());
    }
    let (text, drafts) = r.finish();
    Ok((Cow::Owned(text), drafts))
}

/// Bookmarks at headings, as `#name` -> the heading's anchor in Markdown (`#` and its text the
/// GitHub way: lower-cased, punctuation but `-` and `_` dropped, spaces as `-`, a repeat
/// numbered `-1`, `-2`...). A writer names bookmarks as it likes (pandoc hashes ids longer than
/// Word's 40 characters); a link to a heading keeps pointing at it in the blocks.
fn heading_anchors(items: &[Item], styles: &Styles, targets: &mut HashMap<String, String>) {
    let mut used: HashMap<String, usize> = HashMap::new();
    for item in items {
        let Item::Para(p) = item else { continue };
        if styles.heading_level(p).is_none() || p.text.trim().is_empty() {
            continue;
        }
        let base: String = p
            .text
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = used.entry(base.clone()).or_insert(0);
        let anchor = match *n {
            0 => base.clone(),
            k => format!("{base}-{k}"),
        };
        *n += 1;
        for b in p.bookmarks.iter().filter(|b| !b.is_empty()) {
            targets.insert(format!("#{b}"), format!("#{anchor}"));
        }
    }
}

/// Paragraph styles: what each style id means, following `basedOn`.
#[derive(Debug, Default)]
struct Styles {
    by_id: HashMap<String, Style>,
}

#[derive(Debug, Default, Clone)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u32>,
    num_id: Option<String>,
    num_level: Option<u32>,
}

impl Styles {
    fn parse(xml: &[u8]) -> Result<Styles, String> {
        let mut by_id = HashMap::new();
        let mut current: Option<(String, Style)> = None;
        walk(xml, "word/styles.xml", |ev| match ev {
            XmlEvent::Open { name, attrs } => match name {
                "style" if attr(attrs, "type") == Some("paragraph") => {
                    current = attr(attrs, "styleId").map(|id| (id.to_string(), Style::default()));
                }
                "name" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.name = attr(attrs, "val").unwrap_or("").to_ascii_lowercase();
                    }
                }
                "basedOn" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.based_on = attr(attrs, "val").map(str::to_string);
                    }
                }
                "outlineLvl" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.outline = attr(attrs, "val").and_then(|v| v.parse().ok());
                    }
                }
                "numId" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.num_id = attr(attrs, "val").map(str::to_string);
                    }
                }
                "ilvl" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.num_level = attr(attrs, "val").and_then(|v| v.parse().ok());
                    }
                }
                _ => {}
            },
            XmlEvent::Close { name: "style" } => {
                if let Some((id, s)) = current.take() {
                    by_id.insert(id, s);
                }
            }
            _ => {}
        })?;
        Ok(Styles { by_id })
    }

    /// The style and its ancestors (bounded: a `basedOn` loop must not hang ingest).
    fn chain(&self, id: Option<&str>) -> Vec<&Style> {
        let mut out = Vec::new();
        let mut next = id;
        while let Some(id) = next {
            let Some(s) = self.by_id.get(id) else { break };
            out.push(s);
            if out.len() > 16 {
                break;
            }
            next = s.based_on.as_deref();
        }
        out
    }

    fn heading_level(&self, p: &Para) -> Option<usize> {
        if let Some(l) = p.outline.filter(|l| *l < 9) {
            return Some(l as usize + 1);
        }
        for s in self.chain(p.style.as_deref()) {
            if let Some(n) = s
                .name
                .strip_prefix("heading ")
                .and_then(|n| n.trim().parse().ok())
            {
                return Some(n);
            }
            if s.name == "title" {
                return Some(1);
            }
            if let Some(l) = s.outline.filter(|l| *l < 9) {
                return Some(l as usize + 1);
            }
        }
        None
    }

    fn named(&self, p: &Para, words: &[&str]) -> bool {
        self.chain(p.style.as_deref())
            .iter()
            .any(|s| words.iter().any(|w| s.name.contains(w)))
    }

    /// The list a paragraph belongs to and its level: its own numbering, else its style's. Word's
    /// "List Bullet 2" styles carry no level, only their own list: the name's number is the level.
    fn num(&self, p: &Para) -> Option<(String, u32)> {
        p.num.clone().or_else(|| {
            self.chain(p.style.as_deref()).iter().find_map(|s| {
                let id = s.num_id.clone()?;
                let from_name = s
                    .name
                    .rsplit_once(' ')
                    .filter(|(head, _)| head.starts_with("list"))
                    .and_then(|(_, n)| n.parse::<u32>().ok())
                    .map(|n| n.saturating_sub(1));
                Some((id, s.num_level.or(from_name).unwrap_or(0)))
            })
        })
    }
}

/// Which list levels are bullets: `numId` → abstract numbering → per-level format.
#[derive(Debug, Default)]
struct Numbering {
    abstract_of: HashMap<String, String>,
    formats: HashMap<(String, u32), String>,
}

impl Numbering {
    fn parse(xml: &[u8]) -> Result<Numbering, String> {
        let mut n = Numbering::default();
        let mut abs: Option<String> = None;
        let mut lvl: Option<u32> = None;
        let mut num: Option<String> = None;
        walk(xml, "word/numbering.xml", |ev| match ev {
            XmlEvent::Open { name, attrs } => match name {
                "abstractNum" => abs = attr(attrs, "abstractNumId").map(str::to_string),
                "lvl" => lvl = attr(attrs, "ilvl").and_then(|v| v.parse().ok()),
                "numFmt" => {
                    if let (Some(a), Some(l)) = (abs.as_ref(), lvl) {
                        let fmt = attr(attrs, "val").unwrap_or("bullet").to_string();
                        n.formats.insert((a.clone(), l), fmt);
                    }
                }
                "num" => num = attr(attrs, "numId").map(str::to_string),
                "abstractNumId" => {
                    if let (Some(id), Some(a)) = (num.as_ref(), attr(attrs, "val")) {
                        n.abstract_of.insert(id.clone(), a.to_string());
                    }
                }
                _ => {}
            },
            XmlEvent::Close { name } => match name {
                "abstractNum" => abs = None,
                "num" => num = None,
                _ => {}
            },
            _ => {}
        })?;
        Ok(n)
    }

    fn ordered(&self, num_id: &str, level: u32) -> Option<bool> {
        let a = self.abstract_of.get(num_id)?;
        let fmt = self.formats.get(&(a.clone(), level))?;
        Some(!matches!(fmt.as_str(), "bullet" | "none"))
    }
}

/// A block being built from consecutive paragraphs (a list item with its sub-items, a code
/// block of several lines).
struct Pending {
    block_type: BlockType,
    text: String,
    first: u32,
    count: u32,
}

struct Out<'a> {
    r: &'a mut Renderer,
    styles: &'a Styles,
    numbering: &'a Numbering,
    pending: Option<Pending>,
    counters: HashMap<(String, u32), usize>,
    /// Relationship id → target (`media/image1.png`).
    targets: &'a HashMap<String, String>,
}

fn locator(part: &str, first: u32, count: u32) -> Locator {
    Locator::DocxParagraph {
        start: 0,
        end: 0,
        part: part.to_string(),
        paragraph: first,
        paragraph_count: count,
    }
}

impl Out<'_> {
    fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            let text = if p.block_type == BlockType::CodeBlock {
                render::code_block(&p.text, "")
            } else {
                p.text
            };
            self.r
                .push(p.block_type, &text, locator(BODY, p.first, p.count));
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Table { rows, first, count } => {
                self.flush();
                // Cells keep their inline Markdown (code spans, emphasis, links), on one line.
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|c| inline_md::one_line(&c.markdown(self.targets)))
                            .collect()
                    })
                    .collect();
                self.r.push(
                    BlockType::Table,
                    &render::table(&rows),
                    locator(BODY, *first, *count),
                );
            }
            Item::Para(p) => self.para(p),
        }
    }

    fn para(&mut self, p: &Para) {
        let loc = locator(BODY, p.index, 1);
        let text = p.text.trim();
        if text.is_empty() {
            self.image_para(p, loc);
            return;
        }
        let md = p.markdown(self.targets);
        if let Some(level) = self.styles.heading_level(p) {
            self.flush();
            self.r.heading(level, &inline_md::one_line(&md), loc);
            return;
        }
        if let Some((num_id, level)) = self.styles.num(p) {
            self.list_para(p, &md, num_id, level);
            return;
        }
        if self.styles.named(p, &["code", "preformatted", "source"]) {
            self.code_para(p);
            return;
        }
        self.flush();
        self.counters.clear();
        let md = inline_md::paragraph(&md);
        let (block_type, content) = if self.styles.named(p, &["quote", "block text"]) {
            (BlockType::Blockquote, render::blockquote(&md))
        } else if self.styles.named(p, &["caption"]) {
            (BlockType::Caption, md)
        } else {
            (BlockType::Paragraph, md)
        };
        self.r.push(block_type, &content, loc);
    }

    /// A paragraph with no text but pictures: one figure block of its images.
    fn image_para(&mut self, p: &Para, loc: Locator) {
        if !p.images.is_empty() {
            self.flush();
            let imgs: Vec<String> = p
                .images
                .iter()
                .map(|(alt, id)| {
                    let target = self.targets.get(id).map(String::as_str).unwrap_or("");
                    format!(
                        "![{}]({})",
                        render::inline(alt).replace(['[', ']'], ""),
                        target.replace([' ', '(', ')'], "")
                    )
                })
                .collect();
            self.r.push(BlockType::Figure, &imgs.join("\n"), loc);
        }
    }

    /// A numbered or bulleted paragraph (`md`: its inline Markdown): a new list item, or a
    /// deeper level joining the open one.
    fn list_para(&mut self, p: &Para, md: &str, num_id: String, level: u32) {
        let ordered = self
            .numbering
            .ordered(&num_id, level)
            .unwrap_or_else(|| self.styles.named(p, &["number"]));
        let n = self.counters.entry((num_id.clone(), level)).or_insert(0);
        *n += 1;
        let ordinal = ordered.then_some(*n);
        // A new item at a level restarts the counts of the levels below it.
        self.counters
            .retain(|(id, l), _| id != &num_id || *l <= level);
        let line = inline_md::list_item(md, ordinal, level as usize);
        match self.pending.as_mut() {
            Some(open) if level > 0 && open.block_type == BlockType::ListItem => {
                open.text.push('\n');
                open.text.push_str(&line);
                open.count = p.index + 1 - open.first;
            }
            _ => {
                self.flush();
                let line = inline_md::list_item(md, ordinal, 0);
                self.pending = Some(Pending {
                    block_type: BlockType::ListItem,
                    text: line,
                    first: p.index,
                    count: 1,
                });
            }
        }
    }

    /// A code-styled paragraph: consecutive ones form one code block.
    fn code_para(&mut self, p: &Para) {
        match self.pending.as_mut() {
            Some(open) if open.block_type == BlockType::CodeBlock => {
                open.text.push('\n');
                open.text.push_str(&p.text);
                open.count = p.index + 1 - open.first;
            }
            _ => {
                self.flush();
                self.pending = Some(Pending {
                    block_type: BlockType::CodeBlock,
                    text: p.text.clone(),
                    first: p.index,
                    count: 1,
                });
            }
        }
    }
}

/// Footnotes or endnotes: one block per note, `[^id]: text`.
fn notes(r: &mut Renderer, items: &[Item], part: &str, label: &str) {
    let mut current: Option<(String, String, u32, u32)> = None;
    let flush = |r: &mut Renderer, cur: Option<(String, String, u32, u32)>| {
        if let Some((id, text, first, count)) = cur {
            let body = render::paragraph(&text);
            if !body.is_empty() {
                r.push(
                    BlockType::Footnote,
                    &format!("[^{label}{id}]: {body}"),
                    locator(part, first, count),
                );
            }
        }
    };
    for item in items {
        let Item::Para(p) = item else { continue };
        let Some((id, kind)) = &p.note else { continue };
        if kind != "normal" {
            continue;
        }
        match current.as_mut() {
            Some((cur, text, first, count)) if cur == id => {
                text.push('\n');
                text.push_str(&p.text);
                *count = p.index + 1 - *first;
            }
            _ => {
                flush(r, current.take());
                current = Some((id.clone(), p.text.clone(), p.index, 1));
            }
        }
    }
    flush(r, current);
}

/// Relationship ids of the body and their targets.
fn relationships(xml: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    walk(xml, "word/_rels/document.xml.rels", |ev| {
        if let XmlEvent::Open {
            name: "Relationship",
            attrs,
        } = ev
        {
            if let (Some(id), Some(t)) = (attr(attrs, "Id"), attr(attrs, "Target")) {
                map.insert(id.to_string(), t.to_string());
            }
        }
    })?;
    Ok(map)
}

/// `dc:title` of `docProps/core.xml`.
fn core_title(xml: &[u8]) -> Result<Option<String>, String> {
    let mut in_title = false;
    let mut title = String::new();
    walk(xml, "docProps/core.xml", |ev| match ev {
        XmlEvent::Open { name: "title", .. } => in_title = true,
        XmlEvent::Close { name: "title" } => in_title = false,
        XmlEvent::Text(t) if in_title => title.push_str(t),
        _ => {}
    })?;
    Ok(Some(title).filter(|t| !t.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_bookmarked_heading_reads_as_the_headings_anchor() {
        let heading = |bookmark: &str, text: &str| {
            format!(
                r#"<w:bookmarkStart w:id="1" w:name="{bookmark}"/><w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
            )
        };
        let link = |anchor: &str| {
            format!(
                r#"<w:hyperlink w:anchor="{anchor}"><w:r><w:t>{anchor}</w:t></w:r></w:hyperlink>"#
            )
        };
        let xml = format!(
            r#"<w:document xmlns:w="w"><w:body>{}{}{}<w:p>{}{}{}{}</w:p></w:body></w:document>"#,
            heading("X1b72136", "response.writeHead(statusCode[, headers])"),
            heading("intro", "Intro"),
            heading("intro-1", "Intro"),
            link("X1b72136"),
            link("intro-1"),
            link("intro"),
            link("elsewhere"),
        );
        let items = parse_part(xml.as_bytes(), BODY).unwrap();
        let mut targets = HashMap::new();
        heading_anchors(&items, &Styles::default(), &mut targets);
        let Some(Item::Para(p)) = items.last() else {
            panic!("{items:?}")
        };
        assert_eq!(
            p.markdown(&targets),
            "[X1b72136](#responsewriteheadstatuscode-headers)[intro-1](#intro-1)[intro](#intro)\
             [elsewhere](#elsewhere)"
        );
    }
}
