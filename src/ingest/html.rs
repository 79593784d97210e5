//! HTML to blocks: headings, paragraphs, list items, tables, code, blockquotes, figures with
//! captions, definitions and footnotes. Scripts, styles, navigation and other page chrome are
//! dropped. Each block's locator is its element path and the byte range of its markup.

use std::borrow::Cow;

use super::html_dom::{self, Handle, Kind};
use super::html_text::{
    child_named, code_lang, collect_rows, collect_text, find_all, images, item_text, marks,
    note_label, paragraphs_of, path_of, plain_text_of, push_markdown, raw_text, text_of,
    with_paths, INLINE, NEVER,
};
use super::inline_md;
use super::render::{self, Renderer};
use super::validate::validate_text;
use super::Drafts;
use crate::model::{BlockType, Locator};

/// Convert an HTML file (in the encoding it declares, see `charset.rs`) into its Markdown
/// rendering and drafts. Locator source offsets index the decoded (UTF-8) source.
pub(crate) fn html_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    let xml = raw.trim_ascii_start().starts_with(b"<?xml");
    let decoded = super::charset::decode_html(raw, xml)?;
    let source = validate_text(decoded.as_bytes())?;
    let mut r = Renderer::new();
    render_html(source, None, &|_| None, &mut r)?;
    if r.is_empty() {
        return Err(
            "no readable text found (scripts, styles and navigation are not content)".into(),
        );
    }
    let (text, drafts) = r.finish();
    Ok((Cow::Owned(text), drafts))
}

/// Render one HTML source into `r`. `part` names the file inside an archive (EPUB chapter);
/// `in_book` gives the in-page form (`#id`) of a link to another file of that archive, which
/// reads as a link inside the one document the archive is ingested as. Refused (with the
/// reason) when it nests deeper than [`html_dom::MAX_DEPTH`].
pub(crate) fn render_html(
    source: &str,
    part: Option<&str>,
    in_book: &dyn Fn(&str) -> Option<String>,
    r: &mut Renderer,
) -> Result<(), String> {
    let doc = html_dom::parse(source).map_err(|deep| match part {
        Some(p) => format!("{}: {deep}", crate::model::sanitize_line(p)),
        None => deep.to_string(),
    })?;
    let Some(html) = child_named(&doc, "html") else {
        return Ok(());
    };
    if let Some(title) = child_named(&html, "head").and_then(|h| child_named(&h, "title")) {
        r.fallback_title(&plain_text_of(&title));
    }
    let Some(body) = child_named(&html, "body") else {
        return Ok(());
    };
    let mut links = Vec::new();
    find_all(&body, "a", &mut links);
    for a in &links {
        if let Some(local) = a.attr("href").and_then(|h| in_book(&h)) {
            a.set_attr("href", &local);
        }
    }
    // A page with one <main> keeps its content there; everything around it is chrome.
    let mut mains = Vec::new();
    find_all(&body, "main", &mut mains);
    let (root, root_path) = match mains.as_slice() {
        [main] => (main.clone(), path_of(main)),
        _ => (body.clone(), "/html/body".to_string()),
    };
    let mut walk = Walk {
        r,
        part,
        in_notes: false,
    };
    // An EPUB chapter has no site around it: its header, footer and asides are content.
    walk.children(&root, &root_path, part.is_some());
    Ok(())
}

struct Walk<'a> {
    r: &'a mut Renderer,
    part: Option<&'a str>,
    /// Inside a footnotes section: its list items are footnotes.
    in_notes: bool,
}

/// Class or id words that mark page chrome.
const CHROME_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "cookie",
    "cookies",
    "cookie-banner",
    "consent",
    "share",
    "sharing",
    "social",
    "skip-link",
    "advert",
    "ads",
    "ad",
    "advertisement",
    "newsletter",
    "site-header",
    "site-footer",
    "masthead",
    "related",
    "comments",
    "pagination",
];

fn is_chrome(node: &Handle, in_article: bool) -> bool {
    let name = node.name();
    if NEVER.contains(&name) {
        return true;
    }
    if is_note(node) || is_notes_section(node) {
        return false;
    }
    if matches!(name, "header" | "footer" | "aside") && !in_article {
        return true;
    }
    if node.attr("hidden").is_some()
        || node.attr("aria-hidden").is_some_and(|v| v == "true")
        || node.attr("role").is_some_and(|r| {
            matches!(
                r.as_str(),
                "navigation" | "banner" | "contentinfo" | "search" | "complementary" | "menu"
            )
        })
    {
        return true;
    }
    marks(node)
        .iter()
        .any(|w| CHROME_WORDS.contains(&w.as_str()))
}

/// A section holding footnotes or endnotes (its list items are notes).
fn is_notes_section(node: &Handle) -> bool {
    marks(node).iter().any(|w| {
        matches!(
            w.as_str(),
            "footnotes" | "endnotes" | "notes" | "rearnotes" | "doc-endnotes"
        )
    })
}

