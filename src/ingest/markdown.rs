//! Markdown (CommonMark + GFM tables, footnotes, task lists) to blocks.
//!
//! Each top-level node is one block, except lists: each item of a top-level list is its own
//! block (nested lists stay inside their item). This matches remark's top-level nodes with list
//! items split out. Link reference definitions, which the parser consumes silently, come back as
//! `definition` blocks from the parser's definition spans; front matter is one `other` block.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};

use super::assemble::{fill_gaps, trim_range};
use super::{BlockDraft, Drafts};
use crate::model::BlockType;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM
}

fn tag_type(tag: &Tag<'_>) -> BlockType {
    match tag {
        Tag::Heading { .. } => BlockType::Heading,
        Tag::Paragraph => BlockType::Paragraph,
        Tag::BlockQuote(_) => BlockType::Blockquote,
        Tag::CodeBlock(_) => BlockType::CodeBlock,
        Tag::HtmlBlock => BlockType::HtmlBlock,
        Tag::Item => BlockType::ListItem,
        Tag::FootnoteDefinition(_) => BlockType::Footnote,
        Tag::Table(_) => BlockType::Table,
        Tag::MetadataBlock(_) => BlockType::Other,
        _ => BlockType::Other,
    }
}

/// Split Markdown source into block drafts (byte ranges into `text`).
pub fn markdown_drafts(text: &str) -> Drafts {
    // Like remark (micromark), skip a leading byte-order mark and take front matter only at the
    // very start: pulldown-cmark would see `\u{feff}# Title` as a paragraph and its metadata
    // option would turn any `---` line ... `---` line pair mid-document into metadata.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let base = bom + front_matter_len(&text[bom..]);
    let mut walk = Walk::new(text);
    if base > bom {
        walk.drafts.push(BlockDraft {
            block_type: BlockType::Other,
            start: bom,
            end: base,
            locator: None,
        });
    }
    let parser = Parser::new_ext(&text[base..], options());
    let mut iter = parser.into_offset_iter();
    for (event, range) in iter.by_ref() {
        walk.event(event, range.start + base..range.end + base);
    }
    let mut drafts = walk.drafts;
    let definitions: Vec<(usize, usize)> = iter
        .reference_definitions()
        .iter()
        .map(|(_, def)| (def.span.start + base, (def.span.end + base).min(text.len())))
        .collect();
    push_top_level_definitions(text, &mut drafts, &definitions);
    Drafts {
        blocks: fill_gaps(text, drafts, classify_gap),
        title: walk.title,
        table_header: None,
        ..Default::default()
    }
}

/// The state of one pass over the parser's events: the drafts so far and the title.
struct Walk<'t> {
    text: &'t str,
    drafts: Vec<BlockDraft>,
    title: Option<String>,
    in_title: bool,
    title_buf: String,
    /// Open tags: `true` for a top-level list (whose items are the blocks).
    stack: Vec<bool>,
    /// The open top-level paragraph: its draft index, how many inline children it has so far,
    /// and whether the first is an image. A paragraph whose only child is an image is a figure.
    para: Option<(usize, usize, bool)>,
}

