//! PPTX to blocks: slides in presentation order; per slide its title as a `heading`, body text
//! as `paragraph`s and `list_item`s (bullet level kept), tables as GFM `table`s, pictures and
//! charts as `figure`s with their alt text, and the speaker notes as one `other` block marked as
//! notes. Hidden slides are skipped and counted (in the log and on the last block's absence).
//! The locator is `{type: "pptx", slide, shape}`.

use std::borrow::Cow;
use std::collections::HashMap;

use super::archive::Archive;
use super::pptx_slide::{read_slide, Bullet, Content, Paragraph, Role, Shape};
use super::render::{self, Renderer};
use super::xml::{attr, walk, XmlEvent};
use super::Drafts;
use crate::model::{BlockType, Locator};

const PRESENTATION: &str = "ppt/presentation.xml";
const NOTES_TYPE: &str = "/notesSlide";
/// Most bytes the whole archive may inflate to (a zip bomb is refused before any part is read).
const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

pub(crate) fn pptx_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    let mut zip = Archive::open(raw, "PPTX")?;
    zip.check_inflated_sizes(MAX_INFLATED_BYTES)?;
    let presentation = zip.require(PRESENTATION)?;
    let rels = match zip.read("ppt/_rels/presentation.xml.rels")? {
        Some(x) => relationships(&x, "ppt/_rels/presentation.xml.rels")?,
        None => HashMap::new(),
    };
    let slides = slide_parts(&presentation, &rels)?;
    let mut r = Renderer::new();
    if let Some(core) = zip.read("docProps/core.xml")? {
        if let Some(title) = core_title(&core)? {
            r.fallback_title(&title);
        }
    }
    let mut hidden = 0usize;
    for (i, part) in slides.iter().enumerate() {
        let slide = (i + 1) as u32;
        let xml = zip.read(part)?.ok_or_else(|| {
            format!(
                "damaged PPTX: slide {slide} names {}, which is missing",
                part.escape_debug()
            )
        })?;
        let (is_hidden, shapes) = read_slide(&xml, part)?;
        if is_hidden {
            hidden += 1;
            continue;
        }
        render_slide(&mut r, slide, &shapes, false);
        if let Some(notes) = notes_part(&mut zip, part)? {
            let xml = zip.require(&notes)?;
            let (_, shapes) = read_slide(&xml, &notes)?;
            render_notes(&mut r, slide, &shapes);
        }
    }
    if hidden > 0 {
        tracing::info!(hidden, "PPTX: hidden slides skipped");
    }
    if r.is_empty() {
        return Err(match hidden {
            0 => "the PPTX has no text on its slides".to_string(),
            n => format!("the PPTX has no text on its visible slides ({n} hidden slides skipped)"),
        });
    }
    let (text, mut drafts) = r.finish();
    drafts.hidden_skipped = (hidden > 0).then_some((hidden as u32, "slides"));
    Ok((Cow::Owned(text), drafts))
}

/// Slide parts in presentation order (`p:sldIdLst`), resolved through the relationships.
fn slide_parts(
    xml: &[u8],
    rels: &HashMap<String, (String, String)>,
) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut missing = None;
    walk(xml, PRESENTATION, |ev| {
        if let XmlEvent::Open {
            name: "sldId",
            attrs,
        } = ev
        {
            // `id` (a number) and `r:id` (the relationship) share the local name.
            let target = attrs
                .iter()
                .filter(|(k, _)| k == "id")
                .find_map(|(_, v)| rels.get(v));
            match target {
                Some((target, _)) => parts.push(resolve("ppt/", target)),
                None if missing.is_none() => {
                    missing = Some(attr(attrs, "id").unwrap_or("").to_string())
                }
                None => {}
            }
        }
    })?;
    if let Some(id) = missing {
        return Err(format!(
            "damaged PPTX: slide id {} has no slide part",
            id.escape_debug()
        ));
    }
    Ok(parts)
}

/// The notes slide of a slide part, through the slide's relationships.
fn notes_part(zip: &mut Archive<'_>, slide: &str) -> Result<Option<String>, String> {
    let (dir, file) = slide.rsplit_once('/').unwrap_or(("", slide));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let Some(xml) = zip.read(&rels_name)? else {
        return Ok(None);
    };
    let rels = relationships(&xml, &rels_name)?;
    Ok(rels
        .values()
        .find(|(_, kind)| kind.ends_with(NOTES_TYPE))
        .map(|(target, _)| resolve(&format!("{dir}/"), target)))
}