/// One footnote or endnote.
fn is_note(node: &Handle) -> bool {
    marks(node).iter().any(|w| {
        matches!(
            w.as_str(),
            "footnote" | "endnote" | "rearnote" | "doc-footnote" | "doc-endnote"
        )
    })
}

impl Walk<'_> {
    fn loc(&self, node: &Handle, path: &str) -> Locator {
        let (s, e) = node.src.get();
        Locator::HtmlElement {
            start: 0,
            end: 0,
            part: self.part.map(str::to_string),
            path: path.to_string(),
            source_start: s as u64,
            source_end: e as u64,
        }
    }

    /// Walk the children of a container: block elements become blocks, runs of loose inline
    /// content between them become paragraphs.
    fn children(&mut self, node: &Handle, path: &str, in_article: bool) {
        let in_article = in_article || matches!(node.name(), "article" | "main" | "section");
        let mut run = String::new();
        let kids: Vec<Handle> = node.children.borrow().clone();
        for (child, child_path) in with_paths(&kids, path) {
            match &child.kind {
                Kind::Text(_) => push_markdown(&child, &mut run, false),
                Kind::Element { .. } if INLINE.contains(&child.name()) => {
                    push_markdown(&child, &mut run, false);
                }
                Kind::Element { .. } => {
                    self.flush(&mut run, node, path);
                    if !is_chrome(&child, in_article) {
                        self.element(&child, &child_path, in_article);
                    }
                }
                _ => {}
            }
        }
        self.flush(&mut run, node, path);
    }

    fn flush(&mut self, run: &mut String, node: &Handle, path: &str) {
        let text = inline_md::paragraph(run);
        run.clear();
        if !text.is_empty() {
            let loc = self.loc(node, path);
            self.r.push(BlockType::Paragraph, &text, loc);
        }
    }

    fn element(&mut self, node: &Handle, path: &str, in_article: bool) {
        let loc = self.loc(node, path);
        let name = node.name();
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name[1..].parse().unwrap_or(1);
                self.r
                    .heading(level, &inline_md::one_line(&text_of(node)), loc);
            }
            "p" => {
                let text = inline_md::paragraph(&text_of(node));
                if text.is_empty() {
                    self.r.push(BlockType::Figure, &images(node), loc);
                } else {
                    self.r.push(BlockType::Paragraph, &text, loc);
                }
            }
            "ul" | "ol" | "menu" if self.in_notes || is_notes_section(node) => {
                self.list(node, path, BlockType::Footnote)
            }
            "ul" | "ol" => self.list(node, path, BlockType::ListItem),
            "table" => self.table(node, path),
            "pre" => {
                let lang = code_lang(node);
                self.r.push(
                    BlockType::CodeBlock,
                    &render::code_block(&raw_text(node), &lang),
                    loc,
                );
            }
            "blockquote" => {
                let inner = paragraphs_of(node);
                self.r
                    .push(BlockType::Blockquote, &render::blockquote(&inner), loc);
            }
            "figure" => self.figure(node, path, in_article),
            "img" => self.r.push(BlockType::Figure, &images(node), loc),
            "hr" => self.r.push(BlockType::Divider, "---", loc),
            "dl" => self.definitions(node, path),
            "figcaption" | "caption" => self.r.push(
                BlockType::Caption,
                &inline_md::paragraph(&text_of(node)),
                loc,
            ),
            _ if is_note(node) => {
                let label = note_label(&node.attr("id").unwrap_or_default());
                let body = paragraphs_of(node);
                let text = if label.is_empty() {
                    body
                } else {
                    format!("[^{label}]: {body}")
                };
                self.r.push(BlockType::Footnote, &text, loc)
            }
            _ if is_notes_section(node) => {
                let outer = std::mem::replace(&mut self.in_notes, true);
                self.children(node, path, in_article);
                self.in_notes = outer;
            }
            _ => self.children(node, path, in_article),
        }
    }

    /// Each item of a list is a block; nested lists stay inside their item.
    fn list(&mut self, list: &Handle, path: &str, block_type: BlockType) {
        let ordered = list.name() == "ol";
        let mut n: usize = list
            .attr("start")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1);
        let kids: Vec<Handle> = list.children.borrow().clone();
        for (item, item_path) in with_paths(&kids, path) {
            if item.name() != "li" {
                continue;
            }
            let text = item_text(&item, ordered.then_some(n), 0);
            let text = if block_type == BlockType::Footnote {
                // `[^id]: text`, without the list marker and the back-link arrow.
                let mut own = String::new();
                collect_text(&item, &mut own, false);
                let own = inline_md::paragraph(&own);
                let label = item
                    .attr("id")
                    .map(|id| note_label(&id))
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| n.to_string());
                format!(
                    "[^{label}]: {}",
                    own.trim_end_matches(['↩', '↑', '^', ' ', '\u{fe0e}'])
                )
            } else {
                text
            };
            let loc = self.loc(&item, &item_path);
            self.r.push(block_type, &text, loc);
            n += 1;
        }
    }

    fn table(&mut self, table: &Handle, path: &str) {
        if let Some(caption) = child_named(table, "caption") {
            let loc = self.loc(&caption, &format!("{path}/caption"));
            self.r.push(
                BlockType::Caption,
                &inline_md::paragraph(&text_of(&caption)),
                loc,
            );
        }
        let mut rows = Vec::new();
        collect_rows(table, &mut rows);
        let loc = self.loc(table, path);
        self.r.push(BlockType::Table, &render::table(&rows), loc);
    }

    fn figure(&mut self, fig: &Handle, path: &str, in_article: bool) {
        let kids: Vec<Handle> = fig.children.borrow().clone();
        let mut imgs = String::new();
        for (child, child_path) in with_paths(&kids, path) {
            match child.name() {
                "figcaption" => {
                    self.push_images(&mut imgs, fig, path);
                    self.element(&child, &child_path, in_article);
                }
                "img" | "picture" => {
                    if !imgs.is_empty() {
                        imgs.push('\n');
                    }
                    imgs.push_str(&images(&child));
                }
                "" => {}
                _ if is_chrome(&child, true) => {}
                _ => {
                    self.push_images(&mut imgs, fig, path);
                    self.element(&child, &child_path, in_article);
                }
            }
        }
        self.push_images(&mut imgs, fig, path);
    }

    fn push_images(&mut self, imgs: &mut String, fig: &Handle, path: &str) {
        if !imgs.is_empty() {
            let loc = self.loc(fig, path);
            self.r.push(BlockType::Figure, imgs, loc);
            imgs.clear();
        }
    }

    /// A term with its definitions is one `definition` block: `term` then `: definition` lines.
    fn definitions(&mut self, dl: &Handle, path: &str) {
        let kids: Vec<Handle> = dl.children.borrow().clone();
        let mut group = String::new();
        let mut group_loc: Option<Locator> = None;
        for (child, child_path) in with_paths(&kids, path) {
            match child.name() {
                "dt" => {
                    if group.contains("\n: ") {
                        if let Some(loc) = group_loc.take() {
                            self.r.push(BlockType::Definition, &group, loc);
                        }
                        group.clear();
                    }
                    if !group.is_empty() {
                        group.push('\n');
                    }
                    group.push_str(&inline_md::paragraph(&text_of(&child)));
                    group_loc.get_or_insert_with(|| self.loc(&child, &child_path));
                }
                "dd" => {
                    group.push_str(&format!("\n: {}", inline_md::one_line(&text_of(&child))));
                    group_loc.get_or_insert_with(|| self.loc(&child, &child_path));
                }
                _ => {}
            }
        }
        if let Some(loc) = group_loc {
            self.r.push(BlockType::Definition, &group, loc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<(BlockType, String, String)> {
        let (text, drafts) = html_drafts(html.as_bytes()).unwrap();
        drafts
            .blocks
            .iter()
            .map(|b| {
                let path = match &b.locator {
                    Some(Locator::HtmlElement { path, .. }) => path.clone(),
                    other => panic!("unexpected locator {other:?}"),
                };
                (b.block_type, text[b.start..b.end].to_string(), path)
            })
            .collect()
    }

    #[test]
    fn chrome_is_dropped_and_implied_paragraphs_end_before_the_next_tag() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
            <nav><a href=/>Home</a></nav><h1>Hello</h1><p>one<p>two <b>bold</b>\
            <script>alert(1)</script><ul><li>a<ul><li>b</ul><li>c</ul></body></html>";
        let got = blocks(html);
        let kinds: Vec<_> = got.iter().map(|b| (b.0, b.1.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (BlockType::Heading, "# Hello"),
                (BlockType::Paragraph, "one"),
                (BlockType::Paragraph, "two **bold**"),
                (BlockType::ListItem, "- a\n  - b"),
                (BlockType::ListItem, "- c"),
            ]
        );
        assert_eq!(got[1].2, "/html/body/p[1]");
        let (_, drafts) = html_drafts(html.as_bytes()).unwrap();
        let Some(Locator::HtmlElement {
            source_start,
            source_end,
            ..
        }) = &drafts.blocks[1].locator
        else {
            panic!()
        };
        assert_eq!(
            &html[*source_start as usize..*source_end as usize],
            "<p>one"
        );
    }

    #[test]
    fn an_in_page_link_keeps_its_fragment_as_its_url() {
        let html = concat!(
            r##"<html><body><h2 id="s">Setup <a class="headerlink" href="#s">¶</a></h2>"##,
            r##"<p>See <a href="#s">the setup</a>, <a href="#">top</a>, "##,
            r##"<a href="javascript:go()">go</a> and <a href="#a_(b)">odd</a>."##,
            "<a href=\"#r1\">\u{21a9}\u{fe0e}</a></p></body></html>"
        );
        let got = blocks(html);
        assert_eq!(got[0].1, "## Setup", "the permalink glyph is still dropped");
        // The back-link glyph is dropped too; a trailing space is trimmed.
        assert_eq!(
            got[1].1,
            "See [the setup](#s), top, go and [odd](<#a_(b)>)."
        );
    }
}
