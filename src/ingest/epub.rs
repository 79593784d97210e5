//! EPUB to blocks: the package's spine gives the chapter order; each chapter is read as HTML
//! (`html.rs`), its locators naming the chapter file as `part`.

use std::borrow::Cow;
use std::collections::HashMap;

use super::archive::Archive;
use super::html::render_html;
use super::render::Renderer;
use super::xml::{attr, walk, XmlEvent};
use super::Drafts;

pub(crate) fn epub_drafts(raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    let mut zip = Archive::open(raw, "EPUB")?;
    let container = zip.require("META-INF/container.xml")?;
    let opf_path = rootfile(&container)?;
    let opf = zip.require(&opf_path)?;
    let package = Package::parse(&opf, &opf_path)?;
    let base = match opf_path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => String::new(),
    };
    let encrypted = match zip.read("META-INF/encryption.xml")? {
        Some(x) => encrypted_parts(&x)?,
        None => Vec::new(),
    };
    let mut r = Renderer::new();
    if let Some(t) = &package.title {
        r.fallback_title(t);
    }
    let chapters: Vec<String> = package
        .spine
        .iter()
        .filter_map(|idref| package.items.get(idref))
        .filter(|item| !item.nav && item.media_type.contains("html"))
        .map(|item| resolve(&base, &item.href))
        .collect();
    for part in &chapters {
        // Escaped for messages: the name comes from the file.
        let shown = part.escape_debug().to_string();
        if encrypted.iter().any(|e| e == part) {
            return Err(format!(
                "the EPUB is DRM-protected: chapter {shown} is encrypted"
            ));
        }
        let bytes = zip
            .read(part)?
            .ok_or_else(|| format!("damaged EPUB: the spine names {shown}, which is missing"))?;
        let html = super::charset::decode_html(&bytes, true)
            .map_err(|e| format!("chapter {shown}: {e}"))?;
        let in_book = |href: &str| in_book(part, &chapters, href);
        render_html(&html, Some(part), &in_book, &mut r)?;
    }
    if r.is_empty() {
        return Err("the EPUB has no readable text in its spine".into());
    }
    let (text, drafts) = r.finish();
    Ok((Cow::Owned(text), drafts))
}

/// The package document named by `META-INF/container.xml`.
fn rootfile(xml: &[u8]) -> Result<String, String> {
    let mut found = None;
    walk(xml, "META-INF/container.xml", |ev| {
        if let XmlEvent::Open {
            name: "rootfile",
            attrs,
        } = ev
        {
            if found.is_none() {
                found = attr(attrs, "full-path").map(str::to_string);
            }
        }
    })?;
    found.ok_or_else(|| "not an EPUB: META-INF/container.xml names no package file".into())
}

struct Item {
    href: String,
    media_type: String,
    nav: bool,
}

struct Package {
    items: HashMap<String, Item>,
    spine: Vec<String>,
    title: Option<String>,
}

impl Package {
    fn parse(xml: &[u8], what: &str) -> Result<Package, String> {
        let mut items = HashMap::new();
        let mut spine = Vec::new();
        let mut title = String::new();
        let mut in_title = false;
        walk(xml, what, |ev| match ev {
            XmlEvent::Open {
                name: "item",
                attrs,
            } => {
                if let (Some(id), Some(href)) = (attr(attrs, "id"), attr(attrs, "href")) {
                    items.insert(
                        id.to_string(),
                        Item {
                            href: href.to_string(),
                            media_type: attr(attrs, "media-type").unwrap_or("").to_string(),
                            nav: attr(attrs, "properties")
                                .is_some_and(|p| p.split_whitespace().any(|w| w == "nav")),
                        },
                    );
                }
            }
            XmlEvent::Open {
                name: "itemref",
                attrs,
            } => {
                if let Some(id) = attr(attrs, "idref") {
                    spine.push(id.to_string());
                }
            }
            XmlEvent::Open { name: "title", .. } if title.is_empty() => in_title = true,
            XmlEvent::Close { name: "title" } => in_title = false,
            XmlEvent::Text(t) if in_title => title.push_str(t),
            _ => {}
        })?;
        if spine.is_empty() {
            return Err(format!("not a readable EPUB: {what} has an empty spine"));
        }
        Ok(Package {
            items,
            spine,
            title: Some(title).filter(|t| !t.trim().is_empty()),
        })
    }
}

/// Archive paths that `META-INF/encryption.xml` says are encrypted.
fn encrypted_parts(xml: &[u8]) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    walk(xml, "META-INF/encryption.xml", |ev| {
        if let XmlEvent::Open {
            name: "CipherReference",
            attrs,
        } = ev
        {
            if let Some(uri) = attr(attrs, "URI") {
                parts.push(percent_decode(uri));
            }
        }
    })?;
    Ok(parts)
}

/// The in-page form (`#id`) of a link from chapter `part` to a place in one of the book's
/// `chapters`; `None` for a link that leaves the book (a scheme, an absolute path, another
/// file) or names no place.
fn in_book(part: &str, chapters: &[String], href: &str) -> Option<String> {
    let (file, fragment) = href.trim().split_once('#')?;
    let external = file.starts_with('/') || file.split('/').next()?.contains(':');
    if fragment.is_empty() || external {
        return None;
    }
    let dir = part.rsplit_once('/').map_or("", |(d, _)| d);
    let target = if file.is_empty() {
        part.to_string()
    } else {
        resolve(&format!("{dir}/"), file)
    };
    chapters.contains(&target).then(|| format!("#{fragment}"))
}

/// `href` relative to the package directory, with `..` and `%xx` resolved.
fn resolve(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or(href);
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    let decoded = percent_decode(href);
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_place_in_another_chapter_reads_as_an_in_page_link() {
        let book = [
            "EPUB/text/ch001.xhtml".to_string(),
            "EPUB/text/ch002.xhtml".to_string(),
        ];
        let from = "EPUB/text/ch002.xhtml";
        let got = |href| in_book(from, &book, href);
        assert_eq!(got("ch001.xhtml#part-two").as_deref(), Some("#part-two"));
        assert_eq!(got("../text/ch002.xhtml#x").as_deref(), Some("#x"));
        assert_eq!(got("#here").as_deref(), Some("#here"));
        assert_eq!(got("ch009.xhtml#gone"), None, "not a chapter of the book");
        assert_eq!(got("ch001.xhtml"), None, "no place named");
        assert_eq!(got("https://x.org/ch001.xhtml#a"), None);
        assert_eq!(got("/EPUB/text/ch001.xhtml#a"), None);
    }

    #[test]
    fn hrefs_resolve_against_the_package_directory() {
        assert_eq!(
            resolve("OEBPS/", "Text/ch%201.xhtml#x"),
            "OEBPS/Text/ch 1.xhtml"
        );
        assert_eq!(resolve("OEBPS/Text/", "../ch2.xhtml"), "OEBPS/ch2.xhtml");
        assert_eq!(resolve("", "ch3.xhtml"), "ch3.xhtml");
    }
}
