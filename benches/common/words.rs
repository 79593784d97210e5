//! Word and inline-markup measures for the `pdf_browser` bench (issue 25 targets).
#![allow(dead_code)]

use std::collections::HashMap;

/// A bag of words: token -> count.
pub type Bag = HashMap<String, usize>;

/// Tokens of `text`: whitespace-separated, with leading/trailing non-alphanumeric characters
/// trimmed (Markdown markers, table pipes and punctuation fall away), empties dropped.
pub fn tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn bag(tokens: &[String]) -> Bag {
    let mut b = Bag::new();
    for t in tokens {
        *b.entry(t.clone()).or_default() += 1;
    }
    b
}

/// Size of the multiset intersection of two bags.
pub fn overlap(a: &Bag, b: &Bag) -> usize {
    a.iter()
        .map(|(k, n)| (*n).min(*b.get(k).unwrap_or(&0)))
        .sum()
}

/// Tokens of ours not in the reference that are two reference words stuck together
/// ("wordsglued" where the reference has "words" and "glued").
pub fn glued(ours: &Bag, reference: &Bag) -> usize {
    ours.iter()
        .filter(|(w, _)| !reference.contains_key(*w))
        .filter(|(w, _)| {
            w.char_indices().skip(1).any(|(i, _)| {
                let (a, b) = w.split_at(i);
                reference.contains_key(a) && reference.contains_key(b)
            })
        })
        .map(|(_, n)| *n)
        .sum()
}

/// Ligature presentation forms U+FB00–FB06 in `text`.
pub fn ligatures(text: &str) -> usize {
    text.chars()
        .filter(|c| ('\u{fb00}'..='\u{fb06}').contains(c))
        .count()
}

/// A Markdown source block as a reader of the printed page sees it: HTML comments (never
/// rendered) and a code fence's info string (`\`\`\`js`: the language, not shown) removed, and
/// link targets dropped ([`strip_link_targets`]).
pub fn seen_text(block: &str) -> String {
    let mut text = String::with_capacity(block.len());
    let mut rest = block;
    while let Some(i) = rest.find("<!--") {
        text.push_str(&rest[..i]);
        rest = rest[i..].find("-->").map_or("", |j| &rest[i + j + 3..]);
    }
    text.push_str(rest);
    let trimmed = text.trim_start();
    let fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
    if fence {
        let marks = trimmed.len() - trimmed.trim_start_matches(['`', '~']).len();
        let line_end = trimmed.find('\n').unwrap_or(trimmed.len());
        text = format!("{}{}", &trimmed[..marks], &trimmed[line_end..]);
    }
    strip_link_targets(&text)
}

/// `[text](url)` -> `text`, so a source block's tokens are the words a reader sees.
pub fn strip_link_targets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i]);
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Token F1 of two lower-cased token bags.
pub fn f1(a: &Bag, b: &Bag) -> f64 {
    let (na, nb): (usize, usize) = (a.values().sum(), b.values().sum());
    if na == 0 || nb == 0 {
        return 0.0;
    }
    let o = overlap(a, b) as f64;
    2.0 * o / (na + nb) as f64
}

pub fn lower_bag(text: &str) -> Bag {
    bag(&tokens(&text.to_lowercase()))
}

/// Inline items of a document: code span texts, emphasis texts, link URLs.
#[derive(Default, Debug)]
pub struct Inline {
    pub code: Bag,
    pub emph: Bag,
    pub links: Bag,
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn add(b: &mut Bag, s: &str) {
    let s = squash(s);
    if !s.is_empty() {
        *b.entry(s).or_default() += 1;
    }
}

/// Inline items of CommonMark text (our `block_content`), read with pulldown-cmark.
pub fn inline_of_markdown(text: &str) -> Inline {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut inline = Inline::default();
    let mut emph: Vec<String> = Vec::new();
    for ev in Parser::new(text) {
        match ev {
            Event::Start(Tag::Emphasis) => emph.push(String::new()),
            Event::End(TagEnd::Emphasis) => {
                let e = emph.pop().unwrap_or_default();
                add(&mut inline.emph, &e);
            }
            Event::Start(Tag::Link { dest_url, .. }) => add(&mut inline.links, &dest_url),
            Event::Code(c) => {
                add(&mut inline.code, &c);
                emph.iter_mut().for_each(|e| e.push_str(&c));
            }
            Event::Text(t) => emph.iter_mut().for_each(|e| e.push_str(&t)),
            Event::SoftBreak | Event::HardBreak => emph.iter_mut().for_each(|e| e.push(' ')),
            _ => {}
        }
    }
    inline
}

/// Plain text of a pandoc JSON inline list.
fn stringify(v: &serde_json::Value) -> String {
    let mut s = String::new();
    walk_text(v, &mut s);
    s
}

fn walk_text(v: &serde_json::Value, s: &mut String) {
    match v {
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk_text(x, s)),
        serde_json::Value::Object(o) => match o.get("t").and_then(|t| t.as_str()) {
            Some("Str") => s.push_str(o["c"].as_str().unwrap_or("")),
            Some("Space" | "SoftBreak" | "LineBreak") => s.push(' '),
            Some("Code") => s.push_str(o["c"][1].as_str().unwrap_or("")),
            Some("Link" | "Image") => walk_text(&o["c"][1], s),
            Some("Note") => {}
            _ => {
                if let Some(c) = o.get("c") {
                    walk_text(c, s)
                }
            }
        },
        _ => {}
    }
}

/// Inline items of the source, from pandoc's JSON AST of the Markdown (`pandoc -t json`).
pub fn inline_of_pandoc(v: &serde_json::Value, inline: &mut Inline) {
    match v {
        serde_json::Value::Array(a) => a.iter().for_each(|x| inline_of_pandoc(x, inline)),
        serde_json::Value::Object(o) => {
            match o.get("t").and_then(|t| t.as_str()) {
                Some("Code") => add(&mut inline.code, o["c"][1].as_str().unwrap_or("")),
                Some("Emph") => add(&mut inline.emph, &stringify(&o["c"])),
                Some("Link") => add(&mut inline.links, o["c"][2][0].as_str().unwrap_or("")),
                _ => {}
            }
            o.values().for_each(|x| inline_of_pandoc(x, inline));
        }
        _ => {}
    }
}
