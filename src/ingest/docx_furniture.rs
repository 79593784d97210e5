//! DOCX header and footer parts: their paragraphs become `page_header` / `page_footer` blocks,
//! once per distinct text (a document's first-page, even and default headers often repeat).
//! Headers come before the body, footers after it.

use std::collections::HashSet;

use super::archive::Archive;
use super::docx_part::{parse_part, Item};
use super::render::{self, Renderer};
use super::xml::{attr, walk, XmlEvent};
use crate::model::{BlockType, Locator};

/// Header and footer parts named by `word/_rels/document.xml.rels`, in relationship order.
pub(super) fn parts(rels: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut headers, mut footers) = (Vec::new(), Vec::new());
    walk(rels, "word/_rels/document.xml.rels", |ev| {
        if let XmlEvent::Open {
            name: "Relationship",
            attrs,
        } = ev
        {
            let kind = attr(attrs, "Type").unwrap_or("");
            let Some(target) = attr(attrs, "Target") else {
                return;
            };
            let part = match target.strip_prefix('/') {
                Some(abs) => abs.to_string(),
                None => format!("word/{target}"),
            };
            if kind.ends_with("/header") {
                headers.push(part);
            } else if kind.ends_with("/footer") {
                footers.push(part);
            }
        }
    })?;
    Ok((headers, footers))
}

/// Render the paragraphs (and tables, as text) of `parts` as `block_type` blocks; a text seen
/// before (in `seen`) is not repeated.
pub(super) fn render(
    r: &mut Renderer,
    zip: &mut Archive<'_>,
    parts: &[String],
    block_type: BlockType,
    seen: &mut HashSet<String>,
) -> Result<(), String> {
    for part in parts {
        let Some(xml) = zip.read(part)? else {
            continue;
        };
        for item in parse_part(&xml, part)? {
            let (text, first, count) = match &item {
                Item::Para(p) => (p.text.clone(), p.index, 1),
                Item::Table { rows, first, count } => {
                    let cells: Vec<&str> = rows.iter().flatten().map(|c| c.text.as_str()).collect();
                    (cells.join(" "), *first, *count)
                }
            };
            let text = render::paragraph(&text);
            if text.is_empty() || !seen.insert(text.clone()) {
                continue;
            }
            let loc = Locator::DocxParagraph {
                start: 0,
                end: 0,
                part: part.clone(),
                paragraph: first,
                paragraph_count: count,
            };
            r.push(block_type, &text, loc);
        }
    }
    Ok(())
}
