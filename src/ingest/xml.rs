//! A flat walk over an XML part (DOCX, EPUB package files) with quick-xml: local names only
//! (namespace prefixes dropped), attributes unescaped, entity references resolved into text.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

/// One step of the walk. An empty element (`<a/>`) is an `Open` followed by a `Close`.
pub(crate) enum XmlEvent<'a> {
    Open {
        name: &'a str,
        attrs: &'a [(String, String)],
    },
    Close {
        name: &'a str,
    },
    Text(&'a str),
}

fn local(qname: &str) -> String {
    match qname.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => qname.to_string(),
    }
}

/// Walk `xml`, calling `f` for every element start, end and text run. `what` names the part in
/// errors (`word/document.xml`).
pub(crate) fn walk(xml: &[u8], what: &str, mut f: impl FnMut(XmlEvent<'_>)) -> Result<(), String> {
    let what = what.escape_debug().to_string();
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let bad = |e: &dyn std::fmt::Display| format!("{what} is not well-formed XML: {e}");
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("{what} is not well-formed XML: {e}"))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                attrs.clear();
                for a in e.attributes().with_checks(false) {
                    let a = a.map_err(|e| bad(&e))?;
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_else(|_| a.value.to_string());
                    attrs.push((local(a.key.as_ref()), value));
                }
                let name = local(e.name().as_ref());
                f(XmlEvent::Open {
                    name: &name,
                    attrs: &attrs,
                });
                if matches!(event, Event::Empty(_)) {
                    f(XmlEvent::Close { name: &name });
                }
            }
            Event::End(ref e) => {
                let name = local(e.name().as_ref());
                f(XmlEvent::Close { name: &name });
            }
            Event::Text(ref t) => f(XmlEvent::Text(&t.xml10_content())),
            Event::CData(ref t) => f(XmlEvent::Text(&t.xml10_content())),
            Event::GeneralRef(ref r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        _ => String::new(),
                    },
                };
                f(XmlEvent::Text(&resolved));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// The value of attribute `key` (local name).
pub(crate) fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    /// DOCX and EPUB XML is read by this streaming loop: no recursion, so any nesting depth
    /// costs time and memory linear in the input (issue 20 item 4).
    #[test]
    fn a_hundred_thousand_nested_elements_stream_without_recursion() {
        let n = 100_000;
        let xml = format!("{}x{}", "<w:p>".repeat(n), "</w:p>".repeat(n));
        let (mut opens, mut closes, mut text) = (0, 0, String::new());
        walk(xml.as_bytes(), "word/document.xml", |e| match e {
            XmlEvent::Open { .. } => opens += 1,
            XmlEvent::Close { .. } => closes += 1,
            XmlEvent::Text(t) => text.push_str(t),
        })
        .unwrap();
        assert_eq!((opens, closes, text.as_str()), (n, n, "x"));
    }
}