impl<'t> Walk<'t> {
    fn new(text: &'t str) -> Walk<'t> {
        Walk {
            text,
            drafts: Vec::new(),
            title: None,
            in_title: false,
            title_buf: String::new(),
            stack: Vec::new(),
            para: None,
        }
    }

    fn event(&mut self, event: Event<'_>, range: std::ops::Range<usize>) {
        if let Some((_, children, first_is_image)) = self.para.as_mut() {
            if self.stack.len() == 1 && !matches!(event, Event::End(_)) {
                *children += 1;
                if *children == 1 {
                    *first_is_image = matches!(event, Event::Start(Tag::Image { .. }));
                }
            }
        }
        match event {
            Event::Start(tag) => self.start(&tag, range),
            Event::End(_) => self.end(),
            Event::Text(t) | Event::Code(t) if self.in_title => self.title_buf.push_str(&t),
            Event::SoftBreak | Event::HardBreak if self.in_title => self.title_buf.push(' '),
            Event::Rule if self.stack.is_empty() => {
                let (start, end) = trim_range(self.text, range.start, range.end);
                self.drafts.push(BlockDraft {
                    block_type: BlockType::Divider,
                    start,
                    end,
                    locator: None,
                });
            }
            // Anything else at top level (should not occur) still becomes a block.
            Event::Html(_) | Event::Text(_) if self.stack.is_empty() => {
                let (start, end) = trim_range(self.text, range.start, range.end);
                if end > start {
                    self.drafts.push(BlockDraft {
                        block_type: BlockType::Other,
                        start,
                        end,
                        locator: None,
                    });
                }
            }
            _ => {}
        }
    }

    /// A tag opens: a top-level node or an item of a top-level list is a block; the first
    /// top-level H1 starts the title.
    fn start(&mut self, tag: &Tag<'_>, range: std::ops::Range<usize>) {
        let depth = self.stack.len();
        let is_top_list = depth == 0 && matches!(tag, Tag::List(_));
        let emit = (depth == 0 && !is_top_list)
            || (depth == 1 && self.stack[0] && matches!(tag, Tag::Item));
        if emit {
            let (start, end) = trim_range(self.text, range.start, range.end);
            if end > start {
                if depth == 0 && matches!(tag, Tag::Paragraph) {
                    self.para = Some((self.drafts.len(), 0, false));
                }
                self.drafts.push(BlockDraft {
                    block_type: tag_type(tag),
                    start,
                    end,
                    locator: None,
                });
            }
        }
        let h1 = matches!(
            tag,
            Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }
        );
        if depth == 0 && self.title.is_none() && h1 {
            self.in_title = true;
            self.title_buf.clear();
        }
        self.stack.push(is_top_list);
    }

    /// A tag closes: a lone-image paragraph becomes a figure; the title ends with its heading.
    fn end(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            if let Some((i, 1, true)) = self.para.take() {
                self.drafts[i].block_type = BlockType::Figure;
            }
        }
        if self.in_title && self.stack.is_empty() {
            self.in_title = false;
            self.title = Some(self.title_buf.trim().to_string());
        }
    }
}

/// Link reference definitions (byte spans into `text`) at top level, those not inside another
/// block, become `definition` drafts.
fn push_top_level_definitions(
    text: &str,
    drafts: &mut Vec<BlockDraft>,
    definitions: &[(usize, usize)],
) {
    let mut covered: Vec<(usize, usize)> = drafts.iter().map(|d| (d.start, d.end)).collect();
    covered.sort_unstable();
    for &(def_start, def_end) in definitions {
        let (start, end) = trim_range(text, def_start, def_end);
        if end > start && !inside_any(&covered, start) {
            drafts.push(BlockDraft {
                block_type: BlockType::Definition,
                start,
                end,
                locator: None,
            });
        }
    }
}

/// Length of a front matter block at the start of `text` (0 if none): an opening `---` (YAML)
/// or `+++` (TOML) line, then lines up to a closing line with the same fence, as
/// remark-frontmatter reads it: fences may carry trailing spaces or tabs, nothing else.
fn front_matter_len(text: &str) -> usize {
    let is_fence = |line: &str, fence: &str| {
        line.strip_prefix(fence)
            .is_some_and(|rest| rest.trim_end_matches([' ', '\t', '\r', '\n']).is_empty())
    };
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return 0;
    };
    let Some(fence) = ["---", "+++"].into_iter().find(|f| is_fence(first, f)) else {
        return 0;
    };
    if !first.ends_with('\n') {
        return 0;
    }
    let mut offset = first.len();
    for line in lines {
        if is_fence(line, fence) {
            return offset + line.trim_end_matches(['\n', '\r']).len();
        }
        offset += line.len();
    }
    0
}

