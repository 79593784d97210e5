//! Issue 25 item 6: HTML (and EPUB, which reads its chapters as HTML) keep code spans,
//! emphasis, strong, links with their URLs and line breaks as CommonMark inline syntax, and
//! escape literal characters that would otherwise become markup. Each block is read back with
//! a CommonMark parser (pulldown-cmark) to check what a Markdown reader sees.

use std::path::Path;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::store::Store;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

fn blocks_of(path: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let rep = ingest_path(&store, path, IngestLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    store
        .blocks(&rep.document.conv_uid)
        .unwrap()
        .into_iter()
        .map(|b| b.block_content)
        .collect()
}

/// What a CommonMark reader finds in `md`: code spans, emphases, strongs, link URLs, hard
/// breaks, and the plain text.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    code: Vec<String>,
    em: usize,
    strong: usize,
    links: Vec<String>,
    breaks: usize,
    text: String,
}

fn read(md: &str) -> Seen {
    let mut s = Seen::default();
    for ev in Parser::new(md) {
        match ev {
            Event::Code(c) => s.code.push(c.to_string()),
            Event::Start(Tag::Emphasis) => s.em += 1,
            Event::Start(Tag::Strong) => s.strong += 1,
            Event::Start(Tag::Link { dest_url, .. }) => s.links.push(dest_url.to_string()),
            Event::HardBreak => s.breaks += 1,
            Event::Text(t) => s.text.push_str(&t),
            Event::End(TagEnd::Paragraph) => s.text.push('|'),
            _ => {}
        }
    }
    s
}

#[test]
fn html_inline_markup_survives_and_literals_stay_literal() {
    let dir = tempfile::tempdir().unwrap();
    let html = r##"<html><body>
<h2 id="s">Setup <a class="headerlink" href="#s">¶</a></h2>
<p>Run <code>cargo build --release</code> then <em>wait</em> for <strong>the binary</strong>;
see <a href="https://example.org/docs?a=1&amp;b=2">the docs</a> or <a href="#s">above</a>.</p>
<p>Literal a &lt; b, [not a link](x), 2 * 3 * 4, snake_case and <b><i>both</i></b>.<br>Second line.</p>
<ul><li>Item with <code>`tick`</code> and <a href="https://x.org/a b">spaced URL</a></li></ul>
<table><tr><th>k</th></tr><tr><td><em>v</em> | w</td></tr></table>
</body></html>"##;
    let path = dir.path().join("inline.html");
    std::fs::write(&path, html).unwrap();
    let blocks = blocks_of(&path);
    assert_eq!(blocks[0], "## Setup", "permalink glyph dropped");
    let p1 = read(&blocks[1]);
    assert_eq!(p1.code, ["cargo build --release"]);
    assert_eq!((p1.em, p1.strong), (1, 1));
    assert_eq!(
        p1.links,
        ["https://example.org/docs?a=1&b=2", "#s"],
        "an in-page link keeps its fragment"
    );
    assert!(p1.text.contains("or above."), "{p1:?}");
    let p2 = read(&blocks[2]);
    assert_eq!(p2.breaks, 1);
    assert!(p2.code.is_empty() && p2.links.is_empty(), "{p2:?}");
    assert_eq!((p2.em, p2.strong), (1, 1), "{}", blocks[2]);
    assert!(
        p2.text
            .contains("Literal a < b, [not a link](x), 2 * 3 * 4, snake_case and both."),
        "{p2:?} from {}",
        blocks[2]
    );
    let item = read(&blocks[3]);
    assert_eq!(item.code, ["`tick`"]);
    assert_eq!(item.links, ["https://x.org/a b"]);
    assert_eq!(blocks[4], "| k |\n| --- |\n| *v* \\| w |");
}