fn locator(slide: u32, shape: u32, notes: bool) -> Locator {
    Locator::Pptx {
        start: 0,
        end: 0,
        slide,
        shape,
        notes,
    }
}

/// One slide: its title first, then the other shapes in tree order.
fn render_slide(r: &mut Renderer, slide: u32, shapes: &[Shape], notes: bool) {
    let is_title = |s: &Shape| matches!(s.content, Content::Text(Role::Title(_), _));
    for shape in shapes
        .iter()
        .filter(|s| is_title(s))
        .chain(shapes.iter().filter(|s| !is_title(s)))
    {
        let loc = locator(slide, shape.id, notes);
        match &shape.content {
            Content::Text(Role::Furniture, _) => {}
            Content::Text(Role::Title(level), paras) => {
                let text: Vec<&str> = paras.iter().map(|p| p.text.as_str()).collect();
                r.heading(*level, &text.join(" "), loc);
            }
            Content::Text(role, paras) => text_shape(r, *role, paras, &loc),
            Content::Table(rows) => r.push(BlockType::Table, &render::table(rows), loc),
            Content::Figure { alt, kind } => {
                let alt = render::inline(alt).replace(['[', ']'], "");
                r.push(BlockType::Figure, &format!("![{alt}]({kind})"), loc);
            }
        }
    }
}

/// Paragraphs and list items of one text shape; numbering restarts per shape and level.
fn text_shape(r: &mut Renderer, role: Role, paras: &[Paragraph], loc: &Locator) {
    let mut counters: Vec<usize> = Vec::new();
    for p in paras {
        let bulleted = match p.bullet {
            Bullet::Inherit => role == Role::Body,
            Bullet::None => false,
            Bullet::Char | Bullet::Number => true,
        };
        if !bulleted || p.text.trim().is_empty() {
            r.push(
                BlockType::Paragraph,
                &render::paragraph(&p.text),
                loc.clone(),
            );
            continue;
        }
        counters.resize(p.level + 1, 0);
        counters[p.level] += 1;
        let ordinal = (p.bullet == Bullet::Number).then_some(counters[p.level]);
        let item = render::list_item(&p.text, ordinal, p.level);
        r.push_indented(BlockType::ListItem, &item, loc.clone());
    }
}

/// Speaker notes: the notes placeholder's text as one `other` block, marked as notes.
fn render_notes(r: &mut Renderer, slide: u32, shapes: &[Shape]) {
    for shape in shapes {
        let Content::Text(Role::Body, paras) = &shape.content else {
            continue;
        };
        let text: Vec<String> = paras.iter().map(|p| render::paragraph(&p.text)).collect();
        let text = text.join("\n");
        if !text.trim().is_empty() {
            let content = format!("Notes: {text}");
            r.push(BlockType::Other, &content, locator(slide, shape.id, true));
        }
    }
}

/// `Id → (Target, Type)` of a relationships part.
fn relationships(xml: &[u8], what: &str) -> Result<HashMap<String, (String, String)>, String> {
    let mut map = HashMap::new();
    walk(xml, what, |ev| {
        if let XmlEvent::Open {
            name: "Relationship",
            attrs,
        } = ev
        {
            if let (Some(id), Some(t)) = (attr(attrs, "Id"), attr(attrs, "Target")) {
                let kind = attr(attrs, "Type").unwrap_or("").to_string();
                map.insert(id.to_string(), (t.to_string(), kind));
            }
        }
    })?;
    Ok(map)
}

/// `base` + a relative target, with `..` segments resolved (`ppt/slides/` + `../notesSlides/x`).
fn resolve(base: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
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
    fn relative_targets_resolve() {
        assert_eq!(
            resolve("ppt/", "slides/slide1.xml"),
            "ppt/slides/slide1.xml"
        );
        assert_eq!(
            resolve("ppt/slides/", "../notesSlides/notesSlide1.xml"),
            "ppt/notesSlides/notesSlide1.xml"
        );
        assert_eq!(resolve("ppt/", "/ppt/slides/s.xml"), "ppt/slides/s.xml");
    }
}
