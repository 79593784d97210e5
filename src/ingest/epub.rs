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
    for idref in &package.spine {
        let Some(item) = package.items.get(idref) else {
            continue;
        };
        if item.nav || !item.media_type.contains("html") {
            continue;
        }
        let part = resolve(&base, &item.href);
        // Escaped for messages: the name comes from the file.
        let shown = part.escape_debug().to_string();
        if encrypted.iter().any(|e| e == &part) {
            return Err(format!(
                "the EPUB is DRM-protected: chapter {shown} is encrypted"
            ));
        }
        let bytes = zip
            .read(&part)?
            .ok_or_else(|| format!("damaged EPUB: the spine names {shown}, which is missing"))?;
        let html = super::charset::decode_html(&bytes, true)
            .map_err(|e| format!("chapter {shown}: {e}"))?;
        render_html(&html, Some(&part), &mut r)?;
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
    fn hrefs_resolve_against_the_package_directory() {
        assert_eq!(
            resolve("OEBPS/", "Text/ch%201.xhtml#x"),
            "OEBPS/Text/ch 1.xhtml"
        );
        assert_eq!(resolve("OEBPS/Text/", "../ch2.xhtml"), "OEBPS/ch2.xhtml");
        assert_eq!(resolve("", "ch3.xhtml"), "ch3.xhtml");
    }
}
