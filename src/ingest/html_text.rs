//! HTML text reading for the block walk in `html.rs`: which elements are never content or are
//! inline, class/id marks, element paths, the readable text of a node (inline markup, footnote
//! references, `<pre>` text), list items, table rows and images.

use super::html_dom::{Handle, Kind};
use super::inline_md;
use super::render::inline;

/// Elements that are never content.
pub(super) const NEVER: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "form", "button", "iframe", "svg", "canvas",
    "select", "input", "textarea", "head", "dialog", "object", "embed", "audio", "video", "map",
    "link", "meta",
];

/// Inline elements: their text joins the surrounding line.
pub(super) const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
    "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
    "wbr", "del", "ins", "tt", "big", "strike", "nobr",
];

/// Words of an element's class, id, role and `epub:type`, lower-cased.
pub(super) fn marks(node: &Handle) -> Vec<String> {
    let all = format!(
        "{} {} {} {}",
        node.attr("class").unwrap_or_default(),
        node.attr("id").unwrap_or_default(),
        node.attr("role").unwrap_or_default(),
        node.attr("epub:type").unwrap_or_default()
    )
    .to_ascii_lowercase();
    all.split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A note label usable in Markdown (`[^label]`): letters, digits, `-` and `_` of an id.
pub(super) fn note_label(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// Pair each element child with its path: `name` or `name[n]` when it has same-name siblings.
pub(super) fn with_paths(kids: &[Handle], path: &str) -> Vec<(Handle, String)> {
    let mut total: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for k in kids {
        *total.entry(k.name()).or_default() += 1;
    }
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(kids.len());
    for k in kids {
        let name = k.name();
        if name.is_empty() {
            out.push((k.clone(), path.to_string()));
            continue;
        }
        let nth = seen.entry(name).or_default();
        *nth += 1;
        let step = if total.get(name).copied().unwrap_or(0) > 1 {
            format!("{name}[{nth}]")
        } else {
            name.to_string()
        };
        out.push((k.clone(), format!("{path}/{step}")));
    }
    out
}

pub(super) fn path_of(node: &Handle) -> String {
    let mut steps = Vec::new();
    let mut cur = node.clone();
    while let Some(parent) = cur.parent() {
        if cur.name().is_empty() {
            break;
        }
        let kids: Vec<Handle> = parent.children.borrow().clone();
        let paths = with_paths(&kids, "");
        if let Some((_, p)) = paths.iter().find(|(k, _)| std::rc::Rc::ptr_eq(k, &cur)) {
            steps.push(p.trim_start_matches('/').to_string());
        }
        cur = parent;
    }
    steps.reverse();
    format!("/{}", steps.join("/"))
}

pub(super) fn child_named(node: &Handle, name: &str) -> Option<Handle> {
    node.children
        .borrow()
        .iter()
        .find(|c| c.name() == name)
        .cloned()
}

pub(super) fn find_all(node: &Handle, name: &str, out: &mut Vec<Handle>) {
    for c in node.children.borrow().iter() {
        if c.name() == name {
            out.push(c.clone());
        } else if !NEVER.contains(&c.name()) {
            find_all(c, name, out);
        }
    }
}

/// The readable text under a node as inline Markdown (issue 25): literal text escaped, code
/// spans, emphasis, strong, links with their URLs and `<br>` as a hard break; whitespace as
/// written, never the text of scripts, styles or other non-content elements.
pub(crate) fn text_of(node: &Handle) -> String {
    let mut out = String::new();
    collect_text(node, &mut out, false);
    out
}

/// The plain text under a node (a page title): no Markdown, `<br>` as a line break.
pub(crate) fn plain_text_of(node: &Handle) -> String {
    raw_text(node)
}

pub(super) fn collect_text(node: &Handle, out: &mut String, skip_lists: bool) {
    for c in node.children.borrow().iter() {
        push_markdown(c, out, skip_lists);
    }
}

/// One node as inline Markdown, appended to `out` (see [`text_of`]).
pub(super) fn push_markdown(c: &Handle, out: &mut String, skip_lists: bool) {
    match &c.kind {
        Kind::Text(t) => out.push_str(&inline_md::escape(&t.borrow())),
        Kind::Element { .. } => {
            let name = c.name();
            if NEVER.contains(&name) || (skip_lists && matches!(name, "ul" | "ol")) {
                return;
            }
            match name {
                "br" => out.push_str(inline_md::HARD_BREAK),
                // A footnote reference (`<sup><a href="#fn1">1</a></sup>`) reads `[^fn1]`.
                "sup" if footnote_ref(c).is_some() => {
                    out.push_str(&format!("[^{}]", footnote_ref(c).unwrap_or_default()))
                }
                "img" => out.push_str(&inline_md::escape(&c.attr("alt").unwrap_or_default())),
                "code" | "kbd" | "samp" | "tt" => out.push_str(&inline_md::code_span(&raw_text(c))),
                "em" | "i" | "strong" | "b" | "a" => inline_markup(c, name, out, skip_lists),
                n if INLINE.contains(&n) => collect_text(c, out, skip_lists),
                // Block children read as their own lines.
                _ => {
                    out.push('\n');
                    collect_text(c, out, skip_lists);
                    out.push('\n');
                }
            }
        }
        _ => {}
    }
}

/// Emphasis, strong and links around their inner Markdown; a permalink or back-link glyph (`¶`,
/// `↩` linking into the page, Sphinx's `headerlink`) is dropped. An in-page link keeps its fragment
/// (`[text](#id)`); a link with no target or a `javascript:` one keeps only its text.
fn inline_markup(c: &Handle, name: &str, out: &mut String, skip_lists: bool) {
    let mut inner = String::new();
    collect_text(c, &mut inner, skip_lists);
    match name {
        "em" | "i" => out.push_str(&inline_md::emphasis(&inner, "*")),
        "strong" | "b" => out.push_str(&inline_md::emphasis(&inner, "**")),
        _ => {
            let href = c.attr("href").unwrap_or_default();
            // Navigation glyphs: permalinks and footnotes' back-links (`↩︎`).
            let glyph = matches!(
                inner.trim().trim_end_matches(['\u{fe0e}', '\u{fe0f}']),
                "¶" | "§" | "#" | "\\#" | "🔗" | "↩" | "↑"
            );
            if marks(c).iter().any(|w| w == "headerlink") || (glyph && href.starts_with('#')) {
                return;
            }
            let kept = !matches!(href.trim(), "" | "#")
                && !href
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:");
            if kept {
                out.push_str(&inline_md::link(&inner, &href));
            } else {
                out.push_str(&inner);
            }
        }
    }
}

/// The label of a footnote reference (`<sup><a href="#fn1">1</a></sup>` reads `[^fn1]`): a
/// `<sup>` whose link points into the page and whose text is a number, or any `noteref` link.
fn footnote_ref(sup: &Handle) -> Option<String> {
    let mut links = Vec::new();
    find_all(sup, "a", &mut links);
    let link = links.first()?;
    let number = inline(&text_of(link));
    let target = link.attr("href")?;
    let (_, fragment) = target.split_once('#')?;
    let noteref = marks(link)
        .iter()
        .any(|w| w == "noteref" || w == "doc-noteref");
    let numbered = !number.is_empty() && number.chars().all(|c| c.is_ascii_digit());
    let label = note_label(fragment);
    ((noteref || numbered) && !label.is_empty()).then_some(label)
}

/// Text exactly as written (for `<pre>`): no whitespace collapsing.
pub(super) fn raw_text(node: &Handle) -> String {
    let mut out = String::new();
    fn go(n: &Handle, out: &mut String) {
        for c in n.children.borrow().iter() {
            match &c.kind {
                Kind::Text(t) => out.push_str(&t.borrow()),
                Kind::Element { .. } if c.name() == "br" => out.push('\n'),
                Kind::Element { .. } => go(c, out),
                _ => {}
            }
        }
    }
    go(node, &mut out);
    out
}

pub(super) fn code_lang(pre: &Handle) -> String {
    let classes = |n: &Handle| n.attr("class").unwrap_or_default();
    let mut all = classes(pre);
    if let Some(code) = child_named(pre, "code") {
        all.push(' ');
        all.push_str(&classes(&code));
    }
    all.split_whitespace()
        .find_map(|c| {
            c.strip_prefix("language-")
                .or_else(|| c.strip_prefix("lang-"))
        })
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '#' | '_'))
        .collect()
}