fn inside_any(sorted: &[(usize, usize)], pos: usize) -> bool {
    let i = sorted.partition_point(|(s, _)| *s <= pos);
    i > 0 && pos < sorted[i - 1].1
}

/// Text the parser did not report (e.g. a duplicate link reference definition, which the parser
/// drops because the first one wins).
fn classify_gap(gap: &str) -> BlockType {
    let t = gap.trim_start();
    if t.starts_with('[') && t.contains("]:") {
        BlockType::Definition
    } else {
        BlockType::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(src: &str) -> Vec<(BlockType, &str)> {
        markdown_drafts(src)
            .blocks
            .iter()
            .map(|d| (d.block_type, &src[d.start..d.end]))
            .collect()
    }

    #[test]
    fn list_items_are_split_and_nested_lists_stay_inside() {
        let src = "- a\n  - a1\n- b\n\npara\n";
        assert_eq!(
            blocks(src),
            vec![
                (BlockType::ListItem, "- a\n  - a1"),
                (BlockType::ListItem, "- b"),
                (BlockType::Paragraph, "para"),
            ]
        );
    }

    #[test]
    fn reference_definitions_are_kept_including_duplicates() {
        let src = "See [x].\n\n[x]: https://a.example\n[x]: https://b.example\n";
        let got = blocks(src);
        assert_eq!(got[0], (BlockType::Paragraph, "See [x]."));
        assert_eq!(got[1], (BlockType::Definition, "[x]: https://a.example"));
        assert_eq!(got[2], (BlockType::Definition, "[x]: https://b.example"));
    }

    #[test]
    fn title_is_first_h1_and_image_paragraph_is_figure() {
        let src = "## sub\n\n# The `Big` Title\n\n![alt](img.png)\n";
        let d = markdown_drafts(src);
        assert_eq!(d.title.as_deref(), Some("The Big Title"));
        assert_eq!(d.blocks[2].block_type, BlockType::Figure);
    }

    #[test]
    fn figure_is_a_paragraph_holding_one_image_and_nothing_else() {
        let src = "![a](b.png) text after (c)\n\n![a][r]\n\n![a](b.png)\n![c](d.png)\n\n\
                   [![a](b.png)](c)\n\n![*x*](y.png)\n\n[r]: r.png\n";
        let types: Vec<BlockType> = blocks(src).iter().map(|b| b.0).collect();
        use BlockType::{Definition, Figure, Paragraph};
        assert_eq!(
            types,
            vec![Paragraph, Figure, Paragraph, Paragraph, Figure, Definition]
        );
    }

    #[test]
    fn leading_byte_order_mark_does_not_hide_the_first_heading() {
        let src = "\u{feff}# Title\n\nBody.\n";
        let d = markdown_drafts(src);
        assert_eq!(d.title.as_deref(), Some("Title"));
        assert_eq!(
            blocks(src),
            vec![
                (BlockType::Heading, "# Title"),
                (BlockType::Paragraph, "Body."),
            ]
        );
    }

    #[test]
    fn front_matter_only_at_the_start_and_dashes_later_are_markdown() {
        let src = "---\ntitle: x\n---\n\nIntro.\n\n---\nnot front matter\n---\n";
        assert_eq!(
            blocks(src),
            vec![
                (BlockType::Other, "---\ntitle: x\n---"),
                (BlockType::Paragraph, "Intro."),
                (BlockType::Divider, "---"),
                (BlockType::Heading, "not front matter\n---"),
            ]
        );
        let toml = "+++\r\ntitle = 'x'\r\n+++\r\n# H\r\n";
        assert_eq!(
            blocks(toml),
            vec![
                (BlockType::Other, "+++\r\ntitle = 'x'\r\n+++"),
                (BlockType::Heading, "# H"),
            ]
        );
        // Unclosed: no front matter, a divider and a paragraph.
        assert_eq!(blocks("---\na: b\n")[0], (BlockType::Divider, "---"));
    }
}