/// The paragraphs inside a container, separated by blank lines.
pub(super) fn paragraphs_of(node: &Handle) -> String {
    text_of(node)
        .split("\n\n")
        .map(inline_md::paragraph)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Text of a list item with its nested lists as indented sub-items.
pub(super) fn item_text(item: &Handle, ordinal: Option<usize>, depth: usize) -> String {
    let mut own = String::new();
    collect_text(item, &mut own, true);
    let mut out = inline_md::list_item(&own, ordinal, depth);
    for sub in item.children.borrow().iter() {
        if matches!(sub.name(), "ul" | "ol") {
            let ordered = sub.name() == "ol";
            let items = sub.children.borrow();
            for (n, li) in (1..).zip(items.iter().filter(|c| c.name() == "li")) {
                out.push('\n');
                out.push_str(&item_text(li, ordered.then_some(n), depth + 1));
            }
        }
    }
    out
}

pub(super) fn collect_rows(node: &Handle, rows: &mut Vec<Vec<String>>) {
    for c in node.children.borrow().iter() {
        match c.name() {
            "tr" => rows.push(
                c.children
                    .borrow()
                    .iter()
                    .filter(|cell| matches!(cell.name(), "td" | "th"))
                    .map(|cell| inline_md::one_line(&text_of(cell)))
                    .collect(),
            ),
            "thead" | "tbody" | "tfoot" => collect_rows(c, rows),
            _ => {}
        }
    }
}

/// Images under a node as Markdown image lines.
pub(super) fn images(node: &Handle) -> String {
    let mut imgs = Vec::new();
    if node.name() == "img" {
        imgs.push(node.clone());
    }
    find_all(node, "img", &mut imgs);
    imgs.iter()
        .map(|i| {
            let alt = inline(&i.attr("alt").unwrap_or_default()).replace(['[', ']'], "");
            let src = i.attr("src").unwrap_or_default().replace([' ', ')'], "");
            format!("![{alt}]({src})")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
